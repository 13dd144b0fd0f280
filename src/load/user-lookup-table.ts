/**
 * The user lookup (`user_lookup`): short username ↔ full name ↔ user id, rebuilt from exact evidence in
 * the stored views, set-based, in one transaction:
 *
 * - a timesheet row carries a short login (`TS-User Username`) with its full name (`TS-User Full Name`);
 * - a comment carries a short login (`user_name`) with its user id (`user_id`);
 * - a ticket carries a user id with a full name (assignee and creator), linked to a comment's short
 *   login by equal user ids.
 *
 * Values are compared exactly (outer spaces trimmed, case kept); nothing is matched by substring, so
 * `lee` is never taken for `kleeman`. A short username the evidence gives two full names is marked
 * ambiguous (full_name NULL), never resolved by picking one. `manual` rows are never written. A row
 * without evidence is kept but marked `legacy`, and evidence for the same full name outranks it; a
 * non-manual row the evidence contradicts (a wrong guess left by the previous loader) is corrected.
 */
import { scrub } from '../log.js';
import { qualified, sqlState, type Db, type Tx } from './db.js';

export interface AmbiguousUser {
  readonly shortUsername: string;
  readonly fullNames: readonly string[];
}

export interface SharedFullName {
  readonly fullName: string;
  readonly shortUsernames: readonly string[];
}

/** A non-manual row whose full name no evidence supports (a legacy guess), kept but outranked by evidence. */
export interface LegacyUser {
  readonly shortUsername: string;
  readonly fullName: string;
  /** Logins that evidence (or a manual row) ties to the same full name: get_short_username returns those. */
  readonly outrankedBy: readonly string[];
}

export interface FailedUser {
  readonly shortUsername: string;
  readonly error: string;
}

export interface UserLookupResult {
  /** Rows added for short usernames seen for the first time. */
  readonly added: number;
  /** Non-manual rows whose full name, user id, source or ambiguity changed. */
  readonly updated: number;
  /** Non-manual rows left as they were (evidence agrees, or there is none). */
  readonly unchanged: number;
  /** Manual rows, all kept whatever the evidence says. */
  readonly manual: number;
  /** Short usernames the evidence gives more than one full name (get_full_name returns NULL). */
  readonly ambiguous: readonly AmbiguousUser[];
  /** Full names held by several short usernames (get_short_username returns NULL). */
  readonly sharedFullNames: readonly SharedFullName[];
  /** Rows the database refused (e.g. a constraint another tool added); left as they were. */
  readonly failed: readonly FailedUser[];
  /** Rows no evidence supports (marked `legacy`): kept and shown, never preferred to evidence. */
  readonly legacy: readonly LegacyUser[];
}

/** The changes the evidence asks for, one per short username; dropped at commit. */
const CHANGES = 'user_lookup_changes';
/** What the evidence says per short username (full names, user ids, strongest source); dropped at commit. */
const EVIDENCE = 'user_lookup_evidence';

