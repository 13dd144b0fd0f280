/**
 * SQL for the set-based merge of a staged payload into a view's table, generated from the registry
 * so one code path serves every view. Values are parameters; identifiers go through `ident`.
 */
import { columnsOf, fieldByColumn, type ViewSpec } from '../registry.js';
import { keyTextSql } from '../transform/natural-key.js';
import { ident } from './db.js';
import { API_SOURCE, type SourceKind } from './source-kind.js';

/** Who writes this load: the run, the source's kind, and the name the rows' `_last_source` gets. */
export interface LoadTarget {
  readonly runId: string;
  readonly kind: SourceKind;
  readonly source: string;
}

/** A statement and its parameters. */
export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

/** Who wrote a row and when, in the order the direct COPY of an empty table sends them. */
export const LINEAGE_COLUMNS = ['_last_source', '_first_run_id', '_first_loaded_at', '_last_run_id', '_last_changed_at'] as const;

/** The staging COPY's columns, in the order `RowLines.staged` writes them. */
export function stageColumns(view: ViewSpec): string[] {
  return ['_pos', ...columnsOf(view), '_raw', '_hash', '_keep', '_carried'];
}

export function createStageSql(view: ViewSpec, stage: string, sqlType: (column: string) => string): string {
  const cols = columnsOf(view).map((c) => `${ident(c)} ${sqlType(c)}`);
  return (
    `CREATE TEMP TABLE ${stage} (_pos bigint NOT NULL, ${cols.join(', ')}, ` +
    `_raw jsonb NOT NULL, _keep text[], _carried text[], _hash bigint) ON COMMIT DROP`
  );
}

/**
 * The natural key of the row `alias` as one text, NULL parts included (see natural-key.ts), for reading
 * keys out and matching them against a list. Joins between tables use `keyJoin` instead, which the
 * unique index serves.
 */
export function keyExpr(view: ViewSpec, alias: string): string {
  return keyTextSql(view, (column) => `${alias}.${ident(column)}`);
}

/**
 * Joins a stored row `t` to a staged record `s` on the natural key, for staged records whose key parts
 * are NULL exactly where bit i of `nullMask` is set (bit i = key column i). `t.c = s.c` for the parts
 * that have a value and `t.c IS NULL` for the empty ones are both conditions the unique index answers,
 * where a NULL-safe `IS NOT DISTINCT FROM` is not; the caller merges each NULL pattern separately.
 */
export function keyJoin(view: ViewSpec, nullMask = 0): string {
  return view.key
    .map((column, i) => {
      const c = ident(column);
      return nullMask & (1 << i) ? `t.${c} IS NULL AND s.${c} IS NULL` : `t.${c} = s.${c}`;
    })
    .join(' AND ');
}

/** API names of the view's typed fields, as an SQL array. */
function typedFieldsArray(view: ViewSpec): string {
  return `ARRAY[${view.fields.map((f) => literal(f.api)).join(', ')}]::text[]`;
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
 * Guards deciding whether a staged record may replace the stored row at all, or null when it always may:
 * an older cursor never overwrites a newer one, a record without a cursor never overwrites one with a
 * cursor; for views without a cursor an import never overwrites a row last written by an API sync.
 * Reprocess passes every guard: it re-derives a row from the row's own record, so there is no other
 * version to protect — and a parser fix may well move the cursor itself.
 */
function replaceGuard(view: ViewSpec, kind: SourceKind): string | null {
  if (kind === 'reprocess') return null;
  if (view.cursor) {
    const c = ident(view.cursor);
    return `NOT (t.${c} IS NOT NULL AND (s.${c} IS NULL OR s.${c} < t.${c}))`;
  }
  return kind === 'file' ? `NOT (t._last_source = ${literal(API_SOURCE)})` : null;
}

/**
 * The `_raw` a stored row gets: its entries for the typed fields the record carries give way to the
 * record's own (a source text follows its column, and goes when the column now holds the value
 * verbatim); fields the record lacks, unknown ones included, keep their last value.
 */
function mergedRaw(view: ViewSpec, sameRun: boolean): string {
  if (sameRun) return 's._raw';
  return `(t._raw - coalesce(s._carried, ${typedFieldsArray(view)})) || s._raw`;
}

/**
 * Updates rows whose merged content differs from what is stored. Reprocess keeps who wrote the row last (so an import still cannot overwrite an API comment after a
 * reprocess) and the hash of the record that writer sent (so the next sync still recognises it).
 * The row count is the number of updated rows. `sameRun`: the table was empty when the load began, so
 * every stored row is an earlier copy of the same key from this payload (copied straight in), and the
 * staged copy replaces it whole where the guards let it win. `nullMask`: which staged records this
 * statement merges, by the NULL parts of their key (see `keyJoin`); 0 for a key that is never NULL.
 */
export function updateSql(
  view: ViewSpec,
  table: string,
  src: string,
  target: LoadTarget,
  options: { sameRun?: boolean; nullMask?: number } = {},
): Statement {
  const sameRun = options.sameRun ?? false;
  const reprocess = target.kind === 'reprocess';
  const guard = replaceGuard(view, target.kind);
  const columns = columnsOf(view);
  const sets = columns.map((c) => `${ident(c)} = ${mergedValue(view, c, sameRun)}`);
  const stored = columns.map((c) => `t.${ident(c)}`).join(', ');
  const merged = columns.map((c) => mergedValue(view, c, sameRun)).join(', ');
  const raw = mergedRaw(view, sameRun);
  const text = `UPDATE ${table} AS t SET ${sets.join(', ')},
  _raw = ${raw}, _record_hash = ${reprocess ? 't._record_hash' : 's._hash'},
  _last_source = ${reprocess ? 't._last_source' : '$2'},
  _last_run_id = $1::uuid, _last_changed_at = now()
FROM ${src} AS s
WHERE ${keyJoin(view, options.nullMask ?? 0)}${guard ? `\n  AND ${guard}` : ''}
  AND ((${stored}) IS DISTINCT FROM (${merged}) OR t._raw IS DISTINCT FROM ${raw})`;
  // $2 appears only where the source's name is written: a statement may not carry a parameter it never uses.
  return { text, values: reprocess ? [target.runId] : [target.runId, target.source] };
}

/**
 * Inserts records whose key is not stored yet: the unique index on the natural key (NULL parts equal)
 * turns away every other one.
 */
export function insertSql(view: ViewSpec, table: string, src: string, target: LoadTarget): Statement {
  const columns = columnsOf(view).map(ident).join(', ');
  const values = columnsOf(view)
    .map((c) => `s.${ident(c)}`)
    .join(', ');
  const text = `INSERT INTO ${table} (${columns}, _raw, _record_hash, ${LINEAGE_COLUMNS.join(', ')})
SELECT ${values}, s._raw, s._hash, $2, $1::uuid, now(), $1::uuid, now()
FROM ${src} AS s
ON CONFLICT DO NOTHING`;
  return { text, values: [target.runId, target.source] };
}
