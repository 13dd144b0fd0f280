/**
 * Run records: one `etl_metadata` row per view per run, written outside the view's data transaction
 * so a failed or cancelled load is still recorded; and the quarantine (`load_rejects`).
 */
import { hostname } from 'node:os';
import { scrub } from '../log.js';
import type { RejectEntry } from '../transform/reject-entry.js';
import { qualified, type Queryable } from './db.js';

export type LoadStatus = 'running' | 'success' | 'partial' | 'failed' | 'cancelled';

export interface ViewCounts {
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  duplicates: number;
  valueErrors: number;
  removed: number;
}

export const ZERO_COUNTS: Readonly<ViewCounts> = Object.freeze({
  fetched: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  duplicates: 0,
  valueErrors: 0,
  removed: 0,
});

/**
 * The one mapping between a run's counts and its `etl_metadata` columns: the recorder writes through it,
 * and every reader (status, metrics, the page) reads through `countsOf`.
 */
export const COUNT_COLUMNS: Readonly<Record<keyof ViewCounts, string>> = Object.freeze({
  fetched: 'records_fetched',
  inserted: 'records_inserted',
  updated: 'records_updated',
  unchanged: 'records_unchanged',
  rejected: 'records_errors',
  duplicates: 'records_duplicates',
  valueErrors: 'records_value_errors',
  removed: 'records_removed',
});

const COUNT_KEYS = Object.keys(COUNT_COLUMNS) as Array<keyof ViewCounts>;

/** The counts of an `etl_metadata` row as read back (bigint columns may arrive as text). */
export function countsOf(row: Readonly<Record<string, unknown>>): ViewCounts {
  const counts = { ...ZERO_COUNTS };
  for (const key of COUNT_KEYS) counts[key] = Number(row[COUNT_COLUMNS[key]] ?? 0);
  return counts;
}

/**
 * A committed API run: a sync that fetched from OTC and committed (`success` or `partial`). Only such
 * runs make a view fresh; the database spells the same filter once, as the view `v_committed_api_runs`
 * (migration 007), which every SQL reader uses.
 */
export const COMMITTED_API_RUNS = 'v_committed_api_runs';

export interface RunFinish {
  readonly status: Exclude<LoadStatus, 'running'>;
  readonly counts: ViewCounts;
  readonly error: string | null;
  readonly newestCursor: string | null;
  readonly fieldsNew: readonly string[];
  readonly fieldsMissing: readonly string[];
  /** Whether fieldsNew/fieldsMissing compare against the view's earlier API syncs (drift). */
  readonly driftMeasured?: boolean;
}

export class RunRecorder {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.table = qualified(schema, 'etl_metadata');
  }

  /**
   * Marks rows left `running` by a process that died. Only called while holding the run lock, so no
   * live process can own them.
   */
  async failInterrupted(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE ${this.table} SET load_status = 'failed', load_end = coalesce(load_end, now()),
         error_message = 'interrupted: the process running this load stopped before it finished (killed or crashed); the view was rolled back'
       WHERE load_status = 'running'`,
    );
    return rowCount;
  }

  /** Records the start of a view's load; returns the row id. */
  async start(runId: string, view: string, source: string): Promise<number> {
    const { rows } = await this.db.query<{ id: number }>(
      `INSERT INTO ${this.table} (run_id, view_name, source, load_status, load_start, pid, host)
       VALUES ($1, $2, $3, 'running', now(), $4, $5) RETURNING id`,
      [runId, view, source, process.pid, hostname()],
    );
    return Number(rows[0]!.id);
  }

  async finish(id: number, finish: RunFinish): Promise<void> {
    const c = finish.counts;
    const committed = finish.status === 'success' || finish.status === 'partial';
    await this.db.query(
      `UPDATE ${this.table} SET load_status = $2, ${COUNT_KEYS.map((k, i) => `${COUNT_COLUMNS[k]} = $${i + 8}`).join(', ')},
         error_message = $3, newest_cursor = $4, fields_new = $5, fields_missing = $6, load_end = now(),
         load_duration_seconds = round(extract(epoch FROM now() - load_start)::numeric, 3),
         last_load_time = CASE WHEN $7 THEN now() END, drift_measured = $${COUNT_KEYS.length + 8}
       WHERE id = $1`,
      [
        id,
        finish.status,
        finish.error === null ? null : scrub(finish.error),
        finish.newestCursor,
        finish.fieldsNew,
        finish.fieldsMissing,
        committed,
        ...COUNT_KEYS.map((k) => c[k]),
        finish.driftMeasured === true,
      ],
    );
  }
}

const REJECT_CHUNK = 500;

/** A JSON string token: its quotes and escapes, so a secret is hidden inside it and the JSON stays valid. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * The quarantined record may echo a secret (a record quoting the request, say): each string in it is
 * scrubbed as decoded text, so a hidden run never splits an escape, and numbers are kept as written.
 */
function scrubJson(json: string): string {
  return json.replace(JSON_STRING, (token) => {
    const text = JSON.parse(token) as string;
    const hidden = scrub(text);
    return hidden === text ? token : JSON.stringify(hidden);
  });
}

/** Writes rejects in chunks of one statement each (array parameters, not a statement per reject). */
export async function writeRejects(
  db: Queryable,
  schema: string,
  run: { runId: string; view: string; source: string },
  rejects: readonly RejectEntry[],
): Promise<void> {
  for (let i = 0; i < rejects.length; i += REJECT_CHUNK) {
    const chunk = rejects.slice(i, i + REJECT_CHUNK);
    await db.query(
      `INSERT INTO ${qualified(schema, 'load_rejects')}
         (run_id, view_name, source, position, record_key, kind, field, reason, raw_record, raw_text)
       SELECT $1, $2, $3, u.position, u.record_key, u.kind, u.field, u.reason, u.raw_json::jsonb, u.raw_text
       FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
         AS u(position, record_key, kind, field, reason, raw_json, raw_text)`,
      [
        run.runId,
        run.view,
        run.source,
        chunk.map((r) => r.position),
        chunk.map((r) => r.recordKey),
        chunk.map((r) => r.kind),
        chunk.map((r) => r.field),
        // A reason can quote source text, and raw text is an excerpt: neither may carry a secret out.
        chunk.map((r) => scrub(r.reason)),
        chunk.map((r) => (r.rawJson === null ? null : scrubJson(r.rawJson))),
        chunk.map((r) => (r.rawText === null ? null : scrub(r.rawText))),
      ],
    );
  }
}
