/**
 * Loads one view from a stream of record batches: normalize → stage → merge in one transaction,
 * with the run recorded before and after, outside that transaction. Used by sync, import and
 * reprocess alike, so every input path gets the same parser, merge, counts and quarantine. An API body
 * is read while it downloads, before the transaction begins (see `EarlyRead`).
 */
import { setImmediate } from 'node:timers/promises';
import type { Config } from '../config.js';
import { CancelledError, LoadRefusedError, OtcEtlError } from '../errors.js';
import type { Logger } from '../log.js';
import { scrub } from '../log.js';
import { qualified, sqlState, type Db, type Queryable } from '../load/db.js';
import { isConnectionLost, isDatabaseError, safeDatabaseMessage } from '../load/db-errors.js';
import { storedHashes, TableLoad } from '../load/table-load.js';
import { REPROCESS_SOURCE } from '../load/merge-sql.js';
import { recordCopiedVersions, recordTicketHistory } from '../load/ticket-history.js';
import { API_SOURCE, COMMITTED_API_RUNS, RunRecorder, writeRejects, ZERO_COUNTS, type LoadStatus, type RejectEntry, type ViewCounts } from '../load/runs.js';
import type { ViewSpec } from '../registry.js';
import { logDrift, measureDrift, readDriftBaseline, recordSeenFields, type Drift } from './drift.js';
import { PayloadIndex } from './payload-index.js';
import { rejectRateProblem } from './load-guards.js';
import { Normalizer, storable, type KnownRecord, type NormalizedRow, type RejectedRecord } from '../transform/normalize.js';
import { MAX_FIELD_DEPTH, nestedDeeperThan, stringifyDeep } from '../transform/deep-json.js';
import { DEFAULT_BATCH_SIZE, type RecordBatch } from '../transform/record-stream.js';
import { UnreadableRecord } from '../transform/unreadable-record.js';
import { Zone } from '../transform/values.js';

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
}

/** How far ahead of now a created time or cursor may be before it counts as implausible. */
const PLAUSIBLE_AHEAD_MS = 86_400_000;

/** Where a view's records come from: opened after the run row is written, closed after the load. */
export interface RecordSource {
  readonly name: string;
  /**
   * Resolves once every record can be read. A source whose body arrives slowly (the API) hands each
   * download attempt's batches to `early` as the body starts to arrive, and then returns the last
   * attempt's batches, so what was read early is not read again.
   */
  open(early?: (batches: AsyncIterator<RecordBatch>) => void): Promise<{ batches: AsyncIterable<RecordBatch>; close(): Promise<void> }>;
  readonly serialDates?: '1900' | '1904' | false;
  /** An imported export file: under SMALL_FILE_RECORDS records, it fails on rejects only when all are. */
  readonly isExport?: boolean;
}

/** Rows that must travel to the database, from one or more batches. */
interface ToSend {
  readonly fresh: NormalizedRow[];
  readonly repeats: NormalizedRow[];
}

/** What one reading of a payload has learnt; a download attempt that fails is read again from scratch. */
class LoadState {
  fetched = 0;
  rejected = 0;
  valueErrors = 0;
  readonly rejects: RejectEntry[] = [];
  readonly payload = new PayloadIndex();

  constructor(readonly normalizer: Normalizer) {}

  /**
   * Normalizes one batch and admits its rows to the payload index; adds the rows that must travel to
   * `into` (a record identical to its stored row stays here).
   */
  take(batch: RecordBatch, stored: ReadonlyMap<string, string>, into: ToSend = { fresh: [], repeats: [] }): ToSend {
    const isStored = (key: string, hash: string) => stored.get(key) === hash;
    // With nothing stored (a first load) no record can be known: skip looking.
    const { rows, rejects } =
      stored.size > 0
        ? this.normalizer.normalizeKnown(batch.records, batch.firstPosition, isStored)
        : this.normalizer.normalize(batch.records, batch.firstPosition);
    this.fetched += batch.records.length;
    this.collectRejects(rejects);
    for (const row of rows) {
      // A known record is one whose stored hash is its own.
      const admitted = this.payload.admit(row, row.kind === 'known' ? row.hash : stored.get(row.key));
      if (admitted === 'skip') continue;
      const full = row.kind === 'row' ? row : this.completed(row);
      (admitted === 'first' ? into.fresh : into.repeats).push(full);
    }
    return into;
  }

