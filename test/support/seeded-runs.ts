/** A deterministic run history: etl_metadata rows written directly, dated relative to the database's now(). */
import type { Queryable } from '../../src/load/db.js';

export interface SeededRun {
  readonly view: 'comments' | 'timesheets' | 'tickets';
  /** Hours before now() the run started. */
  readonly hoursAgo: number;
  readonly status: 'success' | 'partial' | 'failed' | 'cancelled';
  readonly inserted?: number;
  readonly updated?: number;
  readonly unchanged?: number;
  readonly rejected?: number;
  readonly durationSeconds?: number;
  readonly error?: string;
  readonly runId?: string;
}

export async function seedRuns(db: Queryable, schema: string, runs: readonly SeededRun[]): Promise<void> {
  for (const [i, r] of runs.entries()) {
    const committed = r.status === 'success' || r.status === 'partial';
    const inserted = committed ? (r.inserted ?? 0) : 0;
    const updated = committed ? (r.updated ?? 0) : 0;
    const unchanged = r.unchanged ?? 0;
    const rejected = r.rejected ?? 0;
    const duration = r.durationSeconds ?? 1;
    await db.query(
      `INSERT INTO "${schema}".etl_metadata
         (run_id, view_name, source, records_fetched, records_inserted, records_updated, records_unchanged,
          records_errors, load_start, load_end, load_duration_seconds, load_status, error_message, last_load_time)
       VALUES ($1, $2, 'api', $3, $4, $5, $6, $7,
               now() - make_interval(secs => $8::float8 * 3600),
               now() - make_interval(secs => $8::float8 * 3600) + make_interval(secs => $9::float8),
               $9, $10, $11,
               CASE WHEN $12 THEN now() - make_interval(secs => $8::float8 * 3600) + make_interval(secs => $9::float8) END)`,
      [
        r.runId ?? `seed-${r.view}-${i}`,
        r.view,
        inserted + updated + unchanged + rejected,
        inserted,
        updated,
        unchanged,
        rejected,
        r.hoursAgo,
        duration,
        r.status,
        r.error ?? (committed ? null : 'seeded failure'),
        committed,
      ],
    );
  }
}

/** `count` daily runs of a view ending `endHoursAgo` before now, oldest first, with varying counts. */
export function dailyRuns(
  view: SeededRun['view'],
  count: number,
  endHoursAgo: number,
  overrides: Record<number, Partial<SeededRun>> = {},
): SeededRun[] {
  return Array.from({ length: count }, (_, i) => ({
    view,
    hoursAgo: endHoursAgo + (count - 1 - i) * 24,
    status: 'success' as const,
    inserted: (i * 7) % 23,
    updated: (i * 13) % 41,
    unchanged: 100,
    durationSeconds: 2 + (i % 5),
    ...overrides[i],
  }));
}
