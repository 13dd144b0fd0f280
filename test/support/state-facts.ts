/** Hand-built facts for the state model: etl_metadata rows as the database returns them, and a clock. */
import type { ViewName } from '../../src/registry.js';
import { getView } from '../../src/registry.js';
import type { RunRow, SourceFacts, StateFacts, ViewFacts } from '../../src/pipeline/view-state.js';

export const NOW = Date.parse('2025-03-10T02:00:00.000Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

const ago = (ms: number) => new Date(NOW - ms).toISOString();

/** An etl_metadata row of `view` that ended `endedAgoMs` before NOW (one minute long). */
export function runRow(view: ViewName, endedAgoMs: number, overrides: Record<string, unknown> = {}): RunRow {
  return {
    id: 1,
    run_id: `run-${view}-${endedAgoMs}`,
    view_name: view,
    source: 'api',
    load_status: 'success',
    load_start: ago(endedAgoMs + 60_000),
    load_end: ago(endedAgoMs),
    load_duration_seconds: '60.000',
    records_fetched: '500',
    records_inserted: '12',
    records_updated: '3',
    records_unchanged: '485',
    records_errors: '0',
    records_duplicates: '0',
    records_value_errors: '0',
    records_removed: '0',
    error_message: null,
    fields_new: [],
    fields_missing: [],
    drift_measured: true,
    ...overrides,
  };
}

/** A view's facts: by default, one successful API sync an hour ago. */
export function viewFacts(view: ViewName, overrides: Partial<ViewFacts> = {}): ViewFacts {
  const ok = runRow(view, HOUR);
  return {
    view,
    windowDays: getView(view).windowDays,
    rows: 500,
    newestCursor: ago(2 * HOUR),
    lastCommittedApiRun: ok,
    lastApiRun: ok,
    lastDriftRun: ok,
    lastOtherRun: null,
    running: [],
    gaps: [],
    orphans: view === 'tickets' ? null : 0,
    ...overrides,
  };
}

export const CLOSED_SOURCE: SourceFacts = {
  breaker: { state: 'closed', failures: 0 },
  lastError: null,
  recentRequests: [],
  maxPerHour: 100,
};

/** Everything fine: a current database, a closed breaker, three fresh views; `views` replaces some. */
export function stateFacts(views: Partial<Record<ViewName, Partial<ViewFacts>>> = {}, extra: Partial<StateFacts> = {}): StateFacts {
  return {
    now: NOW,
    database: { reachable: true, label: 'test', schema: 'servicedesk', migrations: 'current', pendingMigrations: [], error: null },
    source: CLOSED_SOURCE,
    views: (['comments', 'timesheets', 'tickets'] as const).map((v) => viewFacts(v, views[v])),
    ...extra,
  };
}