  private collectRejects(rejects: readonly RejectedRecord[]): void {
    for (const reject of rejects) {
      if (reject.kind === 'record') this.rejected++;
      else this.valueErrors++;
      this.rejects.push(toEntry(reject));
    }
  }

  /**
   * A record identical to its stored row that must travel after all: a later copy of a key whose earlier
   * copy in the payload differed and was sent, so the database dedup has to see this one win.
   */
  private completed(known: KnownRecord): NormalizedRow {
    const { rows, rejects } = this.normalizer.complete(known);
    this.collectRejects(rejects);
    // Its key parsed a moment ago, so the record cannot be rejected now.
    if (rows.length !== 1) throw new Error(`record ${known.position} parsed differently twice`);
    return rows[0]!;
  }
}

/** How much the early read may hold (about the rows' length as JSON text, see `rowChars`) before it waits for the transaction. */
const EARLY_MAX_RAW_CHARS = 16 << 20;
/** What a field costs a held row beyond its value's text (about its name and punctuation as JSON). */
const FIELD_CHARS = 20;

/**
 * Reads a body while it is still downloading, before the view's transaction begins: records identical
 * to their stored rows need nothing more, and the rows that must travel wait in memory (up to
 * EARLY_MAX_RAW_CHARS) for the transaction. The network stays out of the transaction, and the load no
 * longer waits for the whole body before it starts parsing.
 */
class EarlyRead {
  readonly toSend: ToSend = { fresh: [], repeats: [] };
  private error: unknown = null;
  private stopping = false;
  private held = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly batches: AsyncIterator<RecordBatch>,
    private readonly state: LoadState,
    stored: Promise<ReadonlyMap<string, string>>,
  ) {
    this.done = this.run(stored);
  }

  /** Lets the batch in hand finish and stops; rethrows what went wrong while reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
    if (this.error) throw this.error;
  }

  /** Its download attempt failed: stop, and let go of the body. */
  abandon(): void {
    this.stopping = true;
    void this.done.then(() => this.batches.return?.()).catch(() => undefined);
  }

  private async run(storedRead: Promise<ReadonlyMap<string, string>>): Promise<void> {
    try {
      const stored = await storedRead;
      const { fresh, repeats } = this.toSend;
      while (!this.stopping && this.held < EARLY_MAX_RAW_CHARS) {
        const next = await this.batches.next();
        if (next.done === true) return;
        const [freshBefore, repeatsBefore] = [fresh.length, repeats.length];
        this.state.take(next.value, stored, this.toSend);
        this.held += rowChars(fresh, freshBefore) + rowChars(repeats, repeatsBefore);
      }
    } catch (error) {
      this.error = error;
    }
  }
}

function* parts({ fresh, repeats }: ToSend, size: number): Generator<ToSend> {
  for (let i = 0; i < fresh.length; i += size) yield { fresh: fresh.slice(i, i + size), repeats: [] };
  for (let i = 0; i < repeats.length; i += size) yield { fresh: [], repeats: repeats.slice(i, i + size) };
}

/**
 * About the length of rows as JSON text: their values and `_raw`. `_raw` alone no longer measures a
 * row, since it holds only what the columns do not.
 */
function rowChars(rows: readonly NormalizedRow[], from: number): number {
  let chars = 0;
  for (let i = from; i < rows.length; i++) {
    const row = rows[i]!;
    chars += row.raw.length + row.values.length * FIELD_CHARS;
    for (const value of row.values) if (typeof value === 'string') chars += value.length;
  }
  return chars;
}

