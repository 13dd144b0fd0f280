/**
 * What `otc-etl health` checks: the database and its migrations, the shared breaker and request budget,
 * the last successful sync per view, and — only when asked, since it downloads a whole view — one call
 * to the source through the protective client.
 */
import type { Config } from '../config.js';
import { BreakerOpenError, SourceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { inspectSchema, type SchemaState } from '../load/migrate.js';
import { DbSourceStateStore } from '../load/source-state-store.js';
import type { ViewName } from '../registry.js';
import { gate } from '../source/breaker.js';
import { HttpStatusError } from '../source/http-get.js';
import { HOUR_MS } from '../source/pacing.js';
import { readStatus } from './status.js';
import { openSource } from './source.js';

export type HealthLevel = 'healthy' | 'degraded' | 'unhealthy';

/** The smallest view: the cheapest whole-view call the probe can make. */
export const PROBE_VIEW: ViewName = 'comments';
/** A probe answer slower than this is degraded: syncs will be slow or time out. */
export const PROBE_SLOW_MS = 30_000;

export interface ProbeResult {
  readonly status: HealthLevel;
  readonly view: ViewName;
  /** The HTTP status, or null when no answer came (or no request was sent: breaker open). */
  readonly httpStatus: number | null;
  readonly elapsedMs: number | null;
  readonly bytes: number | null;
  readonly message: string;
}

export interface HealthReport {
  readonly status: HealthLevel;
  /** What is wrong, one sentence each; empty when healthy. */
  readonly problems: readonly string[];
  readonly database: {
    readonly reachable: boolean;
    readonly label: string | null;
    readonly schema: string;
    readonly migrations: SchemaState | null;
    readonly pendingMigrations: readonly number[];
    readonly error: string | null;
  };
  readonly breaker: null | {
    readonly state: 'closed' | 'open' | 'half-open';
    readonly consecutiveFailures: number;
    readonly openedAt: string | null;
    readonly openUntil: string | null;
    readonly cooldownRemainingSeconds: number;
    readonly lastError: string | null;
  };
  readonly requests: null | {
    readonly lastHour: number;
    readonly maxPerHour: number;
    readonly lastRequestAt: string | null;
  };
  readonly views: ReadonlyArray<{ readonly view: string; readonly lastSuccess: string | null; readonly ageSeconds: number | null; readonly isStale: boolean }>;
  readonly probe: ProbeResult | null;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** A report for a database that cannot be used (unreachable, or its schema is not current). */
export function databaseProblemReport(
  config: Config,
  message: string,
  found: { reachable: boolean; label?: string; state?: SchemaState; pending?: readonly number[] },
): HealthReport {
  return {
    status: 'unhealthy',
    problems: [message],
    database: {
      reachable: found.reachable,
      label: found.label ?? null,
      schema: config.schema,
      migrations: found.state ?? null,
      pendingMigrations: found.pending ?? [],
      error: message,
    },
    breaker: null,
    requests: null,
    views: [],
    probe: null,
  };
}

export async function checkHealth(db: Db, config: Config, log: Logger, options: { probe: boolean }): Promise<HealthReport> {
  const inspection = await inspectSchema(db, config.schema);
  if (inspection.state !== 'current') {
    const pending = inspection.pending.map((m) => m.version);
    const why =
      inspection.state === 'empty' ? `schema ${config.schema} does not exist yet` :
      inspection.state === 'legacy' ? `schema ${config.schema} was built by the previous loader` :
      `schema ${config.schema} is missing migrations ${pending.join(', ')}`;
    return databaseProblemReport(config, `${why}; run \`otc-etl migrate\`.`, { reachable: true, state: inspection.state, pending, label: db.label });
  }
  const store = new DbSourceStateStore(db, config.schema);
  // Probe first, so the breaker and budget below include its request.
  const probe = options.probe ? await probeSource(db, config, log) : null;
  const state = await store.read();
  const views = await readStatus(db, config);
  // An open breaker whose cooldown is over lets the next attempt through: report it as half-open.
  const g = gate(state.breaker, state.now);
  const b = g.allowed ? g.breaker : state.breaker;
  const open = b.state === 'open' ? b : null;
  const problems: string[] = [];
  if (open) problems.push(`the OTC circuit breaker is open until ${iso(open.openUntil)}: no request is sent until then (last error: ${state.lastError ?? 'unknown'})`);
  if (probe && probe.status !== 'healthy') problems.push(`probe: ${probe.message}`);
  const status: HealthLevel = probe?.status === 'unhealthy' ? 'unhealthy' : problems.length > 0 ? 'degraded' : 'healthy';
  return {
    status,
    problems,
    database: { reachable: true, label: db.label, schema: config.schema, migrations: 'current', pendingMigrations: [], error: null },
    breaker: {
      state: b.state,
      consecutiveFailures: b.state === 'half-open' ? 0 : b.failures,
      openedAt: b.state === 'open' ? iso(b.openedAt) : null,
      openUntil: b.state === 'open' ? iso(b.openUntil) : null,
      cooldownRemainingSeconds: open ? Math.ceil((open.openUntil - state.now) / 1000) : 0,
      lastError: state.lastError,
    },
    requests: {
      lastHour: state.recentRequests.filter((t) => t > state.now - HOUR_MS).length,
      maxPerHour: config.source.maxRequestsPerHour,
      lastRequestAt: iso(state.recentRequests.at(-1)),
    },
    views: views.map((v) => ({ view: v.view, lastSuccess: v.lastSuccess, ageSeconds: v.ageSeconds, isStale: v.isStale })),
    probe,
  };
}

/** One call (no retries) for the smallest view through the protective client. */
export async function probeSource(db: Db, config: Config, log: Logger): Promise<ProbeResult> {
  const once: Config = { ...config, source: { ...config.source, maxRetries: 0 } };
  const source = openSource(db, once, log);
  try {
    const body = await source.fetchView(PROBE_VIEW);
    await body.dispose();
    const slow = body.elapsedMs > PROBE_SLOW_MS;
    const seconds = (body.elapsedMs / 1000).toFixed(1);
    return {
      status: slow ? 'degraded' : 'healthy',
      view: PROBE_VIEW,
      httpStatus: 200,
      elapsedMs: body.elapsedMs,
      bytes: body.bytes,
      message: slow ? `OTC answered in ${seconds} s, slower than ${PROBE_SLOW_MS / 1000} s` : `OTC answered in ${seconds} s`,
    };
  } catch (error) {
    return probeFailure(error);
  }
}

function probeFailure(error: unknown): ProbeResult {
  const base = { view: PROBE_VIEW, elapsedMs: null, bytes: null };
  if (error instanceof BreakerOpenError) return { ...base, status: 'degraded', httpStatus: null, message: error.message };
  if (!(error instanceof SourceError)) throw error;
  const httpStatus = error instanceof HttpStatusError ? (error.status ?? null) : null;
  // Rate limiting means OTC is there but wants us slower; anything else means syncs will fail.
  return { ...base, status: httpStatus === 429 ? 'degraded' : 'unhealthy', httpStatus, message: error.message };
}
