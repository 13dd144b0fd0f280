/**
 * The circuit breaker in front of the fragile source, as pure state transitions. It counts failed attempts: after
 * `threshold` in a row it opens and no attempt at all is made for `cooldownMs`; then it is half-open,
 * where `halfOpenSuccesses` successes close it and one failure opens it again. The state lives in the
 * database (see source-state.ts), so every process that talks to OTC shares one breaker.
 */

export type BreakerState =
  | { readonly state: 'closed'; readonly failures: number }
  | { readonly state: 'open'; readonly failures: number; readonly openedAt: number; readonly openUntil: number }
  | { readonly state: 'half-open'; readonly successes: number };

export interface BreakerPolicy {
  /** Consecutive failed attempts that open the breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker blocks every attempt, ms. */
  readonly breakerCooldownMs: number;
  /** Successes in half-open state that close the breaker. */
  readonly breakerHalfOpenSuccesses: number;
}

export const CLOSED: BreakerState = Object.freeze({ state: 'closed', failures: 0 });

export type Gate = { readonly allowed: true; readonly breaker: BreakerState } | { readonly allowed: false; readonly remainingMs: number };

/** The breaker as it stands at `now`: an open one whose cooldown is over is half-open, the next attempt its trial. */
export function breakerAt(breaker: BreakerState, now: number): BreakerState {
  return breaker.state === 'open' && now >= breaker.openUntil ? { state: 'half-open', successes: 0 } : breaker;
}

/** May an attempt be made at `now`? An open breaker whose cooldown is over lets one through as half-open. */
export function gate(breaker: BreakerState, now: number): Gate {
  const current = breakerAt(breaker, now);
  if (current.state === 'open') return { allowed: false, remainingMs: current.openUntil - now };
  return { allowed: true, breaker: current };
}

export function afterSuccess(breaker: BreakerState, policy: BreakerPolicy): BreakerState {
  if (breaker.state === 'closed') return CLOSED;
  // A request sent before the breaker opened (another process) says little: stay open.
  if (breaker.state === 'open') return breaker;
  const successes = breaker.successes + 1;
  return successes >= policy.breakerHalfOpenSuccesses ? CLOSED : { state: 'half-open', successes };
}

export function afterFailure(breaker: BreakerState, now: number, policy: BreakerPolicy): BreakerState {
  if (breaker.state === 'open') return breaker;
  const failures = breaker.state === 'closed' ? breaker.failures + 1 : policy.breakerThreshold;
  // Half-open is a trial: one failure is enough to stop again.
  if (breaker.state === 'half-open' || failures >= policy.breakerThreshold) {
    return { state: 'open', failures, openedAt: now, openUntil: now + policy.breakerCooldownMs };
  }
  return { state: 'closed', failures };
}
