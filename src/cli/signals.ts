/**
 * Stopping a run with Ctrl-C or `kill` (SIGINT, SIGTERM): the first signal aborts the run — the view in
 * progress rolls back and is recorded `cancelled`, the in-flight request is dropped, a running statement
 * on the server is cancelled — and the command exits 1 once that is recorded. A second signal exits at
 * once, like a kill: the server rolls the transaction back itself, the embedded database recovers on its
 * next open, and the next run marks the view's `running` row as failed.
 */
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import type { CliIo } from './io.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function withStopSignals<T>(
  rt: { readonly log: Logger; readonly io: CliIo },
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { log, io } = rt;
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      log.warn({ signal: name }, 'stopping: rolling back the view in progress (signal again to exit at once)');
      controller.abort(new Error(`stopped by ${name}`));
      return;
    }
    log.error({ signal: name }, 'exiting at once; the next run marks the interrupted view as failed');
    io.exit?.(EXIT.failed);
  };
  const signals = io.signals;
  for (const name of STOP_SIGNALS) signals?.on(name, onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    for (const name of STOP_SIGNALS) signals?.off(name, onSignal);
  }
}
