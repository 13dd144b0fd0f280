/** The state model's words for operators: lists of names, ages, run summaries, what orphans mean. */
import { type SourceKind, storedKind } from '../load/source-kind.js';
import { getView, type ViewName } from '../registry.js';
import type { RunSummary } from './view-state.js';

/** Names one line lists at most; the rest are counted. */
export const MAX_NAMES_IN_LINE = 30;

const DAY_S = 86_400;

/** `a, b, c and 12 more`: a list of names one line can hold. */
export function nameList(names: readonly string[], max = MAX_NAMES_IN_LINE): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

const RUN_WORDS: Readonly<Record<SourceKind, (source: string) => string>> = {
  api: () => 'API sync',
  reprocess: () => 'reprocess',
  file: (source) => `import of ${source}`,
};

/** What a stored run was, by its source: `API sync`, `reprocess`, or `import of export.csv`. */
export function runKindWords(source: string): string {
  return RUN_WORDS[storedKind(source)](source);
}

/** `45s`, `12m`, `5.5h`, `3.2d`. */
export function ageText(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / DAY_S).toFixed(1)}d`;
}

/** Timesheets reach back 18 months, tickets only ~10 days: most timesheet orphans are expected. */
export function orphanMessage(view: ViewName, count: number): string {
  const tickets = getView('tickets').windowDays;
  const reach = getView(view).windowDays;
  const expected = reach > tickets ? `; ${view} reach back ${reach} days, so most of these are expected` : '';
  return (
    `${count} ${view} rows refer to a ticket that is not in tickets: the tickets view returns only tickets modified ` +
    `in the last ${tickets} days, so an older ticket reaches the copy only from a ticket export${expected}. ` +
    '`otc-etl import` of a ticket export fills them in'
  );
}

/** A run's counts in words: `500 records read: 12 new, 3 updated, 485 unchanged`. */
export function runInWords(run: Pick<RunSummary, 'status' | 'counts'>): string {
  const c = run.counts;
  const read = `${c.fetched} record${c.fetched === 1 ? '' : 's'} read`;
  const extra: string[] = [];
  if (c.rejected) extra.push(`${c.rejected} rejected`);
  if (c.duplicates) extra.push(`${c.duplicates} duplicate${c.duplicates === 1 ? '' : 's'}`);
  if (c.valueErrors) extra.push(`${c.valueErrors} value${c.valueErrors === 1 ? '' : 's'} stored as NULL`);
  if (run.status === 'failed' || run.status === 'cancelled' || run.status === 'running') {
    return `${read}, nothing stored${extra.length ? ` (${extra.join(', ')})` : ''}`;
  }
  const parts = [
    `${c.inserted} new`,
    `${c.updated} updated`,
    `${c.unchanged} unchanged`,
    ...(c.removed ? [`${c.removed} removed`] : []),
    ...extra,
  ];
  return `${read}: ${parts.join(', ')}`;
}
