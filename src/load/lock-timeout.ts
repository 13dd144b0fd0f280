/**
 * Turns the server's bare "canceling statement due to lock timeout" into an error that says which table
 * was locked, by which session and since when, so the operator can find and end the blocker.
 */
import { LockTimeoutError } from '../errors.js';
import type { QueryResult } from './db.js';

interface Holder {
  schema: string;
  table: string;
  pid: number;
  mode: string;
  since: Date | null;
  state: string | null;
}

/**
 * Table locks that block reads or writes, held by other sessions (a lock timeout has just ended our
 * wait, so the holder is gathered from `pg_locks` rather than `pg_blocking_pids`): strongest first.
 * Our own sessions (same application_name) and temporary tables are not the blocker.
 */
const HOLDERS_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, l.pid, l.mode,
         coalesce(a.xact_start, a.query_start, a.backend_start) AS since, a.state
  FROM pg_locks l
  JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_temp%'
    AND coalesce(a.application_name, '') <> current_setting('application_name')
  ORDER BY (l.mode = 'AccessExclusiveLock') DESC, since NULLS LAST
  LIMIT 5`;

/** How long the diagnosis may take: it must never be what keeps a failed view from being recorded. */
const DIAGNOSE_TIMEOUT_MS = 5_000;

export async function lockTimeoutError(
  cause: unknown,
  timeoutMs: number,
  query: (sql: string) => Promise<QueryResult<Holder>>,
): Promise<LockTimeoutError> {
  let holders: Holder[] = [];
  try {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), DIAGNOSE_TIMEOUT_MS).unref());
    holders = (await Promise.race([query(HOLDERS_SQL), timer])).rows;
  } catch {
    // The server did not tell; the message says so.
  }
  return new LockTimeoutError(lockTimeoutMessage(timeoutMs, holders), { cause });
}

export function lockTimeoutMessage(timeoutMs: number, holders: readonly Holder[]): string {
  const waited = `lock timeout: a statement waited more than OTC_DB_LOCK_TIMEOUT_MS=${timeoutMs} ms for a table lock`;
  const first = holders[0];
  if (!first) {
    return `${waited} (the session holding it could not be found; it may have let go since). Run sync again; if it keeps happening, look for long transactions in pg_stat_activity.`;
  }
  const tables = [...new Set(holders.map((h) => `${h.schema}.${h.table}`))].slice(0, 3).join(', ');
  const since = first.since ? `, its transaction open since ${new Date(first.since).toISOString()}` : '';
  const state = first.state ? `, now ${first.state}` : '';
  return (
    `${waited} on ${tables}, held by session pid ${first.pid} (${first.mode}${since}${state}). ` +
    `Wait for that session to finish, or end it with SELECT pg_terminate_backend(${first.pid}); then run sync again.`
  );
}
