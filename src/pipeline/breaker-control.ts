/**
 * The circuit breaker and the request budget as an operator sees them (`otc-etl breaker`, and the
 * service's `POST /breaker/reset`), and the reset that closes the breaker without any SQL.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { DbSourceStateStore } from '../load/source-state-store.js';
import type { SourceState } from '../source/source-state.js';
import { sourceFactsOf } from './read-view-state.js';
import { decideSource } from './view-state.js';

export interface BreakerReport {
  /** `half-open` once an open breaker's cooldown is over: the next request is the trial. */
  readonly state: 'closed' | 'open' | 'half-open';
  /** Consecutive failed requests counted so far (those that opened it, while open). */
  readonly failures: number;
  /** When it opened (UTC, ISO 8601), while open. */
  readonly openedAt: string | null;
  /** When it lets a request through again (UTC, ISO 8601), while open. */
  readonly reopensAt: string | null;
  /** The last failed request's message (secret-free). */
  readonly lastError: string | null;
  readonly requests: {
    /** Requests started in the last rolling hour. */
    readonly lastHour: number;
    /** OTC_MAX_REQUESTS_PER_HOUR. */
    readonly budget: number;
    readonly lastRequestAt: string | null;
  };
  /** The database's clock when this was read (UTC, ISO 8601). */
  readonly readAt: string;
}

/** The breaker and budget as the state model decides them (`health` shows the same), under this report's names. */
export function breakerReport(state: SourceState, config: Config): BreakerReport {
  const { breaker, requests } = decideSource(sourceFactsOf(state, config), state.now);
  return {
    state: breaker.state,
    failures: breaker.consecutiveFailures,
    openedAt: breaker.openedAt,
    reopensAt: breaker.openUntil,
    lastError: breaker.lastError,
    requests: { lastHour: requests.lastHour, budget: requests.maxPerHour, lastRequestAt: requests.lastRequestAt },
    readAt: new Date(state.now).toISOString(),
  };
}

export async function readBreaker(db: Db, config: Config): Promise<BreakerReport> {
  return breakerReport(await new DbSourceStateStore(db, config.schema).read(), config);
}

/** Closes the breaker and logs who did it and what it was; returns the breaker before and after. */
export async function resetBreaker(
  db: Db,
  config: Config,
  log: Logger,
  by: string,
): Promise<{ before: BreakerReport; after: BreakerReport }> {
  const { before, after } = await new DbSourceStateStore(db, config.schema).reset();
  const was = breakerReport(before, config);
  log.warn(
    { by, was: was.state, failures: was.failures, openedAt: was.openedAt, reopensAt: was.reopensAt, lastError: was.lastError },
    `circuit breaker reset by ${by}: closed (it was ${was.state}); the next request goes to OTC`,
  );
  return { before: was, after: breakerReport(after, config) };
}
