/**
 * Builds the OTC source every command uses — and the tests, through the same function: the protective
 * client, its breaker and request budget kept in the database.
 */
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { DbSourceStateStore } from '../load/source-state-store.js';
import { createProtectedSource } from '../source/protected-source.js';
import { removeDeadSpools } from '../source/spool.js';
import type { ViewSource } from '../source/view-source.js';

/**
 * The time the protective client decides on and the way it waits. Left out, that is the database's
 * clock (which every process shares) and real timers; tests inject one to play the waits out at once.
 */
export interface SourceClock {
  /** Epoch ms. */
  now(): number;
  /** Waits `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Opens the source on a database. Its state is written in short transactions of its own, on a
 * connection of their own: with the embedded database (one connection) use it only outside a view's
 * transaction, which is why the sync fetches ahead only with a server database.
 */
export type OpenSource = (db: Db) => ViewSource;

/**
 * The OTC source, in two steps so the password is required first, before any database is opened: a
 * missing one is a configuration error (exit 2), whatever else is wrong.
 */
export function otcSource(config: Config, options: { log: Logger; clock?: SourceClock }): OpenSource {
  const password = requirePassword(config);
  const { log, clock } = options;
  return (db) => {
    // Bodies left by processes that died mid-download are removed as a run starts, before any request.
    void removeDeadSpools();
    const store = new DbSourceStateStore(db, config.schema, clock && (() => clock.now()));
    return createProtectedSource(config, { password, store, log, sleep: clock && ((ms, signal) => clock.sleep(ms, signal)) });
  };
}

function requirePassword(config: Pick<Config, 'password'>): string {
  if (config.password) return config.password;
  throw new ConfigError('OTC_PASSWORD is not set: put the OTC service account password in the environment or in .env.');
}
