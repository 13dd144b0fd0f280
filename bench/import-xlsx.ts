/**
 * Import throughput and peak memory for a production-sized timesheet XLSX (the simulator's full scale,
 * 150,000 rows), into the embedded database and — when BENCH_DATABASE_URL or TEST_DATABASE_URL names a
 * server — into PostgreSQL. The fixture is written by one child process and each import runs in
 * another, so the import's peak RSS is its own (on Linux a child starts with its parent's peak RSS as
 * its `maxRSS`, so the parent stays small). Each target is imported twice: a first load (inserts) and a
 * re-import of the same file (every record unchanged).
 *
 * Run after a build: `node dist/bench/import-xlsx.js [rows]` (default 150000).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openDb } from '../src/load/open-db.js';
import { silentLogger } from '../src/log.js';
import { withRunLock } from '../src/pipeline/guard.js';
import { planImport, runImport } from '../src/pipeline/import.js';
import { generateView } from '../src/simulator/index.js';
import { parseDate, parseInstant } from '../src/transform/dates.js';
import { Zone } from '../src/transform/values.js';
import { writeXlsxExport } from '../test/support/xlsx-export.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const NOW = new Date('2025-03-15T03:00:00Z');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

interface ChildReport {
  readonly rows: number;
  readonly firstSeconds: number;
  readonly againSeconds: number;
  readonly inserted: number;
  readonly unchanged: number;
  readonly valueErrors: number;
  /** Peak RSS with the database open and migrated, before the import. */
  readonly baselineRssKb: number;
  readonly maxRssKb: number;
}

/** The child: one import of the file, then the same file again, and this process's peak RSS. */
async function child(file: string): Promise<void> {
  const config = loadConfig({});
  const db = await openDb(config);
  const deps = { db, config, log: silentLogger };
  try {
    await withRunLock(deps, 'migrate', { autoMigrate: true }, async () => undefined);
    const baselineRssKb = process.resourceUsage().maxRSS;
    const files = await planImport([file]);
    const timed = async () => {
      const started = performance.now();
      const result = await withRunLock(deps, 'import', { autoMigrate: true }, () => runImport(deps, files));
      return { seconds: (performance.now() - started) / 1000, outcome: result.files[0]!.outcome };
    };
    const first = await timed();
    if (first.outcome.status === 'failed') throw new Error(first.outcome.error ?? 'import failed');
    const again = await timed();
    const report: ChildReport = {
      rows: first.outcome.counts.fetched,
      firstSeconds: first.seconds,
      againSeconds: again.seconds,
      inserted: first.outcome.counts.inserted,
      unchanged: again.outcome.counts.unchanged,
      valueErrors: first.outcome.counts.valueErrors,
      baselineRssKb,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await db.close();
  }
}

function runChild(args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [THIS_FILE, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
  });
}

/**
 * The simulator's records with the dates an export would hold as date cells (a Date whose UTC fields
 * are the Perth wall-clock value), hours as numbers, the rest as the source writes them.
 */
function* exportRecords(count: number): Generator<Record<string, unknown>> {
  const zone = new Zone('Australia/Perth');
  const ctx = { zone };
  const records = generateView('timesheets', { seed: 1, scale: 'full', now: NOW });
  for (let i = 0; i < count; i++) {
    const r = { ...records[i % records.length]! };
    const day = parseDate(r['TS-Date'], ctx);
    if (typeof day === 'string') r['TS-Date'] = new Date(`${day}T00:00:00Z`);
    const modified = parseInstant(r['TS-Modified Time'], ctx);
    if (typeof modified === 'string') {
      const utc = Date.parse(modified);
      r['TS-Modified Time'] = new Date(utc + zone.offsetAt(utc));
    }
    const hours = Number(String(r['TS-Hours']).replace(',', '.'));
    if (Number.isFinite(hours)) r['TS-Hours'] = hours;
    yield r;
  }
  records.length = 0;
}

async function initEmbedded(dataDir: string): Promise<void> {
  const config = loadConfig({ env: { OTC_DATA_DIR: dataDir } });
  const db = await openDb(config);
  try {
    await withRunLock({ db, config, log: silentLogger }, 'migrate', { autoMigrate: true }, async () => undefined);
  } finally {
    await db.close();
  }
}

async function importIn(file: string, env: Record<string, string>): Promise<ChildReport> {
  return JSON.parse(await runChild(['--child', file], env)) as ChildReport;
}

/** The generating child: writes the fixture and says how long it took. */
async function generate(file: string, rows: number): Promise<void> {
  const started = performance.now();
  const headers = Object.keys(generateView('timesheets', { seed: 1, scale: 'small', now: NOW })[0]!);
  await writeXlsxExport(file, exportRecords(rows), { headers, dateFormat: 'dd/mm/yyyy hh:mm' });
  process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)}`);
}

function describeReport(target: string, r: ChildReport): string {
  return [
    `${target}: ${r.rows} rows, first import ${r.firstSeconds.toFixed(1)} s (${Math.round(r.rows / r.firstSeconds)} rows/s, ${r.inserted} inserted)`,
    `  re-import ${r.againSeconds.toFixed(1)} s (${Math.round(r.rows / r.againSeconds)} rows/s, ${r.unchanged} unchanged)`,
    `  value errors ${r.valueErrors}, peak RSS ${mb(r.maxRssKb * 1024)} (database open and migrated: ${mb(r.baselineRssKb * 1024)})`,
  ].join('\n');
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 150_000);
  const dir = await mkdtemp(join(tmpdir(), 'otc-etl-bench-import-'));
  try {
    const file = join(dir, 'timesheets-export.xlsx');
    const seconds = await runChild(['--generate', file, String(rows)], {});
    const size = (await stat(file)).size;
    console.log(`fixture: ${rows} timesheet rows, ${mb(size)} XLSX, written in ${seconds} s`);
    console.log(`node ${process.version}, ${execFileSync('nproc').toString().trim()} cpus`);

    // Creating an embedded database (initdb) peaks far above what an import needs: do it beforehand.
    const embedded = { OTC_DATA_DIR: join(dir, 'embedded') };
    await runChild(['--init', embedded.OTC_DATA_DIR], {});
    console.log(describeReport('embedded (PGlite)', await importIn(file, embedded)));

    const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
    if (!serverUrl) {
      console.log('server: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
      return;
    }
    const name = `otc_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      console.log(describeReport('server (PostgreSQL)', await importIn(file, { DATABASE_URL: url.toString() })));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else if (process.argv[2] === '--init') await initEmbedded(process.argv[3]!);
else if (process.argv[2] === '--generate') await generate(process.argv[3]!, Number(process.argv[4]));
else await main();
