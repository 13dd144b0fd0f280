/**
 * Real databases for the integration tests: the embedded PGlite always, and the PostgreSQL server
 * named by TEST_DATABASE_URL when it is set (CI sets it). Set but unreachable fails the tests — a
 * missing server is never silently skipped. Each test gets its own database, dropped afterwards.
 */
import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { openDb } from '../../src/load/open-db.js';

export type DatabaseKind = 'embedded' | 'server';

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
  const exists = await stat(join(template, 'PG_VERSION')).then(() => true, () => false);
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
  let env: Record<string, string>;
  let dropFn: () => Promise<void>;
  if (kind === 'embedded') {
    const dataDir = join(cwd, 'data');
    await cp(await pgliteTemplate(), join(dataDir, 'pgdata'), { recursive: true });
    env = { OTC_DATA_DIR: dataDir };
    dropFn = async () => undefined;
  } else {
    const name = `otc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    env = { DATABASE_URL: serverUrl(name) };
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
    open: () => openDb(config()),
    drop: async () => {
      await dropFn();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
