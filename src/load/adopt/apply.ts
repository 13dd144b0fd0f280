/**
 * Runs a plan phase by phase. Within a phase, each table's statements run first, then all its ALTER
 * TABLE clauses as one statement, so a table is rewritten once for all its type changes.
 */
import { qualified, type Tx } from '../db.js';
import { PHASES, type PlannedStep } from './adoption-steps.js';

export async function applyPlan(tx: Tx, schema: string, planned: readonly PlannedStep[]): Promise<void> {
  for (const phase of PHASES) {
    const inPhase = planned.filter((p) => p.phase === phase);
    const tables = [...new Set(inPhase.map((p) => p.table))];
    for (const table of tables) {
      const mine = inPhase.filter((p) => p.table === table);
      for (const p of mine) await runStep(tx, p);
      const clauses = mine.flatMap((p) => (p.alter ? [p.alter] : []));
      if (clauses.length > 0) await tx.exec(`ALTER TABLE ${qualified(schema, table)}\n  ${clauses.join(',\n  ')}`);
    }
  }
}

async function runStep(tx: Tx, planned: PlannedStep): Promise<void> {
  if (planned.run) await planned.run(tx);
  for (const [i, statement] of (planned.statements ?? []).entries()) {
    const result = await tx.query(statement.sql, statement.params ?? []);
    // The plan counted these rows while reading; report what the statement really did.
    if (i === 0 && planned.countsRows && 'rows' in planned.step) planned.step.rows = result.rowCount;
  }
}
