/** Builds the whole adoption plan: every table of the target, then the views, then the record. */
import type { Migration } from '../migrate.js';
import type { PlanContext } from './context.js';
import { SCRATCH } from './scratch.js';
import { planColumns } from './plan-columns.js';
import { planConstraints } from './plan-constraints.js';
import { planFills } from './plan-fills.js';
import { planMoves, planRawAndLineage } from './plan-rows.js';
import { planViews } from './plan-views.js';
import type { PlannedStep } from './adoption-steps.js';
import { ident, qualified } from '../db.js';
import { SCHEMA_MIGRATIONS_DDL } from '../migration-lock.js';

export async function planAdoption(ctx: PlanContext, adopted: readonly Migration[]): Promise<PlannedStep[]> {
  const planned: PlannedStep[] = [];
  const tables = [...ctx.target.values()]
    .filter((r) => r.kind === 'r')
    .map((r) => r.name)
    .sort();
  for (const table of tables) {
    const legacy = ctx.legacy.get(table);
    if (!legacy) {
      planned.push(createTable(ctx, table));
      continue;
    }
    if (legacy.kind !== 'r') {
      ctx.blockers.push(`${table} exists but is not a table`);
      continue;
    }
    // Order matters for planning only: moves decide which rows the counts see; table-specific fills
    // claim their columns before the generic NOT NULL fill.
    planned.push(...(await planMoves(ctx, table)));
    planned.push(...planRawAndLineage(ctx, table));
    planned.push(...(await planFills(ctx, table)));
    planned.push(...(await planColumns(ctx, table)));
    planned.push(...planConstraints(ctx, table));
  }
  const converted = [...new Set(planned.filter((p) => p.step.action === 'convert-column').map((p) => p.table))];
  planned.push(...(await planViews(ctx, converted)));
  planned.push(recordMigrations(ctx, adopted));
  return planned;
}

/** A table the legacy schema lacks is moved in from the scratch schema: exactly what 001/002 create. */
function createTable(ctx: PlanContext, table: string): PlannedStep {
  return {
    step: { action: 'create-table', table },
    phase: 'create',
    table,
    statements: [{ sql: `ALTER TABLE ${SCRATCH}.${ident(table)} SET SCHEMA ${ident(ctx.schema)}` }],
  };
}

/** The adopted schema is what these migrations produce, so they are recorded with their checksums. */
function recordMigrations(ctx: PlanContext, adopted: readonly Migration[]): PlannedStep {
  const names = adopted.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`);
  const table = qualified(ctx.schema, 'schema_migrations');
  return {
    step: { action: 'record-migrations', migrations: names },
    phase: 'record',
    table: 'schema_migrations',
    statements: [
      // The target schema is first on the search_path.
      { sql: SCHEMA_MIGRATIONS_DDL },
      ...adopted.map((m) => ({
        sql: `INSERT INTO ${table} (version, name, checksum) VALUES ($1, $2, $3)`,
        params: [m.version, m.name, m.checksum],
      })),
    ],
  };
}
