/**
 * Real databases for the integration tests: the embedded PGlite always, and the PostgreSQL server
 * named by TEST_DATABASE_URL when it is set (CI sets it). Set but unreachable fails the tests — a
 * missing server is never silently skipped. Each test gets its own database, dropped afterwards —
 * unless a test failed while it existed and KEEP_TEST_DB=1 is set: then it is kept, and where it is
 * is printed. The embedded one is opened once and shared by the test and the CLI run in-process.
 */
import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { openDb, type OpenDbOptions } from '../../src/load/open-db.js';
import { closeSharedEmbedded, openSharedEmbedded } from './shared-embedded.js';

export type DatabaseKind = 'embedded' | 'server';

/** Tests of this file that failed so far: a database that saw one is kept with KEEP_TEST_DB=1. */
let failedTests = 0;
afterEach((t) => {
  // `passed` is there at run time on Node 20.12 and later; the installed types predate it.
  if ((t as { passed?: boolean }).passed === false) failedTests++;
});

/**
 * Opens a command's database as the CLI would, except that an embedded one is the shared open instance
 * (see shared-embedded.ts): what `runCli` hands the CLI it runs in this process.
 */
export function openTestDb(config: Config, options: OpenDbOptions = {}): Promise<Db> {
  if (config.databaseUrl || config.usePgEnv) return openDb(config, options);
  return openSharedEmbedded(options.dataDir ?? config.dataDir, { lockTimeoutMs: config.dbLockTimeoutMs });
}

export const DATABASE_KINDS: readonly DatabaseKind[] = process.env.TEST_DATABASE_URL ? ['embedded', 'server'] : ['embedded'];

export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** Environment for a CLI child process or loadConfig: DATABASE_URL or OTC_DATA_DIR. */
  readonly env: Record<string, string>;
  /** A working directory without a .env, for the CLI and loadConfig. */
  readonly cwd: string;
  config(extra?: Record<string, string>): Config;
  open(): Promise<Db>;
  drop(): Promise<void>;
}

const PGLITE_VERSION_TAG = 'pglite-0.5.16';

/** A freshly initialised PGlite data directory, made once and copied per test (initdb takes seconds). */
async function pgliteTemplate(): Promise<string> {
  const template = join(tmpdir(), `otc-etl-test-template-${PGLITE_VERSION_TAG}`);
  const exists = await stat(join(template, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (exists) return template;
  const building = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const db = await PGlite.create(building);
  await db.close();
  await rename(building, template).catch(async () => {
    // Another test process made it first.
    await rm(building, { recursive: true, force: true });
  });
  return template;
}

function serverUrl(database: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestDatabase(kind: DatabaseKind, extraEnv: Record<string, string> = {}): Promise<TestDatabase> {
  const cwd = await mkdtemp(join(tmpdir(), 'otc-etl-test-'));
  const failedBefore = failedTests;
  let env: Record<string, string>;
  let location: string;
  let dropFn: () => Promise<void>;
  if (kind === 'embedded') {
    const dataDir = join(cwd, 'data');
    await cp(await pgliteTemplate(), join(dataDir, 'pgdata'), { recursive: true });
    env = { OTC_DATA_DIR: dataDir };
    location = `embedded database ${dataDir} (OTC_DATA_DIR)`;
    dropFn = () => closeSharedEmbedded(dataDir);
  } else {
    const name = `otc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    env = { DATABASE_URL: serverUrl(name) };
    location = `server database ${name} (${serverUrl(name).replace(/:[^:@/]*@/, ':***@')})`;
    dropFn = async () => {
      const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  }
  const baseEnv = { ...env, ...extraEnv };
  const config = (extra: Record<string, string> = {}) => loadConfig({ env: { ...baseEnv, ...extra }, cwd });
  return {
    kind,
    env: baseEnv,
    cwd,
    config,
    open: () => openTestDb(config()),
    drop: async () => {
      if (process.env.KEEP_TEST_DB === '1' && failedTests > failedBefore) {
        if (kind === 'embedded') await closeSharedEmbedded(join(cwd, 'data'));
        process.stderr.write(`KEEP_TEST_DB=1: a test failed; kept the ${location}, working directory ${cwd}\n`);
        return;
      }
      await dropFn();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
