/**
 * What `otc-etl health` reports: the state model's problems and warnings (view-state.ts) with the
 * database, the shared breaker and request budget beside them, and — only when asked, since it downloads
 * a whole view — one call to the source through the protective client.
 */
import type { Config } from '../config.js';
import { BreakerOpenError, SourceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import type { ViewName } from '../registry.js';
import type { ViewSource } from '../source/view-source.js';
import { HttpStatusError } from '../source/http-status-error.js';
import { readState, unusableDatabaseState } from './read-view-state.js';
import type { OpenSource } from './source.js';
import type { ProbeFacts, SourceState, StateReport } from './view-state.js';

/** The smallest view: the cheapest whole-view call the probe can make. */
export const PROBE_VIEW: ViewName = 'comments';
/** A probe answer slower than this is a warning: syncs will be slow or time out. */
export const PROBE_SLOW_MS = 30_000;

export interface ProbeResult {
  readonly outcome: ProbeFacts['outcome'];
  readonly view: ViewName;
  /** The HTTP status, or null when no answer came (or no request was sent: breaker open). */
  readonly httpStatus: number | null;
  readonly elapsedMs: number | null;
  readonly bytes: number | null;
  readonly message: string;
}

export interface HealthReport extends StateReport {
  readonly breaker: SourceState['breaker'] | null;
  readonly requests: SourceState['requests'] | null;
  readonly probe: ProbeResult | null;
}

function withDetails(state: StateReport, probe: ProbeResult | null): HealthReport {
  return { ...state, breaker: state.source?.breaker ?? null, requests: state.source?.requests ?? null, probe };
}

/** A report for a database that cannot be used (unreachable, or refused before it was read). */
export function databaseProblemReport(config: Config, message: string, found: { reachable: boolean }): HealthReport {
  return withDetails(unusableDatabaseState(config, message, found), null);
}

/** `probe` (from `probeSource`) when the source is to be called. */
export async function checkHealth(db: Db, config: Config, options: { probe?: OpenSource }): Promise<HealthReport> {
  // Probe first, so the breaker and budget read afterwards include its request.
  const probe = options.probe ? await probeOnce(options.probe(db)) : null;
  const state = await readState(db, config, { probe });
  return withDetails(state, probe);
}

/**
 * The protective client as the probe uses it: one call, no retries. Requires the password. Loaded only
 * for a probe: without one, health sends no request and needs no HTTP client.
 */
export async function probeSource(config: Config, log: Logger): Promise<OpenSource> {
  const { otcSource } = await import('./source.js');
  return otcSource({ ...config, source: { ...config.source, maxRetries: 0 } }, { log });
}

/** One call for the smallest view. */
async function probeOnce(source: ViewSource): Promise<ProbeResult> {
  try {
    const body = await source.fetchView(PROBE_VIEW);
    await body.dispose();
    const slow = body.elapsedMs > PROBE_SLOW_MS;
    const seconds = (body.elapsedMs / 1000).toFixed(1);
    return {
      outcome: slow ? 'slow' : 'ok',
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
  // The open breaker is its own warning; the probe just could not be sent.
  if (error instanceof BreakerOpenError) return { ...base, outcome: 'not_sent', httpStatus: null, message: error.message };
  if (!(error instanceof SourceError)) throw error;
  const httpStatus = error instanceof HttpStatusError ? (error.status ?? null) : null;
  // Rate limiting means OTC is there but wants us slower; anything else means syncs will fail.
  return { ...base, outcome: httpStatus === 429 ? 'rate_limited' : 'failed', httpStatus, message: error.message };
}
