/**
 * Values the target requires that the legacy rows do not have, for the two bookkeeping tables:
 * etl_metadata (run ids, load times, statuses and view names in the product's vocabulary, so the
 * previous loader's runs count for freshness, status and the volume guard) and user_lookup (sources
 * in the product's vocabulary). Every mapping is in the plan with its row count.
 */
import { VIEWS } from '../../registry.js';
import { ident } from '../db.js';
import { hasColumn, keptRowsWhere, tableRef, type PlanContext } from './context.js';
import type { PlannedStep } from './adoption-steps.js';

/** run_id of the previous loader's etl_metadata rows (it had none). */
export const LEGACY_RUN_ID = 'legacy';

const STATUS_WORDS: Record<string, string> = {
  success: 'success',
  succeeded: 'success',
  successful: 'success',
  ok: 'success',
  completed: 'success',
  complete: 'success',
  done: 'success',
  partial: 'partial',
  failed: 'failed',
  failure: 'failed',
  fail: 'failed',
  error: 'failed',
  errored: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  // A run the previous loader left running is marked failed by the next run, like any interrupted one.
  running: 'running',
};

const SOURCE_WORDS: Record<string, string> = {
  manual: 'manual',
  timesheet: 'timesheets',
  timesheets: 'timesheets',
  comment: 'comments',
  comments: 'comments',
  ticket: 'tickets',
  tickets: 'tickets',
};
/**
 * Any other source (the previous loader's guesses) is a derived row: the next user lookup refresh may
 * correct it from evidence, which a `manual` row would forbid.
 */
const DERIVED_SOURCE = 'timesheets';

const word = (value: string | null) => (value ?? '').trim().toLowerCase();

function viewNameOf(value: string | null): string {
  const view = VIEWS.find((v) => [v.name, v.sourceName, v.guid].some((n) => n.toLowerCase() === word(value)));
  return view?.name ?? (value === null || value.trim() === '' ? 'unknown' : value);
}

export async function planFills(ctx: PlanContext, table: string): Promise<PlannedStep[]> {
  if (table === 'etl_metadata') return planEtlMetadata(ctx);
  if (table === 'user_lookup') return mapValues(ctx, table, 'source', (v) => SOURCE_WORDS[word(v)] ?? DERIVED_SOURCE);
  return [];
}

async function planEtlMetadata(ctx: PlanContext): Promise<PlannedStep[]> {
  const table = 'etl_metadata';
  const steps: PlannedStep[] = [];
  const rows = ctx.rowsAfter.get(table) ?? 0;
  const fill = (column: string, expr: string, how: string, params: unknown[] = []) => {
    ctx.filled.add(`${table}.${column}`);
    if (rows === 0) return;
    steps.push({
      step: { action: 'fill', table, columns: [column], rows, how },
      phase: 'fill',
      table,
      countsRows: true,
      statements: [{ sql: `UPDATE ${tableRef(ctx, table)} AS t SET ${ident(column)} = ${expr} WHERE t.${ident(column)} IS NULL`, params }],
    });
  };
  const last = hasColumn(ctx, table, 'last_load_time') ? 't.last_load_time' : 'NULL::timestamptz';
  const duration = hasColumn(ctx, table, 'load_duration_seconds') ? 't.load_duration_seconds' : 'NULL::numeric';
  if (!hasColumn(ctx, table, 'run_id')) fill('run_id', '$1', `'${LEGACY_RUN_ID}' (the previous loader had no run ids)`, [LEGACY_RUN_ID]);
  steps.push(
    ...(await mapValues(ctx, table, 'view_name', viewNameOf)),
    ...(await mapValues(ctx, table, 'load_status', (v) => STATUS_WORDS[word(v)] ?? 'failed', true)),
  );
  if (!hasColumn(ctx, table, 'load_end')) fill('load_end', last, 'last_load_time');
  if (!hasColumn(ctx, table, 'load_start')) {
    fill(
      'load_start',
      `coalesce(${last} - make_interval(secs => ${duration}::float8), ${last}, now())`,
      'last_load_time minus load_duration_seconds',
    );
  }
  return steps;
}

/**
 * One UPDATE per distinct legacy value that the product spells differently. With `keepOriginal`, a
 * value the product does not know is kept in error_message.
 */
async function mapValues(
  ctx: PlanContext,
  table: string,
  column: string,
  map: (value: string | null) => string,
  keepOriginal = false,
): Promise<PlannedStep[]> {
  const present = hasColumn(ctx, table, column);
  const { rows } = await ctx.tx.query<{ value: string | null; n: number }>(
    `SELECT ${present ? `t.${ident(column)}::text` : 'NULL::text'} AS value, count(*)::bigint AS n
     FROM ${tableRef(ctx, table)} t WHERE ${keptRowsWhere(ctx, table)} GROUP BY 1 ORDER BY 1 NULLS FIRST`,
  );
  ctx.filled.add(`${table}.${column}`);
  return rows
    .filter((r) => map(r.value) !== r.value)
    .map((r): PlannedStep => {
      const to = map(r.value);
      const unknown = keepOriginal && r.value !== null && !(word(r.value) in STATUS_WORDS);
      const note = unknown ? `, error_message = concat_ws('; ', t.error_message, 'status from the previous loader: ' || $1::text)` : '';
      return {
        step: { action: 'map-values', table, column, from: r.value, to, rows: Number(r.n) },
        phase: 'fill',
        table,
        countsRows: true,
        statements: [
          {
            sql: `UPDATE ${tableRef(ctx, table)} AS t SET ${ident(column)} = $2::text${note} WHERE t.${ident(column)}::text IS NOT DISTINCT FROM $1::text`,
            params: [r.value, to],
          },
        ],
      };
    });
}
