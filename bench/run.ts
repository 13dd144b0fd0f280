/**
 * `npm run bench`: end-to-end sync timings against COPY references, in one run, on seeded simulator
 * data whose dates lie inside each view's window relative to today (as the source serves them). Every
 * sync runs the package's bin as a child process (its peak RSS is measured), and the counts it reports
 * are checked, so a fast wrong answer cannot pass.
 *
 *   (a) full sync of all three views into server PostgreSQL
 *   (a2) the same, from a simulator that renders each body as it is requested
 *   (b) re-sync with nothing changed (and no tuple written to the three data tables)
 *   (c) re-sync with 5% of records changed
 *   (d) full sync into the embedded database
 *   (e) reference: psql \copy of the same rows in typed form into plain tables without indexes
 *   (e2) the same with each record's JSON in a jsonb column
 *   (f) full sync at 4× scale, then (f2) a re-sync of it with nothing changed (memory stays flat with scale)
 *   (g) `status` on the embedded database of (d), through the bin
 *
 * The simulator renders each view's body once (per version of the data) and serves its bytes: the real
 * source runs on another machine, while rendering a full-scale timesheets body here takes over a second
 * of one of the two cores the sync and the server share. (a2) shows what that costs a sync.
 *
 * A full sync starts from a database `migrate` has made, as each reference starts from its tables.
 *
 * The references run in turn with (a) and (b), and every timed run starts after a CHECKPOINT, so a
 * drift of the machine's speed moves a sync and its reference alike, and no run pays for the writes of
 * the one before it.
 *
 * Then storage: timesheets on disk (heap + TOAST + indexes) after (a) against a typed table with the
 * same unique key and the analysts' three indexes in place before its rows arrive, and an analysts'
 * scan (sum of hours by category) timed on both.
 *
 * Options: --runs N (default 3), --skip-4x, --database URL (default BENCH_DATABASE_URL,
 * TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { columnsOf, VIEWS } from '../src/registry.js';
import { generateView, startSimulator, type Simulator } from '../src/simulator/index.js';
import { Normalizer } from '../src/transform/normalize.js';
import { Zone } from '../src/transform/values.js';

const BIN = fileURLToPath(new URL('../../bin/otc-etl.js', import.meta.url));
// Today: the views' windows are relative to it, as the source's are.
const NOW = new Date();
const SEED = 7;
const PASSWORD = 'bench-password';
const VIEW_TABLES = VIEWS.map((v) => v.table);

interface Sample {
  seconds: number;
  rssMb: number;
}

interface SyncDoc {
  views: Record<
    string,
    { status: string; fetched: number; inserted: number; updated: number; unchanged: number; rejected: number; duplicates: number }
  >;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const RUNS = Number(arg('--runs') ?? 3);
const ADMIN_URL =
  arg('--database') ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function dbUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const client = new pg.Client({ connectionString: database ? dbUrl(database) : ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function freshDatabase(name: string): Promise<void> {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
}

/**
 * Before each timed run: the server writes out what the run before it left dirty, so no run pays for
 * another's writes (a sync that followed the references' loads was a second slower).
 */
async function checkpoint(): Promise<void> {
  await admin((c) => c.query('CHECKPOINT'));
}

/**
 * Applies the migrations to a database before its timed sync, through the bin: the references' tables
 * are made before their timed load too, and making the schema is `migrate`'s work, not a sync's.
 */
