/**
 * The text of one batch of records, gathered across chunks. Bytes are decoded as soon as they end at a
 * record boundary (never inside a string, so never inside a UTF-8 character); only the partial record at
 * a chunk's end is kept as bytes, copied so the chunk itself can be freed.
 */

import { isUtf8 } from 'node:buffer';

import { BodyProblem } from './body-errors.js';

const EMPTY = Buffer.alloc(0);

export class BatchText {
  /** Byte offset in the body where this batch's text starts, or -1 when no batch is open. */
  startOffset = -1;
  private parts: string[] = [];
  private pending: Buffer[] = [];
  /** Byte offset in the body of the first pending byte. */
  private pendingOffset = -1;

  get isOpen(): boolean {
    return this.startOffset !== -1;
  }

  open(offset: number): void {
    this.startOffset = offset;
    this.pendingOffset = offset;
    this.parts = ['['];
  }

  /**
   * Adds `buf[from, end)`: up to `cut` is safe to decode now, the rest may end inside a character.
   * `bufOffset` is the body offset of `buf[0]`.
   */
  add(buf: Buffer, from: number, cut: number, end: number, bufOffset: number): void {
    if (cut > from) {
      this.parts.push(this.decode(buf.subarray(from, cut)));
      this.pendingOffset = bufOffset + cut;
    }
    if (end > cut) this.pending.push(Buffer.from(buf.subarray(cut, end)));
  }

  /**
   * Ends the batch with `buf[from, end)` (which must end at a record boundary) and returns its records
   * as the text of one JSON array. Joining once, brackets included, copies the text once; a `'[' + text`
   * concatenation would make JSON.parse copy it again.
   */
  takeArray(buf: Buffer, from: number, end: number, bufOffset: number): string {
    this.add(buf, from, end, end, bufOffset);
    if (this.pending.length > 0) this.parts.push(this.decode(EMPTY));
    this.parts.push(']');
    const text = this.parts.join('');
    this.parts = [];
    this.startOffset = -1;
    this.pendingOffset = -1;
    return text;
  }

  private decode(tail: Buffer): string {
    const bytes = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    // The source's bytes are stored as text: silently turning a bad byte into U+FFFD would damage data.
    if (!isUtf8(bytes)) throw new BodyProblem('malformed', this.pendingOffset + firstInvalidUtf8(bytes), 'not UTF-8');
    return bytes.toString('utf8');
  }
}

/** Index of the first byte that is not valid UTF-8 (only called once a check has failed). */
function firstInvalidUtf8(bytes: Buffer): number {
  const text = bytes.toString('utf8');
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    // Everything before the first replacement that was not in the bytes decoded one-to-one.
    if (bytes[at] !== 0xef || bytes[at + 1] !== 0xbf || bytes[at + 2] !== 0xbd) return at;
  }
  return 0;
}
