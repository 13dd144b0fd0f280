/**
 * What the metrics know about the source itself: responses per HTTP status code and whether the circuit
 * breaker is open. The protective client keeps both in the database (migration 003); until its tables exist,
 * requests are derived from `etl_metadata` (a view that fetched records got a 200) and the breaker reads
 * as closed, so both metric families are always present.
 *
 * This is the one place that knows those tables: point `REQUEST_LOG` and `BREAKER_STATE` at them.
 */
import { qualified, sqlState, SQLSTATE, type Queryable } from './db.js';
import { API_SOURCE } from './source-kind.js';

/** The request log: one row per request sent to OTC, with the HTTP status code (null: no response). */
export const REQUEST_LOG = { table: 'source_requests', codeColumn: 'code' } as const;
/** The breaker state: rows with a `state` column, `open` while no request may be sent. */
export const BREAKER_STATE = { table: 'source_state', stateColumn: 'breaker_state' } as const;

export interface SourceTelemetry {
  /** Requests per status code ("200", "503", … or "none" when no response came back). */
  readonly requests: ReadonlyArray<{ readonly code: string; readonly count: number }>;
  readonly breakerOpen: boolean;
}

/** A missing table or column means the client that writes it is not installed yet, not an error. */
function isAbsent(error: unknown): boolean {
  const code = sqlState(error);
  return code === SQLSTATE.undefinedTable || code === SQLSTATE.undefinedColumn;
}

async function readRequests(db: Queryable, schema: string): Promise<SourceTelemetry['requests']> {
  try {
    const { rows } = await db.query<{ code: string; n: number }>(
      `SELECT coalesce(${REQUEST_LOG.codeColumn}::text, 'none') AS code, count(*)::int AS n
       FROM ${qualified(schema, REQUEST_LOG.table)} GROUP BY 1 ORDER BY 1`,
    );
    return rows.map((r) => ({ code: r.code, count: Number(r.n) }));
  } catch (error) {
    if (!isAbsent(error)) throw error;
  }
  // No request log: every API load that got records (or committed) had a 200 response.
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${qualified(schema, 'etl_metadata')}
     WHERE source = $1 AND (load_status IN ('success', 'partial') OR records_fetched > 0)`,
    [API_SOURCE],
  );
  return [{ code: '200', count: Number(rows[0]?.n ?? 0) }];
}

async function readBreakerOpen(db: Queryable, schema: string): Promise<boolean> {
  try {
    const { rows } = await db.query<{ open: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${qualified(schema, BREAKER_STATE.table)}
                      WHERE ${BREAKER_STATE.stateColumn} = 'open') AS open`,
    );
    return rows[0]?.open === true;
  } catch (error) {
    if (isAbsent(error)) return false;
    throw error;
  }
}

export async function readSourceTelemetry(db: Queryable, schema: string): Promise<SourceTelemetry> {
  return { requests: await readRequests(db, schema), breakerOpen: await readBreakerOpen(db, schema) };
}
