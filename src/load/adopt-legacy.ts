/**
 * Adopting the previous loader's hand-built schema, which `migrate` meets on a database the product did
 * not make: a code step, because what to do depends on each legacy column. In one transaction, under the
 * migration lock and a lock timeout, it converts the legacy tables in place into exactly what migrations
 * 001 and 002 create — read from those files, run into a scratch schema — and records both as applied,
 * so later migrations apply normally.
 * Other tools' columns, constraints and views are left as they are; views over converted columns are
 * recreated. `dryRun` plans with read-only queries and rolls back: no exclusive lock, nothing changed.
 */
import { randomUUID } from 'node:crypto';
import { LockHeldError, MigrationRequiredError } from '../errors.js';
import { qualified, sqlState, SQLSTATE, type Db, type Tx } from './db.js';
import type { Migration } from './migrate.js';
import { LOCK_TIMEOUT, MIGRATION_LOCK_KEY } from './migration-lock.js';
import { applyPlan } from './adopt/apply.js';
import { countRows, readCatalog, type Catalog } from './adopt/catalog.js';
import type { PlanContext } from './adopt/context.js';
import { planAdoption } from './adopt/plan.js';
import { createScratch, dropScratch, SCRATCH, withScratchPath } from './adopt/scratch.js';
import { PHASES, type AdoptionStep, type PlannedStep } from './adopt/adoption-steps.js';

/** Migrations whose result the adoption produces; later ones apply normally afterwards. */
export const ADOPTED_VERSIONS: readonly number[] = [1, 2];

export interface AdoptionReport {
  readonly dryRun: boolean;
  /** Lineage of the adopted rows (`_first_run_id`) and run_id of the values it could not convert in load_rejects. */
  readonly runId: string;
  readonly timezone: string;
  readonly lockTimeout: string;
  /** Tables locked ACCESS EXCLUSIVE for the whole transaction (not by a dry run). */
  readonly lockedTables: readonly string[];
  readonly tables: Record<string, { rowsBefore: number; rowsAfter: number; moved: number }>;
  readonly timesheetDuplicatesMoved: number;
  /** Values NULL after conversion; originals in `_raw` and load_rejects. */
  readonly unconvertibleValues: number;
  readonly steps: readonly AdoptionStep[];
  /** Why the adoption cannot run; `migrate` refuses while there are any. */
  readonly blockers: readonly string[];
  readonly migrationsRecorded: readonly string[];
}

/** Thrown inside the transaction to roll a dry run back; carries its report out. */
class DryRunDone {
  constructor(readonly report: AdoptionReport) {}
}

export async function adoptLegacySchema(
  db: Db,
  options: { schema: string; timezone: string; dryRun: boolean; migrations: readonly Migration[] },
): Promise<AdoptionReport | null> {
  const adopted = options.migrations.filter((m) => ADOPTED_VERSIONS.includes(m.version));
  try {
    return await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      // Another process may have adopted it while we waited for the lock.
      if ((await readCatalog(tx, options.schema)).has('schema_migrations')) return null;
      const report = await planAndApply(tx, options, adopted);
      if (options.dryRun) throw new DryRunDone(report);
      return report;
    });
  } catch (error) {
    if (error instanceof DryRunDone) return error.report;
    if (sqlState(error) === SQLSTATE.lockNotAvailable) {
      throw new LockHeldError(
        `could not lock the tables of schema ${options.schema} within ${LOCK_TIMEOUT}: other sessions (analysts' ` +
          'queries, dashboards) are using them. Nothing was changed. Run `otc-etl migrate` again when they are idle.',
        { cause: error },
      );
    }
    throw error;
  }
}

async function planAndApply(
  tx: Tx,
  options: { schema: string; timezone: string; dryRun: boolean },
  adopted: readonly Migration[],
): Promise<AdoptionReport> {
  const { schema } = options;
  await createScratch(tx, schema, options.timezone, adopted);
  const target = await withScratchPath(tx, schema, () => readCatalog(tx, SCRATCH));
  const owned = await ownedTables(tx, schema, target);
  // Taken before anything is read, so the plan describes exactly the rows it then changes.
  if (!options.dryRun) await lockTables(tx, schema, owned);
  const rowsBefore = await countRows(tx, schema, owned);
  const ctx: PlanContext = {
    tx,
    schema,
    runId: randomUUID(),
    legacy: await readCatalog(tx, schema),
    target,
    blockers: [],
    moving: new Map(),
    rowsAfter: new Map(Object.entries(rowsBefore)),
    filled: new Set(),
  };
  const planned = await planAdoption(ctx, adopted);
  if (ctx.blockers.length > 0 && !options.dryRun) {
    throw new MigrationRequiredError(
      `schema ${schema} cannot be adopted yet; nothing was changed: ${ctx.blockers.join('; ')}. ` +
        'See `otc-etl migrate --dry-run` for the whole plan.',
    );
  }
  if (!options.dryRun) {
    await applyPlan(tx, schema, planned);
    await dropScratch(tx);
  }
  const rowsAfter = options.dryRun ? Object.fromEntries(ctx.rowsAfter) : await countRows(tx, schema, owned);
  return reportOf(ctx, options, readingOrder(planned), { owned, rowsBefore, rowsAfter }, adopted);
}

/** Steps grouped by table, each table's in the order they run. */
function readingOrder(planned: readonly PlannedStep[]): AdoptionStep[] {
  const tables = [...new Set(planned.map((p) => p.table))];
  const rank = (p: PlannedStep) => tables.indexOf(p.table) * PHASES.length + PHASES.indexOf(p.phase);
  return [...planned].sort((a, b) => rank(a) - rank(b)).map((p) => p.step);
}

/** Legacy tables the target has too: the ones the adoption converts, and locks. */
async function ownedTables(tx: Tx, schema: string, target: Catalog): Promise<string[]> {
  const { rows } = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname = ANY ($2::text[]) ORDER BY 1`,
    [schema, [...target.values()].filter((r) => r.kind === 'r').map((r) => r.name)],
  );
  return rows.map((r) => r.name);
}

async function lockTables(tx: Tx, schema: string, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await tx.exec(`LOCK TABLE ${tables.map((t) => qualified(schema, t)).join(', ')} IN ACCESS EXCLUSIVE MODE`);
}

function reportOf(
  ctx: PlanContext,
  options: { timezone: string; dryRun: boolean },
  steps: AdoptionStep[],
  counts: { owned: readonly string[]; rowsBefore: Record<string, number>; rowsAfter: Record<string, number> },
  adopted: readonly Migration[],
): AdoptionReport {
  const moved = (table: string, reason?: string) =>
    steps.reduce((n, s) => n + (s.action === 'move-rows' && s.table === table && (!reason || s.reason === reason) ? s.rows : 0), 0);
  const tables: AdoptionReport['tables'] = {};
  for (const table of counts.owned) {
    tables[table] = { rowsBefore: counts.rowsBefore[table] ?? 0, rowsAfter: counts.rowsAfter[table] ?? 0, moved: moved(table) };
  }
  return {
    dryRun: options.dryRun,
    runId: ctx.runId,
    timezone: options.timezone,
    lockTimeout: LOCK_TIMEOUT,
    lockedTables: options.dryRun ? [] : counts.owned,
    tables,
    timesheetDuplicatesMoved: moved('timesheets', 'duplicate'),
    unconvertibleValues: steps.reduce((n, s) => n + (s.action === 'convert-column' ? s.unconvertible : 0), 0),
    steps,
    blockers: ctx.blockers,
    migrationsRecorded: adopted.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`),
  };
}
