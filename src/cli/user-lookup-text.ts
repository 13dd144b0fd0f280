/** The user lookup refresh in words: `otc-etl users` prints it all, a full sync its summary line. */
import type { UserLookupResult } from '../load/user-lookup-table.js';
import { listSome } from '../text-list.js';

/** One line of counts, also printed at the end of a full sync. */
export function userLookupSummary(r: UserLookupResult): string {
  return (
    `user lookup: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.manual} manual kept, ` +
    `${r.ambiguous.length} ambiguous${r.legacy.length > 0 ? `, ${r.legacy.length} legacy` : ''}${r.failed.length > 0 ? `, ${r.failed.length} refused` : ''}`
  );
}

/** Lines of a section; a long one ends with a count of the rest (`--json` has them all). */
const TEXT_MAX_LINES = 50;

function section(title: string, items: readonly string[]): string[] {
  if (items.length === 0) return [];
  const shown = listSome(items, TEXT_MAX_LINES).map((item) => `  ${item}`);
  if (items.length > TEXT_MAX_LINES) shown[shown.length - 1] += ' (all of them with --json)';
  return [title, ...shown];
}

export function userLookupText(r: UserLookupResult): string {
  return [
    userLookupSummary(r),
    ...section(
      'ambiguous: more than one full name in the evidence (get_full_name gives NULL; add a manual row to settle):',
      r.ambiguous.map((a) => `${a.shortUsername}: ${listSome(a.fullNames).join(' | ')}`),
    ),
    ...section(
      'full names shared by several usernames (get_short_username gives NULL):',
      r.sharedFullNames.map((s) => `${s.fullName}: ${listSome(s.shortUsernames).join(', ')}`),
    ),
    ...section(
      'legacy: rows no evidence supports, kept (get_short_username prefers the evidence where it names the same person):',
      r.legacy.map(
        (l) => `${l.shortUsername}: ${l.fullName}${l.outrankedBy.length ? ` (evidence: ${listSome(l.outrankedBy).join(', ')})` : ''}`,
      ),
    ),
    ...section(
      'refused by the database and left as they were:',
      r.failed.map((f) => `${f.shortUsername}: ${f.error}`),
    ),
  ].join('\n');
}
