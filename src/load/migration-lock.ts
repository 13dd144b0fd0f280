/** What every schema change shares: the lock that serialises them and how long DDL waits for a table. */

/** Serialises migration runs across processes (transaction-scoped advisory lock). */
export const MIGRATION_LOCK_KEY = 0x07c_e71_01;
/** How long DDL waits for the analysts' queries to let go of a table before giving up. */
export const LOCK_TIMEOUT = '15s';

/** The table recording applied migrations; run with the target schema first on the search_path. */
export const SCHEMA_MIGRATIONS_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, ' +
  'checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())';
