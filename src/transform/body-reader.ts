/**
 * The reading state of one body: the envelope before the record list, the list itself (cut into batches
 * at element boundaries), and the envelope after it. Problems are thrown as `BodyProblem`s with body
 * offsets; `readRecordBatches` turns them into user-facing errors.
 */

import { BatchBytes } from './batch-bytes.js';
import { BodyProblem, PREVIEW_BYTES, previewOf } from './body-errors.js';
import { envelopeTailProblem, locateRecordList, type ListLocation } from './envelope.js';
import { JsonSyntaxError, firstInvalidUtf8 } from './json-bytes.js';
import { ListScanner } from './list-scanner.js';
import { OversizedRecord } from './oversized-record.js';
import { readBatch, type Recogniser, type RecordSpan } from './read-batch.js';
import type { RecordBatch } from './record-stream.js';

/** A record larger than this is rejected unread unless the caller says otherwise (OTC_MAX_RECORD_BYTES). */
export const DEFAULT_MAX_RECORD_BYTES = 16 << 20;

/**
 * A batch is cut at the first record boundary past this many bytes even if it has fewer records than
 * asked for: records vary from 1 KB (timesheets) to many KB (tickets), and a batch's memory (bytes, the
 * decoded two-byte string, the parsed objects: about 6× this) must not grow with them.
 */
const MAX_BATCH_BYTES = 8 << 20;

/** How much envelope may come before the record list, or after it, before the body is refused. */
const ENVELOPE_MAX_BYTES = 1 << 20;

const AFTER_LIST_PROBLEM = 'after the record list, the envelope does not close cleanly';

const EMPTY: Buffer = Buffer.alloc(0);

/** A chunk as a Buffer, without copying. */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The body's reading state: before the record list, inside it, then after it. */
export class BodyReader {
  private phase: 'envelope' | 'list' | 'after' = 'envelope';
  /** Before the list: the body so far. After it: the bytes after the list's `]`. */
  private held: Buffer = EMPTY;
  private previewHead: Buffer = EMPTY;
  private bytesRead = 0;
  private location: ListLocation | undefined;
  private afterOffset = 0;
  private readonly scanner = new ListScanner();
  private readonly batch = new BatchBytes();
  /** Records ended in the open batch. */
  private count = 0;
  private nextPosition = 1;

  /** The record being followed past OTC_MAX_RECORD_BYTES, if any. */
  private oversized: OversizedRecord | null = null;

  constructor(
    private readonly batchSize: number,
    private readonly maxRecordBytes: number = DEFAULT_MAX_RECORD_BYTES,
    private readonly recogniser?: Recogniser,
  ) {}

  *push(chunk: Buffer): Generator<RecordBatch> {
    const offset = this.bytesRead;
    this.bytesRead += chunk.length;
    this.keepPreview(chunk);
    if (this.phase === 'envelope') yield* this.readEnvelope(chunk);
    else if (this.phase === 'list') yield* this.readList(chunk, 0, offset);
    else this.keepAfter(chunk, 0);
  }

  /** Called at the end of the body: it must have closed the list and the envelope around it. */
  finish(): void {
    if (this.phase === 'envelope') {
      throw new BodyProblem('cut-off', this.bytesRead, 'before the record list starts');
    }
    if (this.phase === 'list') {
      const records = this.nextPosition - 1 + this.count;
      const complete = `${records} complete record${records === 1 ? '' : 's'}`;
      throw new BodyProblem('cut-off', this.bytesRead, `before the record list closes (after ${complete})`);
    }
    checkUtf8(this.held, this.afterOffset);
    const problem = envelopeTailProblem(this.location?.path ?? [], this.held.toString('utf8'));
    if (problem === 'malformed') throw new BodyProblem('malformed', this.afterOffset, AFTER_LIST_PROBLEM);
    if (problem === 'duplicate') throw new BodyProblem('not-a-list', 0, 'it holds more than one record list');
  }

  get preview(): string {
    return previewOf(this.previewHead);
  }

  get hasFullPreview(): boolean {
    return this.previewHead.length >= PREVIEW_BYTES;
  }

  keepPreview(chunk: Buffer): void {
    const missing = PREVIEW_BYTES - this.previewHead.length;
    if (missing > 0) this.previewHead = Buffer.concat([this.previewHead, chunk.subarray(0, missing)]);
  }

  private *readEnvelope(chunk: Buffer): Generator<RecordBatch> {
    // A copy, since the envelope may span chunks and a body source may reuse its chunk buffers.
    this.held = Buffer.concat([this.held, chunk]);
    const found = locate(this.held);
    if (found === 'none') throw new BodyProblem('not-a-list', 0, 'no record list where OTC puts one');
    if (found === 'incomplete') {
      if (this.held.length <= ENVELOPE_MAX_BYTES) return;
      throw new BodyProblem('not-a-list', 0, `no record list in the first ${ENVELOPE_MAX_BYTES} bytes`);
    }
    const head = this.held;
    checkUtf8(head.subarray(0, found.start), 0);
    this.held = EMPTY;
    this.location = found;
    this.phase = 'list';
    yield* this.readList(head, found.start, 0);
  }

