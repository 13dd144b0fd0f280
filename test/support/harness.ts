/** Wires a test database, a source and the pipeline together the way the CLI does. */
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { after, before } from 'node:test';
import { type Logger, silentLogger } from '../../src/log.js';
import { withRunLock } from '../../src/pipeline/guard.js';
import { otcSource, type SourceClock } from '../../src/pipeline/source.js';
import { runSync, type SyncOptions, type SyncResult } from '../../src/pipeline/sync.js';
import type { ViewName } from '../../src/registry.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase, type TestDatabaseOptions } from './databases.js';
import { FakeClock } from './fake-clock.js';
import { startFixtureServer, type FixtureServer } from './fixture-server.js';

export interface SyncOnceOptions extends Omit<SyncOptions, 'views'> {
  /** The clock of the protective client and of the pause between views; by default a new FakeClock. */
  readonly clock?: SourceClock;
  readonly log?: Logger;
}

/**
 * One sync as `otc-etl sync` runs it: the run lock, the protective client built by the same function
 * (breaker, pacing, retries) and the pause between views — only the clock is injected, so no policy
 * ever waits for real.
 */
export async function syncOnce(db: Db, config: Config, views?: ViewName[], options: SyncOnceOptions = {}): Promise<SyncResult> {
  const { clock = new FakeClock(), log = silentLogger, ...syncOptions } = options;
  const deps = { db, config, log };
  const source = otcSource(config, { log, clock })(db);
  return withRunLock(deps, 'sync', { autoMigrate: true }, () =>
    runSync({ ...deps, source, sleep: (ms, signal) => clock.sleep(ms, signal) }, { ...syncOptions, views }),
  );
}

export function outcome(result: SyncResult, view: ViewName) {
  const found = result.outcomes.find((o) => o.view === view);
  if (!found) throw new Error(`no outcome for ${view}`);
  return found;
}

export async function rows<R = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

export interface FixtureDatabase {
  readonly otc: FixtureServer;
  readonly tdb: TestDatabase;
  readonly db: Db;
}

/**
 * An open test database for the tests of the calling `describe`: created before them and dropped
 * after. `assign` receives it.
 */
export function useTestDatabase(kind: DatabaseKind, assign: (db: Db) => void, options: TestDatabaseOptions = {}): void {
  let tdb: TestDatabase;
  let db: Db;
  before(async () => {
    tdb = await createTestDatabase(kind, {}, options);
    db = await tdb.open();
    assign(db);
  });
  after(async () => {
    await db.close();
    await tdb.drop();
  });
}

/**
 * A fixture OTC and an open test database for the tests of the calling `describe`: started before
 * them and dropped after. `assign` receives them (and again whenever the database is reopened).
 */
export function useFixtureDatabase(
  kind: DatabaseKind,
  assign: (setup: FixtureDatabase) => void,
  initial: Partial<Record<ViewName, unknown[]>> = {},
  options: TestDatabaseOptions = {},
): { whileClosed<T>(fn: () => Promise<T>): Promise<T> } {
  let setup: FixtureDatabase;
  before(async () => {
    const otc = await startFixtureServer(initial);
    const tdb = await createTestDatabase(kind, {}, options);
    setup = { otc, tdb, db: await tdb.open() };
    assign(setup);
  });
  after(async () => {
    await setup.db.close();
    await setup.tdb.drop();
    await setup.otc.close();
  });
  return {
    /** Runs `fn` with the database closed (the embedded one is opened by one process at a time), then reopens it. */
    async whileClosed<T>(fn: () => Promise<T>): Promise<T> {
      await setup.db.close();
      try {
        return await fn();
      } finally {
        setup = { ...setup, db: await setup.tdb.open() };
        assign(setup);
      }
    },
  };
}
