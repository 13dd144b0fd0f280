/** Chooses the database from the configuration: a server URL, the PG* variables, or the embedded one. */
import type { Config } from '../config.js';
import type { Db } from './db.js';

export interface OpenDbOptions {
  /** The embedded database's directory, when not the configured one (the demo's). */
  readonly dataDir?: string;
  /** The command reads a little and exits: the embedded database opens for a quick start (see pglite-db.ts). */
  readonly brief?: boolean;
}

export async function openDb(config: Config, options: OpenDbOptions = {}): Promise<Db> {
  const lockTimeoutMs = config.dbLockTimeoutMs;
  // Each adapter is loaded only when used: loading pg cost a read-only command on the embedded database
  // a tenth of its time, and a server setup never needs the embedded database's large module.
  if (config.databaseUrl || config.usePgEnv) {
    const { openPgDb } = await import('./pg-db.js');
    return openPgDb({ connectionString: config.databaseUrl ? config.databaseUrl : null, lockTimeoutMs });
  }
  const { openPgliteDb } = await import('./pglite-db.js');
  return openPgliteDb(options.dataDir ?? config.dataDir, { lockTimeoutMs, brief: options.brief });
}
