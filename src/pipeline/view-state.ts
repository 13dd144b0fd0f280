/**
 * The one model of each view's state, and of the database and the source beside them. `status`,
 * `health`, `/healthz`, `/metrics`, the status page and `report` all show what `decideState` returns, so
 * they never disagree. This file is the pure half: it decides from facts (etl_metadata rows and a few
 * numbers) and a clock; `read-view-state.ts` reads those facts from the database.
 *
 * A problem means the copy is not being kept: a view with no committed API sync within its window (never
 * synced included), migrations pending, the database unreachable, a failed probe. A warning is worth an
 * operator's look but never a problem on its own. Imports and reprocess runs are shown as such and
 * never stand in for a view's API sync or its last run.
 */
import type { SchemaState } from '../load/migrate.js';
import { countsOf, type ViewCounts } from '../load/runs.js';
import { storedKind } from '../load/source-kind.js';
import type { ViewName } from '../registry.js';
import { breakerAt, type BreakerState } from '../source/breaker-policy.js';
import { HOUR_MS } from '../source/pacing.js';
import { ageText, nameList, orphanMessage, runKindWords } from './state-words.js';

/** Stable codes of problems and warnings; documented in the README. */
export const PROBLEM_CODES = ['never_synced', 'stale', 'migrations_pending', 'database_unreachable', 'probe_failed'] as const;
export const WARNING_CODES = [
  'breaker_open',
  'budget_spent',
  'last_run_failed',
  'rejects',
  'value_errors',
  'drift_new_fields',
  'drift_missing_fields',
  'orphans',
  'coverage_gap',
  'interrupted',
  'import_failed',
  'reprocess_failed',
  'probe_slow',
  'probe_rate_limited',
  'probe_not_sent',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];
export type WarningCode = (typeof WARNING_CODES)[number];
/** Warning codes about the database or the source as a whole (their `view` is null). */
export const SOURCE_WARNING_CODES: readonly WarningCode[] = [
  'breaker_open',
  'budget_spent',
  'probe_slow',
  'probe_rate_limited',
  'probe_not_sent',
];

export interface Finding<C extends string = string> {
  /** The view it is about, or null for the database or the source. */
  readonly view: ViewName | null;
  readonly code: C;
  readonly message: string;
}

/** A past coverage gap counts as a warning for this long after it closed; it stays listed for good. */
export const GAP_WARNING_DAYS = 30;

const DAY_S = 86_400;

/** One `etl_metadata` row as read (times as ISO text or Date, counts as numbers or numeric text). */
export type RunRow = Readonly<Record<string, unknown>>;

export interface ViewFacts {
  readonly view: ViewName;
  readonly windowDays: number;
  readonly rows: number;
  readonly newestCursor: string | null;
  /** The last committed (success or partial) API run. */
  readonly lastCommittedApiRun: RunRow | null;
  /** The last finished API run, whatever its outcome. */
  readonly lastApiRun: RunRow | null;
  /** The last API run whose drift was measured (it read a whole body). */
  readonly lastDriftRun: RunRow | null;
  /** The last finished import or reprocess run. */
  readonly lastOtherRun: RunRow | null;
  /** Loads in progress; `alive` false when the process that owns one is known to be gone. */
  readonly running: ReadonlyArray<{ readonly row: RunRow; readonly alive: boolean | null }>;
  /** Periods between committed API syncs longer than the window, newest last. */
  readonly gaps: readonly Gap[];
  /** Rows whose ticket is not in tickets (comments, timesheets), null for views that refer to none. */
  readonly orphans: number | null;
}

export interface Gap {
  readonly from: string;
  readonly to: string;
  readonly days: number;
}

export interface SourceFacts {
  readonly breaker: BreakerState;
  readonly lastError: string | null;
  /** Start times of the requests in the last hour, epoch ms, ascending. */
  readonly recentRequests: readonly number[];
  readonly maxPerHour: number;
}

export interface DatabaseFacts {
  readonly reachable: boolean;
  readonly label: string | null;
  readonly schema: string;
  readonly migrations: SchemaState | null;
  readonly pendingMigrations: readonly number[];
  readonly error: string | null;
}

/** What `health --probe` found; `outcome` decides whether it is a problem or a warning. */
export interface ProbeFacts {
  readonly outcome: 'ok' | 'slow' | 'rate_limited' | 'not_sent' | 'failed';
  readonly message: string;
}

export interface StateFacts {
  /** The database's clock, epoch ms (every process decides on the same time). */
  readonly now: number;
  readonly database: DatabaseFacts;
  readonly source: SourceFacts | null;
  readonly views: readonly ViewFacts[];
  readonly probe?: ProbeFacts | null;
}

