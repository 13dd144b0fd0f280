/**
 * Runs a full sync on a cron schedule. Never two at once: a tick that comes while a sync runs is skipped.
 * A sync that fails (or is held off by another process's lock) is logged and tried again at the next
 * tick; the service goes on. `stop()` cancels the sync in progress through its AbortSignal and waits
 * for it to roll back and record itself.
 */
import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import { CancelledError, ConfigError, LockHeldError } from '../errors.js';
import { scrub, type Logger } from '../log.js';

export interface TickResult {
  /** `completed`, `views failed`, `locked` (another process held the run lock) or `failed`. */
  readonly outcome: string;
  readonly runId: string | null;
  readonly error: string | null;
}

/** What started a sync: the cron timer, `POST /sync`, or `serve --run-now`. */
export type SyncTrigger = 'schedule' | 'request' | 'start';

/** How the log names a sync's start and end, after what started it. */
export const TRIGGER_WORDS: Readonly<Record<SyncTrigger, { readonly starting: string; readonly finished: string }>> = {
  schedule: { starting: 'scheduled sync starting', finished: 'scheduled sync finished' },
  request: { starting: 'sync starting (POST /sync)', finished: 'sync finished (POST /sync)' },
  start: { starting: 'sync starting (serve --run-now)', finished: 'sync finished (serve --run-now)' },
};

export interface LastTick extends TickResult {
  readonly at: string;
}

export interface SchedulerOptions {
  readonly schedule: string;
  readonly timezone: string;
  readonly log: Logger;
  /** One full sync under the given run id; resolves with its outcome, rejects if it could not run. */
  readonly sync: (runId: string, signal: AbortSignal, trigger: SyncTrigger) => Promise<TickResult>;
}

function cronOf(schedule: string, timezone: string, fn?: () => void): Cron {
  try {
    // Five fields (minute precision) as in crontab, or six with seconds first.
    return new Cron(schedule, { timezone, mode: '5-or-6-parts', paused: fn === undefined }, fn);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      `--schedule ${JSON.stringify(schedule)} is not a cron expression (${detail}); e.g. '30 6 * * *' for 06:30 daily.`,
    );
  }
}

/** Throws ConfigError unless `schedule` is a cron expression that will fire. */
export function checkSchedule(schedule: string, timezone: string): void {
  const cron = cronOf(schedule, timezone);
  const next = cron.nextRun();
  cron.stop();
  if (next === null) throw new ConfigError(`--schedule ${JSON.stringify(schedule)} never fires.`);
}

export class SyncScheduler {
  private cron: Cron | null = null;
  private current: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private stopping = false;
  private last: LastTick | null = null;
  private currentRunId: string | null = null;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    checkSchedule(this.options.schedule, this.options.timezone);
    this.cron = cronOf(this.options.schedule, this.options.timezone, () => this.tick());
  }

  get syncing(): boolean {
    return this.current !== null;
  }

  get lastTick(): LastTick | null {
    return this.last;
  }

  nextRun(): Date | null {
    return this.stopping ? null : (this.cron?.nextRun() ?? null);
  }

  /** Starts a sync unless one is running (then the tick is skipped). Called by the cron timer. */
  tick(): void {
    if (this.runNow('schedule').started === false && !this.stopping) {
      this.options.log.warn('scheduled sync skipped: the previous one is still running');
    }
  }

  /**
   * Starts a full sync now, for `schedule` (the cron timer), `request` (POST /sync) or `start`
   * (`serve --run-now`). Never two at once: while one runs, or while the service stops, nothing starts.
   */
  runNow(
    trigger: SyncTrigger,
  ): { started: true; runId: string } | { started: false; reason: 'running' | 'stopping'; runId: string | null } {
    if (this.stopping) return { started: false, reason: 'stopping', runId: null };
    if (this.current) return { started: false, reason: 'running', runId: this.currentRunId };
    const runId = randomUUID();
    const controller = new AbortController();
    this.controller = controller;
    this.currentRunId = runId;
    this.current = this.runTick(runId, controller.signal, trigger).finally(() => {
      this.current = null;
      this.controller = null;
      this.currentRunId = null;
    });
    return { started: true, runId };
  }

  private async runTick(runId: string, signal: AbortSignal, trigger: SyncTrigger): Promise<void> {
    const log = this.options.log.child({ runId });
    const at = new Date().toISOString();
    log.info({ trigger }, TRIGGER_WORDS[trigger].starting);
    try {
      const result = await this.options.sync(runId, signal, trigger);
      this.last = { at, ...result };
    } catch (error) {
      const message = scrub(error instanceof Error ? error.message : String(error));
      if (error instanceof LockHeldError) {
        // A cron job or a manual sync beside the service holds the run lock: not a failure of ours.
        log.warn({ err: message }, 'sync held off by another process; trying again at the next tick');
        this.last = { at, outcome: 'locked', runId: null, error: message };
      } else if (signal.aborted) {
        // Stopped on purpose (the service is stopping): a warning, not an error.
        log.warn({ err: message }, 'sync cancelled');
        this.last = { at, outcome: 'cancelled', runId: null, error: message };
      } else {
        log.error({ err: message }, 'sync failed; trying again at the next tick');
        this.last = { at, outcome: 'failed', runId: null, error: message };
      }
    }
  }

  /** Stops the timer, cancels a sync in progress and waits until it has stopped. */
  async stop(reason = 'the service is stopping'): Promise<void> {
    this.stopping = true;
    this.cron?.stop();
    if (this.current) {
      this.options.log.info('cancelling the sync in progress');
      this.controller?.abort(new CancelledError(`cancelled: ${reason}`));
      await this.current;
    }
  }
}
