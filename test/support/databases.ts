/**
 * Real databases for the integration tests: the embedded PGlite always, and the PostgreSQL server
 * named by TEST_DATABASE_URL when it is set (CI sets it). Set but unreachable fails the tests — a
 * missing server is never silently skipped. Each test gets its own database, dropped afterwards —
 * unless a test failed while it existed and KEEP_TEST_DB=1 is set: then it is kept, and where it is
 * is printed. The embedded one is opened once and shared by the test and the CLI run in-process.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { applyMigrations, listMigrations } from '../../src/load/migrate.js';
import { openDb, type OpenDbOptions } from '../../src/load/open-db.js';
import { openPgliteDb } from '../../src/load/pglite-db.js';
import { freshnessViewSql, orphansViewSql, recordOfSql, recordsViewSql } from '../../src/load/view-objects.js';
import { VIEWS } from '../../src/registry.js';
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

/** Copies a data directory: `cp` does it in a fraction of the time fs.cp takes over PGlite's thousand files. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await promisify(execFile)('cp', ['-R', from, to]);
}

/** Makes `template` once per machine by `build(directory)`: the first test process to need it builds it, the rest copy it. */
async function onceOnDisk(template: string, build: (dir: string) => Promise<void>): Promise<string> {
  const exists = await stat(join(template, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (exists) return template;
  const building = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await build(building);
  await rename(building, template).catch(async () => {
    // Another test process made it first.
    await rm(building, { recursive: true, force: true });
  });
  return template;
}

/**
 * Settings of the test databases that change only how fast PGlite starts: every open zeroes its whole
 * buffer pool inside WebAssembly, which at the default 128 MB takes over half a second, and a test's
 * database is small.
 */
const TEST_POSTGRESQL_CONF = 'shared_buffers = 16MB\n';

/** A freshly initialised PGlite data directory, made once and copied per test (initdb takes seconds). */
function pgliteTemplate(): Promise<string> {
  const tag = createHash('sha256').update(TEST_POSTGRESQL_CONF).digest('hex').slice(0, 8);
  return onceOnDisk(join(tmpdir(), `otc-etl-test-template-${PGLITE_VERSION_TAG}-${tag}`), async (dir) => {
    const db = await PGlite.create(dir);
    await db.close();
    await appendFile(join(dir, 'postgresql.conf'), TEST_POSTGRESQL_CONF);
  });
}

/** What `migrate` is told besides the schema's own text. */
interface MigrateSettings {
  readonly schema: string;
  readonly timezone: string;
}

const settingsOf = (config: Config): MigrateSettings => ({ schema: config.schema, timezone: config.timezone });

/**
 * What `migrate` writes into an empty database: the shipped migrations and the objects made from the
 * registry. A migrated template is named after it, so a changed migration or view never meets an old copy.
 */
function schemaFingerprint(settings: MigrateSettings): string {
  const hash = createHash('sha256').update(`${PGLITE_VERSION_TAG}\n${TEST_POSTGRESQL_CONF}\n${settings.schema}\n${settings.timezone}\n`);
  for (const migration of listMigrations()) hash.update(`${migration.version}:${migration.checksum}\n`);
  for (const view of VIEWS) hash.update(`${view.windowDays}\n${recordOfSql(view, view.table)}\n${recordsViewSql(view)}\n`);
  return hash.update(freshnessViewSql()).update(orphansViewSql()).digest('hex').slice(0, 16);
}

/** A PGlite data directory `migrate` has brought to the current schema with `settings`, made once per machine. */
function migratedPgliteTemplate(settings: MigrateSettings): Promise<string> {
  const name = `otc-etl-test-template-migrated-${schemaFingerprint(settings)}`;
  return onceOnDisk(join(tmpdir(), name), async (dir) => {
    // Migrated the product's way, in a data directory of its own whose pgdata then becomes the template.
    const dataDir = await mkdtemp(join(tmpdir(), 'otc-etl-test-migrating-'));
    try {
      await copyTree(await pgliteTemplate(), join(dataDir, 'pgdata'));
      const db = await openPgliteDb(dataDir);
      try {
        await applyMigrations(db, settings);
      } finally {
        await db.close();
      }
      await rename(join(dataDir, 'pgdata'), dir);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}

function serverUrl(database: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabaseOptions {
  /**
   * The schema in place when the test starts, as `otc-etl migrate` leaves it with the test's settings
   * (default: an empty database). For tests that are not about migrating: the embedded one is copied
   * from a migrated template, which spares each test the seconds migrating takes inside PGlite.
   */
  readonly migrated?: boolean;
}

export async function createTestDatabase(
  kind: DatabaseKind,
  extraEnv: Record<string, string> = {},
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const cwd = await mkdtemp(join(tmpdir(), 'otc-etl-test-'));
  const failedBefore = failedTests;
  let env: Record<string, string>;
  let location: string;
  let dropFn: () => Promise<void>;
  if (kind === 'embedded') {
    const dataDir = join(cwd, 'data');
    // A migrated copy is made with the default settings; a test's own OTC_SCHEMA or OTC_TIMEZONE is migrated below.
    const template = options.migrated ? await migratedPgliteTemplate(settingsOf(loadConfig({ env: {}, cwd }))) : await pgliteTemplate();
    await copyTree(template, join(dataDir, 'pgdata'));
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
  const settings = settingsOf(config());
  const defaults = settingsOf(loadConfig({ env: {}, cwd }));
  if (options.migrated && (kind === 'server' || settings.schema !== defaults.schema || settings.timezone !== defaults.timezone)) {
    const db = await openTestDb(config());
    try {
      await applyMigrations(db, settings);
    } finally {
      await db.close();
    }
  }
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
