/**
 * The SQL objects every view of the registry needs beside its table, made from the registry:
 * `record_of(row)` for its table (and its `_removed` side table), the `<table>_records` view, and its
 * rows in v_data_freshness and v_orphaned_data. Migrations 001, 005 and 007 wrote them by hand for the
 * three built-in views, and the generated SQL is the same (a test compares them); `migrate` makes them
 * for a view that lacks them, so a new view needs only its table from a migration. A registered view
 * whose table no migration has made is refused by `migrate` with what to do, never skipped.
 */
import { MigrationRequiredError } from '../errors.js';
import { getView, VIEWS, type FieldSpec, type ViewSpec } from '../registry.js';
import { ident, type Queryable } from './db.js';

/** jsonb_build_object takes at most 100 arguments: the columns go in groups of this many. */
const COLUMNS_PER_OBJECT = 40;

const INSTANT_TEXT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * A column rendered the way the source writes it where that is fixed (the same rule as storedVerbatim
 * in src/transform/normalize.ts): instants as ISO 8601 UTC, dates day first, booleans as Yes/No.
 */
function rendered(field: FieldSpec): string {
  const c = `t.${ident(field.column)}`;
  if (field.type === 'instant') return `to_char(${c} AT TIME ZONE 'UTC', ${INSTANT_TEXT})`;
  if (field.type === 'date') return `to_char(${c}, 'DD/MM/YYYY')`;
  if (field.type === 'bool') return `CASE WHEN ${c} THEN 'Yes' WHEN NOT ${c} THEN 'No' END`;
  return c;
}

/** `record_of(row)` of a view's table (or side table): its typed columns as sent, `_raw` laid over them. */
export function recordOfSql(view: ViewSpec, table: string): string {
  const pairs = view.fields.map((f) => `    '${f.api.replace(/'/g, "''")}', ${rendered(f)}`);
  const groups: string[] = [];
  for (let i = 0; i < pairs.length; i += COLUMNS_PER_OBJECT) {
    groups.push(`  jsonb_build_object(\n${pairs.slice(i, i + COLUMNS_PER_OBJECT).join(',\n')}\n  )`);
  }
  return `CREATE FUNCTION record_of(t ${ident(table)}) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT jsonb_strip_nulls(
${groups.join(' ||\n')}
) || t._raw
$$;
COMMENT ON FUNCTION record_of(${ident(table)}) IS 'the source record of a ${table} row: typed columns and _raw';`;
}

/** `<table>_records`: each row as the source sent it, after its natural key. */
export function recordsViewSql(view: ViewSpec, name = `${view.table}_records`): string {
  const key = view.key.map((c) => `t.${ident(c)}`).join(', ');
  return `CREATE VIEW ${ident(name)} AS
SELECT ${key}, record_of(t) AS record, t._last_run_id, t._last_changed_at FROM ${ident(view.table)} t;
COMMENT ON VIEW ${ident(name)} IS 'each ${view.table} row as the source sent it (its natural key, then the record)';`;
}

/** The newest change a view's rows carry: its cursor, else its window column, as a time. */
function latestOf(view: ViewSpec): string {
  const column = view.cursor ?? view.windowColumn;
  const field = column === null ? undefined : view.fields.find((f) => f.column === column);
  if (field?.type === 'instant') return `max(${ident(field.column)})`;
  if (field?.type === 'date') return `max(${ident(field.column)})::timestamptz`;
  return 'NULL::timestamptz';
}

/** v_data_freshness over every view of the registry (its columns as migration 007 made them). */
export function freshnessViewSql(name = 'v_data_freshness'): string {
  const data = VIEWS.map((v, i) =>
    i === 0
      ? `SELECT '${v.name}' AS view_name, ${latestOf(v)} AS latest, count(*) AS total FROM ${ident(v.table)}`
      : `SELECT '${v.name}', ${latestOf(v)}, count(*) FROM ${ident(v.table)}`,
  );
  return `CREATE OR REPLACE VIEW ${ident(name)} AS
WITH last_ok AS (
  SELECT view_name, max(load_end) AS last_loaded
  FROM v_committed_api_runs
  GROUP BY view_name
), data AS (
  ${data.join('\n  UNION ALL\n  ')}
)
SELECT w.view_name,
       l.last_loaded,
       now() - l.last_loaded AS age,
       d.latest AS latest_data_date,
       coalesce(d.total, 0) AS total_records,
       (l.last_loaded IS NULL OR l.last_loaded < now() - make_interval(days => w.window_days)) AS is_stale
FROM view_windows w
LEFT JOIN last_ok l USING (view_name)
LEFT JOIN data d USING (view_name)
ORDER BY w.ord;`;
}

