/** A sync run: fetch each requested view from the source and load it, in registry order (comments, timesheets, tickets). */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { BreakerOpenError } from '../errors.js';
import { scrub, type Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { applyRetention } from '../load/retention.js';
import { RunRecorder, ZERO_COUNTS } from '../load/runs.js';
import { API_SOURCE } from '../load/source-kind.js';
import type { StoredRows } from '../load/table-load.js';
import { pruneTicketHistory } from '../load/ticket-history.js';
import { getView, VIEW_NAMES, type ViewName } from '../registry.js';
import type { ViewSource } from '../source/view-source.js';
import { errorMessage } from './error-text.js';
import { loadView, readStored, type LoadContext, type ViewOutcome } from './load-view.js';
import { BodyQueue, spooledRecordSource } from './view-bodies.js';
import { refreshUsersAfterSync, type UserLookupOutcome } from './refresh-users.js';

export interface SyncOptions {
  /** Views to sync; default all three. Always run in comments, timesheets, tickets order. */
  readonly views?: readonly ViewName[];
  readonly signal?: AbortSignal;
  /** Accept payloads much smaller than the last successful fetch. */
  readonly allowShrink?: boolean;
  /** The run's id, when the caller wants to log under it before the run starts (`serve`). */
  readonly runId?: string;
  /** Told as bytes arrive and records are read (progress lines on a terminal). */
  readonly progress?: SyncProgress;
}

export interface SyncProgress {
  /** A view's body bytes received so far. */
  downloaded(view: ViewName, bytes: number): void;
  /** A view's records read so far. */
  read(view: ViewName, records: number): void;
  /** A view is done. */
  finished(outcome: ViewOutcome): void;
  /** The pause between views (OTC_VIEW_GAP_MS) before `view`'s request has started. */
  waiting?(view: ViewName, ms: number): void;
}

export interface SyncResult {
  readonly runId: string;
  readonly outcomes: readonly ViewOutcome[];
  /** The user lookup refresh that ends a full sync; absent when only some views were synced. */
  readonly userLookup?: UserLookupOutcome;
}

export interface SyncDeps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
  readonly source: ViewSource;
  /** The pause between views; injected by tests, default a real timer that ends early when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export async function runSync(deps: SyncDeps, options: SyncOptions = {}): Promise<SyncResult> {
  const runId = options.runId ?? randomUUID();
  const requested = new Set(options.views ?? VIEW_NAMES);
  const views = VIEW_NAMES.filter((v) => requested.has(v));
  const log = deps.log.child({ runId });
  const outcomes: ViewOutcome[] = [];
  log.info({ views }, 'sync started');
  const bodies = new BodyQueue(deps, views, options, log);
  const stored = new StoredRowsAhead(deps, views, options.signal);
  try {
    for (const [i, name] of views.entries()) {
      const view = getView(name);
      const { signal, allowShrink } = options;
      const ctx = { db: deps.db, config: deps.config, runId, log, signal, allowShrink, storedRows: stored.take(i) };
      // The gap before the view's request is over before its run starts: it is not part of its load.
      const stop = await bodies.ready(i);
      const outcome = stop
        ? await recordNotRequested(ctx, name, await stopMessage(deps.source, name, stop))
        : await loadView(
            ctx,
            view,
            spooledRecordSource(
              name,
              () => bodies.take(i),
              options.progress,
              () => {
                bodies.fetchAhead(i + 1);
                stored.readAhead(i + 1);
              },
              deps.config.maxRecordBytes,
            ),
          );
      options.progress?.finished(outcome);
      log.info({ view: name, status: outcome.status, ...outcome.counts }, `${name}: ${outcome.status}`);
      outcomes.push(outcome);
    }
  } finally {
    bodies.discard();
  }
  await pruneHistory(deps, log, options.signal);
  // A full sync ends with the user lookup refresh, from whatever the views now hold (a failed
  // view still leaves its earlier rows as evidence). Its own transaction: it never fails a view.
  const full = views.length === VIEW_NAMES.length;
  if (!full || options.signal?.aborted) return { runId, outcomes };
  const userLookup = await refreshUsersAfterSync({ db: deps.db, config: deps.config, log });
  return { runId, outcomes, userLookup };
}

/**
 * The stored rows of the next view, read while the current one loads (its body is in, and the next
 * body is on its way): the server builds 150,000 timesheet keys in about a quarter of a second, which
 * the timesheets load otherwise waited for before reading a record. Only this process writes the
 * views (the run lock), and a load writes only its own view's tables, so they are still what is stored
 * when the next load begins. A server database only: the embedded one's single connection is held by
 * the current view's transaction.
 */
class StoredRowsAhead {
  private readonly ahead = new Map<number, Promise<StoredRows>>();

  constructor(
    private readonly deps: Pick<SyncDeps, 'db' | 'config'>,
    private readonly views: readonly ViewName[],
    private readonly signal?: AbortSignal,
  ) {}

  readAhead(i: number): void {
    if (this.deps.db.kind !== 'server' || i >= this.views.length || this.ahead.has(i)) return;
    const read = readStored({ ...this.deps, signal: this.signal }, getView(this.views[i]!), Date.now());
    // Taken (and its failure reported) by the view's load; a view never loaded lets it go.
    read.catch(() => undefined);
    this.ahead.set(i, read);
  }

  /** View `i`'s stored rows if they were read ahead; the load reads them itself otherwise. */
  take(i: number): Promise<StoredRows> | undefined {
    const read = this.ahead.get(i);
    this.ahead.delete(i);
    return read;
  }
}

/** The message a view that was never requested is recorded with. */
async function stopMessage(source: ViewSource, view: ViewName, stop: Error): Promise<string> {
  // The breaker's own message says until when, for this view.
  const refusal = stop instanceof BreakerOpenError ? await source.refusal?.(view).catch(() => null) : null;
  return refusal?.message ?? `${view} was not requested: ${stop.message}`;
}

/** A view the sync did not request: recorded `failed` with the reason, like any failed view. */
async function recordNotRequested(ctx: LoadContext, view: ViewName, message: string): Promise<ViewOutcome> {
  const recorder = new RunRecorder(ctx.db, ctx.config.schema);
  const id = await recorder.start(ctx.runId, view, API_SOURCE);
  const error = scrub(message);
  ctx.log.error({ view, err: error }, 'view not requested');
  const outcome: ViewOutcome = {
    view,
    source: API_SOURCE,
    status: 'failed',
    counts: { ...ZERO_COUNTS },
    error,
    cursor: null,
    fieldsNew: [],
    fieldsMissing: [],
  };
  await recorder.finish(id, { status: 'failed', counts: outcome.counts, error, newestCursor: null, fieldsNew: [], fieldsMissing: [] });
  return outcome;
}

/** OTC_RETENTION_DAYS, once the views are loaded; a failure here is logged and never fails the sync. */
async function pruneHistory(deps: SyncDeps, log: Logger, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    const pruned = await applyRetention(deps.db, deps.config.schema, deps.config.retentionDays);
    if (pruned.rejects + pruned.runs > 0)
      log.info({ ...pruned, days: deps.config.retentionDays }, 'deleted history past OTC_RETENTION_DAYS');
    const versions = await pruneTicketHistory(deps.db, deps.config.schema, deps.config.historyDays);
    if (versions > 0) log.info({ versions, days: deps.config.historyDays }, 'deleted ticket versions past OTC_HISTORY_DAYS');
  } catch (error) {
    log.warn({ err: errorMessage(error) }, 'could not apply OTC_RETENTION_DAYS; the history is kept for now');
  }
}
