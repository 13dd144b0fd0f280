/**
 * Columns: every column of the target is added, converted, or already right; defaults and NOT NULL
 * follow the target. Columns the product does not own (other tools' columns) are never touched.
 */
import { ident, qualified } from '../db.js';
import { columnOf, type ColumnInfo } from './catalog.js';
import { conversionOf, failedWhere, type Conversion } from './convert.js';
import { hasColumn, keptRowsWhere, legacyOf, tableRef, targetOf, type PlanContext } from './context.js';
import { LEGACY_SOURCE } from './plan-rows.js';
import { roleOf } from './roles.js';
import type { PlannedStep } from './adoption-steps.js';

interface PendingConversion {
  readonly target: ColumnInfo;
  readonly from: string;
  /** Over the bare column name, for ALTER … USING. */
  readonly using: Conversion;
  /** Over `t.column`, for counting and for load_rejects. */
  readonly counted: Conversion;
  /** Same type: only values change (clock times, empty key parts); skipped when none would. */
  readonly valuesOnly: boolean;
}

const isSerial = (c: ColumnInfo) => c.default?.startsWith('nextval(') ?? false;

export async function planColumns(ctx: PlanContext, table: string): Promise<PlannedStep[]> {
  const legacy = legacyOf(ctx, table);
  const role = roleOf(table);
  const steps: PlannedStep[] = [];
  const conversions: PendingConversion[] = [];
  for (const target of targetOf(ctx, table).columns) {
    const old = columnOf(legacy, target.name);
    const where = `${table}."${target.name}"`;
    if (target.generated !== null) {
      if (!old) steps.push(addGenerated(table, target));
      else if (old.generated !== target.generated) ctx.blockers.push(`${where} exists but is not the generated column the product uses`);
      continue;
    }
    if (!old) {
      steps.push(addColumn(table, target));
      if (!isSerial(target)) steps.push(...(await planDefaultAndNulls(ctx, table, target, null)));
      continue;
    }
    if (old.generated !== null) {
      ctx.blockers.push(`${where} is a generated column; the product stores values in it`);
      continue;
    }
    if (isSerial(target) && !isSerial(old)) {
      ctx.blockers.push(`${where} has no sequence default; give it one (or drop the column) before migrate`);
      continue;
    }
    const semantic = role.semantic(target.name);
    const using = conversionOf(ident(target.name), old.type, target.type, semantic);
    const counted = conversionOf(`t.${ident(target.name)}`, old.type, target.type, semantic);
    if (using === undefined || counted === undefined) {
      ctx.blockers.push(`${where}: cannot convert ${old.type} to ${target.type}`);
      continue;
    }
    if (using && counted) conversions.push({ target, from: old.type, using, counted, valuesOnly: old.type === target.type });
    if (!isSerial(target)) steps.push(...(await planDefaultAndNulls(ctx, table, target, old)));
  }
  return [...steps, ...(await planConversions(ctx, table, conversions))];
}

function addColumn(table: string, target: ColumnInfo): PlannedStep {
  const serialType = target.type === 'bigint' ? 'bigserial' : 'serial';
  const type = isSerial(target) ? serialType : target.type;
  return {
    step: { action: 'add-column', table, column: target.name, type },
    phase: 'add',
    table,
    alter: `ADD COLUMN ${ident(target.name)} ${type}`,
  };
}

function addGenerated(table: string, target: ColumnInfo): PlannedStep {
  return {
    step: { action: 'add-column', table, column: target.name, type: `${target.type} (generated)` },
    phase: 'default',
    table,
    alter: `ADD COLUMN ${ident(target.name)} ${target.type} GENERATED ALWAYS AS (${target.generated}) STORED${target.notNull ? ' NOT NULL' : ''}`,
  };
}

async function planDefaultAndNulls(ctx: PlanContext, table: string, target: ColumnInfo, old: ColumnInfo | null): Promise<PlannedStep[]> {
  const column = target.name;
  const col = ident(column);
  const steps: PlannedStep[] = [];
  if (old?.default != null && old.default !== target.default) {
    steps.push({
      step: { action: 'drop-default', table, column, default: old.default },
      phase: 'detach',
      table,
      alter: `ALTER COLUMN ${col} DROP DEFAULT`,
    });
  }
  if (target.default !== null && (old?.default ?? null) !== target.default) {
    steps.push({
      step: { action: 'set-default', table, column, default: target.default },
      phase: 'default',
      table,
      alter: `ALTER COLUMN ${col} SET DEFAULT ${target.default}`,
    });
  }
  if (old?.notNull && !target.notNull) {
    steps.push({ step: { action: 'drop-not-null', table, column }, phase: 'detach', table, alter: `ALTER COLUMN ${col} DROP NOT NULL` });
  }
  if (!target.notNull || old?.notNull) return steps;
  if (target.default !== null && !ctx.filled.has(`${table}.${column}`)) {
    const nulls = old ? await countNulls(ctx, table, column) : (ctx.rowsAfter.get(table) ?? 0);
    if (nulls > 0) {
      steps.push({
        step: { action: 'fill', table, columns: [column], rows: nulls, how: `the default, ${target.default}` },
        phase: 'fill',
        table,
        countsRows: true,
        statements: [{ sql: `UPDATE ${tableRef(ctx, table)} SET ${col} = DEFAULT WHERE ${col} IS NULL` }],
      });
    }
  }
  steps.push({ step: { action: 'set-not-null', table, column }, phase: 'not-null', table, alter: `ALTER COLUMN ${col} SET NOT NULL` });
  return steps;
}