export async function loadView(ctx: LoadContext, view: ViewSpec, source: RecordSource): Promise<ViewOutcome> {
  const { db, config, runId } = ctx;
  const log = ctx.log.child({ view: view.name, source: source.name });
  const recorder = new RunRecorder(db, config.schema);
  const rowId = await recorder.start(runId, view.name, source.name);
  const zone = new Zone(config.timezone);
  // A created time or cursor more than a day ahead cannot be real (clocks drift, not by days).
  const latestMs = (ctx.now ?? Date.now)() + PLAUSIBLE_AHEAD_MS;
  const newState = () => new LoadState(new Normalizer(view, { zone, serialDates: source.serialDates ?? false, latestMs }));
  const reading = { state: newState() };
  let outcome: ViewOutcome;
  // Drift compares whole bodies: a load that stopped partway through one has not seen every field.
  let wholeBody = false;
  try {
    const counts = await loadInTransaction(ctx, view, source, reading, newState);
    const status = counts.rejected > 0 ? 'partial' : 'success';
    outcome = finishOutcome(view, source, status, counts, null, reading.state);
    wholeBody = true;
  } catch (error) {
    wholeBody = error instanceof LoadRefusedError;
    const { state } = reading;
    const cancelled = error instanceof CancelledError || ctx.signal?.aborted === true;
    const text = error instanceof CancelledError ? error.message : cancelled ? cancelledMessage(view.name, ctx.signal) : errorMessage(error);
    // An import's error is shown under its file name, with the view beside it: only sync and reprocess name it here.
    const message = source.name === 'api' || source.name === REPROCESS_SOURCE ? namingView(view.name, text) : text;
    // A cancel is what the operator asked for: worth a warning, not an error.
    if (cancelled) log.warn({ err: message }, 'load cancelled, rolled back');
    else log.error({ err: message }, 'load failed, rolled back');
    const counts = { ...ZERO_COUNTS, fetched: state.fetched, rejected: state.rejected, valueErrors: state.valueErrors };
    outcome = finishOutcome(view, source, cancelled ? 'cancelled' : 'failed', counts, message, state);
  }
  // Drift is about the source: measured for an API run against earlier syncs, never for an import (whose
  // file may well hold fewer columns) or a reprocess.
  const drift = source.name === API_SOURCE && wholeBody ? await apiDrift(ctx, view, reading.state, log) : null;
  outcome = { ...outcome, fieldsNew: drift ? capNames(drift.fieldsNew) : [], fieldsMissing: drift ? capNames(drift.fieldsMissing) : [] };
  // Outside the transaction: the quarantine and the run record survive a rollback.
  await writeRejects(db, config.schema, { runId, view: view.name, source: source.name }, reading.state.rejects);
  await recorder.finish(rowId, {
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
      log.warn({ err: errorMessage(error) }, 'could not record the fields this sync carried; the next sync measures drift against older ones');
    });
  }
  return outcome;
}

/** Drift of an API run that read its whole body, logged as a warning; null if it cannot be measured. */
async function apiDrift(ctx: LoadContext, view: ViewSpec, state: LoadState, log: Logger): Promise<(Drift & { seen: string[] }) | null> {
  if (state.normalizer.recordsRead === 0) return null;
  try {
    const seen = [...new Set(state.normalizer.fieldsSeen().map(cleanName))];
    const drift = measureDrift(view, seen, await readDriftBaseline(ctx.db, ctx.config.schema, view.name));
    logDrift(log, view.name, drift);
    return { ...drift, seen };
  } catch (error) {
    log.warn({ err: errorMessage(error) }, 'could not measure drift against earlier syncs');
    return null;
  }
}

