/**
 * The views' bodies on their way from the source during a sync: requested one at a time, OTC_VIEW_GAP_MS
 * apart, spooled to disk and read while they arrive; and the answers after which no later view is asked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BreakerOpenError } from '../errors.js';
import type { Logger } from '../log.js';
import { API_SOURCE } from '../load/source-kind.js';
import type { ViewName } from '../registry.js';
import { chunksOfFile } from '../source/file-chunks.js';
import { HttpStatusError } from '../source/http-status-error.js';
import type { Spool } from '../source/spool.js';
import type { FetchedBody, ViewSource } from '../source/view-source.js';
import type { Recogniser } from '../transform/read-batch.js';
import { readRecordBatches, type RecordBatch } from '../transform/record-stream.js';
import type { RecordSource } from './record-source.js';
import type { SyncDeps, SyncOptions, SyncProgress } from './sync.js';

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
export function spooledRecordSource(
  view: ViewName,
  take: () => Promise<BodyFetch>,
  progress?: SyncProgress,
  onFetched?: () => void,
  maxRecordBytes?: number,
): RecordSource {
  const batchesOf = (chunks: AsyncIterable<Uint8Array>, recogniser?: Recogniser) => {
    const batches = readRecordBatches(chunks, { view, maxRecordBytes, recogniser });
    return progress ? counted(batches, (n) => progress.read(view, n)) : batches;
  };
  return {
    kind: 'api',
    name: API_SOURCE,
    open: async (early, recogniser) => {
      const fetch = await take();
      const latest: { batches: AsyncGenerator<RecordBatch> | null } = { batches: null };
      if (early) {
        fetch.follow((spool) => {
          latest.batches = batchesOf(spool.chunks(), recogniser);
          early(latest.batches);
        });
      }
      const body = await fetch.body;
      onFetched?.();
      return { batches: latest.batches ?? batchesOf(chunksOfFile(body.file), recogniser), close: () => body.dispose() };
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

/**
 * Answers that no later view can get either: the source refused our credentials or our access (the same
 * account asks for every view, and each refused login counts against it), or the circuit breaker is
 * open. The remaining views then fail at once, without a request and without the gap.
 */
export function stopsTheSync(error: unknown): boolean {
  if (error instanceof BreakerOpenError) return true;
  return error instanceof HttpStatusError && (error.status === 401 || error.status === 403);
}

/**
 * The views' bodies, requested one after another, OTC_VIEW_GAP_MS apart. With a server database the
 * next view's body is fetched while the current one loads: the source still sees one request at a
 * time, and the sync does not wait for the network between views. The embedded database has one
 * connection, which the view's transaction holds, so the source's state writes cannot run beside it:
 * there each body is fetched when its view's load starts.
 */
export class BodyQueue {
  private readonly gaps = new Map<number, Promise<void>>();
  private readonly ahead = new Map<number, Promise<BodyFetch>>();
  private readonly aheadAllowed: boolean;
  private readonly requested = new Set<number>();
  /** Set once an answer means no later view can be fetched (see `stopsTheSync`). */
  private stop: Error | null = null;

  constructor(
    private readonly deps: Pick<SyncDeps, 'db' | 'config' | 'source' | 'sleep'>,
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
    for (const fetch of this.ahead.values())
      void fetch
        .then((f) => f.body)
        .then((b) => b.dispose())
        .catch(() => undefined);
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
    const ms = config.source.viewGapMs;
    if (i === 0 || ms <= 0 || this.stop || this.options.signal?.aborted) return;
    // Asked first: an open breaker refuses the request anyway, so there is nothing to wait for. (Without
    // a pause, the request's own admission refuses it just as fast.)
    const refusal = await source.refusal?.(view).catch(() => null);
    if (refusal) {
      this.stop ??= refusal;
      return;
    }
    this.log.info(
      { view, waitMs: ms },
      `waiting ${formatSeconds(ms)} before requesting ${view} (OTC_VIEW_GAP_MS, the pause between views)`,
    );
    this.options.progress?.waiting?.(view, ms);
    const wait = this.deps.sleep ?? ((gapMs: number, signal?: AbortSignal) => sleep(gapMs, undefined, { signal }));
    await wait(ms, this.options.signal).catch(() => undefined);
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
