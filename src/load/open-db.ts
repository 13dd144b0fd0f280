/** Chooses the database from the configuration: a server URL, the PG* variables, or the embedded one. */
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { openPgDb } from './pg-db.js';

export interface OpenDbOptions {
  /** The embedded database's directory, when not the configured one (the demo's). */
  readonly dataDir?: string;
}

export async function openDb(config: Config, options: OpenDbOptions = {}): Promise<Db> {
  const lockTimeoutMs = config.dbLockTimeoutMs;
  if (config.databaseUrl) return openPgDb({ connectionString: config.databaseUrl, lockTimeoutMs });
  if (config.usePgEnv) return openPgDb({ connectionString: null, lockTimeoutMs });
  // Loaded only when used: the embedded database's module is large, and a server setup never needs it.
  const { openPgliteDb } = await import('./pglite-db.js');
  return openPgliteDb(options.dataDir ?? config.dataDir, { lockTimeoutMs });
}
