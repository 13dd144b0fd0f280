/**
 * The numbers behind the Prometheus metrics (SPEC §7), read from the database, never kept in memory:
 * they are right after a restart, and `/metrics` and `sync --metrics-file` show the same values.
 */
import type { Config } from '../config.js';
import { qualified, type Queryable } from '../load/db.js';
import type { LoadStatus } from '../load/runs.js';
import { readSourceTelemetry, type SourceTelemetry } from '../load/source-telemetry.js';
import { VIEW_NAMES, type ViewName } from '../registry.js';

/** Finished run statuses, each always exported (as 0 until it happens) so alert rules can use increase(). */
export const FINISHED_STATUSES: ReadonlyArray<Exclude<LoadStatus, 'running'>> = ['success', 'partial', 'failed', 'cancelled'];

export const ROW_OUTCOMES = ['inserted', 'updated', 'unchanged', 'rejected', 'duplicates'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

export interface ViewMetrics {
  readonly view: ViewName;
  /** End of the last committed API sync, Unix seconds; null if there never was one. */
  readonly lastSuccessSeconds: number | null;
  /** The last finished run of the view (any source), or null before the first. */
  readonly lastRun: null | {
    readonly durationSeconds: number;
    readonly rows: Readonly<Record<RowOutcome, number>>;
  };
  readonly runs: Readonly<Record<Exclude<LoadStatus, 'running'>, number>>;
}

export interface MetricsSnapshot {
  readonly views: readonly ViewMetrics[];
  readonly source: SourceTelemetry;
}

export async function readMetrics(db: Queryable, config: Pick<Config, 'schema'>): Promise<MetricsSnapshot> {
  const meta = qualified(config.schema, 'etl_metadata');
  const success = await db.query<{ view_name: string; at: number }>(
    `SELECT view_name, extract(epoch FROM max(load_end))::float8 AS at FROM ${meta}
     WHERE source = 'api' AND load_status IN ('success', 'partial') GROUP BY view_name`,
  );
  const last = await db.query<Record<string, unknown>>(
    `SELECT DISTINCT ON (view_name) view_name, records_inserted, records_updated, records_unchanged,
            records_errors, records_duplicates, coalesce(load_duration_seconds, 0)::float8 AS duration
     FROM ${meta} WHERE load_status <> 'running' ORDER BY view_name, load_start DESC, id DESC`,
  );
  const runs = await db.query<{ view_name: string; load_status: string; n: number }>(
    `SELECT view_name, load_status, count(*)::int AS n FROM ${meta}
     WHERE load_status <> 'running' GROUP BY 1, 2`,
  );
  const views = VIEW_NAMES.map((view): ViewMetrics => {
    const at = success.rows.find((r) => r.view_name === view)?.at;
    const l = last.rows.find((r) => r.view_name === view);
    const count = (status: string) => Number(runs.rows.find((r) => r.view_name === view && r.load_status === status)?.n ?? 0);
    return {
      view,
      lastSuccessSeconds: at === undefined || at === null ? null : Number(at),
      lastRun: l
        ? {
            durationSeconds: Number(l.duration),
            rows: {
              inserted: Number(l.records_inserted),
              updated: Number(l.records_updated),
              unchanged: Number(l.records_unchanged),
              rejected: Number(l.records_errors),
              duplicates: Number(l.records_duplicates),
            },
          }
        : null,
      runs: { success: count('success'), partial: count('partial'), failed: count('failed'), cancelled: count('cancelled') },
    };
  });
  return { views, source: await readSourceTelemetry(db, config.schema) };
}
