/**
 * The protective client that keeps the fragile source from being overloaded, composed in one place around the plain GET: before every attempt
 * the shared breaker and pacing are consulted (waiting for the interval and the hourly budget, failing
 * at once on an open breaker); after it, the outcome is recorded and the breaker moved; transient
 * failures are retried with doubling backoff or the 429's Retry-After; 401/403/404 never are.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config.js';
import { BreakerOpenError, SourceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ViewName } from '../registry.js';
import { afterFailure, afterSuccess, gate } from './breaker-policy.js';
import { getToFile, NetworkError } from './http-get.js';
import { HttpStatusError } from './http-status-error.js';
import { decideAdmission, retryDelayMs } from './pacing.js';
import type { RequestCode, SourceState, SourceStateStore } from './source-state.js';
import type { FetchedBody, FetchOptions, ViewSource } from './view-source.js';

/** Waits shorter than this are not worth a log line. */
const LOG_WAIT_MS = 1_000;

export interface ProtectionDeps {
  /** The OTC service account's password, required before the source is built (pipeline/source.ts). */
  readonly password: string;
  readonly store: SourceStateStore;
  readonly log: Logger;
  /** Injected for tests; default a real timer that rejects when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, { signal });

export function viewUrl(baseUrl: string, guid: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('id', guid);
  return url.toString();
}

function requestCode(error: unknown, signal?: AbortSignal): RequestCode {
  if (signal?.aborted) return 'cancelled';
  if (error instanceof HttpStatusError && error.status !== undefined) return String(error.status);
  if (error instanceof NetworkError) return error.timedOut ? 'timeout' : 'network';
  return 'error';
}

/**
 * Failed attempts the breaker counts: error statuses, timeouts and dropped connections. A 404 is the
 * source saying one view's GUID is wrong — nothing about its health, and it must not stop the other
 * views; a cancelled request or a local error (a full disk) is ours, not the source's.
 */
function countsAsFailure(code: RequestCode): boolean {
  if (code === 'timeout' || code === 'network') return true;
  return /^\d{3}$/.test(code) && code !== '200' && code !== '404';
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function breakerOpenError(view: string, state: SourceState, remainingMs: number): BreakerOpenError {
  const failures = state.breaker.state === 'open' ? state.breaker.failures : 0;
  const until = new Date(state.now + remainingMs).toISOString();
  const last = state.lastError ? ` (last: ${state.lastError})` : '';
  // The view whose own failure opened the breaker is already named in the last error.
  const which = state.lastError?.includes(`view ${view}`) ? 'this view' : `view ${view}`;
  // Stored with the run and read long after: an absolute time, never "N s from now".
  return new BreakerOpenError(
    `OTC circuit breaker is open after ${failures} consecutive failed requests${last}; no request is sent to OTC ` +
      `until ${until}, so ${which} was not fetched. The first run after that tries again by itself; if the last ` +
      'error names something to fix (credentials, permissions), fix it first, then `otc-etl breaker --reset` ' +
      '(or POST /breaker/reset on a running service) to try at once.',
    { view, retryAfterMs: remainingMs },
  );
}

function gaveUp(error: unknown, attempts: number): unknown {
  if (!(error instanceof SourceError) || !error.transient || attempts < 2) return error;
  return new SourceError(
    `${error.message} Gave up after ${attempts} attempts (OTC_MAX_RETRIES); OTC may be overloaded or the network unreliable: the next run tries again.`,
    { view: error.view, status: error.status, transient: true, cause: error },
  );
}

/** The source every command that calls OTC uses, built for them by pipeline/source.ts. */
export function createProtectedSource(config: Config, deps: ProtectionDeps): ViewSource {
  const policy = config.source;
  const { password, store, log } = deps;
  const sleep = deps.sleep ?? realSleep;

  /** Waits for the interval and the budget, then reserves a request; throws when the breaker is open. */
  async function admit(view: ViewName, signal?: AbortSignal): Promise<number> {
    for (;;) {
      const { admission, state, requestId } = await store.admit(view, (s) => decideAdmission(s, policy));
      if (admission.kind === 'send') return requestId!;
      if (admission.kind === 'blocked') throw breakerOpenError(view, state, admission.remainingMs);
      if (admission.ms >= LOG_WAIT_MS) {
        log.info(
          { view, waitMs: admission.ms },
          `waiting ${seconds(admission.ms)} before the next request to OTC (OTC_MIN_INTERVAL_MS, OTC_MAX_REQUESTS_PER_HOUR)`,
        );
      }
      await sleep(admission.ms, signal);
    }
  }

  async function settle(requestId: number, code: RequestCode, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : null;
    let opened = false;
    const breaker = await store.settle(requestId, code, (s) => {
      if (code === '200') return { breaker: afterSuccess(s.breaker, policy), lastError: s.lastError };
      if (!countsAsFailure(code)) return { breaker: s.breaker, lastError: s.lastError };
      const next = afterFailure(s.breaker, s.now, policy);
      opened = s.breaker.state !== 'open' && next.state === 'open';
      return { breaker: next, lastError: message };
    });
    if (opened && breaker.state === 'open') {
      log.warn(
        { failures: breaker.failures, openUntil: new Date(breaker.openUntil).toISOString() },
        'OTC circuit breaker opened: no request is sent until the cooldown (OTC_BREAKER_COOLDOWN_MS) is over',
      );
    }
  }

  async function attempt(view: ViewName, options: FetchOptions): Promise<FetchedBody> {
    const { signal } = options;
    const requestId = await admit(view, signal);
    let body: FetchedBody;
    try {
      body = await getToFile({
        url: viewUrl(config.baseUrl, config.viewGuids[view]),
        username: config.username,
        password,
        view,
        timeoutMs: policy.timeoutMs,
        maxBodyBytes: config.maxBodyBytes,
        ...options,
      });
    } catch (error) {
      await settle(requestId, requestCode(error, signal), error);
      throw error;
    }
    try {
      await settle(requestId, '200', null);
    } catch (error) {
      await body.dispose();
      throw error;
    }
    return body;
  }

  return {
    async refusal(view) {
      const state = await store.read();
      const g = gate(state.breaker, state.now);
      return g.allowed ? null : breakerOpenError(view, state, g.remainingMs);
    },
    async fetchView(view, options = {}) {
      const { signal } = options;
      for (let retries = 0; ; retries++) {
        try {
          return await attempt(view, options);
        } catch (error) {
          const wait = signal?.aborted ? null : retryDelayMs(error, retries, policy);
          if (wait === null) throw gaveUp(error, retries + 1);
          log.warn(
            { view, retry: retries + 1, of: policy.maxRetries, waitMs: wait, err: (error as Error).message },
            `OTC request failed; retrying in ${seconds(wait)}`,
          );
          await sleep(wait, signal);
        }
      }
    },
  };
}