export interface RunSummary {
  readonly runId: string;
  readonly source: string;
  readonly status: string;
  readonly start: string;
  readonly end: string | null;
  readonly durationSeconds: number | null;
  readonly counts: ViewCounts;
  readonly error: string | null;
}

export type FreshnessLevel = 'green' | 'amber' | 'red';

export interface ViewState {
  readonly view: ViewName;
  readonly windowDays: number;
  /** A committed API sync within the window: the copy is being kept. */
  readonly fresh: boolean;
  /** End of the last committed API sync. */
  readonly lastSuccess: string | null;
  readonly ageSeconds: number | null;
  readonly rows: number;
  readonly newestCursor: string | null;
  /** The last API run (never an import or reprocess). */
  readonly lastRun: RunSummary | null;
  /** The last import or reprocess run, shown as such. */
  readonly lastImportOrReprocess: RunSummary | null;
  readonly running: ReadonlyArray<{
    readonly runId: string;
    readonly source: string;
    readonly since: string;
    readonly interrupted: boolean;
  }>;
  readonly gaps: readonly Gap[];
  /** Drift of the last API run that read a whole body: API field names. */
  readonly drift: { readonly runId: string | null; readonly fieldsNew: readonly string[]; readonly fieldsMissing: readonly string[] };
  readonly orphans: number | null;
  /** The traffic light: red a problem, amber the last API run failed or over half the window used. */
  readonly freshness: { readonly level: FreshnessLevel; readonly reason: string };
  readonly problems: readonly Finding<ProblemCode>[];
  readonly warnings: readonly Finding<WarningCode>[];
}

export interface SourceState {
  readonly breaker: {
    readonly state: 'closed' | 'open' | 'half-open';
    readonly consecutiveFailures: number;
    readonly openedAt: string | null;
    readonly openUntil: string | null;
    readonly cooldownRemainingSeconds: number;
    readonly lastError: string | null;
  };
  readonly requests: {
    readonly lastHour: number;
    readonly maxPerHour: number;
    readonly lastRequestAt: string | null;
    readonly nextAllowedAt: string | null;
  };
}

export interface StateReport {
  /** 'problem' when there is at least one problem; warnings alone leave it 'ok'. */
  readonly status: 'ok' | 'problem';
  readonly problems: readonly Finding<ProblemCode>[];
  readonly warnings: readonly Finding<WarningCode>[];
  /** When the state was decided (the database's clock). */
  readonly at: string;
  readonly database: DatabaseFacts;
  readonly source: SourceState | null;
  readonly views: readonly ViewState[];
}

