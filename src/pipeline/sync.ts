/** A sync run: fetch each requested view from the source and load it, in the SPEC §5 order. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import { BreakerOpenError } from '../errors.js';
import { scrub, type Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { applyRetention } from '../load/retention.js';
import { RunRecorder, ZERO_COUNTS } from '../load/runs.js';
import { getView, VIEW_NAMES, type ViewName } from '../registry.js';
import { HttpStatusError } from '../source/http-get.js';
import type { Spool } from '../source/spool.js';
import type { FetchedBody, ViewSource } from '../source/view-source.js';
import { chunksOfFile } from '../source/file-chunks.js';
import { readRecordBatches, type RecordBatch } from '../transform/record-stream.js';
import { errorMessage, loadView, type LoadContext, type RecordSource, type ViewOutcome } from './load-view.js';
import { refreshUsersAfterSync, type UserLookupOutcome } from './user-lookup.js';

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

/**
 * One view's body on its way: the request (with its retries), and the spool of its latest attempt, so
 * the load can read the body while it arrives.
 */
class BodyFetch {
  readonly body: Promise<FetchedBody>;
  private spool: Spool | null = null;
  private reader: ((spool: Spool) => void) | null = null;

  constructor(source: ViewSource, view: ViewName, options: SyncOptions) {
    const { signal, progress } = options;
    this.body = source.fetchView(view, {
      signal,
      onBytes: progress && ((bytes) => progress.downloaded(view, bytes)),
      onSpool: (spool) => {
        this.spool = spool;
        this.reader?.(spool);
      },
    });
    // Taken (and its failure reported) by the view's load; until then a failure must not go unhandled.
    this.body.catch(() => undefined);
  }

  /** Calls `read` with the current attempt's spool, if any, and with each later attempt's. */
  follow(read: (spool: Spool) => void): void {
    this.reader = read;
    if (this.spool) read(this.spool);
  }
}

/** Record batches streamed from a view's spooled HTTP body; `onFetched` is told when all of it is there. */
function spooledRecordSource(view: ViewName, take: () => Promise<BodyFetch>, progress?: SyncProgress, onFetched?: () => void): RecordSource {
  const batchesOf = (chunks: AsyncIterable<Uint8Array>) => {
    const batches = readRecordBatches(chunks, { view });
    return progress ? counted(batches, (n) => progress.read(view, n)) : batches;
  };
  return {
    name: 'api',
    open: async (early) => {
      const fetch = await take();
      const latest: { batches: AsyncGenerator<RecordBatch> | null } = { batches: null };
      if (early) {
        fetch.follow((spool) => {
          latest.batches = batchesOf(spool.chunks());
          early(latest.batches);
        });
      }
      const body = await fetch.body;
      onFetched?.();
      return { batches: latest.batches ?? batchesOf(chunksOfFile(body.file)), close: () => body.dispose() };
    },
  };
}

async function* counted(batches: AsyncIterable<RecordBatch>, onRead: (records: number) => void): AsyncGenerator<RecordBatch> {
  let records = 0;
  for await (const batch of batches) {
    records += batch.records.length;
    onRead(records);
    yield batch;
  }
}

export async function runSync(deps: SyncDeps, options: SyncOptions = {}): Promise<SyncResult> {
  const runId = options.runId ?? randomUUID();
  const requested = new Set(options.views ?? VIEW_NAMES);
  const views = VIEW_NAMES.filter((v) => requested.has(v));
  const log = deps.log.child({ runId });
  const outcomes: ViewOutcome[] = [];
  log.info({ views }, 'sync started');
  const bodies = new BodyQueue(deps, views, options, log);
  try {
    for (const [i, name] of views.entries()) {
      const view = getView(name);
      const ctx = { db: deps.db, config: deps.config, runId, log, signal: options.signal, allowShrink: options.allowShrink };
      // The gap before the view's request is over before its run starts: it is not part of its load.
      const stop = await bodies.ready(i);
      const outcome = stop
        ? await recordNotRequested(ctx, name, await stopMessage(deps.source, name, stop))
        : await loadView(ctx, view, spooledRecordSource(name, () => bodies.take(i), options.progress, () => bodies.fetchAhead(i + 1)));
      options.progress?.finished(outcome);
      log.info({ view: name, status: outcome.status, ...outcome.counts }, `${name}: ${outcome.status}`);
      outcomes.push(outcome);
    }
  } finally {
    bodies.discard();
  }
  await pruneHistory(deps, log, options.signal);
  // SPEC §5: a full sync ends with the user lookup refresh, from whatever the views now hold (a failed
  // view still leaves its earlier rows as evidence). Its own transaction: it never fails a view.
  const full = views.length === VIEW_NAMES.length;
  if (!full || options.signal?.aborted) return { runId, outcomes };
  const userLookup = await refreshUsersAfterSync({ db: deps.db, config: deps.config, log });
  return { runId, outcomes, userLookup };
}

/**
 * Answers that no later view can get either: the source refused our credentials or our access (the same
 * account asks for every view, and each refused login counts against it), or the circuit breaker is
 * open. The remaining views then fail at once, without a request and without the gap.
 */