/** v_orphaned_data: per view that refers to tickets, its rows whose ticket is not in tickets. */
export function orphansViewSql(name = 'v_orphaned_data'): string {
  const tickets = getView('tickets');
  const ticketId = ident(tickets.key[0]!);
  const parts = VIEWS.filter((v) => v.ticketRef !== null).map((v, i) => {
    const ref = `x.${ident(v.ticketRef!)}`;
    const label = i === 0 ? `'${v.name}'::text AS source, count(*) AS count` : `'${v.name}'::text, count(*)`;
    return `SELECT ${label}
FROM ${ident(v.table)} x
WHERE ${ref} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${ident(tickets.table)} t WHERE t.${ticketId} = ${ref})`;
  });
  return `CREATE OR REPLACE VIEW ${ident(name)} AS\n${parts.join('\nUNION ALL\n')};`;
}

async function relationExists(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [ident(name)]);
  return rows[0]?.found === true;
}

/** Tables a view reads, from the catalog's dependencies. */
async function tablesReadBy(db: Queryable, viewName: string): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT DISTINCT c.relname AS name
     FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid JOIN pg_class c ON c.oid = d.refobjid
     WHERE r.ev_class = to_regclass($1) AND c.relkind IN ('r', 'p')`,
    [ident(viewName)],
  );
  return new Set(rows.map((r) => r.name));
}

async function columnsOfTable(db: Queryable, table: string): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [ident(table)],
  );
  return new Set(rows.map((r) => r.name));
}

/** What a view's migration has not made: said once, with what to do, before anything is loaded into it. */
async function requireTables(db: Queryable, view: ViewSpec): Promise<void> {
  const advice = 'add a migration that creates it (docs/adding-a-view.md) and run `otc-etl migrate` again.';
  if (!(await relationExists(db, view.table))) {
    throw new MigrationRequiredError(`view ${view.name} is in the registry but its table ${view.table} does not exist; ${advice}`);
  }
  const columns = await columnsOfTable(db, view.table);
  const needed = [
    ...view.fields.map((f) => f.column),
    '_raw',
    '_record_hash',
    '_last_source',
    '_first_run_id',
    '_first_loaded_at',
    '_last_run_id',
    '_last_changed_at',
  ];
  const missing = needed.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new MigrationRequiredError(`table ${view.table} of view ${view.name} lacks columns ${missing.join(', ')}; ${advice}`);
  }
  if (view.windowColumn !== null && !(await relationExists(db, `${view.table}_removed`))) {
    throw new MigrationRequiredError(
      `view ${view.name} has a window column, so rows leaving its window move to ${view.table}_removed, which does not exist; ${advice}`,
    );
  }
}

/**
 * Checks every view's tables and makes what it lacks of the objects above. Runs inside a transaction with
 * the search path set to the schema. For the three built-in views (made by the migrations) it changes
 * nothing.
 */
export async function ensureViewObjects(db: Queryable): Promise<void> {
  for (const view of VIEWS) {
    await requireTables(db, view);
    if (await relationExists(db, `${view.table}_records`)) continue;
    await db.exec(recordOfSql(view, view.table));
    if (view.windowColumn !== null) await db.exec(recordOfSql(view, `${view.table}_removed`));
    await db.exec(recordsViewSql(view));
  }
  const freshness = await tablesReadBy(db, 'v_data_freshness');
  if (VIEWS.some((v) => !freshness.has(v.table))) await db.exec(freshnessViewSql());
  const orphans = await tablesReadBy(db, 'v_orphaned_data');
  if (VIEWS.some((v) => v.ticketRef !== null && !orphans.has(v.table))) await db.exec(orphansViewSql());
}