function evidenceSql(schema: string): string {
  const t = (name: string) => qualified(schema, name);
  // Strength orders the sources when several support a name: a timesheet pairs login and name
  // directly; a ticket's name reaches a login only through a comment's user id; a comment alone
  // gives no name at all.
  return `
    CREATE TEMP TABLE ${EVIDENCE} ON COMMIT DROP AS
    WITH comment_logins AS (
      SELECT DISTINCT btrim(user_name) AS short_username, user_id
      FROM ${t('comments')}
      WHERE user_id IS NOT NULL AND btrim(user_name) <> ''
    ), ticket_names AS (
      SELECT DISTINCT user_id, full_name FROM (
        SELECT "TKT-Assigned To Userid" AS user_id, btrim("TKT-Assigned To User") AS full_name FROM ${t('tickets')}
        UNION ALL
        SELECT "TKT-Created By Userid", btrim("TKT-Created By User") FROM ${t('tickets')}
      ) named
      WHERE user_id IS NOT NULL AND full_name <> '' AND full_name <> 'PendingAssignment'
    ), evidence AS (
      SELECT DISTINCT btrim("TS-User Username") AS short_username, btrim("TS-User Full Name") AS full_name,
             NULL::bigint AS user_id, 'timesheets' AS source, 1 AS strength
      FROM ${t('timesheets')}
      WHERE btrim("TS-User Username") <> '' AND btrim("TS-User Full Name") <> ''
      UNION ALL
      SELECT c.short_username, n.full_name, c.user_id, 'tickets', 2
      FROM comment_logins c JOIN ticket_names n ON n.user_id = c.user_id
      UNION ALL
      SELECT short_username, NULL, user_id, 'comments', 3 FROM comment_logins
    )
    SELECT short_username,
           coalesce(array_agg(DISTINCT full_name COLLATE "C" ORDER BY full_name COLLATE "C")
                      FILTER (WHERE full_name IS NOT NULL), '{}') AS full_names,
           coalesce(array_agg(DISTINCT user_id ORDER BY user_id) FILTER (WHERE user_id IS NOT NULL), '{}') AS user_ids,
           (array_agg(source ORDER BY strength))[1] AS source
    FROM evidence
    GROUP BY short_username;

    CREATE TEMP TABLE ${CHANGES} ON COMMIT DROP AS
    WITH proposed AS (
      -- No evidence for a part keeps what is stored; conflicting evidence gives NULL, never a pick.
      SELECT p.short_username,
             CASE cardinality(p.full_names) WHEN 0 THEN u.full_name WHEN 1 THEN p.full_names[1] END AS full_name,
             CASE cardinality(p.user_ids) WHEN 0 THEN u.user_id WHEN 1 THEN p.user_ids[1] END AS user_id,
             CASE WHEN cardinality(p.full_names) = 0 THEN coalesce(u.source, p.source) ELSE p.source END AS source,
             CASE WHEN cardinality(p.full_names) > 1 THEN p.full_names::text[] END AS ambiguous_full_names,
             u.id AS existing_id,
             u.full_name AS old_full_name, u.user_id AS old_user_id, u.source AS old_source,
             u.ambiguous_full_names AS old_ambiguous
      FROM ${EVIDENCE} p
      LEFT JOIN ${t('user_lookup')} u ON u.short_username = p.short_username
      WHERE u.source IS DISTINCT FROM 'manual'
    )
    SELECT short_username, full_name, user_id, source, ambiguous_full_names,
           CASE WHEN existing_id IS NULL THEN 'insert' ELSE 'update' END AS action
    FROM proposed
    WHERE existing_id IS NULL
       OR (full_name, user_id, source, ambiguous_full_names)
          IS DISTINCT FROM (old_full_name, old_user_id, old_source, old_ambiguous)`;
}

/**
 * Applies the changes, all of them or — with `only` — one short username's. The manual guard is
 * repeated here so a row made manual since the changes were computed is still never written.
 */
async function applyChanges(tx: Tx, schema: string, only: string | null): Promise<{ added: number; updated: number }> {
  const lookup = qualified(schema, 'user_lookup');
  const updated = await tx.query(
    `UPDATE ${lookup} u
     SET full_name = c.full_name, user_id = c.user_id, source = c.source,
         ambiguous_full_names = c.ambiguous_full_names, updated_at = now()
     FROM ${CHANGES} c
     WHERE c.action = 'update' AND u.short_username = c.short_username AND u.source <> 'manual'
       AND ($1::text IS NULL OR c.short_username = $1)`,
    [only],
  );
  const added = await tx.query(
    `INSERT INTO ${lookup} (short_username, full_name, user_id, source, ambiguous_full_names)
     SELECT short_username, full_name, user_id, source, ambiguous_full_names
     FROM ${CHANGES}
     WHERE action = 'insert' AND ($1::text IS NULL OR short_username = $1)`,
    [only],
  );
  return { added: added.rowCount, updated: updated.rowCount };
}

/**
 * One set-based statement pair normally. If the database refuses it (a constraint or trigger another
 * tool added trips on one row), the changes are applied one short username at a time instead, so one
 * bad row is reported and the rest still land.
 */
async function applyAll(tx: Tx, schema: string): Promise<{ added: number; updated: number; failed: FailedUser[] }> {
  await tx.query('SAVEPOINT user_lookup_all');
  try {
    const counts = await applyChanges(tx, schema, null);
    await tx.query('RELEASE SAVEPOINT user_lookup_all');
    return { ...counts, failed: [] };
  } catch {
    await tx.query('ROLLBACK TO SAVEPOINT user_lookup_all');
  }
  const { rows } = await tx.query<{ short_username: string }>(`SELECT short_username FROM ${CHANGES} ORDER BY 1`);
  const total = { added: 0, updated: 0, failed: [] as FailedUser[] };
  for (const { short_username: shortUsername } of rows) {
    await tx.query('SAVEPOINT user_lookup_row');
    try {
      const counts = await applyChanges(tx, schema, shortUsername);
      await tx.query('RELEASE SAVEPOINT user_lookup_row');
      total.added += counts.added;
      total.updated += counts.updated;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT user_lookup_row');
      total.failed.push({ shortUsername, error: describe(error) });
    }
  }
  return total;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = sqlState(error);
  return scrub(code ? `${text} (SQLSTATE ${code})` : text);
}

