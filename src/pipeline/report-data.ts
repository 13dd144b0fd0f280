/**
 * Everything the status page shows, read from the database in one go: the state model of every view
 * (freshness, problems, warnings, drift, gaps, orphans), the last runs, recent failures and reject
 * reasons. Record contents are never read here — of a reject only its reason and record key — so they
 * cannot reach the page.
 */
import type { Config } from '../config.js';
import { qualified, type Db, type Queryable } from '../load/db.js';
import { countsOf } from '../load/runs.js';
import { VIEW_NAMES, type ViewName } from '../registry.js';
import { readState } from './read-view-state.js';
import type { StateReport } from './view-state.js';
import { readHistorySummary, type HistorySummary } from './history-data.js';

/** Failed and cancelled loads listed. */
const FAILURES_SHOWN = 20;
/** How far back reject reasons are summarised. */
export const REJECT_DAYS = 30;

export interface RunPoint {
  readonly runId: string;
  readonly source: string;
  readonly status: string;
  readonly start: string;
  readonly durationSeconds: number | null;
  readonly fetched: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly rejected: number;
}

export interface FailureRow {
  readonly view: string;
  readonly runId: string;
  readonly source: string;
  readonly status: string;
  readonly start: string;
  readonly error: string | null;
}

export interface RejectGroup {
  readonly view: string;
  readonly kind: string;
  readonly field: string | null;
  readonly count: number;
  readonly exampleKey: string | null;
  readonly exampleReason: string;
}

export interface ReportData {
  /** The database's clock when the report was read. */
  readonly generatedAt: string;
  readonly timezone: string;
  /** The state model: every view's state, the problems and the warnings. */
  readonly state: StateReport;
  /** Finished runs per view, oldest first, at most `runs` of them. */
  readonly runs: Readonly<Record<ViewName, readonly RunPoint[]>>;
  readonly failures: readonly FailureRow[];
  readonly rejects: readonly RejectGroup[];
  /** The ticket history's backlog and time in status (history-data.ts); absent before migration 006. */
  readonly history?: HistorySummary | null;
}

const iso = (v: unknown): string => new Date(v as string).toISOString();
const num = (v: unknown): number => Number(v ?? 0);

async function readRuns(db: Queryable, meta: string, limit: number): Promise<Record<ViewName, RunPoint[]>> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT *, load_duration_seconds::float8 AS duration,
              row_number() OVER (PARTITION BY view_name ORDER BY load_start DESC, id DESC) AS n
       FROM ${meta} WHERE load_status <> 'running') recent
     WHERE n <= $1 ORDER BY load_start, id`,
    [limit],
  );
  const runs = Object.fromEntries(VIEW_NAMES.map((v) => [v, [] as RunPoint[]])) as Record<ViewName, RunPoint[]>;
  for (const r of rows) {
    const list = runs[r.view_name as ViewName];
    const c = countsOf(r);
    list?.push({
      runId: String(r.run_id),
      source: String(r.source),
      status: String(r.load_status),
      start: iso(r.load_start),
      durationSeconds: r.duration === null ? null : Number(r.duration),
      fetched: c.fetched,
      inserted: c.inserted,
      updated: c.updated,
      unchanged: c.unchanged,
      removed: c.removed,
      rejected: c.rejected,
    });
  }
  return runs;
}

async function readFailures(db: Queryable, meta: string): Promise<FailureRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT view_name, run_id, source, load_status, load_start, error_message FROM ${meta}
     WHERE load_status IN ('failed', 'cancelled') ORDER BY load_start DESC, id DESC LIMIT $1`,
    [FAILURES_SHOWN],
  );
  return rows.map((r) => ({
    view: String(r.view_name),
    runId: String(r.run_id),
    source: String(r.source),
    status: String(r.load_status),
    start: iso(r.load_start),
    error: (r.error_message as string | null) ?? null,
  }));
}

async function readRejects(db: Queryable, schema: string): Promise<RejectGroup[]> {
  // A record is counted once however often it was rejected: each import retry and each reprocess
  // quarantines the same bad cell again. A record is its key, or its raw text when it has none.
  // Only reason and record key leave the database: raw_record and raw_text hold record contents.
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT view_name, kind, field,
            count(DISTINCT coalesce('k:' || record_key, 'r:' || md5(coalesce(raw_record::text, raw_text, position::text))))::int AS n,
            (array_agg(record_key ORDER BY id DESC))[1] AS example_key,
            (array_agg(reason ORDER BY id DESC))[1] AS example_reason
     FROM ${qualified(schema, 'load_rejects')}
     WHERE created_at > now() - make_interval(days => $1)
     GROUP BY view_name, kind, field ORDER BY n DESC, view_name, kind, field LIMIT 30`,
    [REJECT_DAYS],
  );
  return rows.map((r) => ({
    view: String(r.view_name),
    kind: String(r.kind),
    field: (r.field as string | null) ?? null,
    count: num(r.n),
    exampleKey: (r.example_key as string | null) ?? null,
    exampleReason: String(r.example_reason),
  }));
}

/** The page's data, with the last `runs` finished runs of each view for its charts. */
export async function readReport(db: Db, config: Config, options: { runs: number }): Promise<ReportData> {
  const meta = qualified(config.schema, 'etl_metadata');
  const state = await readState(db, config);
  return {
    generatedAt: state.at,
    timezone: config.timezone,
    state,
    runs: await readRuns(db, meta, options.runs),
    failures: await readFailures(db, meta),
    rejects: await readRejects(db, config.schema),
    history: await readHistorySummary(db, config.schema, config.timezone),
  };
}
