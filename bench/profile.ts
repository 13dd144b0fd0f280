/**
 * CPU profiles of a full sync and of a nothing-changed re-sync, on the bench's simulator data, into a
 * fresh server database: each sync runs the bin under `node --cpu-prof`, and the functions with the
 * most self time are printed (share of the profile's samples). The machine may be shared: shares are
 * steadier than times. Run after a build:
 *
 *   node dist/bench/profile.js [--database URL] [--keep DIR] [--top N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startSimulator } from '../src/simulator/index.js';

const BIN = fileURLToPath(new URL('../../bin/otc-etl.js', import.meta.url));
const PASSWORD = 'bench-password';
const DATABASE = 'otc_bench_profile';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const ADMIN_URL =
  arg('--database') ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOP = Number(arg('--top') ?? 25);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs `otc-etl sync` under the profiler, writing its profile into `dir`; returns wall seconds. */
async function profiledSync(env: Record<string, string>, dir: string): Promise<number> {
  const started = performance.now();
  // The bin's own node flags, as its shebang sets them, plus the profiler's.
  const args = [
    '--max-old-space-size=256',
    '--max-semi-space-size=16',
    '--initial-old-space-size=96',
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    BIN,
    'sync',
    '--json',
    '--log-level',
    'warn',
  ];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`sync exited ${code}`);
  return (performance.now() - started) / 1000;
}

/** Self time by function (name and place), as shares of all samples, largest first. */
function selfShares(profile: Profile): Array<[string, number]> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(name, (self.get(name) ?? 0) + delta);
    total += delta;
  });
  return [...self.entries()].map(([name, us]): [string, number] => [name, us / total]).sort((a, b) => b[1] - a[1]);
}

function printProfile(title: string, dir: string, seconds: number): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  console.log(`\n${title}: ${seconds.toFixed(2)} s wall (profile ${join(dir, file)})`);
  for (const [name, share] of selfShares(profile).slice(0, TOP)) console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
}

const work = arg('--keep') ?? mkdtempSync(join(tmpdir(), 'otc-profile-'));
const sim = await startSimulator({ port: 0, seed: 7, scale: 'full', password: PASSWORD, now: new Date() });
try {
  await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DATABASE}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  const env = {
    OTC_BASE_URL: sim.url,
    DATABASE_URL: url.toString(),
    OTC_PASSWORD: PASSWORD,
    OTC_MIN_INTERVAL_MS: '0',
    OTC_VIEW_GAP_MS: '0',
    OTC_MIN_VOLUME_RATIO: '0',
  };
  for (const [title, name] of [
    ['full sync', 'full'],
    ['re-sync, nothing changed', 'resync'],
  ] as const) {
    const dir = join(work, name);
    printProfile(title, dir, await profiledSync(env, dir));
  }
} finally {
  await sim.close();
  await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  if (!arg('--keep')) rmSync(work, { recursive: true, force: true });
}
