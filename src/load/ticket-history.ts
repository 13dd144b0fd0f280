/**
 * The ticket history (`ticket_history`, migration 006): every distinct version of a ticket the product
 * has seen, written in the view's transaction right after the merge. Three set-based statements, never
 * one per row:
 *  1. the version each changed ticket now has (from `tickets`, so kept values are what was merged);
 *  2. older versions that arrived late (an import of an old export, or superseded copies in one
 *     payload) from the staging table: placed at their own modified time, `tickets` untouched;
 *  3. the chains of the tickets touched: each version's `valid_to` is the next one's `valid_from`.
 * Into an empty table, copies about to be superseded within one payload are kept before the merge.
 */
import { columnsOf, fieldByColumn, type ViewSpec } from '../registry.js';
import { ident, qualified, type Queryable } from './db.js';

export interface HistoryWrite {
  readonly runId: string;
  readonly source: string;
  /** The staging table of this load, when rows went through it (null: every row was copied straight in). */
  readonly stage: string | null;
  /** The table was empty when the load began, so every row in it now was written by this load. */
  readonly startedEmpty: boolean;
}

/** What the history write added or replaced. */
export interface HistoryCounts {
  readonly versions: number;
  readonly late: number;
}

const HISTORY = 'ticket_history';
/** Versions written by one load above which the table's planner statistics are refreshed. */
const ANALYZE_AFTER_VERSIONS = 1000;

/** The key, the cursor and every typed column, quoted. History needs a single key and a cursor. */
function names(view: ViewSpec): { key: string; cursor: string; columns: string[] } {
  const key = view.key[0];
  if (!key || view.key.length !== 1 || !view.cursor) throw new Error(`${view.name}: history needs a single key and a cursor`);
  return { key: ident(key), cursor: ident(view.cursor), columns: columnsOf(view).map(ident) };
}

const row = (alias: string, columns: readonly string[]): string => columns.map((c) => `${alias}.${c}`).join(', ');

/** Replaces a version's row only when its content differs (an identical re-sync writes nothing). */
function upsertTail(columns: readonly string[], key: string): string {
  const sets = columns.filter((c) => c !== key).map((c) => `${c} = EXCLUDED.${c}`);
  return `ON CONFLICT (${key}, valid_from) DO UPDATE SET ${sets.join(', ')}, run_id = EXCLUDED.run_id, source = EXCLUDED.source
WHERE (${row('h', columns)}) IS DISTINCT FROM (${row('EXCLUDED', columns)})`;
}

/**
 * The value a late (older) version gets for a column: what its record said; where the record lacked the
 * field (or its value did not parse), the version already stored at that time, else the ticket's; a
 * created time once stored is kept, as the merge keeps it.
 */
function lateValue(view: ViewSpec, column: string): string {
  const c = ident(column);
  if (fieldByColumn(view, column).keepOnceSet) return `coalesce(t.${c}, s.${c})`;
  return `CASE WHEN s._keep IS NOT NULL AND '${column.replace(/'/g, "''")}' = ANY (s._keep) THEN coalesce(e.${c}, t.${c}) ELSE s.${c} END`;
}

