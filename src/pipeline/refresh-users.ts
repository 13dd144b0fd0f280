/**
 * The user lookup refresh as the pipeline runs it: by `otc-etl users`, and at the end of a full sync
 * (all the views), where a failure is logged and reported but never fails the views already committed.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { refreshUserLookup, type UserLookupResult } from '../load/user-lookup-table.js';
import { listSome } from '../text-list.js';
import { errorMessage } from './error-text.js';

export type UserLookupOutcome =
  | { readonly status: 'success'; readonly result: UserLookupResult }
  | { readonly status: 'failed'; readonly error: string };

interface Deps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
}

/** Rebuilds the lookup and logs what it did; throws when the refresh as a whole fails. */
export async function refreshUsers(deps: Deps): Promise<UserLookupResult> {
  const result = await refreshUserLookup(deps.db, deps.config.schema);
  logResult(deps.log, result);
  return result;
}

/** The refresh after a full sync: its own transaction, its failure caught and logged. */
export async function refreshUsersAfterSync(deps: Deps): Promise<UserLookupOutcome> {
  try {
    return { status: 'success', result: await refreshUsers(deps) };
  } catch (error) {
    const message = errorMessage(error);
    deps.log.error({ err: message }, 'user lookup: refresh failed and was rolled back; the views loaded are not affected');
    return { status: 'failed', error: message };
  }
}

function logResult(log: Logger, r: UserLookupResult): void {
  const { added, updated, unchanged, manual } = r;
  log.info(
    { added, updated, unchanged, manual, ambiguous: r.ambiguous.length, legacy: r.legacy.length, failed: r.failed.length },
    'user lookup refreshed',
  );
  if (r.ambiguous.length > 0) {
    // Conflicting evidence is never resolved by a pick: a person adds a 'manual' row instead.
    log.warn(
      {
        count: r.ambiguous.length,
        ambiguous: listSome(r.ambiguous.map((a) => `${a.shortUsername}: ${listSome(a.fullNames).join(' | ')}`)),
      },
      'user lookup: usernames with more than one full name in the evidence (add a manual row to settle each)',
    );
  }
  const outranked = r.legacy.filter((l) => l.outrankedBy.length > 0);
  if (outranked.length > 0) {
    log.warn(
      {
        count: outranked.length,
        legacy: listSome(outranked.map((l) => `${l.shortUsername}: ${l.fullName} (evidence: ${l.outrankedBy.join(', ')})`)),
      },
      'user lookup: legacy rows without evidence are kept, but the logins the evidence gives the same full name win',
    );
  }
  if (r.failed.length > 0) {
    log.warn(
      { count: r.failed.length, failed: listSome(r.failed.map((f) => `${f.shortUsername}: ${f.error}`)) },
      'user lookup: rows refused by the database, left as they were',
    );
  }
}