function stopsTheSync(error: unknown): boolean {
  if (error instanceof BreakerOpenError) return true;
  return error instanceof HttpStatusError && (error.status === 401 || error.status === 403);
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
  const id = await recorder.start(ctx.runId, view, 'api');
  const error = scrub(message);
  ctx.log.error({ view, err: error }, 'view not requested');
  const outcome: ViewOutcome = { view, source: 'api', status: 'failed', counts: { ...ZERO_COUNTS }, error, cursor: null, fieldsNew: [], fieldsMissing: [] };
  await recorder.finish(id, { status: 'failed', counts: outcome.counts, error, newestCursor: null, fieldsNew: [], fieldsMissing: [] });
  return outcome;
}

/**
 * The views' bodies, requested one after another, OTC_VIEW_GAP_MS apart. With a server database the
 * next view's body is fetched while the current one loads: the source still sees one request at a
 * time, and the sync does not wait for the network between views. The embedded database has one
 * connection, which the view's transaction holds, so the source's state writes cannot run beside it:
 * there each body is fetched when its view's load starts.
 */
class BodyQueue {
  private readonly gaps = new Map<number, Promise<void>>();
  private readonly ahead = new Map<number, Promise<BodyFetch>>();
  private readonly aheadAllowed: boolean;
  private readonly requested = new Set<number>();
  /** Set once an answer means no later view can be fetched (see `stopsTheSync`). */
  private stop: Error | null = null;

  constructor(
    private readonly deps: SyncDeps,
    private readonly views: readonly ViewName[],
    private readonly options: SyncOptions,
    private readonly log: Logger,
  ) {
    this.aheadAllowed = deps.db.kind === 'server';
  }

  /**
   * Waits until view `i` may be requested; resolves with the reason it must not be, if there is one. A
   * view already requested (fetched ahead) goes on to its load, which reports its own answer.
   */
  async ready(i: number): Promise<Error | null> {
    await this.gapBefore(i);
    return this.requested.has(i) ? null : this.stop;
  }

  /** View `i`'s body: the one fetched ahead, or a new request. */
  take(i: number): Promise<BodyFetch> {
    const ahead = this.ahead.get(i);
    this.ahead.delete(i);
    return ahead ?? Promise.resolve(this.request(i));
  }

  /** Starts fetching view `i`'s body (after its gap), to be taken later. */
  fetchAhead(i: number): void {
    if (!this.aheadAllowed || i >= this.views.length || this.ahead.has(i) || this.stop) return;
    const fetch = this.gapBefore(i).then(() => {
      if (this.stop) throw this.stop;
      return this.request(i);
    });
    fetch.catch(() => undefined);
    this.ahead.set(i, fetch);
  }

  /** Deletes the spool files of bodies fetched ahead but never taken (the run was cancelled or stopped). */
  discard(): void {
    for (const fetch of this.ahead.values()) void fetch.then((f) => f.body).then((b) => b.dispose()).catch(() => undefined);
    this.ahead.clear();
  }

  private request(i: number): BodyFetch {
    this.requested.add(i);
    const fetch = new BodyFetch(this.deps.source, this.views[i]!, this.options);
    fetch.body.catch((error: unknown) => {
      if (stopsTheSync(error)) this.stop ??= error as Error;
    });
    return fetch;
  }

  private gapBefore(i: number): Promise<void> {
    let gap = this.gaps.get(i);
    if (!gap) {
      gap = this.waitGap(i);
      this.gaps.set(i, gap);
    }
    return gap;
  }

  /** The source is fragile: a pause between views, so a full sync is not a burst of huge requests. */
  private async waitGap(i: number): Promise<void> {
    const { config, source } = this.deps;
    const view = this.views[i]!;
    if (i === 0 || this.stop || this.options.signal?.aborted) return;
    // Asked first: an open breaker refuses the request anyway, so there is nothing to wait for.
    const refusal = await source.refusal?.(view).catch(() => null);
    if (refusal) {
      this.stop ??= refusal;
      return;
    }
    const ms = config.source.viewGapMs;
    if (ms <= 0) return;
    this.log.info({ view, waitMs: ms }, `waiting ${formatSeconds(ms)} before requesting ${view} (OTC_VIEW_GAP_MS, the pause between views)`);
    this.options.progress?.waiting?.(view, ms);
    const wait = this.deps.sleep ?? ((gapMs: number, signal?: AbortSignal) => sleep(gapMs, undefined, { signal }));
    await wait(ms, this.options.signal).catch(() => undefined);
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** OTC_RETENTION_DAYS, once the views are loaded; a failure here is logged and never fails the sync. */
async function pruneHistory(deps: SyncDeps, log: Logger, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    const pruned = await applyRetention(deps.db, deps.config.schema, deps.config.retentionDays);
    if (pruned.rejects + pruned.runs > 0) log.info({ ...pruned, days: deps.config.retentionDays }, 'deleted history past OTC_RETENTION_DAYS');
  } catch (error) {
    log.warn({ err: errorMessage(error) }, 'could not apply OTC_RETENTION_DAYS; the history is kept for now');
  }
}
