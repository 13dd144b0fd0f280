/**
 * How `sync`, `reprocess`, `import` and `demo` show what each view's load did: its counts as JSON and as
 * a table row, and the exit code (1 when a view failed or was stopped, else 0).
 */
import { EXIT, type ExitCode } from '../errors.js';
import type { ViewOutcome } from '../pipeline/load-view.js';
import { table } from './format.js';

export function outcomeJson(o: ViewOutcome): Record<string, unknown> {
  return {
    status: o.status,
    fetched: o.counts.fetched,
    inserted: o.counts.inserted,
    updated: o.counts.updated,
    unchanged: o.counts.unchanged,
    rejected: o.counts.rejected,
    duplicates: o.counts.duplicates,
    valueErrors: o.counts.valueErrors,
    removed: o.counts.removed,
    cursor: o.cursor,
    fieldsNew: o.fieldsNew,
    fieldsMissing: o.fieldsMissing,
    error: o.error,
  };
}

/** Column headers of a view's counts in text output (sync, reprocess, import). */
export const OUTCOME_HEADERS = [
  'view',
  'status',
  'fetched',
  'inserted',
  'updated',
  'unchanged',
  'rejected',
  'duplicates',
  'value errors',
  'removed',
];

/** One view's counts as table cells, in OUTCOME_HEADERS order. */
export function outcomeCells(o: ViewOutcome): Array<string | number> {
  const c = o.counts;
  return [o.view, o.status, c.fetched, c.inserted, c.updated, c.unchanged, c.rejected, c.duplicates, c.valueErrors, c.removed];
}

export function outcomesTable(outcomes: readonly ViewOutcome[]): string {
  return table(OUTCOME_HEADERS, outcomes.map(outcomeCells));
}

/** The views whose load did not commit: failed, or stopped by a signal. */
export function unloadedOutcomes<T extends Pick<ViewOutcome, 'status'>>(outcomes: readonly T[]): T[] {
  return outcomes.filter((o) => o.status === 'failed' || o.status === 'cancelled');
}

export function exitCodeOf(outcomes: readonly Pick<ViewOutcome, 'status'>[]): ExitCode {
  return unloadedOutcomes(outcomes).length > 0 ? EXIT.failed : EXIT.ok;
}
