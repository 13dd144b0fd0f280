/**
 * A simulator, a fresh test database, and two ways to sync from one into the other: the real CLI (how
 * the protective client's tests see "another process") and the same sync in this process on an
 * injected clock. Every delay is in milliseconds.
 */
import assert from 'node:assert/strict';
import type { SyncResult } from '../../src/pipeline/sync.js';
import type { ViewName } from '../../src/registry.js';
import type { Faults, Simulator } from '../../src/simulator/index.js';
import { runCli, runCliProcess, type CliResult } from './cli.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { syncOnce, type SyncOnceOptions } from './harness.js';
import { PASSWORD, withSimulator } from './simulator-helpers.js';

export type ViewResult = { status: string; fetched: number; error: string | null };
export type SyncDoc = { runId: string; views: Record<string, ViewResult> };
export type HealthDoc = {
  status: string;
  problems: Array<{ view: string | null; code: string; message: string }>;
  warnings: Array<{ view: string | null; code: string; message: string }>;
  breaker: { state: string; consecutiveFailures: number; cooldownRemainingSeconds: number; lastError: string | null };
  requests: { lastHour: number; maxPerHour: number };
  views: Array<{ view: string; lastSuccess: string | null }>;
  probe: null | { outcome: string; httpStatus: number | null; message: string };
};

/** Every delay in milliseconds, retries and breaker at their configuration defaults unless a test says otherwise. */
export const FAST = {
  OTC_MIN_INTERVAL_MS: '0',
  OTC_VIEW_GAP_MS: '0',
  OTC_BACKOFF_INITIAL_MS: '1',
  OTC_BACKOFF_MAX_MS: '5',
  OTC_RETRY_AFTER_MAX_MS: '5000',
  OTC_MIN_VOLUME_RATIO: '0',
};

export interface Setup {
  readonly sim: Simulator;
  readonly tdb: TestDatabase;
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** The same, as a process of its own (bin/otc-etl.js). */
  cliProcess(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** `otc-etl sync [views]` in this process (see `syncOnce`), with the CLI's environment plus `env`. */
  sync(views?: ViewName[], options?: SyncOnceOptions & { env?: Record<string, string> }): Promise<SyncResult>;
  /** Runs one query with the database open only for it (the embedded one allows one process at a time). */
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
}

export async function withSetup(kind: DatabaseKind, faults: Faults, run: (s: Setup) => Promise<void>): Promise<void> {
  const tdb = await createTestDatabase(kind, {}, { migrated: true });
  try {
    await withSimulator({ faults }, async (sim) => {
      const env = { ...tdb.env, ...FAST, OTC_BASE_URL: sim.url, OTC_PASSWORD: PASSWORD };
      await run({
        sim,
        tdb,
        cli: (args, extra = {}) => runCli(args, { env: { ...env, ...extra }, cwd: tdb.cwd }),
        cliProcess: (args, extra = {}) => runCliProcess(args, { env: { ...env, ...extra }, cwd: tdb.cwd }),
        sync: async (views, { env: extra = {}, ...options } = {}) => {
          const config = tdb.config({ ...env, ...extra });
          const db = await tdb.open();
          try {
            return await syncOnce(db, config, views, options);
          } finally {
            await db.close();
          }
        },
        query: async <R>(sql: string, params: unknown[] = []) => {
          const db = await tdb.open();
          try {
            return (await db.query<R>(sql, params)).rows;
          } finally {
            await db.close();
          }
        },
      });
    });
  } finally {
    await tdb.drop();
  }
}

export function json<T>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`stdout is not one JSON document:\n${r.stdout}\n${r.stderr}`);
  }
}

export const statuses = (sim: Simulator) => sim.requests.map((r) => [r.view, r.status]);
