/**
 * Drift: source fields that appear or vanish between API syncs of a view. New = carried by no earlier
 * committed API sync of the view; missing = carried by the previous committed API sync and by no record
 * of this one. Both are API field names. What earlier syncs carried is kept in `source_fields`
 * (migration 007). Before the first measured sync there is nothing earlier to compare with, so the
 * registry's fields stand in: only fields it does not know are new, and nothing is missing.
 */
import type { Logger } from '../log.js';
import { qualified, type Queryable } from '../load/db.js';
import { COMMITTED_API_RUNS } from '../load/runs.js';
import type { ViewSpec } from '../registry.js';
import type { Normalizer } from '../transform/normalize.js';
import { escapeText } from '../transform/reject-entry.js';
import { errorMessage } from './error-text.js';
import { nameList } from './state-words.js';

export interface DriftBaseline {
  /** Every field an earlier committed API sync carried; null when none was recorded. */
  readonly known: ReadonlySet<string> | null;
  /** The fields the previous committed API sync carried; null when there was none. */
  readonly previous: ReadonlySet<string> | null;
}

export interface Drift {
  readonly fieldsNew: string[];
  readonly fieldsMissing: string[];
}

/** Fields kept per sync at most: a hostile source can send a new name in every record. */
const MAX_FIELDS_KEPT = 1000;

export async function readDriftBaseline(db: Queryable, schema: string, view: string): Promise<DriftBaseline> {
  const fields = qualified(schema, 'source_fields');
  const { rows } = await db.query<{ field: string; previous: boolean }>(
    `SELECT f.field, f.last_run_id = (SELECT run_id FROM ${qualified(schema, COMMITTED_API_RUNS)} c
                                      WHERE c.view_name = $1 ORDER BY c.load_end DESC, c.id DESC LIMIT 1) AS previous
     FROM ${fields} f WHERE f.view_name = $1`,
    [view],
  );
  if (rows.length === 0) return { known: null, previous: null };
  const previous = rows.filter((r) => r.previous === true).map((r) => r.field);
  return { known: new Set(rows.map((r) => r.field)), previous: previous.length ? new Set(previous) : null };
}

export function measureDrift(view: ViewSpec, seen: readonly string[], baseline: DriftBaseline): Drift {
  const known = baseline.known ?? new Set(view.fields.map((f) => f.api));
  const carried = new Set(seen);
  return {
    fieldsNew: seen.filter((f) => !known.has(f)).sort(),
    fieldsMissing: baseline.previous ? [...baseline.previous].filter((f) => !carried.has(f)).sort() : [],
  };
}

/** Records the fields a committed API sync carried; written after the view's transaction. */
export async function recordSeenFields(db: Queryable, schema: string, view: string, runId: string, seen: readonly string[]): Promise<void> {
  if (seen.length === 0) return;
  await db.query(
    `INSERT INTO ${qualified(schema, 'source_fields')} AS f (view_name, field, first_run_id, last_run_id)
     SELECT $1, u.field, $2, $2 FROM unnest($3::text[]) AS u(field)
     ON CONFLICT (view_name, field) DO UPDATE SET last_run_id = excluded.last_run_id, last_seen_at = now()`,
    [view, runId, seen.slice(0, MAX_FIELDS_KEPT)],
  );
}

/** The warning lines a sync logs for drift: loud, one line each, at most a few dozen names. */
export function logDrift(log: Logger, view: string, drift: Drift): void {
  if (drift.fieldsNew.length > 0) {
    log.warn(
      { fieldsNew: drift.fieldsNew.slice(0, 30), count: drift.fieldsNew.length },
      `${view}: the source sends new fields: ${nameList(drift.fieldsNew)}; they are kept in _raw`,
    );
  }
  if (drift.fieldsMissing.length > 0) {
    log.warn(
      { fieldsMissing: drift.fieldsMissing.slice(0, 30), count: drift.fieldsMissing.length },
      `${view}: the source stopped sending ${nameList(drift.fieldsMissing)}; their stored values are being kept as they were`,
    );
  }
}

/**
 * The drift of an API sync that read its whole body, measured against earlier syncs and logged as a
 * warning, with the field names it carried; null if it cannot be measured.
 */
export async function measureSyncDrift(
  db: Queryable,
  schema: string,
  view: ViewSpec,
  normalizer: Normalizer,
  log: Logger,
): Promise<(Drift & { seen: string[] }) | null> {
  if (normalizer.recordsRead === 0) return null;
  try {
    const seen = [...new Set(normalizer.fieldsSeen().map(cleanName))];
    const drift = measureDrift(view, seen, await readDriftBaseline(db, schema, view.name));
    logDrift(log, view.name, drift);
    return { ...drift, seen };
  } catch (error) {
    log.warn({ err: errorMessage(error) }, 'could not measure drift against earlier syncs');
    return null;
  }
}

const DRIFT_MAX_NAMES = 100;
const DRIFT_MAX_NAME_CHARS = 100;

/**
 * A field name as the run record can hold and `status` can print it: a hostile source can send names
 * with NUL characters (text[] refuses them) or megabyte-long names.
 */
function cleanName(name: string): string {
  return escapeText(name.length > DRIFT_MAX_NAME_CHARS ? `${name.slice(0, DRIFT_MAX_NAME_CHARS - 1)}…` : name);
}

/** At most DRIFT_MAX_NAMES names, the rest counted: a hostile source can send a new name in every record. */
export function capNames(names: readonly string[]): string[] {
  const shown = names.slice(0, DRIFT_MAX_NAMES);
  if (names.length > DRIFT_MAX_NAMES) shown.push(`… and ${names.length - DRIFT_MAX_NAMES} more`);
  return shown;
}
