/** What every part of the adoption planner shares. */
import { ident, qualified, type Tx } from '../db.js';
import { columnOf, type Catalog, type RelationInfo } from './catalog.js';
import { conversionOf } from './convert.js';
import { roleOf } from './roles.js';

export interface PlanContext {
  readonly tx: Tx;
  readonly schema: string;
  /** The adoption's run id: lineage of the adopted rows and run_id of its load_rejects. */
  readonly runId: string;
  readonly legacy: Catalog;
  /** The scratch schema holding what migrations 001 and 002 create. */
  readonly target: Catalog;
  /** Reasons the adoption cannot go ahead; `migrate` refuses and changes nothing. */
  readonly blockers: string[];
  /** Per table, the temp table listing the rows (by ctid) that move to the side table. */
  readonly moving: Map<string, string>;
  /** Rows per table once the moves are done. */
  readonly rowsAfter: Map<string, number>;
  /** `table.column` given values by a table-specific step, which the generic NOT NULL fill leaves alone. */
  readonly filled: Set<string>;
}

export function legacyOf(ctx: PlanContext, table: string): RelationInfo {
  return ctx.legacy.get(table)!;
}

export function targetOf(ctx: PlanContext, table: string): RelationInfo {
  return ctx.target.get(table)!;
}

export function tableRef(ctx: PlanContext, table: string): string {
  return qualified(ctx.schema, table);
}

/** The target value of a legacy column, as an expression over the row alias `t` (NULL when missing). */
export function convertedRef(ctx: PlanContext, table: string, column: string): string {
  const legacy = columnOf(legacyOf(ctx, table), column);
  const target = columnOf(targetOf(ctx, table), column);
  const ref = `t.${ident(column)}`;
  if (!legacy) return target ? `NULL::${target.type}` : 'NULL';
  if (!target) return ref;
  return conversionOf(ref, legacy.type, target.type, roleOf(table).semantic(column))?.expr ?? ref;
}

/** Rows that stay in the table (not moved to the side table). */
export function keptRowsWhere(ctx: PlanContext, table: string): string {
  const moving = ctx.moving.get(table);
  return moving ? `NOT EXISTS (SELECT 1 FROM ${moving} m WHERE m.row_ctid = t.ctid)` : 'true';
}

export function hasColumn(ctx: PlanContext, table: string, column: string): boolean {
  return columnOf(legacyOf(ctx, table), column) !== undefined;
}