export async function recordTicketHistory(tx: Queryable, schema: string, view: ViewSpec, write: HistoryWrite): Promise<HistoryCounts> {
  const { key, cursor, columns } = names(view);
  const history = `${qualified(schema, HISTORY)} AS h`;
  const tickets = qualified(schema, view.table);
  const list = columns.join(', ');
  const params = [write.runId, write.source];

  // A ticket row this run wrote is the ticket's version now. Without a modified time it takes force
  // when first seen (now). The current version with the same content (only `_raw` changed) is no new one.
  // Into a table that was not empty, every row written went through the staging table.
  if (!write.startedEmpty && !write.stage) return { versions: 0, late: 0 };
  const onlyStaged = write.startedEmpty ? '' : `AND t.${key} IN (SELECT s.${key} FROM ${write.stage} s)`;
  const current = await tx.query(
    `INSERT INTO ${history} (${list}, valid_from, run_id, source)
SELECT ${row('t', columns)}, coalesce(t.${cursor}, t._last_changed_at, now()), $1, $2
FROM ${tickets} t
WHERE t._last_run_id = $1 ${onlyStaged}
  AND NOT EXISTS (SELECT 1 FROM ${qualified(schema, HISTORY)} c
                  WHERE c.${key} = t.${key} AND c.valid_to IS NULL AND (${row('c', columns)}) IS NOT DISTINCT FROM (${row('t', columns)}))
${upsertTail(columns, key)}`,
    params,
  );

  // A staged record older than the stored ticket lost the merge, but it is still a version that existed
  // (an import of an old export, an older copy the API still sends): it goes in at its own modified time.
  let late = 0;
  if (write.stage) {
    const values = columnsOf(view).map((c) => lateValue(view, c));
    const result = await tx.query(
      `INSERT INTO ${history} (${list}, valid_from, run_id, source)
SELECT DISTINCT ON (s.${key}, s.${cursor}) ${values.join(', ')}, s.${cursor}, $1, $2
FROM ${write.stage} s
JOIN ${tickets} t ON t.${key} = s.${key}
LEFT JOIN ${qualified(schema, HISTORY)} e ON e.${key} = s.${key} AND e.valid_from = s.${cursor}
WHERE s.${cursor} IS NOT NULL AND t.${cursor} IS NOT NULL AND s.${cursor} < t.${cursor}
ORDER BY s.${key}, s.${cursor}, s._pos DESC
${upsertTail(columns, key)}`,
      params,
    );
    late = result.rowCount;
  }

  // Re-link the chains of the tickets this run gave a version: a version placed between two others
  // ends the earlier one and is ended by the later one.
  await tx.query(
    `UPDATE ${history} SET valid_to = n.next_from
FROM (SELECT ${key} AS id, valid_from, lead(valid_from) OVER (PARTITION BY ${key} ORDER BY valid_from) AS next_from
      FROM ${qualified(schema, HISTORY)}
      WHERE ${key} IN (SELECT ${key} FROM ${qualified(schema, HISTORY)} WHERE run_id = $1)) n
WHERE h.${key} = n.id AND h.valid_from = n.valid_from AND h.valid_to IS DISTINCT FROM n.next_from`,
    [write.runId],
  );
  const versions = current.rowCount + late;
  // The planner must know the table's size: a first load writes thousands of versions into an empty
  // table, and with the empty table's statistics the next load compares row by row (seconds, not ms).
  if (versions >= ANALYZE_AFTER_VERSIONS) {
    await tx.exec(`ANALYZE ${qualified(schema, HISTORY)} (${key}, valid_from, valid_to, run_id)`);
  }
  return { versions, late };
}

/**
 * Into a table that was empty, the first copy of each key is copied straight in, and a later copy of the
 * same key in the payload replaces it in the merge. Before that, the copies about to be superseded are
 * kept as versions of their own (a payload can hold more than one version of a ticket, e.g. an export
 * concatenated from two days).
 */
export async function recordCopiedVersions(tx: Queryable, schema: string, view: ViewSpec, write: HistoryWrite): Promise<number> {
  if (!write.startedEmpty || !write.stage) return 0;
  const { key, cursor, columns } = names(view);
  const { rowCount } = await tx.query(
    `INSERT INTO ${qualified(schema, HISTORY)} AS h (${columns.join(', ')}, valid_from, run_id, source)
SELECT ${row('t', columns)}, coalesce(t.${cursor}, t._last_changed_at, now()), $1, $2
FROM ${qualified(schema, view.table)} t
WHERE t.${key} IN (SELECT s.${key} FROM ${write.stage} s)
${upsertTail(columns, key)}`,
    [write.runId, write.source],
  );
  return rowCount;
}

/**
 * OTC_HISTORY_DAYS: deletes superseded versions that stopped being in force more than `days` ago. The
 * current version of every ticket always stays. 0 deletes nothing.
 */
export async function pruneTicketHistory(db: Queryable, schema: string, days: number): Promise<number> {
  if (days <= 0) return 0;
  const { rowCount } = await db.query(
    `DELETE FROM ${qualified(schema, HISTORY)} WHERE valid_to IS NOT NULL AND valid_to < now() - make_interval(days => $1)`,
    [days],
  );
  return rowCount;
}

/** Records OTC_TIMEZONE where backlog_daily reads it (the local days it counts). */
export async function storeHistoryTimezone(db: Queryable, schema: string, timezone: string): Promise<void> {
  await db.query(
    `INSERT INTO ${qualified(schema, 'etl_settings')} (name, value) VALUES ('timezone', $1)
     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
     WHERE etl_settings.value IS DISTINCT FROM EXCLUDED.value`,
    [timezone],
  );
}
