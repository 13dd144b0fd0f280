/** What `status` reports per view: freshness against the window, last run, newest cursor, gaps. */
import type { Config } from '../config.js';
import type { Queryable } from '../load/db.js';
import { qualified } from '../load/db.js';
import { VIEWS } from '../registry.js';

export interface ViewStatus {
  readonly view: string;
  readonly windowDays: number;
  readonly lastSuccess: string | null;
  readonly ageSeconds: number | null;
  readonly isStale: boolean;
  readonly rows: number;
  readonly newestCursor: string | null;
  readonly lastRun: null | {
    readonly runId: string;
    readonly status: string;
    readonly source: string;
    readonly start: string;
    readonly fetched: number;
    readonly inserted: number;
    readonly updated: number;
    readonly unchanged: number;
    readonly rejected: number;
    readonly duplicates: number;
    readonly valueErrors: number;
    readonly removed: number;
    readonly error: string | null;
    readonly fieldsNew: readonly string[];
    readonly fieldsMissing: readonly string[];
  };
  /** Periods between successful API syncs longer than the window: data the source no longer has. */
  readonly gaps: ReadonlyArray<{ readonly from: string; readonly to: string; readonly days: number }>;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

export async function readStatus(db: Queryable, config: Config): Promise<ViewStatus[]> {
  const s = config.schema;
  const fresh = await db.query<Record<string, unknown>>(
    `SELECT view_name, last_loaded, extract(epoch FROM age)::float8 AS age_s, latest_data_date, total_records, is_stale
     FROM ${qualified(s, 'v_data_freshness')}`,
  );
  const last = await db.query<Record<string, unknown>>(
    `SELECT DISTINCT ON (view_name) * FROM ${qualified(s, 'etl_metadata')} ORDER BY view_name, load_start DESC, id DESC`,
  );
  const gaps = await db.query<{ view_name: string; gap_from: unknown; gap_to: unknown; days: number }>(
    `WITH ok AS (
       SELECT view_name, load_end, lag(load_end) OVER (PARTITION BY view_name ORDER BY load_end) AS prev
       FROM ${qualified(s, 'etl_metadata')}
       WHERE source = 'api' AND load_status IN ('success', 'partial'))
     SELECT view_name, prev AS gap_from, load_end AS gap_to,
            round((extract(epoch FROM load_end - prev) / 86400)::numeric, 1)::float8 AS days
     FROM ok WHERE prev IS NOT NULL ORDER BY load_end`,
  );
  return VIEWS.map((view) => {
    const f = fresh.rows.find((r) => r.view_name === view.name) ?? {};
    const l = last.rows.find((r) => r.view_name === view.name);
    return {
      view: view.name,
      windowDays: view.windowDays,
      lastSuccess: iso(f.last_loaded),
      ageSeconds: f.age_s === null || f.age_s === undefined ? null : Math.round(Number(f.age_s)),
      isStale: f.is_stale !== false,
      rows: Number(f.total_records ?? 0),
      newestCursor: iso(f.latest_data_date),
      lastRun: l ? lastRunOf(l) : null,
      gaps: gaps.rows
        .filter((g) => g.view_name === view.name && Number(g.days) > view.windowDays)
        .map((g) => ({ from: iso(g.gap_from)!, to: iso(g.gap_to)!, days: Number(g.days) })),
    };
  });
}

function lastRunOf(r: Record<string, unknown>): NonNullable<ViewStatus['lastRun']> {
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    runId: String(r.run_id),
    status: String(r.load_status),
    source: String(r.source),
    start: iso(r.load_start)!,
    fetched: n('records_fetched'),
    inserted: n('records_inserted'),
    updated: n('records_updated'),
    unchanged: n('records_unchanged'),
    rejected: n('records_errors'),
    duplicates: n('records_duplicates'),
    valueErrors: n('records_value_errors'),
    removed: n('records_removed'),
    error: (r.error_message as string | null) ?? null,
    fieldsNew: (r.fields_new as string[] | null) ?? [],
    fieldsMissing: (r.fields_missing as string[] | null) ?? [],
  };
}
