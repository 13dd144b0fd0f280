/**
 * Reads the facts the state model decides on (view-state.ts) from the database: the views' runs in
 * `etl_metadata`, freshness, gaps, orphans, and the source's breaker and request budget. Nothing here
 * decides; every caller shows what `decideState` makes of these facts.
 */
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { epochMsSql, qualified, type Db, type Queryable } from '../load/db.js';
import { inspectSchema } from '../load/migrate.js';
import { COMMITTED_API_RUNS } from '../load/runs.js';
import { API_SOURCE } from '../load/source-kind.js';
import { DbSourceStateStore } from '../load/source-state-store.js';
import { VIEWS } from '../registry.js';
import type { SourceState as StoredSourceState } from '../source/source-state.js';
import {
  decideState,
  type DatabaseFacts,
  type Gap,
  type ProbeFacts,
  type RunRow,
  type SourceFacts,
  type StateReport,
  type ViewFacts,
} from './view-state.js';

/** Coverage gaps listed per view at most (the newest). */
const GAPS_SHOWN = 50;

type Rows = ReadonlyArray<Record<string, unknown>>;

/** The last row per view of `etl_metadata` rows matching `where`. */
async function lastPerView(db: Queryable, from: string, where: string, params: unknown[] = []): Promise<Map<string, RunRow>> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT DISTINCT ON (view_name) * FROM ${from} WHERE ${where} ORDER BY view_name, load_start DESC, id DESC`,
    params,
  );
  return new Map(rows.map((r) => [String(r.view_name), r]));
}

/** False when the process that owns a running load is known to be gone (same host, no such pid). */
function processAlive(row: RunRow): boolean | null {
  const pid = Number(row.pid);
  if (row.host !== hostname() || !Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readGaps(db: Queryable, schema: string): Promise<Rows> {
  const { rows } = await db.query<Record<string, unknown>>(
    `WITH ok AS (
       SELECT view_name, load_end, lag(load_end) OVER (PARTITION BY view_name ORDER BY load_end) AS prev
       FROM ${qualified(schema, COMMITTED_API_RUNS)})
     SELECT ok.view_name, ok.prev AS gap_from, ok.load_end AS gap_to,
            round((extract(epoch FROM ok.load_end - ok.prev) / 86400)::numeric, 1)::float8 AS days
     FROM ok JOIN unnest($1::text[], $2::int[]) AS w(view_name, window_days) ON w.view_name = ok.view_name
     WHERE ok.prev IS NOT NULL AND ok.load_end - ok.prev > make_interval(days => w.window_days)
     ORDER BY ok.load_end DESC LIMIT $3`,
    [VIEWS.map((v) => v.name), VIEWS.map((v) => v.windowDays), GAPS_SHOWN * VIEWS.length],
  );
  return rows;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

async function readViewFacts(db: Queryable, schema: string): Promise<ViewFacts[]> {
  const meta = qualified(schema, 'etl_metadata');
  const fresh = await db.query<Record<string, unknown>>(
    `SELECT view_name, latest_data_date, total_records FROM ${qualified(schema, 'v_data_freshness')}`,
  );
  const committed = await lastPerView(db, qualified(schema, COMMITTED_API_RUNS), 'true');
  const lastApi = await lastPerView(db, meta, `source = $1 AND load_status <> 'running'`, [API_SOURCE]);
  const lastDrift = await lastPerView(db, meta, `source = $1 AND load_status <> 'running' AND drift_measured`, [API_SOURCE]);
  const lastOther = await lastPerView(db, meta, `source <> $1 AND load_status <> 'running'`, [API_SOURCE]);
  const running = await db.query<Record<string, unknown>>(`SELECT * FROM ${meta} WHERE load_status = 'running' ORDER BY load_start, id`);
  const gaps = await readGaps(db, schema);
  const orphans = await db.query<{ source: string; count: unknown }>(`SELECT source, count FROM ${qualified(schema, 'v_orphaned_data')}`);
  return VIEWS.map((spec): ViewFacts => {
    const f = fresh.rows.find((r) => r.view_name === spec.name);
    const orphan = orphans.rows.find((r) => r.source === spec.name);
    return {
      view: spec.name,
      windowDays: spec.windowDays,
      rows: Number(f?.total_records ?? 0),
      newestCursor: iso(f?.latest_data_date),
      lastCommittedApiRun: committed.get(spec.name) ?? null,
      lastApiRun: lastApi.get(spec.name) ?? null,
      lastDriftRun: lastDrift.get(spec.name) ?? null,
      lastOtherRun: lastOther.get(spec.name) ?? null,
      running: running.rows.filter((r) => r.view_name === spec.name).map((row) => ({ row, alive: processAlive(row) })),
      gaps: gaps
        .filter((g) => g.view_name === spec.name)
        .reverse()
        .map((g): Gap => ({ from: iso(g.gap_from)!, to: iso(g.gap_to)!, days: Number(g.days) })),
      orphans: orphan ? Number(orphan.count) : null,
    };
  });
}

/**
 * The state of every view, the database and the source, as one report. A schema that is not current
 * is a problem of its own, reported without reading the views.
 */
export async function readState(db: Db, config: Config, options: { probe?: ProbeFacts | null } = {}): Promise<StateReport> {
  const inspection = await inspectSchema(db, config.schema);
  const database: DatabaseFacts = {
    reachable: true,
    label: db.label,
    schema: config.schema,
    migrations: inspection.state,
    pendingMigrations: inspection.pending.map((m) => m.version),
    error: null,
  };
  const now = await db.query<{ now: number }>(`SELECT ${epochMsSql('now()')} AS now`);
  const at = Number(now.rows[0]!.now);
  if (inspection.state !== 'current') return decideState({ now: at, database, source: null, views: [], probe: options.probe });
  const state = await new DbSourceStateStore(db, config.schema).read();
  return decideState({
    now: at,
    database,
    source: sourceFactsOf(state, config),
    views: await readViewFacts(db, config.schema),
    probe: options.probe,
  });
}

/** The source's stored state as the state model's facts: breaker, last error, requests against the budget. */
export function sourceFactsOf(state: StoredSourceState, config: Config): SourceFacts {
  return {
    breaker: state.breaker,
    lastError: state.lastError,
    recentRequests: state.recentRequests,
    maxPerHour: config.source.maxRequestsPerHour,
  };
}

/** The state when the database cannot be used at all (unreachable, or refused before it was read). */
export function unusableDatabaseState(config: Config, message: string, found: { reachable: boolean }): StateReport & { error: string } {
  const state = decideState({
    now: Date.now(),
    database: {
      reachable: found.reachable,
      label: null,
      schema: config.schema,
      migrations: found.reachable ? 'behind' : null,
      pendingMigrations: [],
      error: message,
    },
    source: null,
    views: [],
  });
  // `error` as in every command's failure document, beside the state's problems.
  return { ...state, error: message };
}
