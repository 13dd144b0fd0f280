/**
 * Rows that cannot stay (duplicates of a key, or no usable key) move to `<table>_duplicates_removed`
 * with every column, `moved_at` and `moved_reason`, before any key is added; and the adopted rows get
 * `_raw` and lineage from their legacy values, before any value is converted.
 */
import { ident, qualified } from '../db.js';
import { convertedRef, legacyOf, tableRef, type PlanContext } from './context.js';
import { roleOf, sideTableOf } from './roles.js';
import type { PlannedStep } from './adoption-steps.js';

const REASONS = ['duplicate', 'no usable key'] as const;

/** Source tag of adopted rows (`_last_source`) and of their load_rejects. */
export const LEGACY_SOURCE = 'legacy';

export async function planMoves(ctx: PlanContext, table: string): Promise<PlannedStep[]> {
  const dedup = roleOf(table).dedup;
  const legacy = legacyOf(ctx, table);
  if (!dedup) return [];
  const side = sideTableOf(table);
  if (ctx.legacy.has(side)) {
    ctx.blockers.push(`${side} already exists; rename or drop it so the adoption can move ${table} rows there`);
    return [];
  }
  const converted = (column: string) => convertedRef(ctx, table, column);
  const keys = dedup.key.map(converted);
  const allPresent = keys.map((k) => `(${k}) IS NOT NULL`).join(' AND ');
  const moving = `otc_adopt_move_${table}`;
  await ctx.tx.exec(
    `CREATE TEMP TABLE ${moving} ON COMMIT DROP AS
     SELECT row_ctid, CASE WHEN has_key THEN 'duplicate' ELSE 'no usable key' END AS reason FROM (
       SELECT t.ctid AS row_ctid, ${dedup.keyRequired ? allPresent : 'true'} AS has_key,
              ${dedup.nullsDistinct ? allPresent : 'true'} AS comparable,
              row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${[...dedup.order(converted), 't.ctid DESC'].join(', ')}) AS n
       FROM ${tableRef(ctx, table)} t) ranked
     WHERE NOT has_key OR (comparable AND n > 1)`,
  );
  // Statistics, so the counts that skip these rows hash-join on ctid instead of looping over them.
  await ctx.tx.exec(`ANALYZE ${moving}`);
  ctx.moving.set(table, moving);
  const { rows } = await ctx.tx.query<{ reason: string; n: number }>(`SELECT reason, count(*)::bigint AS n FROM ${moving} GROUP BY reason`);
  const counts = new Map(rows.map((r) => [r.reason, Number(r.n)]));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  ctx.rowsAfter.set(table, (ctx.rowsAfter.get(table) ?? 0) - total);
  if (total === 0 && !dedup.alwaysCreateSide) return [];

  const sideRef = qualified(ctx.schema, side);
  const steps: PlannedStep[] = [
    {
      step: { action: 'create-table', table: side },
      phase: 'move',
      table,
      statements: [
        { sql: `CREATE TABLE ${sideRef} (LIKE ${tableRef(ctx, table)})` },
        {
          sql: `ALTER TABLE ${sideRef} ADD COLUMN moved_at timestamptz NOT NULL DEFAULT now(),
                ADD COLUMN moved_reason text NOT NULL`,
        },
      ],
    },
  ];
  const columns = legacy.columns.map((c) => ident(c.name)).join(', ');
  for (const reason of REASONS) {
    const n = counts.get(reason) ?? 0;
    if (n === 0) continue;
    steps.push({
      step: {
        action: 'move-rows',
        table,
        into: side,
        rows: n,
        reason,
        kept: reason === 'duplicate' ? dedup.kept : 'no copy (the key is missing or not a whole number)',
      },
      phase: 'move',
      table,
      countsRows: true,
      statements: [
        {
          sql: `WITH gone AS (DELETE FROM ${tableRef(ctx, table)} t USING ${moving} m
                              WHERE t.ctid = m.row_ctid AND m.reason = $1 RETURNING t.*)
                INSERT INTO ${sideRef} (${columns}, moved_reason) SELECT ${columns}, $1 FROM gone`,
          params: [reason],
        },
      ],
    });
  }
  return steps;
}

const LINEAGE = ['_first_run_id', '_last_run_id', '_first_loaded_at', '_last_changed_at', '_last_source'] as const;
/** jsonb_build_object takes at most 100 arguments. */
const PAIRS_PER_CALL = 50;

/**
 * `_raw` is the source record: for an adopted row, its legacy values keyed by API field name (a NULL
 * says nothing about the source, so it is left out). Lineage names this adoption.
 */
export function planRawAndLineage(ctx: PlanContext, table: string): PlannedStep[] {
  const view = roleOf(table).view;
  if (!view) return [];
  const legacy = legacyOf(ctx, table);
  const missing = (column: string) => !legacy.columns.some((c) => c.name === column);
  const sets: string[] = [];
  if (missing('_raw')) {
    const pairs = view.fields.filter((f) => !missing(f.column)).map((f) => `'${f.api.replace(/'/g, "''")}', t.${ident(f.column)}`);
    const calls: string[] = [];
    for (let i = 0; i < pairs.length; i += PAIRS_PER_CALL) {
      calls.push(`jsonb_build_object(${pairs.slice(i, i + PAIRS_PER_CALL).join(', ')})`);
    }
    sets.push(`_raw = jsonb_strip_nulls(${calls.length ? calls.join(' || ') : `'{}'::jsonb`})`);
  }
  const values: Record<(typeof LINEAGE)[number], string> = {
    _first_run_id: '$1',
    _last_run_id: '$1',
    _first_loaded_at: 'now()',
    _last_changed_at: 'now()',
    _last_source: `'${LEGACY_SOURCE}'`,
  };
  const lineage = LINEAGE.filter(missing);
  for (const column of lineage) sets.push(`${column} = ${values[column]}`);
  if (sets.length === 0) return [];
  const columns = [...(missing('_raw') ? ['_raw'] : []), ...lineage];
  for (const column of columns) ctx.filled.add(`${table}.${column}`);
  return [
    {
      step: {
        action: 'fill',
        table,
        columns,
        rows: ctx.rowsAfter.get(table) ?? 0,
        how: `_raw from the legacy values keyed by API field name; lineage: this adoption (run ${ctx.runId}), _last_source '${LEGACY_SOURCE}'`,
      },
      phase: 'raw',
      table,
      countsRows: true,
      statements: [
        {
          sql: `UPDATE ${tableRef(ctx, table)} AS t SET ${sets.join(', ')}`,
          params: sets.some((s) => s.includes('$1')) ? [ctx.runId] : [],
        },
      ],
    },
  ];
}
