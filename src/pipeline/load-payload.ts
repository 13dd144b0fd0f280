/**
 * A view's load inside its transaction: the payload sent to the table (staged, or copied straight into
 * an empty one), the guards, the merge with ticket history beside it, and the removal of rows gone from
 * the window. A signal is checked between batches and before the merge and the commit.
 */
import { setImmediate } from 'node:timers/promises';
import { CancelledError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Tx } from '../load/db.js';
import type { MergeCounts } from '../load/table-load.js';
import { TableLoad } from '../load/table-load.js';
import { recordCopiedVersions, recordTicketHistory } from '../load/ticket-history.js';
import { type ViewCounts, ZERO_COUNTS } from '../load/runs.js';
import type { ViewSpec } from '../registry.js';
import type { RecordBatch } from '../transform/record-stream.js';
import type { ReadEarly } from './early-read.js';
import { cancelledMessage } from './error-text.js';
import { refuseOnShrink, refuseRejectRate, refuseRekeying, removeMissing } from './load-guards.js';
import type { LoadContext } from './load-view.js';
import type { PayloadReading, ToSend } from './payload-reading.js';
import type { RecordSource } from './record-source.js';

/** What the transaction loads: the reading so far, what was read early, and the batches still to read. */
export interface Payload extends ReadEarly {
  readonly reading: PayloadReading;
  readonly batches: AsyncIterable<RecordBatch>;
}

/** Loads the payload in the caller's transaction; returns the view's counts. */
export async function loadPayload(tx: Tx, ctx: LoadContext, view: ViewSpec, source: RecordSource, payload: Payload): Promise<ViewCounts> {
  return new PayloadLoad(tx, ctx, view, source, payload).run();
}

class PayloadLoad {
  private readonly table: TableLoad;
  private readonly reading: PayloadReading;
  private readonly log: Logger;
  private readonly phase = phaseTimer();

  constructor(
    private readonly tx: Tx,
    private readonly ctx: LoadContext,
    private readonly view: ViewSpec,
    private readonly source: RecordSource,
    private readonly payload: Payload,
  ) {
    const { runId, config } = ctx;
    this.table = new TableLoad(tx, view, config.schema, { runId, kind: source.kind, source: source.name });
    this.reading = payload.reading;
    this.log = ctx.log.child({ view: view.name });
  }

  async run(): Promise<ViewCounts> {
    await this.table.begin();
    this.log.debug({ ms: this.phase(), stored: this.payload.stored.size, readEarly: this.reading.fetched }, 'began the load');
    await this.send();
    await this.guard();
    const merged = await this.merge();
    const removed = await this.removeMissing();
    this.payload.stored.clear();
    await this.table.analyzeIfLarge(merged, this.reading.payload.size);
    this.log.debug({ ms: this.phase(), removed }, 'removed missing rows and analyzed');
    // The embedded database cannot interrupt a statement: a signal during the merge is seen here.
    await checkpoint(this.ctx, this.view);
    return this.counts(merged, removed);
  }

  /** Sends what was read early, then reads and sends the rest of the payload. */
  private async send(): Promise<void> {
    const { stored, toSend, batches } = this.payload;
    // Batch by batch, so a signal is seen between them as between the batches below; each is let go
    // once sent, rather than all of them held (up to EARLY_MAX_BYTES) until the load ends.
    for (let part = toSend.shift(); part; part = toSend.shift()) {
      await checkpoint(this.ctx, this.view);
      await this.sendPart(part);
    }
    for await (const batch of batches) {
      await checkpoint(this.ctx, this.view);
      await this.sendPart(this.reading.take(batch, stored));
    }
    await this.table.endStaging();
    this.log.debug(
      { ms: this.phase(), staged: this.table.stagedCount, copied: this.table.insertedCount },
      'read, parsed and sent the payload',
    );
  }

  private async sendPart({ fresh, repeats }: ToSend): Promise<void> {
    await this.table.send(fresh, repeats);
    this.ctx.log.debug({ view: this.view.name, fetched: this.reading.fetched }, `${this.view.name}: sent a batch`);
  }

  /** The guards that judge the whole payload before anything is merged. */
  private async guard(): Promise<void> {
    const { view, ctx, source } = this;
    refuseRejectRate(view.name, ctx.config.maxRejectRate, this.reading, source.kind === 'file');
    // Only the API sends a view whole, so only its payload can shrink.
    if (source.kind === 'api' && !ctx.allowShrink) {
      await refuseOnShrink(this.tx, ctx.config.schema, view, this.reading.fetched, ctx.config.minVolumeRatio);
    }
    await checkpoint(ctx, view);
  }

  private async merge(): Promise<MergeCounts> {
    const { tx, view, ctx, table, reading } = this;
    const schema = ctx.config.schema;
    const history = { runId: ctx.runId, source: this.source.name, stage: table.stagingTable, startedEmpty: table.startedEmpty };
    if (view.history) await recordCopiedVersions(tx, schema, view, history);
    const merged = await table.merge({ hasDuplicates: reading.payload.stagedDuplicates });
    this.log.debug({ ms: this.phase(), inserted: merged.inserted, updated: merged.updated }, 'merged');
    if (view.history) {
      const versions = await recordTicketHistory(tx, schema, view, history);
      this.log.debug({ ms: this.phase(), ...versions }, 'recorded ticket versions');
    }
    if (this.source.kind === 'reprocess') refuseRekeying(view.name, merged.inserted + reading.payload.rows - reading.payload.size);
    return merged;
  }

  /** Only an API payload holds a view's whole window; rows stored before this load can be missing from it. */
  private async removeMissing(): Promise<number> {
    // A table that started empty has no row from before this load.
    if (this.source.kind !== 'api' || this.table.startedEmpty) return 0;
    return removeMissing(this.table, this.reading.payload, this.payload.stored, this.ctx.runId);
  }

  private counts(merged: MergeCounts, removed: number): ViewCounts {
    const { reading } = this;
    const distinct = reading.payload.size;
    return {
      ...ZERO_COUNTS,
      fetched: reading.fetched,
      inserted: merged.inserted,
      updated: merged.updated,
      unchanged: distinct - merged.inserted - merged.updated,
      duplicates: reading.payload.rows - distinct,
      rejected: reading.rejected,
      valueErrors: reading.valueErrors,
      removed,
    };
  }
}

/**
 * Between batches, and before the merge and the commit: lets the event loop turn (the embedded database
 * runs in this thread, and a signal is only delivered when the loop gets to it), then checks for one.
 */
async function checkpoint(ctx: LoadContext, view: ViewSpec): Promise<void> {
  await setImmediate();
  throwIfCancelled(ctx, view);
}

/** Checked before the fetch, and at each checkpoint. */
export function throwIfCancelled(ctx: LoadContext, view: ViewSpec, when?: string): void {
  if (ctx.signal?.aborted) throw new CancelledError(cancelledMessage(view.name, ctx.signal, when), { view: view.name });
}

/** Milliseconds since the previous call, for the debug log of each load phase. */
function phaseTimer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = Math.round(now - last);
    last = now;
    return ms;
  };
}