function migrate(env: Record<string, string>): void {
  const init = spawnSync(process.execPath, [BIN, 'migrate', '--log-level', 'warn'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`migrate failed: ${init.stderr}`);
}

/** A new server database that `migrate` has made, and the environment of a sync from `sourceUrl` into it. */
async function migratedDatabase(name: string, sourceUrl: string): Promise<Record<string, string>> {
  await freshDatabase(name);
  const env = { OTC_BASE_URL: sourceUrl, DATABASE_URL: dbUrl(name) };
  migrate(env);
  return env;
}

/** Runs `otc-etl sync --json` and measures wall time and the child's peak RSS. */
async function runSync(env: Record<string, string>): Promise<Sample & { doc: SyncDoc }> {
  const rssFile = join(tmpdir(), `otc-bench-rss-${process.pid}`);
  // Run the launcher itself, as `npx otc-etl` does (its shebang sets node's flags); the preload only
  // records the process's peak RSS when it exits. That is VmHWM, the peak of its own memory: Linux
  // carries getrusage's maxRSS over from the process it was forked from, here this one, which holds the
  // simulator's bodies.
  const preload = `data:text/javascript,import{readFileSync,writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync('${rssFile}',/VmHWM:\\s*(\\d+)/.exec(readFileSync('/proc/self/status','utf8'))[1]))`;
  const started = performance.now();
  const child = spawn(BIN, ['sync', '--json', '--log-level', 'warn'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_OPTIONS: `--import=${preload}`,
      OTC_MIN_INTERVAL_MS: '0',
      OTC_VIEW_GAP_MS: '0',
      OTC_PASSWORD: PASSWORD,
      OTC_MIN_VOLUME_RATIO: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sync exited ${code}: ${out}`);
  const rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
  rmSync(rssFile, { force: true });
  return { seconds, rssMb, doc: JSON.parse(out) as SyncDoc };
}

/** A first load: every record fetched is inserted. */
const allInserted = (doc: SyncDoc): void =>
  checkCounts(doc, (_v, c) => (c.inserted === c.fetched ? null : 'expected every record inserted'));

function checkCounts(doc: SyncDoc, expect: (view: string, c: SyncDoc['views'][string]) => string | null): void {
  for (const [view, c] of Object.entries(doc.views)) {
    if (c.status !== 'success') throw new Error(`${view}: ${c.status}`);
    const sum = c.inserted + c.updated + c.unchanged + c.rejected + c.duplicates;
    if (sum !== c.fetched) throw new Error(`${view}: counts do not add up (${sum} != ${c.fetched})`);
    const problem = expect(view, c);
    if (problem) throw new Error(`${view}: ${problem}`);
  }
}

async function tupleWrites(database: string): Promise<number> {
  return admin(async (c) => {
    await c.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await c.query<{ n: string }>(
      `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text AS n FROM pg_stat_user_tables
       WHERE schemaname = 'servicedesk' AND relname = ANY($1)`,
      [VIEW_TABLES],
    );
    return Number(rows[0]!.n);
  }, database);
}

function csvField(value: string | boolean | null): string {
  if (value === null) return '';
  const text = typeof value === 'boolean' ? (value ? 't' : 'f') : value;
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * The same rows the sync stores, as CSV files, one per view: typed columns only (`typed`), or typed
 * columns plus each record's whole JSON (`jsonb`).
 */
function writeReferenceCsv(dir: string, scale: number | 'full'): { typed: Map<string, string>; jsonb: Map<string, string> } {
  const typed = new Map<string, string>();
  const jsonb = new Map<string, string>();
  for (const view of VIEWS) {
    const records = generateView(view.name, { seed: SEED, scale, now: NOW });
    const normalizer = new Normalizer(view, { zone: new Zone('Australia/Perth') });
    const { rows } = normalizer.normalize(records, 1);
    const typedFile = join(dir, `${view.table}.typed.csv`);
    writeFileSync(typedFile, `${rows.map((r) => r.values.map(csvField).join(',')).join('\n')}\n`);
    typed.set(view.table, typedFile);
    const jsonFile = join(dir, `${view.table}.jsonb.csv`);
    writeFileSync(
      jsonFile,
      `${rows.map((r) => [...r.values, JSON.stringify(records[r.position - 1])].map(csvField).join(',')).join('\n')}\n`,
    );
    jsonb.set(view.table, jsonFile);
  }
  return { typed, jsonb };
}

/** Plain tables with the views' typed columns (and a jsonb column with `withJson`), no index. */
async function referenceCopy(files: Map<string, string>, withJson: boolean): Promise<Sample> {
  const database = 'otc_bench_ref';
  await freshDatabase(database);
  await admin(async (c) => {
    for (const view of VIEWS) {
      const cols = [...columnsOf(view).map((col) => `"${col}" ${sqlTypeOf(view.name, col)}`), ...(withJson ? ['_raw jsonb'] : [])];
      await c.query(`CREATE TABLE ${view.table} (${cols.join(', ')})`);
    }
  }, database);
  const script = VIEWS.map((v) => `\\copy ${v.table} FROM '${files.get(v.table)}' WITH (FORMAT csv)`).join('\n');
  await checkpoint();
  const started = performance.now();
  const result = spawnSync('psql', [dbUrl(database), '-q', '-v', 'ON_ERROR_STOP=1'], { input: script, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return { seconds, rssMb: 0 };
}

/**
 * The storage reference: timesheets in typed form with the product's unique key and the analysts'
 * three indexes created before the rows arrive (as ours are). Returns its bytes on disk.
 */
async function typedTimesheets(file: string): Promise<number> {
  const database = 'otc_bench_ref';
  await freshDatabase(database);
  const view = VIEWS.find((v) => v.name === 'timesheets')!;
  await admin(async (c) => {
    const cols = columnsOf(view).map((col) => `"${col}" ${sqlTypeOf(view.name, col)}`);
    const key = view.key.map((k) => `"${k}"`).join(', ');
    await c.query(`CREATE TABLE timesheets (${cols.join(', ')}, CONSTRAINT typed_unique_entry UNIQUE NULLS NOT DISTINCT (${key}))`);
    for (const col of view.indexed) await c.query(`CREATE INDEX ON timesheets ("${col}")`);
  }, database);
  const result = spawnSync('psql', [dbUrl(database), '-q', '-v', 'ON_ERROR_STOP=1'], {
    input: `\\copy timesheets FROM '${file}' WITH (FORMAT csv)\nVACUUM ANALYZE timesheets;\n`,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return tableBytes(database, 'public.timesheets');
}

async function tableBytes(database: string, table: string): Promise<number> {
  return admin(
    async (c) => Number((await c.query<{ n: string }>(`SELECT pg_total_relation_size($1::regclass)::text AS n`, [table])).rows[0]!.n),
    database,
  );
}

/** The analysts' scan: sum of hours by category over every row; the fastest of five, in seconds. */
async function scanSeconds(database: string, table: string): Promise<number> {
  return admin(async (c) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await c.query(`SELECT "TS-Category", sum("TS-Hours") FROM ${table} GROUP BY 1`);
      times.push((performance.now() - started) / 1000);
    }
    return Math.min(...times);
  }, database);
}

/** `otc-etl status` on an embedded database through the bin: wall seconds and peak RSS. */
function statusRun(dataDir: string): Sample {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', BIN, 'status', '--json'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OTC_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`status exited ${r.status}: ${r.stderr}`);
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  return { seconds, rssMb: Number.isFinite(rssKb) ? rssKb / 1024 : 0 };
}

function sqlTypeOf(viewName: string, column: string): string {
  const view = VIEWS.find((v) => v.name === viewName)!;
  const field = view.fields.find((f) => f.column === column)!;
  return { id: 'bigint', text: 'text', instant: 'timestamptz', date: 'date', bool: 'boolean', decimal: 'numeric', clock: 'text' }[
    field.type
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]) => Math.min(...xs);

interface Row {
  name: string;
  samples: Sample[];
  rows: number;
}

function report(rows: Row[], reference: Row, storage: string[]): void {
  const ref = min(reference.samples.map((s) => s.seconds));
  const header = ['case', 'min s', 'median s', 'ratio to (e)', 'rows/s', 'peak RSS MB'];
  const body = rows.map((r) => {
    const secs = r.samples.map((s) => s.seconds);
    return [
      r.name,
      min(secs).toFixed(2),
      median(secs).toFixed(2),
      // A command that loads nothing (status) has no rows per second, nor a ratio to a load; a load at
      // another scale than the reference's has no ratio to it either.
      r.rows === reference.rows ? `${(min(secs) / ref).toFixed(2)}×` : '-',
      r.rows > 0 ? Math.round(r.rows / min(secs)).toLocaleString('en-US') : '-',
      r.samples[0]!.rssMb ? Math.round(Math.max(...r.samples.map((s) => s.rssMb))).toString() : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  console.log('');
  for (const line of storage) console.log(line);
  console.log(
    `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ${RUNS} runs each`,
  );
}

/** After a full sync: a re-sync of the same data, which must find everything unchanged and write no tuple. */
function unchangedResync(label: string, database: string, into: Sample[]): (env: Record<string, string>) => Promise<void> {
  return async (env) => {
    const before = await tupleWrites(database);
    await checkpoint();
    const again = await runSync(env);
    checkCounts(again.doc, (_v, c) => (c.unchanged === c.fetched ? null : 'expected every record unchanged'));
    const written = (await tupleWrites(database)) - before;
    if (written !== 0) throw new Error(`${label} wrote ${written} tuples to the data tables`);
    into.push(again);
    console.error(`  ${label} ${again.seconds.toFixed(2)} s, ${Math.round(again.rssMb)} MB, 0 tuples written`);
  };
}

async function sampleRuns(
  count: number,
  setup: () => Promise<Record<string, string>>,
  check: (doc: SyncDoc) => void,
  after?: (env: Record<string, string>) => Promise<void>,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const env = await setup();
    await checkpoint();
    const s = await runSync(env);
    check(s.doc);
    if (after) await after(env);
    samples.push(s);
    console.error(`  ${s.seconds.toFixed(2)} s, ${Math.round(s.rssMb)} MB`);
  }
  return samples;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'otc-bench-'));
  const sims: Simulator[] = [];
  try {
    const sim = await startSimulator({ port: 0, seed: SEED, scale: 'full', password: PASSWORD, now: NOW, renderOnce: true });
    sims.push(sim);
    const source = { OTC_BASE_URL: sim.url };
    const total = VIEWS.reduce((n, v) => n + generateView(v.name, { seed: SEED, scale: 'full', now: NOW }).length, 0);
    const results: Row[] = [];

    // The references run in turn with the full syncs they are compared with, so a drift of the
    // machine's speed (it is a shared virtual machine) moves both, not one.
    console.error('(e) reference: psql \\copy of the same rows in typed form, (e2) with their JSON, then (a) a full sync');
    console.error('into server PostgreSQL and (b) a re-sync with nothing changed; in turn');
    const files = writeReferenceCsv(work, 'full');
    const refSamples: Sample[] = [];
    const jsonSamples: Sample[] = [];
    const unchanged: Sample[] = [];
    const full = await sampleRuns(
      RUNS,
      async () => {
        refSamples.push(await referenceCopy(files.typed, false));
        jsonSamples.push(await referenceCopy(files.jsonb, true));
        console.error(`  (e) ${refSamples.at(-1)!.seconds.toFixed(2)} s, (e2) ${jsonSamples.at(-1)!.seconds.toFixed(2)} s`);
        return migratedDatabase('otc_bench_a', sim.url);
      },
      allInserted,
      unchangedResync('(b)', 'otc_bench_a', unchanged),
    );
    const reference: Row = { name: '(e) reference: typed \\copy', samples: refSamples, rows: total };
    results.push({ name: '(a) full sync, server', samples: full, rows: total });
    results.push({ name: '(b) re-sync, nothing changed', samples: unchanged, rows: total });

    console.error('(a2) full sync from a simulator that renders each body as it is requested');
    const rendering = await startSimulator({ port: 0, seed: SEED, scale: 'full', password: PASSWORD, now: NOW });
    sims.push(rendering);
    const fullRendering = await sampleRuns(RUNS, () => migratedDatabase('otc_bench_a2', rendering.url), allInserted);
    results.push({ name: '(a2) full sync, rendering simulator', samples: fullRendering, rows: total });

    console.error("storage and the analysts' scan: timesheets of (a) against a typed table with the same indexes");
    const ours = await tableBytes('otc_bench_a', 'servicedesk.timesheets');
    const oursScan = await scanSeconds('otc_bench_a', 'servicedesk.timesheets');
    const typed = await typedTimesheets(files.typed.get('timesheets')!);
    const typedScan = await scanSeconds('otc_bench_ref', 'public.timesheets');
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    const storage = [
      `timesheets on disk (heap + TOAST + indexes): ${mb(ours)} MB vs ${mb(typed)} MB typed with the same unique key and indexes = ${(ours / typed).toFixed(2)}×`,
      `analysts' scan (sum of hours by category), fastest of 5: ${oursScan.toFixed(3)} s vs ${typedScan.toFixed(3)} s typed = ${(oursScan / typedScan).toFixed(2)}×`,
    ];

    console.error('(c) re-sync with 5% of records changed');
    const changed = await sampleRuns(
      RUNS,
      async () => {
        await freshDatabase('otc_bench_c');
        const env = { ...source, DATABASE_URL: dbUrl('otc_bench_c') };
        await runSync(env);
        sim.mutate(0.05);
        return env;
      },
      (doc) => checkCounts(doc, (view, c) => (view === 'comments' || c.updated > 0 ? null : 'expected updates')),
    );
    results.push({ name: '(c) re-sync, 5% changed', samples: changed, rows: total });

    console.error('(d) full sync into the embedded database');
    let embeddedDir = '';
    const embedded = await sampleRuns(
      RUNS,
      async () => {
        const dir = join(work, `pglite-${Math.random().toString(36).slice(2)}`);
        embeddedDir = dir;
        // Create and migrate the database first: initdb of a new embedded database is not sync time.
        migrate({ OTC_DATA_DIR: dir });
        return { ...source, OTC_DATA_DIR: dir };
      },
      (doc) => checkCounts(doc, () => null),
    );
    results.push({ name: '(d) full sync, embedded', samples: embedded, rows: total });

    console.error('(g) status on the embedded database of (d)');
    const statusSamples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      statusSamples.push(statusRun(embeddedDir));
      console.error(`  ${statusSamples[i]!.seconds.toFixed(2)} s, ${Math.round(statusSamples[i]!.rssMb)} MB`);
    }

    if (!process.argv.includes('--skip-4x')) {
      console.error('(f) full sync at 4× scale into server PostgreSQL, then (f2) a re-sync with nothing changed');
      const big = await startSimulator({ port: 0, seed: SEED, scale: 4, password: PASSWORD, now: NOW, renderOnce: true });
      sims.push(big);
      const bigTotal = VIEWS.reduce((n, v) => n + generateView(v.name, { seed: SEED, scale: 4, now: NOW }).length, 0);
      const scaledUnchanged: Sample[] = [];
      const scaled = await sampleRuns(
        RUNS,
        () => migratedDatabase('otc_bench_f', big.url),
        allInserted,
        unchangedResync('(f2)', 'otc_bench_f', scaledUnchanged),
      );
      results.push({ name: '(f) full sync, 4× scale', samples: scaled, rows: bigTotal });
      results.push({ name: '(f2) re-sync, 4× scale, nothing changed', samples: scaledUnchanged, rows: bigTotal });
    }
    results.push({ name: '(g) status, embedded', samples: statusSamples, rows: 0 });
    results.push({ name: '(e2) reference: \\copy with jsonb', samples: jsonSamples, rows: total });
    results.push(reference);
    report(results, reference, storage);
  } finally {
    for (const s of sims) await s.close();
    rmSync(work, { recursive: true, force: true });
    for (const name of ['otc_bench_a', 'otc_bench_a2', 'otc_bench_c', 'otc_bench_f', 'otc_bench_ref']) {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
    }
  }
}

await main();