/**
 * Marks the non-manual rows whose full name no evidence gives their login as legacy (and clears the mark
 * once evidence appears). Such a row is a guess — the previous loader matched last names by substring —
 * and must not make an evidence-backed login ambiguous: get_short_username passes it over when another
 * row with evidence has the name.
 */
async function markLegacy(tx: Tx, schema: string): Promise<void> {
  const lookup = qualified(schema, 'user_lookup');
  await tx.query(
    `UPDATE ${lookup} u SET legacy = m.legacy
     FROM (
       SELECT r.id, (r.full_name IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM ${EVIDENCE} e WHERE e.short_username = r.short_username AND cardinality(e.full_names) > 0)) AS legacy
       FROM ${lookup} r WHERE r.source <> 'manual'
     ) m
     WHERE u.id = m.id AND u.legacy IS DISTINCT FROM m.legacy`,
  );
}

async function readReport(tx: Tx, schema: string) {
  const lookup = qualified(schema, 'user_lookup');
  const { rows: counts } = await tx.query<{ manual: number; other: number }>(
    `SELECT count(*) FILTER (WHERE source = 'manual')::int AS manual,
            count(*) FILTER (WHERE source <> 'manual')::int AS other
     FROM ${lookup}`,
  );
  const { rows: ambiguous } = await tx.query<{ short_username: string; names: string[] }>(
    `SELECT short_username, ambiguous_full_names AS names FROM ${lookup}
     WHERE ambiguous_full_names IS NOT NULL AND source <> 'manual'
     ORDER BY short_username COLLATE "C"`,
  );
  // The rows get_short_username weighs: a legacy row only where no evidence-backed row has its name.
  const weighed = `
    SELECT u.full_name, u.short_username FROM ${lookup} u
    WHERE u.full_name IS NOT NULL AND u.short_username IS NOT NULL
      AND (NOT u.legacy OR NOT EXISTS (
        SELECT 1 FROM ${lookup} e WHERE e.full_name = u.full_name AND e.short_username IS NOT NULL AND NOT e.legacy))`;
  const { rows: shared } = await tx.query<{ full_name: string; logins: string[] }>(
    `SELECT full_name, array_agg(short_username ORDER BY short_username COLLATE "C") AS logins
     FROM (${weighed}) w
     GROUP BY full_name HAVING count(*) > 1
     ORDER BY full_name COLLATE "C"`,
  );
  const { rows: legacy } = await tx.query<{ short_username: string; full_name: string; outranked_by: string[] }>(
    `SELECT u.short_username, u.full_name,
            coalesce(array_agg(e.short_username ORDER BY e.short_username COLLATE "C") FILTER (WHERE e.id IS NOT NULL), '{}') AS outranked_by
     FROM ${lookup} u
     LEFT JOIN ${lookup} e ON e.full_name = u.full_name AND NOT e.legacy AND e.short_username IS NOT NULL
     WHERE u.legacy
     GROUP BY u.id, u.short_username, u.full_name
     ORDER BY u.short_username COLLATE "C"`,
  );
  return {
    manual: counts[0]?.manual ?? 0,
    other: counts[0]?.other ?? 0,
    ambiguous: ambiguous.map((r) => ({ shortUsername: r.short_username, fullNames: r.names })),
    sharedFullNames: shared.map((r) => ({ fullName: r.full_name, shortUsernames: r.logins })),
    legacy: legacy.map((r) => ({ shortUsername: r.short_username, fullName: r.full_name, outrankedBy: r.outranked_by })),
  };
}

/** Rebuilds the user lookup from the stored views in one transaction. */
export async function refreshUserLookup(db: Db, schema: string): Promise<UserLookupResult> {
  return db.transaction(async (tx) => {
    await tx.exec(evidenceSql(schema));
    const applied = await applyAll(tx, schema);
    await markLegacy(tx, schema);
    const report = await readReport(tx, schema);
    return {
      added: applied.added,
      updated: applied.updated,
      unchanged: report.other - applied.added - applied.updated,
      manual: report.manual,
      ambiguous: report.ambiguous,
      sharedFullNames: report.sharedFullNames,
      failed: applied.failed,
      legacy: report.legacy,
    };
  });
}
