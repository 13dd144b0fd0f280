/** `otc-etl users`: rebuild the user lookup from the stored views and print what changed. */
import { EXIT, type ExitCode } from '../../errors.js';
import type { UserLookupResult } from '../../load/user-lookup.js';
import { withRunLock } from '../../pipeline/guard.js';
import { refreshUsers } from '../../pipeline/user-lookup.js';
import { withDb, type Runtime } from '../runtime.js';

/** One line of counts, also printed at the end of a full sync. */
export function userLookupSummary(r: UserLookupResult): string {
  return (
    `user lookup: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.manual} manual kept, ` +
    `${r.ambiguous.length} ambiguous${r.failed.length > 0 ? `, ${r.failed.length} refused` : ''}`
  );
}

export function userLookupText(r: UserLookupResult): string {
  const lines = [userLookupSummary(r)];
  if (r.ambiguous.length > 0) {
    lines.push('ambiguous: more than one full name in the evidence (get_full_name gives NULL; add a manual row to settle):');
    for (const a of r.ambiguous) lines.push(`  ${a.shortUsername}: ${a.fullNames.join(' | ')}`);
  }
  if (r.sharedFullNames.length > 0) {
    lines.push('full names shared by several usernames (get_short_username gives NULL):');
    for (const s of r.sharedFullNames) lines.push(`  ${s.fullName}: ${s.shortUsernames.join(', ')}`);
  }
  if (r.failed.length > 0) {
    lines.push('refused by the database and left as they were:');
    for (const f of r.failed) lines.push(`  ${f.shortUsername}: ${f.error}`);
  }
  return lines.join('\n');
}

export async function usersCommand(rt: Runtime): Promise<ExitCode> {
  return withDb(rt.config, async (db) => {
    const deps = { db, config: rt.config, log: rt.log };
    const result = await withRunLock(deps, 'users', { autoMigrate: false }, () => refreshUsers(deps));
    rt.print(result, () => userLookupText(result));
    return EXIT.ok;
  });
}
