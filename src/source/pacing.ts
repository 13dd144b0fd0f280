/**
 * Pacing and retry timing as pure functions of the shared state and the clock, so the fragile source is
 * never hammered: a minimum interval between requests, a budget per rolling hour (the client waits, it
 * does not fail), and the delay before a retry.
 */
import { BreakerOpenError, SourceError } from '../errors.js';
import { gate, type BreakerState } from './breaker-policy.js';
import { HttpStatusError } from './http-status-error.js';

export const HOUR_MS = 3_600_000;

export interface PacingPolicy {
  /** Minimum gap between the starts of two requests, ms. */
  readonly minIntervalMs: number;
  /** Most requests started in any rolling hour. */
  readonly maxRequestsPerHour: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** First backoff delay, ms; doubles each retry. Also the least a 429 waits. */
  readonly backoffInitialMs: number;
  /** Largest backoff delay, ms. */
  readonly backoffMaxMs: number;
  /** Largest wait taken from a 429's Retry-After, ms. */
  readonly retryAfterMaxMs: number;
}

/**
 * How long to wait before a request may start at `now`, given the start times of the requests in the
 * last hour (ascending). 0 means go.
 */
export function pacingWaitMs(now: number, recent: readonly number[], policy: PacingPolicy): number {
  const inWindow = recent.filter((t) => t > now - HOUR_MS);
  const last = inWindow.at(-1);
  const intervalWait = last === undefined ? 0 : last + policy.minIntervalMs - now;
  const excess = inWindow.length - policy.maxRequestsPerHour;
  // The budget frees up when the request that put it over the limit leaves the rolling hour.
  const budgetWait = excess < 0 ? 0 : inWindow[excess]! + HOUR_MS - now;
  return Math.max(0, intervalWait, budgetWait);
}

/** What the shared state says about sending a request now. */
export type Admission =
  | { readonly kind: 'send'; readonly breaker: BreakerState }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'blocked'; readonly remainingMs: number };

/** The breaker first (an open breaker fails at once rather than waiting its turn), then the pacing. */
export function decideAdmission(
  state: { readonly now: number; readonly breaker: BreakerState; readonly recentRequests: readonly number[] },
  policy: PacingPolicy,
): Admission {
  const g = gate(state.breaker, state.now);
  if (!g.allowed) return { kind: 'blocked', remainingMs: g.remainingMs };
  const ms = pacingWaitMs(state.now, state.recentRequests, policy);
  return ms > 0 ? { kind: 'wait', ms } : { kind: 'send', breaker: g.breaker };
}

/**
 * The delay before retry number `retriesDone + 1`, or null when the error must not be retried:
 * terminal errors (401/403/404, data errors), an open breaker, or no retries left. A 429 waits for its
 * Retry-After, capped at `retryAfterMaxMs` and never less than `backoffInitialMs`, so `Retry-After: 0`
 * cannot turn into a tight loop.
 */
export function retryDelayMs(error: unknown, retriesDone: number, policy: RetryPolicy): number | null {
  if (error instanceof BreakerOpenError) return null;
  if (!(error instanceof SourceError) || !error.transient) return null;
  if (retriesDone >= policy.maxRetries) return null;
  if (error instanceof HttpStatusError && error.status === 429 && error.retryAfterMs !== null) {
    return Math.max(policy.backoffInitialMs, Math.min(error.retryAfterMs, policy.retryAfterMaxMs));
  }
  return Math.min(policy.backoffInitialMs * 2 ** retriesDone, policy.backoffMaxMs);
}