const iso = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(typeof v === 'number' ? v : String(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
const ms = (v: unknown): number | null => {
  const at = iso(v);
  return at === null ? null : Date.parse(at);
};

export function runSummary(row: RunRow): RunSummary {
  const duration = row.load_duration_seconds;
  return {
    runId: String(row.run_id),
    source: String(row.source),
    status: String(row.load_status),
    start: iso(row.load_start) ?? '',
    end: iso(row.load_end),
    durationSeconds: duration === null || duration === undefined ? null : Number(duration),
    counts: countsOf(row),
    error: (row.error_message as string | null | undefined) ?? null,
  };
}

const names = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export function decideState(facts: StateFacts): StateReport {
  const problems: Finding<ProblemCode>[] = [...databaseProblems(facts.database)];
  const warnings: Finding<WarningCode>[] = [];
  const source = facts.source ? decideSource(facts.source, facts.now) : null;
  if (facts.source && source) warnings.push(...sourceWarnings(facts.source, source));
  if (facts.probe) {
    const p = probeFinding(facts.probe);
    if (p?.kind === 'problem') problems.push(p.finding);
    if (p?.kind === 'warning') warnings.push(p.finding);
  }
  const views = facts.views.map((v) => decideView(v, facts.now));
  for (const v of views) {
    problems.push(...v.problems);
    warnings.push(...v.warnings);
  }
  return {
    status: problems.length > 0 ? 'problem' : 'ok',
    problems,
    warnings,
    at: iso(facts.now)!,
    database: facts.database,
    source,
    views,
  };
}

function databaseProblems(db: DatabaseFacts): Finding<ProblemCode>[] {
  if (!db.reachable) return [{ view: null, code: 'database_unreachable', message: db.error ?? 'the database is unreachable' }];
  if (db.migrations !== 'current') {
    const why =
      db.migrations === 'empty'
        ? `schema ${db.schema} does not exist yet`
        : db.migrations === 'legacy'
          ? `schema ${db.schema} was built by the previous loader`
          : `schema ${db.schema} is missing migrations ${db.pendingMigrations.join(', ')}`;
    return [{ view: null, code: 'migrations_pending', message: db.error ?? `${why}; run \`otc-etl migrate\`.` }];
  }
  return [];
}

/**
 * The breaker and the request budget at `now`, as `health`, `/healthz`, the page and `otc-etl breaker`
 * show them: an open breaker past its cooldown is half-open, and a spent budget says when the next
 * request may go.
 */
export function decideSource(s: SourceFacts, now: number): SourceState {
  const b = breakerAt(s.breaker, now);
  const open = b.state === 'open' ? b : null;
  const recent = s.recentRequests.filter((t) => t > now - HOUR_MS);
  const spent = recent.length >= s.maxPerHour && s.maxPerHour > 0;
  const nextAllowed = spent ? recent[recent.length - s.maxPerHour]! + HOUR_MS : null;
  return {
    breaker: {
      state: b.state,
      consecutiveFailures: b.state === 'half-open' ? 0 : b.failures,
      openedAt: open ? iso(open.openedAt) : null,
      openUntil: open ? iso(open.openUntil) : null,
      cooldownRemainingSeconds: open ? Math.ceil((open.openUntil - now) / 1000) : 0,
      lastError: s.lastError,
    },
    requests: {
      lastHour: recent.length,
      maxPerHour: s.maxPerHour,
      lastRequestAt: iso(recent.at(-1) ?? null),
      nextAllowedAt: iso(nextAllowed),
    },
  };
}

function sourceWarnings(facts: SourceFacts, s: SourceState): Finding<WarningCode>[] {
  const out: Finding<WarningCode>[] = [];
  if (s.breaker.state === 'open') {
    out.push({
      view: null,
      code: 'breaker_open',
      message:
        `the OTC circuit breaker is open until ${s.breaker.openUntil}: no request is sent until then ` +
        `(last error: ${facts.lastError ?? 'unknown'}); \`otc-etl breaker --reset\` closes it once the cause is fixed`,
    });
  }
  if (s.requests.nextAllowedAt !== null) {
    out.push({
      view: null,
      code: 'budget_spent',
      message: `${s.requests.lastHour} of ${s.requests.maxPerHour} requests allowed per hour were sent in the last hour: the next request waits until ${s.requests.nextAllowedAt}`,
    });
  }
  return out;
}

function probeFinding(
  p: ProbeFacts,
): { kind: 'problem'; finding: Finding<ProblemCode> } | { kind: 'warning'; finding: Finding<WarningCode> } | null {
  const message = `probe: ${p.message}`;
  if (p.outcome === 'failed') return { kind: 'problem', finding: { view: null, code: 'probe_failed', message } };
  if (p.outcome === 'slow') return { kind: 'warning', finding: { view: null, code: 'probe_slow', message } };
  if (p.outcome === 'rate_limited') return { kind: 'warning', finding: { view: null, code: 'probe_rate_limited', message } };
  if (p.outcome === 'not_sent') return { kind: 'warning', finding: { view: null, code: 'probe_not_sent', message } };
  return null;
}

export function decideView(f: ViewFacts, now: number): ViewState {
  const v = f.view;
  const lastEnd = ms(f.lastCommittedApiRun?.load_end ?? null);
  const ageSeconds = lastEnd === null ? null : Math.max(0, Math.round((now - lastEnd) / 1000));
  const windowS = f.windowDays * DAY_S;
  const fresh = ageSeconds !== null && ageSeconds <= windowS;
  const lastRun = f.lastApiRun ? runSummary(f.lastApiRun) : null;
  const other = f.lastOtherRun ? runSummary(f.lastOtherRun) : null;
  const drift = {
    runId: f.lastDriftRun ? String(f.lastDriftRun.run_id) : null,
    fieldsNew: names(f.lastDriftRun?.fields_new),
    fieldsMissing: names(f.lastDriftRun?.fields_missing),
  };
  const running = f.running.map(({ row, alive }) => ({
    runId: String(row.run_id),
    source: String(row.source),
    since: iso(row.load_start) ?? '',
    interrupted: alive === false,
  }));

  const problems: Finding<ProblemCode>[] = [];
  if (ageSeconds === null) {
    problems.push({ view: v, code: 'never_synced', message: `${v} has never had a committed API sync: run \`otc-etl sync\`` });
  } else if (!fresh) {
    problems.push({
      view: v,
      code: 'stale',
      message: `${v} has had no committed API sync for ${ageText(ageSeconds)} (last ${iso(lastEnd)}), longer than its ${f.windowDays}-day window: records that left the window since then are lost for good`,
    });
  }

  const warnings: Finding<WarningCode>[] = [];
  const warn = (code: WarningCode, message: string) => warnings.push({ view: v, code, message });
  if (fresh && lastRun && (lastRun.status === 'failed' || lastRun.status === 'cancelled')) {
    // The stored error usually names the view already; a message names it once.
    const error = (lastRun.error ?? 'no error recorded').replace(/\.$/, '');
    const which = error.includes(v) ? 'the last API sync' : `the last API sync of ${v}`;
    warn(
      'last_run_failed',
      `${which} (run ${lastRun.runId}, ${lastRun.start}) ${lastRun.status}: ${error}; the last committed sync, ${ageText(ageSeconds!)} ago, is still within the ${f.windowDays}-day window`,
    );
  }
  if (lastRun && lastRun.counts.rejected > 0) {
    warn(
      'rejects',
      `the last API sync of ${v} (run ${lastRun.runId}) rejected ${lastRun.counts.rejected} of ${lastRun.counts.fetched} records; they are kept with their reasons in load_rejects`,
    );
  }
  if (lastRun && lastRun.counts.valueErrors > 0) {
    warn(
      'value_errors',
      `the last API sync of ${v} (run ${lastRun.runId}) stored ${lastRun.counts.valueErrors} values it could not parse as NULL; the reasons are in load_rejects (kind value)`,
    );
  }
  if (drift.fieldsNew.length > 0) {
    warn('drift_new_fields', `the source sends new ${v} fields: ${nameList(drift.fieldsNew)}; they are kept in _raw`);
  }
  if (drift.fieldsMissing.length > 0) {
    warn(
      'drift_missing_fields',
      `the source stopped sending ${v} fields: ${nameList(drift.fieldsMissing)}; their stored values are being kept as they were`,
    );
  }
  if (f.orphans !== null && f.orphans > 0) warn('orphans', orphanMessage(v, f.orphans));
  for (const g of f.gaps) {
    if (now - Date.parse(g.to) > GAP_WARNING_DAYS * DAY_S * 1000) continue;
    warn(
      'coverage_gap',
      `${v} had no committed API sync from ${g.from} to ${g.to} (${g.days} days, longer than its ${f.windowDays}-day window): records that left the window then are lost`,
    );
  }
  for (const r of running.filter((x) => x.interrupted)) {
    warn(
      'interrupted',
      `a ${v} load (run ${r.runId}, since ${r.since}) was left running by a process that is gone; the next sync or import marks it failed`,
    );
  }
  if (other && (other.status === 'failed' || other.status === 'cancelled')) {
    const what = runKindWords(other.source);
    warn(
      storedKind(other.source) === 'reprocess' ? 'reprocess_failed' : 'import_failed',
      `the last ${what} into ${v} (run ${other.runId}) ${other.status}: ${other.error ?? 'no error recorded'}; API syncs are not affected`,
    );
  }

  return {
    view: v,
    windowDays: f.windowDays,
    fresh,
    lastSuccess: iso(lastEnd),
    ageSeconds,
    rows: f.rows,
    newestCursor: f.newestCursor,
    lastRun,
    lastImportOrReprocess: other,
    running,
    gaps: f.gaps,
    drift,
    orphans: f.orphans,
    freshness: freshnessOf(f.windowDays, ageSeconds, lastRun),
    problems,
    warnings,
  };
}

function freshnessOf(windowDays: number, ageSeconds: number | null, lastRun: RunSummary | null): ViewState['freshness'] {
  if (ageSeconds === null) return { level: 'red', reason: 'never synced from the API' };
  if (ageSeconds > windowDays * DAY_S) {
    return {
      level: 'red',
      reason: `no committed API sync for ${ageText(ageSeconds)}, longer than the ${windowDays}-day window: data is being lost`,
    };
  }
  if (lastRun && (lastRun.status === 'failed' || lastRun.status === 'cancelled')) {
    return { level: 'amber', reason: `the last API sync ${lastRun.status}; the last committed one was ${ageText(ageSeconds)} ago` };
  }
  if (ageSeconds > (windowDays * DAY_S) / 2) {
    return { level: 'amber', reason: `last committed API sync ${ageText(ageSeconds)} ago, over half of the ${windowDays}-day window` };
  }
  return { level: 'green', reason: `last committed API sync ${ageText(ageSeconds)} ago, within the ${windowDays}-day window` };
}
