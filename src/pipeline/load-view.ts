/**
 * Loads one view from a source: the run recorded before and after, outside the view's transaction, and
 * in it the payload staged, guarded and merged (load-payload.ts). Sync, import and reprocess all load
 * through here, so every input path gets the same parser, merge, counts and quarantine. What differs is
 * the source's kind:
 * - api: the body is read while it downloads (early-read.ts); the volume guard, the removal of rows gone
 *   from the window, and drift apply.
 * - file: a small export file fails on rejects only when all its records are rejected.
 * - reprocess: every stored row travels again, and none may change its key.
 */
import type { Config } from '../config.js';
import { CancelledError, LoadRefusedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { type LoadStatus, RunRecorder, type ViewCounts, writeRejects, ZERO_COUNTS } from '../load/runs.js';
import { readStoredRows, StoredRows } from '../load/table-load.js';
import type { ViewSpec } from '../registry.js';
import { Normalizer } from '../transform/normalize.js';
import { zoneNamed } from '../transform/values.js';
import { capNames, type Drift, measureSyncDrift, recordSeenFields } from './drift.js';
import { PayloadReader } from './early-read.js';
import { errorMessage, loadFailureText, namingView } from './error-text.js';
import { loadPayload, throwIfCancelled } from './load-payload.js';
import { PayloadReading } from './payload-reading.js';
import type { OpenedSource, RecordSource } from './record-source.js';

export interface ViewOutcome {
  readonly view: string;
  readonly source: string;
  readonly status: Exclude<LoadStatus, 'running'>;
  readonly counts: ViewCounts;
  readonly error: string | null;
  /** Newest cursor (or window column) value seen in the payload. */
  readonly cursor: string | null;
  readonly fieldsNew: readonly string[];
  readonly fieldsMissing: readonly string[];
}

export interface LoadContext {
  readonly db: Db;
  readonly config: Config;
  readonly runId: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** Accept a payload much smaller than the last one (`sync --allow-shrink`). */
  readonly allowShrink?: boolean;
  /** The clock (epoch ms) that judges future timestamps; Date.now unless a test sets it. */
  readonly now?: () => number;
  /** The view's stored rows, read ahead by the sync while the view before it loaded; read by the load when absent. */
  readonly storedRows?: Promise<StoredRows>;
}

/** How far ahead of now a created time or cursor may be before it counts as implausible. */
const PLAUSIBLE_AHEAD_MS = 86_400_000;

type SyncDrift = Drift & { seen: string[] };

export async function loadView(ctx: LoadContext, view: ViewSpec, source: RecordSource): Promise<ViewOutcome> {
  const log = ctx.log.child({ view: view.name, source: source.name });
  const recorder = new RunRecorder(ctx.db, ctx.config.schema);
  const rowId = await recorder.start(ctx.runId, view.name, source.name);
  const reader = payloadReader(ctx, view, source);
  const { outcome, wholeBody } = await loadOrFail(ctx, view, source, reader, log);
  // Drift is about the source: measured for an API run against earlier syncs, never for an import (whose
  // file may well hold fewer columns) or a reprocess.
  const drift =
    source.kind === 'api' && wholeBody ? await measureSyncDrift(ctx.db, ctx.config.schema, view, reader.reading.normalizer, log) : null;
  const withDrift = {
    ...outcome,
    fieldsNew: drift ? capNames(drift.fieldsNew) : [],
    fieldsMissing: drift ? capNames(drift.fieldsMissing) : [],
  };
  await recordOutcome(ctx, view, reader.reading, { rowId, recorder, outcome: withDrift, drift, log });
  return withDrift;
}

/** Each download attempt's reading parses with the view's normalizer, against the stored hashes. */
function payloadReader(ctx: LoadContext, view: ViewSpec, source: RecordSource): PayloadReader {
  const zone = zoneNamed(ctx.config.timezone);
  // A created time or cursor more than a day ahead cannot be real (clocks drift, not by days).
  const nowMs = (ctx.now ?? Date.now)();
  const latestMs = nowMs + PLAUSIBLE_AHEAD_MS;
  const newReading = () => new PayloadReading(new Normalizer(view, { zone, serialDates: source.serialDates ?? false, latestMs }));
  // Reprocess must re-derive every row, also those whose stored hash matches (a column changed by hand,
  // or a parser fix without a PARSER_VERSION bump), so it skips the "unchanged never travels" check.
  const stored = (): Promise<StoredRows> =>
    source.kind === 'reprocess' ? Promise.resolve(StoredRows.none()) : (ctx.storedRows ?? readStored(ctx, view, nowMs));
  return new PayloadReader(newReading, stored);
}

/**
 * The stored rows a load of `view` compares its payload with (see `StoredRows`), in a transaction of
 * their own, so a signal cancels the read like any statement of the load.
 */
export function readStored(ctx: Pick<LoadContext, 'db' | 'config' | 'signal'>, view: ViewSpec, nowMs: number): Promise<StoredRows> {
  return ctx.db.transaction((tx) => readStoredRows(tx, ctx.config.schema, view, nowMs), { signal: ctx.signal });
}

/** The load's outcome, a failure or cancel included; `wholeBody` says whether it read the whole payload. */
async function loadOrFail(
  ctx: LoadContext,
  view: ViewSpec,
  source: RecordSource,
  reader: PayloadReader,
  log: Logger,
): Promise<{ outcome: ViewOutcome; wholeBody: boolean }> {
  try {
    const counts = await loadInTransaction(ctx, view, source, reader);
    const status = counts.rejected > 0 ? 'partial' : 'success';
    return { outcome: outcomeOf(view, source, status, counts, null, reader.reading), wholeBody: true };
  } catch (error) {
    const { reading } = reader;
    const cancelled = error instanceof CancelledError || ctx.signal?.aborted === true;
    const text = loadFailureText(error, view.name, ctx.signal);
    // An import's error is shown under its file name, with the view beside it: only sync and reprocess name it here.
    const message = source.kind === 'file' ? text : namingView(view.name, text);
    // A cancel is what the operator asked for: worth a warning, not an error.
    if (cancelled) log.warn({ err: message }, 'load cancelled, rolled back');
    else log.error({ err: message }, 'load failed, rolled back');
    const counts = { ...ZERO_COUNTS, fetched: reading.fetched, rejected: reading.rejected, valueErrors: reading.valueErrors };
    // Drift compares whole bodies: a load that stopped partway through one has not seen every field.
    const wholeBody = error instanceof LoadRefusedError;
    return { outcome: outcomeOf(view, source, cancelled ? 'cancelled' : 'failed', counts, message, reading), wholeBody };
  }
}

/** Opens the source, reading early while it downloads, then loads the rest in the view's transaction. */
async function loadInTransaction(ctx: LoadContext, view: ViewSpec, source: RecordSource, reader: PayloadReader): Promise<ViewCounts> {
  throwIfCancelled(ctx, view, 'before it started');
  const opened = await openSource(source, reader);
  try {
    const early = await reader.stopEarly();
    const payload = { ...early, reading: reader.reading, batches: opened.batches };
    return await ctx.db.transaction((tx) => loadPayload(tx, ctx, view, source, payload), { signal: ctx.signal });
  } finally {
    await opened.close();
  }
}

async function openSource(source: RecordSource, reader: PayloadReader): Promise<OpenedSource> {
  try {
    return await source.open(reader.startEarly, reader.recogniser);
  } catch (error) {
    reader.abandon();
    throw error;
  }
}

/** Outside the transaction: the quarantine and the run record survive a rollback. */
async function recordOutcome(
  ctx: LoadContext,
  view: ViewSpec,
  reading: PayloadReading,
  run: { rowId: number; recorder: RunRecorder; outcome: ViewOutcome; drift: SyncDrift | null; log: Logger },
): Promise<void> {
  const { db, config, runId } = ctx;
  const { outcome, drift } = run;
  await writeRejects(db, config.schema, { runId, view: view.name, source: outcome.source }, reading.rejects);
  await run.recorder.finish(run.rowId, {
    status: outcome.status,
    counts: outcome.counts,
    error: outcome.error,
    newestCursor: outcome.cursor,
    fieldsNew: outcome.fieldsNew,
    fieldsMissing: outcome.fieldsMissing,
    driftMeasured: drift !== null,
  });
  if (drift && (outcome.status === 'success' || outcome.status === 'partial')) {
    await recordSeenFields(db, config.schema, view.name, runId, drift.seen).catch((error: unknown) => {
      run.log.warn(
        { err: errorMessage(error) },
        'could not record the fields this sync carried; the next sync measures drift against older ones',
      );
    });
  }
}

function outcomeOf(
  view: ViewSpec,
  source: RecordSource,
  status: ViewOutcome['status'],
  counts: ViewCounts,
  error: string | null,
  reading: PayloadReading,
): ViewOutcome {
  return {
    view: view.name,
    source: source.name,
    status,
    counts,
    error,
    cursor: reading.payload.newestCursor,
    fieldsNew: [],
    fieldsMissing: [],
  };
}
