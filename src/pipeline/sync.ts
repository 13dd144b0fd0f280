/** A sync run: fetch each requested view from the source and load it, in the SPEC §5 order. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { applyRetention } from '../load/retention.js';
import { pruneTicketHistory } from '../load/ticket-history.js';
import { getView, VIEW_NAMES, type ViewName } from '../registry.js';
import type { Spool } from '../source/spool.js';
import type { FetchedBody, ViewSource } from '../source/view-source.js';
import { chunksOfFile } from '../source/file-chunks.js';
import { readRecordBatches, type RecordBatch } from '../transform/record-stream.js';
import { errorMessage, loadView, type RecordSource, type ViewOutcome } from './load-view.js';
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
function spooledRecordSource(view: ViewName, take: () => Promise<BodyFetch>, progress?: SyncProgress, onFetched?: () => void, maxRecordBytes?: number): RecordSource {
  const batchesOf = (chunks: AsyncIterable<Uint8Array>) => {
    const batches = readRecordBatches(chunks, { view, maxRecordBytes });
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
  const bodies = new BodyQueue(deps, views, options);
  try {
    for (const [i, name] of views.entries()) {
      const view = getView(name);
      const ctx = { db: deps.db, config: deps.config, runId, log, signal: options.signal, allowShrink: options.allowShrink };
      const source = spooledRecordSource(name, () => bodies.take(i), options.progress, () => bodies.fetchAhead(i + 1), deps.config.maxRecordBytes);
      const outcome = await loadView(ctx, view, source);
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
 * The views' bodies, requested one after another. With a server database the next view's body is
 * fetched while the current one loads: the source still sees one request at a time, OTC_VIEW_GAP_MS
 * apart, and the sync does not wait for the network between views. The embedded database has one
 * connection, which the view's transaction holds, so the source's state writes cannot run beside it:
 * there each body is fetched when its view's load starts.
 */
class BodyQueue {
  private readonly pending = new Map<number, Promise<BodyFetch>>();
  private readonly aheadAllowed: boolean;

  constructor(
    private readonly deps: SyncDeps,
    private readonly views: readonly ViewName[],
    private readonly options: SyncOptions,
  ) {
    this.aheadAllowed = deps.db.kind === 'server';
  }

  /** View `i`'s body: the one fetched ahead, or a new request. */
  take(i: number): Promise<BodyFetch> {
    const ahead = this.pending.get(i);
    this.pending.delete(i);
    return ahead ?? this.fetch(i);
  }

  /** Starts fetching view `i`'s body, to be taken later. */
  fetchAhead(i: number): void {
    if (!this.aheadAllowed || i >= this.views.length || this.pending.has(i)) return;
    this.pending.set(i, this.fetch(i));
  }

  /** Deletes the spool files of bodies fetched ahead but never taken (the run was cancelled). */
  discard(): void {
    for (const fetch of this.pending.values()) void fetch.then((f) => f.body).then((b) => b.dispose()).catch(() => undefined);
    this.pending.clear();
  }

  private async fetch(i: number): Promise<BodyFetch> {
    const { config, source } = this.deps;
    // The source is fragile: pause between views so a full sync is not a burst of huge requests.
    if (i > 0 && config.source.viewGapMs > 0) {
      await sleep(config.source.viewGapMs, undefined, { signal: this.options.signal }).catch(() => undefined);
    }
    return new BodyFetch(source, this.views[i]!, this.options);
  }
}

/** OTC_RETENTION_DAYS, once the views are loaded; a failure here is logged and never fails the sync. */
async function pruneHistory(deps: SyncDeps, log: Logger, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    const pruned = await applyRetention(deps.db, deps.config.schema, deps.config.retentionDays);
    if (pruned.rejects + pruned.runs > 0) log.info({ ...pruned, days: deps.config.retentionDays }, 'deleted history past OTC_RETENTION_DAYS');
    const versions = await pruneTicketHistory(deps.db, deps.config.schema, deps.config.historyDays);
    if (versions > 0) log.info({ versions, days: deps.config.historyDays }, 'deleted ticket versions past OTC_HISTORY_DAYS');
  } catch (error) {
    log.warn({ err: errorMessage(error) }, 'could not apply OTC_RETENTION_DAYS; the history is kept for now');
  }
}
