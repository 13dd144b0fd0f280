/**
 * SQL for the set-based merge of a staged payload into a view's table, generated from the registry
 * so one code path serves every view. Values are parameters; identifiers go through `ident`.
 */
import { columnsOf, fieldByColumn, type ViewSpec } from '../registry.js';
import { ident } from './db.js';

/** Source name of `otc-etl reprocess`: rows re-derived from their own stored `_raw`. */
export const REPROCESS_SOURCE = 'reprocess';

/** Who wrote a row and when, in the order the direct COPY of an empty table sends them. */
export const LINEAGE_COLUMNS = ['_last_source', '_first_run_id', '_first_loaded_at', '_last_run_id', '_last_changed_at'] as const;

export function stageColumns(view: ViewSpec): string[] {
  return ['_pos', ...columnsOf(view), '_raw', '_keep', '_hash'];
}

export function createStageSql(view: ViewSpec, stage: string, sqlType: (column: string) => string): string {
  const cols = columnsOf(view).map((c) => `${ident(c)} ${sqlType(c)}`);
  return (
    `CREATE TEMP TABLE ${stage} (_pos bigint NOT NULL, ${cols.join(', ')}, ` +
    `_raw jsonb NOT NULL, _keep text[], _hash text) ON COMMIT DROP`
  );
}

/**
 * The expression that identifies a row by its natural key, for joins. A composite key whose parts may
 * be NULL is encoded as one text (the same expression as the generated `_key` column of the table), so
 * NULL parts compare equal and the join can hash or use the index.
 */
export function keyExpr(view: ViewSpec, alias: string, forTable = false): string {
  if (!view.keyNullable && view.key.length === 1) return `${alias}.${ident(view.key[0]!)}`;
  if (forTable) return `${alias}._key`;
  return view.key
    .map((column) => {
      const c = `${alias}.${ident(column)}`;
      const type = fieldByColumn(view, column).type;
      if (type === 'date') return `coalesce((${c} - DATE '2000-01-01')::text, '~')`;
      if (type === 'id') return `coalesce(${c}::text, '~')`;
      return `coalesce(length(${c})::text || ':' || ${c}, '~')`;
    })
    .join(` || '|' || `);
}

/** Keeps the last version of each key: later cursor wins, then later position; no cursor loses. */
export function dedupSql(view: ViewSpec, stage: string, target: string): string {
  const key = view.key.map((c) => ident(c)).join(', ');
  const order = view.cursor ? `${ident(view.cursor)} DESC NULLS LAST, _pos DESC` : '_pos DESC';
  return `CREATE TEMP TABLE ${target} ON COMMIT DROP AS SELECT DISTINCT ON (${key}) * FROM ${stage} ORDER BY ${key}, ${order}`;
}

/**
 * The value a column gets: the stored one when the record lacked it (or it did not parse), else the new
 * one. With `sameRun` the stored row is an earlier copy from the same payload, which the staged copy
 * supersedes whole.
 */
function mergedValue(view: ViewSpec, column: string, sameRun = false): string {
  const c = ident(column);
  if (sameRun) return `s.${c}`;
  const incoming = `CASE WHEN s._keep IS NOT NULL AND ${literal(column)} = ANY (s._keep) THEN t.${c} ELSE s.${c} END`;
  return fieldByColumn(view, column).keepOnceSet ? `coalesce(t.${c}, ${incoming})` : incoming;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Guards deciding whether a staged record may replace the stored row at all:
 * an older cursor never overwrites a newer one, a record without a cursor never overwrites one with a
 * cursor; for views without a cursor an import never overwrites a row last written by an API sync.
 * Reprocess passes every guard: it re-derives a row from the row's own `_raw`, so there is no other
 * version to protect — and a parser fix may well move the cursor itself.
 */
function replaceGuard(view: ViewSpec, sourceParam: string): string {
  const reprocess = `${sourceParam} = ${literal(REPROCESS_SOURCE)}`;
  if (view.cursor) {
    const c = ident(view.cursor);
    return `(${reprocess} OR NOT (t.${c} IS NOT NULL AND (s.${c} IS NULL OR s.${c} < t.${c})))`;
  }
  return `(${reprocess} OR NOT (${sourceParam} <> 'api' AND t._last_source = 'api'))`;
}

/**
 * Reprocess keeps who wrote the row last (so an import still cannot overwrite an API comment after a
 * reprocess) and the hash of the record that writer sent (so the next sync still recognises it).
 */
function unlessReprocess(incoming: string, stored: string): string {
  return `CASE WHEN $2 = ${literal(REPROCESS_SOURCE)} THEN ${stored} ELSE ${incoming} END`;
}

/**
 * Updates rows whose merged content differs from what is stored. Parameters: $1 run id, $2 source.
 * The row count is the number of updated rows. `sameRun`: the table was empty when the load began, so
 * every stored row is an earlier copy of the same key from this payload (copied straight in), and the
 * staged copy replaces it whole where the guards let it win.
 */
export function updateSql(view: ViewSpec, table: string, src: string, options: { sameRun?: boolean } = {}): string {
  const sameRun = options.sameRun ?? false;
  const columns = columnsOf(view);
  const sets = columns.map((c) => `${ident(c)} = ${mergedValue(view, c, sameRun)}`);
  const stored = columns.map((c) => `t.${ident(c)}`).join(', ');
  const merged = columns.map((c) => mergedValue(view, c, sameRun)).join(', ');
  const raw = sameRun ? 's._raw' : 't._raw || s._raw';
  const rawDiffers = sameRun ? 't._raw IS DISTINCT FROM s._raw' : 'NOT (t._raw @> s._raw)';
  return `UPDATE ${table} AS t SET ${sets.join(', ')},
  _raw = ${raw}, _record_hash = ${unlessReprocess('s._hash', 't._record_hash')},
  _last_source = ${unlessReprocess('$2', 't._last_source')},
  _last_run_id = $1, _last_changed_at = now()
FROM ${src} AS s
WHERE ${keyExpr(view, 't', true)} = ${keyExpr(view, 's')}
  AND ${replaceGuard(view, '$2')}
  AND ((${stored}) IS DISTINCT FROM (${merged}) OR ${rawDiffers})`;
}

/** Inserts records whose key is not stored yet. Parameters: $1 run id, $2 source. */
export function insertSql(view: ViewSpec, table: string, src: string): string {
  const columns = columnsOf(view).map(ident).join(', ');
  const values = columnsOf(view).map((c) => `s.${ident(c)}`).join(', ');
  return `INSERT INTO ${table} (${columns}, _raw, _record_hash, ${LINEAGE_COLUMNS.join(', ')})
SELECT ${values}, s._raw, s._hash, $2, $1, now(), $1, now()
FROM ${src} AS s
WHERE NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE ${keyExpr(view, 't', true)} = ${keyExpr(view, 's')})`;
}