async function countNulls(ctx: PlanContext, table: string, column: string): Promise<number> {
  const { rows } = await ctx.tx.query<{ n: number }>(
    `SELECT count(*)::bigint AS n FROM ${tableRef(ctx, table)} t WHERE t.${ident(column)} IS NULL AND ${keptRowsWhere(ctx, table)}`,
  );
  return Number(rows[0]!.n);
}

/** Counts values and unreadable values of every conversion in one scan, then plans the type changes. */
async function planConversions(ctx: PlanContext, table: string, conversions: readonly PendingConversion[]): Promise<PlannedStep[]> {
  if (conversions.length === 0) return [];
  const terms = conversions.flatMap((c, i) => {
    const ref = `t.${ident(c.target.name)}`;
    return [
      `count(${ref})::bigint AS v${i}`,
      `count(*) FILTER (WHERE ${failedWhere(ref, c.counted)})::bigint AS f${i}`,
      c.valuesOnly ? `count(*) FILTER (WHERE (${c.counted.expr}) IS DISTINCT FROM ${ref})::bigint AS d${i}` : `0 AS d${i}`,
    ];
  });
  const { rows } = await ctx.tx.query<Record<string, number>>(
    `SELECT ${terms.join(', ')} FROM ${tableRef(ctx, table)} t WHERE ${keptRowsWhere(ctx, table)}`,
  );
  const counts = rows[0]!;
  const steps: PlannedStep[] = [];
  conversions.forEach((c, i) => {
    if (c.valuesOnly && Number(counts[`d${i}`]) === 0) return;
    const unconvertible = c.counted.canFail ? Number(counts[`f${i}`]) : 0;
    steps.push({
      step: {
        action: 'convert-column',
        table,
        column: c.target.name,
        from: c.from,
        to: c.target.type,
        values: Number(counts[`v${i}`]),
        unconvertible,
        how: c.counted.how,
      },
      phase: 'convert',
      table,
      statements: unconvertible > 0 ? [rejectStatement(ctx, table, c)] : [],
      alter: `ALTER COLUMN ${ident(c.target.name)} TYPE ${c.target.type} USING ${c.using.expr}`,
    });
  });
  return steps;
}

/**
 * A value the adoption cannot read is treated like one the loader cannot parse: the
 * column gets NULL, the original stays in `_raw`, and load_rejects records it with kind `value`.
 */
function rejectStatement(ctx: PlanContext, table: string, c: PendingConversion) {
  const view = roleOf(table).view;
  const ref = `t.${ident(c.target.name)}`;
  const keyColumns = view ? view.key : (targetOf(ctx, table).constraints.find((k) => k.kind === 'p')?.columns ?? []);
  const keyParts = keyColumns.map((k) => (hasColumn(ctx, table, k) ? `t.${ident(k)}::text` : 'NULL'));
  const field = view?.fields.find((f) => f.column === c.target.name)?.api ?? c.target.name;
  const shown = `to_json(CASE WHEN length(${ref}::text) > 40 THEN left(${ref}::text, 39) || '…' ELSE ${ref}::text END)::text`;
  return {
    sql: `INSERT INTO ${qualified(ctx.schema, 'load_rejects')} (run_id, view_name, source, record_key, kind, field, reason, raw_record)
          SELECT $1::text, $2::text, '${LEGACY_SOURCE}', ${keyParts.length ? `concat_ws(' | ', ${keyParts.join(', ')})` : 'NULL'}, 'value', $3::text,
                 $3::text || ': cannot convert ' || ${shown} || ' to ${c.target.type} while adopting the previous loader''s schema; stored NULL',
                 ${view ? 't._raw' : 'to_jsonb(t)'}
          FROM ${tableRef(ctx, table)} t WHERE ${failedWhere(ref, c.counted)}`,
    params: [ctx.runId, view?.name ?? table, field],
  };
}
