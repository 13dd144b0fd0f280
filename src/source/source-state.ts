/**
 * What the protective client keeps between requests, views and processes: the breaker and the start
 * times of recent requests. It lives in the database (implemented in src/load/source-state-store.ts),
 * written in its own short transactions — never inside a view's data transaction, so a rolled-back
 * view does not erase it — and read under a row lock, so a cron run and a manual run beside it share
 * one breaker and one request budget.
 */
import type { BreakerState } from './breaker-policy.js';
import type { Admission } from './pacing.js';

export interface SourceState {
  /** The shared clock (the database's), epoch ms: every process decides on the same time. */
  readonly now: number;
  readonly breaker: BreakerState;
  /** The last failed attempt's message (secret-free), kept for `health` and the breaker's error. */
  readonly lastError: string | null;
  /** Start times of the requests in the last hour, ascending, epoch ms. */
  readonly recentRequests: readonly number[];
}

/** How a request ended, as recorded: the HTTP status, or `timeout`, `network`, `cancelled`. */
export type RequestCode = string;

export interface SourceStateStore {
  /** The current state, without locking (for `health`). */
  read(): Promise<SourceState>;
  /**
   * Under a lock every process shares: reads the state, asks `decide`, and when it says `send`,
   * stores its breaker state and records the request as started. Returns the request's id then.
   */
  admit(
    view: string,
    decide: (state: SourceState) => Admission,
  ): Promise<{ admission: Admission; state: SourceState; requestId: number | null }>;
  /** Under the same lock: records how the request ended and replaces the breaker with `next(state)`. */
  settle(
    requestId: number,
    code: RequestCode,
    next: (state: SourceState) => { breaker: BreakerState; lastError: string | null },
  ): Promise<BreakerState>;
}
