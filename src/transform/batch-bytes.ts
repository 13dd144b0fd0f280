/**
 * The bytes of one batch of records, gathered across chunks and decoded once, when the batch is
 * complete. A batch always ends at a record boundary, outside any string, so a UTF-8 character split
 * between two chunks is whole again by then.
 */

import { CLOSE_ARRAY, OPEN_ARRAY } from './json-bytes.js';

const INITIAL_BYTES = 1 << 20;
/** A buffer grown past this for one unusually large record is not kept for the next batch. */
const KEEP_MAX_BYTES = 16 << 20;

export class BatchBytes {
  /** Byte offset in the body where this batch's first record starts, or -1 when no batch is open. */
  startOffset = -1;
  // One reused buffer, copied into once: cheaper than decoding per chunk and joining the strings, and
  // safe when a body source reuses its chunk buffers.
  private bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;

  /** Bytes of records gathered so far (0 when no batch is open). */
  get byteLength(): number {
    return this.isOpen ? this.length - 1 : 0;
  }

  get isOpen(): boolean {
    return this.startOffset !== -1;
  }

  open(offset: number): void {
    this.startOffset = offset;
    this.length = 0;
    this.append(OPEN_ARRAY);
  }

  /** Adds `buf[from, end)` to the open batch. */
  add(buf: Uint8Array, from: number, end: number): void {
    this.reserve(end - from);
    this.bytes.set(buf.subarray(from, end), this.length);
    this.length += end - from;
  }

  /**
   * Ends the batch with `buf[from, end)` (which must end at a record boundary) and returns its records
   * as the bytes of one JSON array, valid until the next batch opens.
   */
  takeArray(buf: Uint8Array, from: number, end: number): Buffer {
    this.add(buf, from, end);
    return this.close();
  }

  /** Ends the batch after its first `length` bytes (a record boundary) and returns them as a JSON array. */
  takeFirst(length: number): Buffer {
    this.length = length;
    return this.close();
  }

  /** The open batch's bytes from `from` (an index into the batch, `[` included) to its end. */
  tail(from: number): Buffer {
    return this.bytes.subarray(from, this.length);
  }

  /** Drops the open batch. */
  discard(): void {
    this.startOffset = -1;
  }

  private close(): Buffer {
    this.append(CLOSE_ARRAY);
    const bytes = this.bytes.subarray(0, this.length);
    this.startOffset = -1;
    // Shrink for the next batch only after this one's bytes are read: a new buffer, so these stay valid.
    if (this.bytes.length > KEEP_MAX_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
    return bytes;
  }

  private append(byte: number): void {
    this.reserve(1);
    this.bytes[this.length++] = byte;
  }

  private reserve(more: number): void {
    const needed = this.length + more;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}
