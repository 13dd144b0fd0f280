/**
 * The numbers behind the Prometheus metrics, read from the database, never kept in memory:
 * they are right after a restart, and `/metrics` and `sync --metrics-file` show the same values. Freshness,
 * problems, warnings, drift and the breaker come from the state model (view-state.ts), like every other
 * view of the product's health.
 */
import type { Config } from '../config.js';
import { qualified, type Db } from '../load/db.js';
import type { LoadStatus } from '../load/runs.js';
import { API_SOURCE } from '../load/source-kind.js';
import { readSourceTelemetry, type SourceTelemetry } from '../load/source-telemetry.js';
import { VIEW_NAMES, type ViewName } from '../registry.js';
import { readState } from './read-view-state.js';
import { SOURCE_WARNING_CODES, WARNING_CODES, type StateReport, type WarningCode } from './view-state.js';

/** Finished run statuses, each always exported (as 0 until it happens) so alert rules can use increase(). */
export const FINISHED_STATUSES: ReadonlyArray<Exclude<LoadStatus, 'running'>> = ['success', 'partial', 'failed', 'cancelled'];

export const ROW_OUTCOMES = ['inserted', 'updated', 'unchanged', 'rejected', 'duplicates'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

/** Warning codes the metrics export: every code a sync or the service can raise (probes are `health`'s alone). */
export const METRIC_WARNING_CODES: readonly WarningCode[] = WARNING_CODES.filter((c) => !c.startsWith('probe_'));

export interface ViewMetrics {
  readonly view: ViewName;
  /** End of the last committed API sync, Unix seconds; null if there never was one. */
  readonly lastSuccessSeconds: number | null;
  /** The last finished API run of the view, or null before the first. */
  readonly lastRun: null | {
    readonly durationSeconds: number;
    readonly rows: Readonly<Record<RowOutcome, number>>;
  };
  readonly runs: Readonly<Record<Exclude<LoadStatus, 'running'>, number>>;
  /** Whether the view has a problem (no committed API sync within its window). */
  readonly problem: boolean;
  /** Fields of the last measured API run that are new / missing. */
  readonly drift: { readonly new: number; readonly missing: number };
}

export interface MetricsSnapshot {
  readonly views: readonly ViewMetrics[];
  readonly source: SourceTelemetry;
  /** Every exported (view, code) pair with how many such warnings there are now; view '' is the source. */
  readonly warnings: ReadonlyArray<{ readonly view: string; readonly code: WarningCode; readonly count: number }>;
}

export function metricsOf(
  state: StateReport,
  source: SourceTelemetry,
  runs: ReadonlyArray<{ view_name: string; load_status: string; n: number }>,
): MetricsSnapshot {
  const views = state.views.map((v): ViewMetrics => {
    const count = (status: string) => Number(runs.find((r) => r.view_name === v.view && r.load_status === status)?.n ?? 0);
    const c = v.lastRun?.counts;
    return {
      view: v.view,
      lastSuccessSeconds: v.lastSuccess === null ? null : Date.parse(v.lastSuccess) / 1000,
      lastRun:
        v.lastRun && c
          ? {
              durationSeconds: v.lastRun.durationSeconds ?? 0,
              rows: { inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected, duplicates: c.duplicates },
            }
          : null,
      runs: { success: count('success'), partial: count('partial'), failed: count('failed'), cancelled: count('cancelled') },
      problem: v.problems.length > 0,
      drift: { new: v.drift.fieldsNew.length, missing: v.drift.fieldsMissing.length },
    };
  });
  const pairs = [
    ...SOURCE_WARNING_CODES.filter((c) => METRIC_WARNING_CODES.includes(c)).map((code) => ({ view: null as ViewName | null, code })),
    ...VIEW_NAMES.flatMap((view) =>
      METRIC_WARNING_CODES.filter((c) => !SOURCE_WARNING_CODES.includes(c)).map((code) => ({ view: view as ViewName | null, code })),
    ),
  ];
  const warnings = pairs.map(({ view, code }) => ({
    view: view ?? '',
    code,
    count: state.warnings.filter((w) => w.view === view && w.code === code).length,
  }));
  // The breaker as the state model sees it: an open breaker past its cooldown lets requests through.
  return { views, source: { ...source, breakerOpen: state.source?.breaker.state === 'open' }, warnings };
}

export async function readMetrics(db: Db, config: Config): Promise<MetricsSnapshot> {
  const state = await readState(db, config);
  const runs = await db.query<{ view_name: string; load_status: string; n: number }>(
    `SELECT view_name, load_status, count(*)::int AS n FROM ${qualified(config.schema, 'etl_metadata')}
     WHERE source = $1 AND load_status <> 'running' GROUP BY 1, 2`,
    [API_SOURCE],
  );
  return metricsOf(state, await readSourceTelemetry(db, config.schema), runs.rows);
}
