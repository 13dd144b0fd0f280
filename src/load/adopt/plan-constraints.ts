/**
 * Constraints and indexes: the target's are added (primary keys, timesheets_unique_entry,
 * timesheets_key_unique, checks, the analysts' indexes); legacy ones over the product's columns that
 * contradict the contract (user_lookup's unique full_name, foreign keys that would refuse orphans,
 * checks) are dropped. Constraints and indexes that involve other tools' columns are left alone.
 */
import { ident, qualified } from '../db.js';
import { columnOf } from './catalog.js';
import { legacyOf, targetOf, type PlanContext } from './context.js';
import type { PlannedStep } from './adoption-steps.js';

const WHY_DROP: Record<string, string> = {
  p: 'the primary key moves to the key the product uses',
  u: 'a uniqueness the product does not keep',
  c: 'a check the product does not have',
  f: 'a foreign key: the product keeps rows whose ticket is not loaded yet',
  x: 'an exclusion the product does not have',
};

export function planConstraints(ctx: PlanContext, table: string): PlannedStep[] {
  const legacy = legacyOf(ctx, table);
  const target = targetOf(ctx, table);
  const owned = (columns: readonly string[]) => columns.length > 0 && columns.every((c) => columnOf(target, c) !== undefined);
  const steps: PlannedStep[] = [];

  for (const old of legacy.constraints) {
    const same = target.constraints.find((c) => c.name === old.name);
    if (same?.definition === old.definition) continue;
    const primaryElsewhere = old.kind === 'p' && !owned(old.columns);
    if (!same && !owned(old.columns) && !primaryElsewhere) continue;
    const why = same ? "replaced by the product's definition" : (WHY_DROP[old.kind] ?? 'not part of the product');
    steps.push({
      step: { action: 'drop-constraint', table, name: old.name, definition: old.definition, why },
      phase: 'detach',
      table,
      alter: `DROP CONSTRAINT ${ident(old.name)}`,
    });
    // Another tool's primary key keeps its uniqueness (and its name) as a unique constraint.
    if (primaryElsewhere) {
      const definition = `UNIQUE (${old.columns.map(ident).join(', ')})`;
      steps.push({
        step: { action: 'add-constraint', table, name: old.name, definition },
        phase: 'constrain',
        table,
        alter: `ADD CONSTRAINT ${ident(old.name)} ${definition}`,
      });
    }
  }

  for (const old of legacy.indexes) {
    if (old.backsConstraint) continue;
    const same = target.indexes.find((i) => i.name === old.name);
    if (same?.definition === old.definition) continue;
    if (!same && !(old.unique && owned(old.columns))) continue;
    steps.push({
      step: {
        action: 'drop-index',
        table,
        name: old.name,
        definition: old.definition,
        why: same ? "replaced by the product's definition" : WHY_DROP.u!,
      },
      phase: 'detach',
      table,
      statements: [{ sql: `DROP INDEX ${qualified(ctx.schema, old.name)}` }],
    });
  }

  for (const wanted of target.constraints) {
    if (legacy.constraints.find((c) => c.name === wanted.name)?.definition === wanted.definition) continue;
    steps.push({
      step: { action: 'add-constraint', table, name: wanted.name, definition: wanted.definition },
      phase: 'constrain',
      table,
      alter: `ADD CONSTRAINT ${ident(wanted.name)} ${wanted.definition}`,
    });
  }

  for (const wanted of target.indexes) {
    if (wanted.backsConstraint) continue;
    if (legacy.indexes.find((i) => i.name === wanted.name)?.definition === wanted.definition) continue;
    // The definition names the table without its schema; the target schema is first on the search_path.
    steps.push({
      step: { action: 'create-index', table, name: wanted.name, definition: wanted.definition },
      phase: 'constrain',
      table,
      statements: [{ sql: wanted.definition }],
    });
  }
  return steps;
}
