import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakerOpenError, SourceError } from '../../src/errors.js';
import { afterFailure, afterSuccess, CLOSED, gate, type BreakerState } from '../../src/source/breaker-policy.js';
import { HttpStatusError } from '../../src/source/http-status-error.js';
import { decideAdmission, HOUR_MS, pacingWaitMs, retryDelayMs } from '../../src/source/pacing.js';

const breakerPolicy = { breakerThreshold: 3, breakerCooldownMs: 600_000, breakerHalfOpenSuccesses: 2 };
const retryPolicy = { maxRetries: 3, backoffInitialMs: 10_000, backoffMaxMs: 300_000, retryAfterMaxMs: 300_000 };
const pacing = { minIntervalMs: 5_000, maxRequestsPerHour: 100 };

const status = (code: number, retryAfterMs: number | null = null) =>
  new HttpStatusError(`OTC answered ${code}`, { view: 'tickets', status: code, transient: code === 429 || code >= 500 }, retryAfterMs);

describe('the circuit breaker', () => {
  test('three failures in a row open it for the cooldown, and it blocks every attempt until then', () => {
    let b: BreakerState = CLOSED;
    b = afterFailure(b, 1_000, breakerPolicy);
    b = afterFailure(b, 2_000, breakerPolicy);
    assert.deepEqual(b, { state: 'closed', failures: 2 });
    b = afterFailure(b, 3_000, breakerPolicy);
    assert.deepEqual(b, { state: 'open', failures: 3, openedAt: 3_000, openUntil: 603_000 });
    assert.deepEqual(gate(b, 602_999), { allowed: false, remainingMs: 1 });
  });

  test('a success between failures starts the count again', () => {
    let b = afterFailure(afterFailure(CLOSED, 0, breakerPolicy), 0, breakerPolicy);
    b = afterSuccess(b, breakerPolicy);
    b = afterFailure(afterFailure(b, 0, breakerPolicy), 0, breakerPolicy);
    assert.equal(b.state, 'closed');
  });

  test('after the cooldown it lets attempts through half-open, and two successes close it', () => {
    const open: BreakerState = { state: 'open', failures: 3, openedAt: 0, openUntil: 600_000 };
    const g = gate(open, 600_000);
    assert.ok(g.allowed);
    assert.deepEqual(g.breaker, { state: 'half-open', successes: 0 });
    const once = afterSuccess(g.breaker, breakerPolicy);
    assert.deepEqual(once, { state: 'half-open', successes: 1 });
    assert.deepEqual(afterSuccess(once, breakerPolicy), CLOSED);
  });

  test('one failure while half-open opens it again for a full cooldown', () => {
    const b = afterFailure({ state: 'half-open', successes: 1 }, 700_000, breakerPolicy);
    assert.deepEqual(b, { state: 'open', failures: 3, openedAt: 700_000, openUntil: 1_300_000 });
  });

  test('a late answer to a request sent before it opened does not close or extend an open breaker', () => {
    const open: BreakerState = { state: 'open', failures: 3, openedAt: 0, openUntil: 600_000 };
    assert.equal(afterSuccess(open, breakerPolicy), open);
    assert.equal(afterFailure(open, 5_000, breakerPolicy), open);
  });
});

describe('pacing', () => {
  test('the first request goes at once', () => {
    assert.equal(pacingWaitMs(1_000_000, [], pacing), 0);
  });

  test('a request waits out the minimum interval since the last one started', () => {
    assert.equal(pacingWaitMs(1_000_000, [998_000], pacing), 3_000);
    assert.equal(pacingWaitMs(1_000_000, [995_000], pacing), 0);
  });

  test('a spent hourly budget waits until the oldest request leaves the rolling hour', () => {
    const now = 10 * HOUR_MS;
    const recent = Array.from({ length: 100 }, (_, i) => now - HOUR_MS + 60_000 + i * 10_000);
    assert.equal(pacingWaitMs(now, recent, pacing), 60_000);
    assert.equal(pacingWaitMs(now, recent.slice(1), pacing), 0);
  });

  test('requests older than an hour do not count against the budget', () => {
    const now = 10 * HOUR_MS;
    const old = Array.from({ length: 500 }, (_, i) => now - 2 * HOUR_MS + i);
    assert.equal(pacingWaitMs(now, old, { minIntervalMs: 0, maxRequestsPerHour: 1 }), 0);
  });

  test('an open breaker refuses at once instead of waiting for its turn', () => {
    const breaker: BreakerState = { state: 'open', failures: 3, openedAt: 0, openUntil: 600_000 };
    assert.deepEqual(decideAdmission({ now: 100_000, breaker, recentRequests: [99_000] }, pacing), {
      kind: 'blocked',
      remainingMs: 500_000,
    });
  });

  test('admission waits, then sends with the breaker it will leave behind', () => {
    const breaker: BreakerState = { state: 'open', failures: 3, openedAt: 0, openUntil: 600_000 };
    assert.deepEqual(decideAdmission({ now: 600_000, breaker, recentRequests: [598_000] }, pacing), { kind: 'wait', ms: 3_000 });
    assert.deepEqual(decideAdmission({ now: 603_000, breaker, recentRequests: [598_000] }, pacing), {
      kind: 'send',
      breaker: { state: 'half-open', successes: 0 },
    });
  });
});

describe('retry timing', () => {
  test('5xx, timeouts and dropped connections back off 10 s, 20 s, 40 s, then give up', () => {
    const dropped = new SourceError('connection reset', { view: 'tickets', transient: true });
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => retryDelayMs(status(503), n, retryPolicy)),
      [10_000, 20_000, 40_000, null],
    );
    assert.equal(retryDelayMs(dropped, 0, retryPolicy), 10_000);
  });

  test('the backoff doubles up to its maximum', () => {
    const policy = { ...retryPolicy, maxRetries: 10 };
    assert.equal(retryDelayMs(status(502), 5, policy), 300_000);
  });

  test('401, 403 and 404 are never retried', () => {
    for (const code of [401, 403, 404]) assert.equal(retryDelayMs(status(code), 0, retryPolicy), null, String(code));
  });

  test('an open breaker is not retried', () => {
    assert.equal(retryDelayMs(new BreakerOpenError('open', { retryAfterMs: 1 }), 0, retryPolicy), null);
  });

  test('a 429 waits for its Retry-After, capped by OTC_RETRY_AFTER_MAX_MS', () => {
    assert.equal(retryDelayMs(status(429, 42_000), 0, retryPolicy), 42_000);
    assert.equal(retryDelayMs(status(429, 3_600_000), 0, retryPolicy), 300_000);
  });

  test('Retry-After: 0 still waits the backoff minimum, so it never becomes a tight loop', () => {
    assert.equal(retryDelayMs(status(429, 0), 0, retryPolicy), 10_000);
  });

  test('a 429 without Retry-After backs off like a 5xx', () => {
    assert.equal(retryDelayMs(status(429, null), 1, retryPolicy), 20_000);
  });
});