async function loadInTransaction(
  ctx: LoadContext,
  view: ViewSpec,
  source: RecordSource,
  reading: { state: LoadState },
  newState: () => LoadState,
): Promise<ViewCounts> {
  throwIfCancelled(ctx, view, 'before it started');
  // Reprocess must re-derive every row, also those whose stored hash matches (a column changed by hand,
  // or a parser fix without a PARSER_VERSION bump), so it skips the "unchanged never travels" check.
  // Read once the source has answered (so no database work delays the request itself), while the body
  // downloads, in a transaction of its own so a signal cancels it like any statement of the load.
  let storedRead: Promise<Map<string, string>> | null = null;
  const readStored = (): Promise<Map<string, string>> => {
    if (storedRead) return storedRead;
    storedRead =
      source.name === REPROCESS_SOURCE
        ? Promise.resolve(new Map<string, string>())
        : ctx.db.transaction((tx) => storedHashes(tx, ctx.config.schema, view), { signal: ctx.signal });
    storedRead.catch(() => undefined);
    return storedRead;
  };
  let early: EarlyRead | null = null;
  const startEarly = (batches: AsyncIterator<RecordBatch>) => {
    early?.abandon();
    reading.state = newState();
    early = new EarlyRead(batches, reading.state, readStored());
  };
  let opened: Awaited<ReturnType<RecordSource['open']>>;
  try {
    opened = await source.open(startEarly);
  } catch (error) {
    (early as EarlyRead | null)?.abandon();
    throw error;
  }
  try {
    const stored = await readStored();
    const read = early as EarlyRead | null;
    await read?.stop();
    const { state } = reading;
    return await ctx.db.transaction(async (tx) => {
      const log = ctx.log.child({ view: view.name });
      const phase = phaseTimer();
      const loader = new TableLoad(tx, view, ctx.config.schema, { runId: ctx.runId, source: source.name });
      await loader.begin();
      log.debug({ ms: phase(), stored: stored.size, readEarly: state.fetched }, 'began the load');
      const send = async ({ fresh, repeats }: ToSend) => {
        await loader.send(fresh, repeats);
        ctx.log.debug({ view: view.name, fetched: state.fetched }, `${view.name}: sent a batch`);
      };
      // In batch-sized parts, so a signal is seen between them as between the batches below.
      for (const part of read ? parts(read.toSend, DEFAULT_BATCH_SIZE) : []) {
        await checkpoint(ctx, view);
        await send(part);
      }
      for await (const batch of opened.batches) {
        await checkpoint(ctx, view);
        await send(state.take(batch, stored));
      }
      stored.clear();
      await loader.endStaging();
      log.debug({ ms: phase(), staged: loader.stagedCount, copied: loader.insertedCount }, 'read, parsed and sent the payload');
      const rejectProblem = rejectRateProblem(view.name, ctx.config.maxRejectRate, state, source.isExport === true);
      if (rejectProblem) throw new LoadRefusedError(rejectProblem, { view: view.name });
      if (source.name === 'api') await refuseOnShrink(tx, ctx, view, state.fetched);
      await checkpoint(ctx, view);
      const history = { runId: ctx.runId, source: source.name, stage: loader.stagingTable, startedEmpty: loader.startedEmpty };
      if (view.history) await recordCopiedVersions(tx, ctx.config.schema, view, history);
      const merged = await loader.merge({ hasDuplicates: state.payload.stagedDuplicates });
      log.debug({ ms: phase(), inserted: merged.inserted, updated: merged.updated }, 'merged');
      if (view.history) {
        const versions = await recordTicketHistory(tx, ctx.config.schema, view, history);
        log.debug({ ms: phase(), ...versions }, 'recorded ticket versions');
      }
      if (source.name === REPROCESS_SOURCE) refuseRekeying(view.name, merged.inserted + state.payload.rows - state.payload.size);
      // Rows stored before this load can be missing from it; a table that started empty has none.
      const removed = source.name === 'api' && !loader.startedEmpty ? await removeMissing(loader, state.payload, ctx.runId) : 0;
      await loader.analyzeIfLarge(merged);
      log.debug({ ms: phase(), removed }, 'removed missing rows and analyzed');
      // The embedded database cannot interrupt a statement: a signal during the merge is seen here.
      await checkpoint(ctx, view);
      const distinct = state.payload.size;
      return {
        ...ZERO_COUNTS,
        fetched: state.fetched,
        inserted: merged.inserted,
        updated: merged.updated,
        unchanged: distinct - merged.inserted - merged.updated,
        duplicates: state.payload.rows - distinct,
        rejected: state.rejected,
        valueErrors: state.valueErrors,
        removed,
      };
    }, { signal: ctx.signal });
  } finally {
    await opened.close();
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
function throwIfCancelled(ctx: LoadContext, view: ViewSpec, when?: string): void {
  if (ctx.signal?.aborted) throw new CancelledError(cancelledMessage(view.name, ctx.signal, when), { view: view.name });
}

function cancelledMessage(view: string, signal: AbortSignal | undefined, when?: string): string {
  const reason = signal?.reason instanceof Error ? signal.reason.message : 'cancelled';
  if (when) return `${view}: ${reason} ${when}; nothing was loaded`;
  return `${view}: ${reason}; the view was rolled back and nothing was loaded`;
}

/**
 * Timesheets and comments come back whole for their window: a stored row inside the payload's window
 * (one day after its earliest value to its latest) that the payload lacks was edited or deleted
 * upstream, and is moved to the side table so its hours are not counted twice.
 */
async function removeMissing(loader: TableLoad, payload: PayloadIndex, runId: string): Promise<number> {
  if (payload.windowMin === null || payload.windowMax === null) return 0;
  const inWindow = await loader.storedKeysInWindow(payload.windowMin, payload.windowMax);
  const missing = inWindow.filter((key) => !payload.has(key));
  return loader.moveToRemoved(missing, runId);
}

/**
 * The volume guard: a payload far smaller than the last successful fetch (or empty where there was
 * data) usually means a truncated or broken source, and loading it would make the removal step
 * discard good rows. Refused unless `sync --allow-shrink`.
 */
async function refuseOnShrink(tx: Queryable, ctx: LoadContext, spec: ViewSpec, fetched: number): Promise<void> {
  const view = spec.name;
  if (ctx.allowShrink) return;
  const { rows } = await tx.query<{ last: number | null; stored: boolean }>(
    `SELECT (SELECT records_fetched FROM ${qualified(ctx.config.schema, COMMITTED_API_RUNS)}
             WHERE view_name = $1
             ORDER BY load_end DESC LIMIT 1) AS last,
            EXISTS (SELECT 1 FROM ${qualified(ctx.config.schema, spec.table)}) AS stored`,
    [view],
  );
  const last = Number(rows[0]?.last ?? 0);
  const hadData = last > 0 || rows[0]?.stored === true;
  if (fetched === 0 && hadData) {
    throw new LoadRefusedError(
      `${view}: the source sent no records although the view had data; nothing was loaded or removed. ` +
        'If the view really is empty now, run `otc-etl sync --allow-shrink`.',
      { view },
    );
  }
  if (last > 0 && fetched < last * ctx.config.minVolumeRatio) {
    throw new LoadRefusedError(
      `${view}: the source sent ${fetched} records, fewer than OTC_MIN_VOLUME_RATIO=${ctx.config.minVolumeRatio} ` +
        `of the last successful fetch (${last}); nothing was loaded or removed. If the shrink is real, run ` +
        '`otc-etl sync --allow-shrink`.',
      { view },
    );
  }
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

/**
 * Reprocess re-derives each stored row from its own source record, so every record should land on the row it
 * came from. A new key (an insert) or two rows landing on one key means the parser now reads a key
 * column differently: going on would leave the old rows beside the re-keyed ones and count their hours
 * twice, so the view is rolled back instead.
 */
function refuseRekeying(view: string, rekeyed: number): void {
  if (rekeyed === 0) return;
  throw new LoadRefusedError(
    `${view}: reprocess would give ${rekeyed} stored rows a different key (the parser now reads a key column ` +
      'differently), leaving their old rows behind; nothing was changed. Find them by comparing the key columns ' +
      'with their record (servicedesk.record_of(row)), fix or remove them by hand, and run reprocess again.',
    { view },
  );
}

function toEntry(reject: RejectedRecord): RejectEntry {
  if (reject.raw instanceof UnreadableRecord) {
    const { position, recordKey, kind, field, reason } = reject;
    return { position, recordKey, kind, field, reason, rawJson: null, rawText: reject.raw.rawText };
  }
  if (nestedDeeperThan(reject.raw, MAX_FIELD_DEPTH + 1)) {
    const { position, recordKey, kind, field, reason } = reject;
    return { position, recordKey, kind, field, reason, rawJson: null, rawText: escapeText(stringifyDeep(reject.raw)) };
  }
  const json = JSON.stringify(reject.raw) ?? 'null';
  const storableJson = JSON.stringify(storable(reject.raw)) ?? 'null';
  const exact = json === storableJson;
  return {
    position: reject.position,
    recordKey: reject.recordKey,
    kind: reject.kind,
    field: reject.field,
    reason: reject.reason,
    rawJson: exact ? json : null,
    // jsonb cannot hold it: keep it as text with every non-printable or unpaired character escaped.
    rawText: exact ? null : escapeText(json),
  };
}

function escapeText(text: string): string {
  return text.replace(/[\u0000-\u001f\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function finishOutcome(
  view: ViewSpec,
  source: RecordSource,
  status: ViewOutcome['status'],
  counts: ViewCounts,
  error: string | null,
  state: LoadState,
): ViewOutcome {
  return { view: view.name, source: source.name, status, counts, error, cursor: state.payload.newestCursor, fieldsNew: [], fieldsMissing: [] };
}

const DRIFT_MAX_NAMES = 100;
const DRIFT_MAX_NAME_CHARS = 100;

/**
 * A field name as the run record can hold and `status` can print it: a hostile source can send names
 * with NUL characters (text[] refuses them) or megabyte-long names.
 */
function cleanName(name: string): string {
  return escapeText(name.length > DRIFT_MAX_NAME_CHARS ? `${name.slice(0, DRIFT_MAX_NAME_CHARS - 1)}…` : name);
}

/** At most DRIFT_MAX_NAMES names, the rest counted: a hostile source can send a new name in every record. */
function capNames(names: readonly string[]): string[] {
  const shown = names.slice(0, DRIFT_MAX_NAMES);
  if (names.length > DRIFT_MAX_NAMES) shown.push(`… and ${names.length - DRIFT_MAX_NAMES} more`);
  return shown;
}

/**
 * A view's error as it is stored and shown: it names the view exactly once. Most messages already do
 * ("OTC rejected the credentials for view tickets"); the rest (database errors) get it as a prefix, so
 * no printer needs to add one and none prints "tickets: tickets: …".
 */
export function namingView(view: string, message: string): string {
  const named = new RegExp(`(^|[^\\w-])${view}([^\\w-]|$)`).test(message);
  return named ? message : `${view}: ${message}`;
}

/** An error as the run record and the log show it: no secrets, and no record contents. */
export function errorMessage(error: unknown): string {
  if (error instanceof OtcEtlError) return scrub(error.message);
  if (isConnectionLost(error)) {
    const code = sqlState(error) ?? 'closed';
    return `the connection to the database was lost during the load (${code}); the view was rolled back. Check the server and run sync again.`;
  }
  if (isDatabaseError(error)) return scrub(safeDatabaseMessage(error));
  const code = (error as { code?: string } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  return scrub(code ? `${text} (${code})` : text);
}
