/** A sync run: fetch each requested view from the source and load it, in the SPEC §5 order. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { applyRetention } from '../load/retention.js';
import { getView, VIEW_NAMES, type ViewName } from '../registry.js';
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

function fetchBody(source: ViewSource, view: ViewName, signal?: AbortSignal, progress?: SyncProgress): Promise<FetchedBody> {
  return source.fetchView(view, signal, progress && ((bytes) => progress.downloaded(view, bytes)));
}

/** Record batches streamed from a view's spooled HTTP body, fetched now or ahead; `onFetched` is told when it is there. */
function spooledRecordSource(view: ViewName, fetch: () => Promise<FetchedBody>, progress?: SyncProgress, onFetched?: () => void): RecordSource {
  return {
    name: 'api',
    open: async () => {
      const body = await fetch();
      onFetched?.();
      const batches = readRecordBatches(chunksOfFile(body.file), { view });
      return {
        batches: progress ? counted(batches, (n) => progress.read(view, n)) : batches,
        close: () => body.dispose(),
      };
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
      const source = spooledRecordSource(name, () => bodies.take(i), options.progress, () => bodies.fetchAhead(i + 1));
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
  private readonly pending = new Map<number, Promise<FetchedBody>>();
  private readonly aheadAllowed: boolean;

  constructor(
    private readonly deps: SyncDeps,
    private readonly views: readonly ViewName[],
    private readonly options: SyncOptions,
  ) {
    this.aheadAllowed = deps.db.kind === 'server';
  }

  /** View `i`'s body: the one fetched ahead, or a new request. */
  take(i: number): Promise<FetchedBody> {
    const ahead = this.pending.get(i);
    this.pending.delete(i);
    return ahead ?? this.fetch(i);
  }

  /** Starts fetching view `i`'s body, to be taken later. */
  fetchAhead(i: number): void {
    if (!this.aheadAllowed || i >= this.views.length || this.pending.has(i)) return;
    const body = this.fetch(i);
    // Taken (and its failure reported) by that view's load; until then a failure must not go unhandled.
    body.catch(() => undefined);
    this.pending.set(i, body);
  }

  /** Deletes the spool files of bodies fetched ahead but never taken (the run was cancelled). */
  discard(): void {
    for (const body of this.pending.values()) void body.then((b) => b.dispose()).catch(() => undefined);
    this.pending.clear();
  }

  private async fetch(i: number): Promise<FetchedBody> {
    const { config, source } = this.deps;
    // The source is fragile: pause between views so a full sync is not a burst of huge requests.
    if (i > 0 && config.source.viewGapMs > 0) {
      await sleep(config.source.viewGapMs, undefined, { signal: this.options.signal }).catch(() => undefined);
    }
    return fetchBody(source, this.views[i]!, this.options.signal, this.options.progress);
  }
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
