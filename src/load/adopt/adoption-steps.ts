/**
 * The adoption plan: every step it takes, as data (printed by `migrate --dry-run`, returned by
 * `--json`) together with the SQL that carries it out. Steps run phase by phase; within a phase, each
 * table's statements run first, then its ALTER TABLE clauses as one statement (one table rewrite).
 */
import type { Tx } from '../db.js';

export type AdoptionStep =
  | { action: 'create-table'; table: string }
  | { action: 'drop-view'; view: string; then: 'recreate' | 'replace' }
  | { action: 'drop-constraint'; table: string; name: string; definition: string; why: string }
  | { action: 'drop-index'; table: string; name: string; definition: string; why: string }
  | { action: 'drop-default'; table: string; column: string; default: string }
  | { action: 'drop-not-null'; table: string; column: string }
  | { action: 'move-rows'; table: string; into: string; rows: number; reason: string; kept: string }
  | { action: 'add-column'; table: string; column: string; type: string }
  | { action: 'fill'; table: string; columns: string[]; rows: number; how: string }
  | {
      action: 'convert-column';
      table: string;
      column: string;
      from: string;
      to: string;
      values: number;
      unconvertible: number;
      how: string;
    }
  | { action: 'map-values'; table: string; column: string; from: string | null; to: string; rows: number }
  | { action: 'set-default'; table: string; column: string; default: string }
  | { action: 'set-not-null'; table: string; column: string }
  | { action: 'add-constraint'; table: string; name: string; definition: string }
  | { action: 'create-index'; table: string; name: string; definition: string }
  | { action: 'create-view'; view: string }
  | { action: 'recreate-view'; view: string }
  | { action: 'record-migrations'; migrations: string[] };

export const PHASES = [
  'create', // tables the legacy schema lacks, moved in from the scratch schema
  'detach', // dependent views, conflicting constraints and indexes, defaults that block a type change
  'move', // duplicates and rows without a usable key, to the side tables
  'add', // missing columns
  'raw', // _raw and lineage from the legacy values, before any value is converted
  'convert', // value errors to load_rejects, then the type changes
  'default', // defaults and generated columns
  'fill', // values for NOT NULL columns, legacy values mapped to the product's
  'not-null',
  'constrain', // constraints and indexes
  'views',
  'record', // schema_migrations
] as const;

export type Phase = (typeof PHASES)[number];

export interface Statement {
  readonly sql: string;
  readonly params?: readonly unknown[];
}

export interface PlannedStep {
  readonly step: AdoptionStep;
  readonly phase: Phase;
  /** The table whose ALTER TABLE receives `alter`, or the object the statements work on. */
  readonly table: string;
  readonly statements?: readonly Statement[];
  /** Custom work (view re-creation with its fallbacks). */
  readonly run?: (tx: Tx) => Promise<void>;
  /** One clause of `ALTER TABLE table …`. */
  readonly alter?: string;
  /** The first statement's row count is the step's true `rows` (moves, fills). */
  readonly countsRows?: boolean;
}

const q = (name: string) => `"${name}"`;

/** One line of the human-readable plan. */
export function describeStep(step: AdoptionStep): string {
  switch (step.action) {
    case 'create-table':
      return `${step.table}: create the table (missing)`;
    case 'drop-view':
      return `${step.view}: drop the view, then ${step.then === 'recreate' ? 'recreate it on the new column types' : "replace it with the product's"}`;
    case 'drop-constraint':
      return `${step.table}: drop constraint ${step.name} ${step.definition} (${step.why})`;
    case 'drop-index':
      return `${step.table}: drop index ${step.name} (${step.why})`;
    case 'drop-default':
      return `${step.table}: drop the default of ${q(step.column)} (${step.default})`;
    case 'drop-not-null':
      return `${step.table}: allow NULL in ${q(step.column)}`;
    case 'move-rows':
      return step.reason === 'duplicate'
        ? `${step.table}: move ${step.rows} duplicate row(s) to ${step.into} (kept: ${step.kept})`
        : `${step.table}: move ${step.rows} row(s) with ${step.reason} to ${step.into}`;
    case 'add-column':
      return `${step.table}: add column ${q(step.column)} ${step.type}`;
    case 'fill':
      return `${step.table}: fill ${step.columns.map(q).join(', ')} in ${step.rows} row(s): ${step.how}`;
    case 'convert-column':
      return (
        `${step.table}: convert ${q(step.column)} ${step.from} → ${step.to} (${step.how}; ${step.values} value(s), ` +
        `${step.unconvertible} cannot be converted${step.unconvertible ? ': NULL, original kept in load_rejects' : ''})`
      );
    case 'map-values':
      return `${step.table}: ${q(step.column)} ${step.from === null ? 'NULL' : `'${step.from}'`} → '${step.to}' in ${step.rows} row(s)`;
    case 'set-default':
      return `${step.table}: set the default of ${q(step.column)} to ${step.default}`;
    case 'set-not-null':
      return `${step.table}: make ${q(step.column)} NOT NULL`;
    case 'add-constraint':
      return `${step.table}: add constraint ${step.name} ${step.definition}`;
    case 'create-index':
      return `${step.table}: create index ${step.name}`;
    case 'create-view':
      return `${step.view}: create the view`;
    case 'recreate-view':
      return `${step.view}: recreate the view`;
    case 'record-migrations':
      return `schema_migrations: record ${step.migrations.join(', ')} as applied`;
  }
}
