/**
 * Stopping a command with Ctrl-C or `kill` (SIGINT, SIGTERM), the same way for every command that
 * runs long: the first signal stops it gracefully, a second one exits at once with 1, like a kill — the
 * server rolls an open transaction back itself, the embedded database recovers on its next open, and
 * the next run marks a view left `running` as failed. The handlers are removed when the command is done.
 */
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import type { CliIo } from './io.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StopSignals {
  /** Resolves with the name of the first signal. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers. */
  remove(): void;
}

/**
 * Listens for SIGINT and SIGTERM (from `io.signals`). The first one calls `first` and resolves
 * `received`; a second one calls `second` (to say why) and exits the process at once (`io.exit`).
 */
export function listenForStopSignals(
  io: CliIo,
  handlers: {
    first?: (name: NodeJS.Signals) => void;
    second?: (name: NodeJS.Signals) => void;
  },
): StopSignals {
  let resolve: (name: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  let stopping = false;
  const onSignal = (name: NodeJS.Signals): void => {
    if (!stopping) {
      stopping = true;
      handlers.first?.(name);
      resolve(name);
      return;
    }
    handlers.second?.(name);
    io.exit?.(EXIT.failed);
  };
  for (const name of STOP_SIGNALS) io.signals?.on(name, onSignal);
  return {
    received,
    remove: () => {
      for (const name of STOP_SIGNALS) io.signals?.off(name, onSignal);
    },
  };
}

/**
 * Runs `fn` with an AbortSignal the first SIGINT or SIGTERM aborts: the view in progress rolls back and
 * is recorded `cancelled`, the in-flight request is dropped, a running statement on the server is
 * cancelled — and the command exits 1 once that is recorded.
 */
export async function withStopSignals<T>(
  rt: { readonly log: Logger; readonly io: CliIo },
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { log, io } = rt;
  const controller = new AbortController();
  const signals = listenForStopSignals(io, {
    first: (name) => {
      log.warn({ signal: name }, 'stopping: rolling back the view in progress (signal again to exit at once)');
      controller.abort(new Error(`stopped by ${name}`));
    },
    second: (name) => log.error({ signal: name }, 'exiting at once; the next run marks the interrupted view as failed'),
  });
  try {
    return await fn(controller.signal);
  } finally {
    signals.remove();
  }
}
