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
import type { RecordBatch } from './record-stream.js';

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

  constructor(private readonly batchSize: number) {}

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
      const stopAt = (batchStart === -1 ? pos : batchStart) + MAX_BATCH_BYTES - this.batch.byteLength;
      pos = this.scan(bytes, pos, offset, stopAt);
      const { firstStart, ended, closed, full } = this.scanner;
      if (batchStart === -1 && firstStart !== -1) {
        batchStart = firstStart;
        this.batch.open(offset + batchStart);
      }
      this.count += ended;
      if (full) {
        yield this.flush(bytes, batchStart, pos);
        batchStart = -1;
      } else if (closed) {
        if (batchStart !== -1) yield this.flush(bytes, batchStart, pos - 1);
        this.phase = 'after';
        this.afterOffset = offset + pos;
        this.keepAfter(buf, pos);
        return;
      }
    }
    if (batchStart !== -1) this.batch.add(bytes, batchStart, buf.length);
  }

  private scan(buf: Uint8Array, from: number, offset: number, stopAt: number): number {
    try {
      return this.scanner.scan(buf, from, this.batchSize - this.count, stopAt);
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      throw new BodyProblem('malformed', offset + error.at, error.detail);
    }
  }

  private flush(buf: Uint8Array, from: number, end: number): RecordBatch {
    const startOffset = this.batch.startOffset;
    const records = this.parse(this.batch.takeArray(buf, from, end), startOffset);
    const batch = { records, firstPosition: this.nextPosition };
    this.nextPosition += records.length;
    this.count = 0;
    return batch;
  }

  private parse(arrayText: string, startOffset: number): unknown[] {
    try {
      return JSON.parse(arrayText) as unknown[];
    } catch (error) {
      const bad = findBadRecord(arrayText) ?? { index: 0, at: 0, error };
      const detail = `record ${this.nextPosition + bad.index} is not valid JSON`;
      throw new BodyProblem('malformed', startOffset + bad.at, detail, { cause: bad.error });
    }
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

/**
 * The first record of a batch that JSON.parse rejects: its index, its byte offset from the batch's first
 * record, and the parser's error. Only called once parsing the whole batch has failed.
 */
function findBadRecord(arrayText: string): { index: number; at: number; error: unknown } | undefined {
  const bytes = Buffer.from(arrayText);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const scanner = new ListScanner();
  let pos = 1; // after the '['
  for (let index = 0; !scanner.closed; index++) {
    pos = scanner.scan(view, pos, 1);
    if (scanner.ended === 0) return undefined;
    try {
      JSON.parse(bytes.toString('utf8', scanner.firstStart, scanner.lastEnd));
    } catch (error) {
      return { index, at: scanner.firstStart - 1, error };
    }
  }
  return undefined;
}