  /** Scans `buf` (body offset `offset`) from `from`, yielding each batch as soon as it is complete. */
  private *readList(buf: Buffer, from: number, offset: number): Generator<RecordBatch> {
    // A plain Uint8Array view keeps the scanner's hot loop monomorphic (and measurably faster than Buffer).
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    let pos = from;
    let batchStart = this.batch.isOpen ? from : -1;
    while (pos < buf.length) {
      if (this.oversized) {
        const at = pos;
        pos = this.scan(bytes, pos, offset, 1, Infinity);
        this.oversized.feed(bytes.subarray(at, pos));
        if (this.scanner.ended === 0) continue;
        yield this.oversizedBatch();
        continue;
      }
      const stopAt = (batchStart === -1 ? pos : batchStart) + MAX_BATCH_BYTES - this.batch.byteLength;
      pos = this.scan(bytes, pos, offset, this.batchSize - this.count, stopAt);
      const { firstStart, ended, closed, full } = this.scanner;
      if (batchStart === -1 && firstStart !== -1) {
        batchStart = firstStart;
        this.batch.open(offset + batchStart);
      }
      this.count += ended;
      if (full) {
        yield this.flush(() => this.batch.takeArray(bytes, batchStart, pos));
        batchStart = -1;
      } else if (closed) {
        if (batchStart !== -1) yield this.flush(() => this.batch.takeArray(bytes, batchStart, pos - 1));
        this.phase = 'after';
        this.afterOffset = offset + pos;
        this.keepAfter(buf, pos);
        return;
      }
    }
    if (batchStart !== -1) this.batch.add(bytes, batchStart, buf.length);
    const open = this.scanner.openStart;
    if (!this.oversized && open !== -1 && offset + buf.length - open > this.maxRecordBytes) yield* this.startOversized(open);
  }

  /**
   * The record being read has passed OTC_MAX_RECORD_BYTES: the records before it go out as a batch, and
   * the rest of it is only followed (see `OversizedRecord`), never gathered.
   */
  private *startOversized(open: number): Generator<RecordBatch> {
    const oversized = new OversizedRecord();
    if (this.batch.isOpen) {
      const at = this.batchIndex(open);
      oversized.feed(this.batch.tail(at));
      if (this.count > 0) {
        const end = this.batchIndex(this.scanner.ends[this.count - 1]!);
        yield this.flush(() => this.batch.takeFirst(end));
      } else {
        this.batch.discard();
      }
    }
    this.oversized = oversized;
  }

  private oversizedBatch(): RecordBatch {
    const record = this.oversized!.finish(this.maxRecordBytes);
    this.oversized = null;
    this.scanner.drop(1);
    return { records: [record], firstPosition: this.nextPosition++ };
  }

  /** Index into the open batch's bytes of body offset `offset` (the batch starts with its own `[`). */
  private batchIndex(offset: number): number {
    return offset - this.batch.startOffset + 1;
  }

  private scan(buf: Uint8Array, from: number, offset: number, maxEnds: number, stopAt: number): number {
    // Only between records, so a record's shape is of all its names or none.
    if (this.scanner.openStart === -1) this.scanner.shaping = this.recogniser?.active === true;
    try {
      return this.scanner.scan(buf, from, maxEnds, stopAt, offset);
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      throw new BodyProblem('malformed', offset + error.at, error.detail);
    }
  }

  /** The batch's `count` records, parsed; a record that cannot be read takes its place as an `UnreadableRecord`. */
  private flush(take: () => Buffer): RecordBatch {
    const startOffset = this.batch.startOffset;
    const array = take();
    const count = this.count;
    const { starts, ends, commas, canonical, shapes } = this.scanner;
    const spans: RecordSpan[] = [];
    for (let i = 0; i < count; i++) {
      spans.push({
        start: starts[i]! - startOffset + 1,
        end: ends[i]! - startOffset + 1,
        commas: commas[i]!,
        canonical: canonical[i] === 1,
        shape: shapes[i]!,
      });
    }
    this.scanner.drop(count);
    const records = readBatch(
      array,
      spans,
      { startOffset, firstPosition: this.nextPosition, maxRecordBytes: this.maxRecordBytes },
      this.recogniser,
    );
    const batch = { records, firstPosition: this.nextPosition };
    this.nextPosition += records.length;
    this.count = 0;
    return batch;
  }

  private keepAfter(buf: Buffer, from: number): void {
    if (from >= buf.length) return;
    this.held = Buffer.concat([this.held, buf.subarray(from)]);
    if (this.held.length <= ENVELOPE_MAX_BYTES) return;
    throw new BodyProblem('malformed', this.afterOffset, AFTER_LIST_PROBLEM);
  }
}

/** The envelope is not stored, but a body with bytes that are not UTF-8 anywhere is not one to trust. */
function checkUtf8(bytes: Uint8Array, offset: number): void {
  const invalid = firstInvalidUtf8(bytes);
  if (invalid !== -1) throw new BodyProblem('malformed', offset + invalid, 'not UTF-8');
}

/** The envelope's record list, with syntax errors as body problems (the head starts at offset 0). */
function locate(head: Buffer): ReturnType<typeof locateRecordList> {
  try {
    return locateRecordList(head);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new BodyProblem('malformed', error.at, error.detail);
    throw error;
  }
}
