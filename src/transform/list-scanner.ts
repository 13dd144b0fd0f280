/**
 * Finds where the elements of a JSON array begin and end, chunk by chunk, without decoding them. It tracks
 * just enough (nesting, strings, escapes) to cut between elements; JSON.parse later validates each run of
 * elements, so everything the scanner does not check is still checked.
 */

import { JsonSyntaxError, isScalarByte, isScalarStart, isWhitespace } from './json-bytes.js';

// Local copies of the JSON bytes: V8 folds a module's own constants into the hot loop, not imported ones.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_OFFSET = 2;

/** What may come next at the list's own level. */
const enum Expect {
  /** Just after `[`: an element or `]`. */
  FirstOrClose,
  /** After a comma: an element. */
  Element,
  /** After an element: `,` or `]`. */
  Separator,
}

export class ListScanner {
  /** Element starts and ends seen by the last `scan` call (indexes into its buffer; -1 if none). */
  firstStart = -1;
  lastEnd = -1;
  ended = 0;
  /** Whether the last `scan` call stopped because it reached `maxEnds` or `stopAt`. */
  full = false;
  /** Set once the list's `]` has been consumed. */
  closed = false;
  /**
   * Body offsets where elements start and end (end exclusive), and the commas at each element's own
   * top level (an object's member count less one), in order, until the reader takes them: a record is
   * judged on its own (its size, its bytes, a member named twice) only from these.
   */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly commas: number[] = [];
  private commaCount = 0;
  /** Body offset of the buffer being scanned. */
  private base = 0;

  private depth = 0;
  /** The open bracket at each nesting level, so a `}` cannot close a `[` unnoticed. */
  private opens = new Uint8Array(32);
  private inString = false;
  /** A backslash was the last byte of the previous buffer, so the first byte of the next is escaped. */
  private skipNext = false;
  private inScalar = false;
  private expect = Expect.FirstOrClose;
  private maxEnds = Infinity;
  private stopAt = Infinity;

  /**
   * Scans `buf` from `from` (the position just after the list's `[` on the first call) and stops after
   * `maxEnds` elements have ended or after the first element that ends at or beyond index `stopAt`, once
   * the list closes, or at the end of `buf`. Returns where it stopped.
   * Throws `JsonSyntaxError` (index into `buf`) when the list's own punctuation or bracket nesting is wrong.
   */
  scan(buf: Uint8Array, from: number, maxEnds: number, stopAt = Infinity, base = 0): number {
    this.base = base;
    this.firstStart = -1;
    this.lastEnd = -1;
    this.ended = 0;
    this.full = false;
    this.maxEnds = maxEnds;
    this.stopAt = stopAt;
    const n = buf.length;
    let i = from;
    if (this.skipNext && i < n) {
      this.skipNext = false;
      i++;
    }
    // The hot loop works on locals; state goes back to fields only around the rare list-level steps.
    let depth = this.depth;
    let inString = this.inString;
    let commas = this.commaCount;
    while (i < n) {
      if (inString) {
        const end = skipString(buf, i, n);
        if (end > n) {
          this.skipNext = end === n + 2;
          i = n;
          break;
        }
        i = end;
        inString = false;
        if (depth === 0) {
          this.commaCount = commas;
          this.endElement(i);
          commas = 0;
          if (this.full) break;
        }
        continue;
      }
      if (depth === 0) {
        this.depth = depth;
        this.inString = inString;
        this.commaCount = commas;
        i = this.listLevel(buf, i);
        commas = this.commaCount;
        depth = this.depth;
        inString = this.inString;
        if (this.closed || this.full) break;
        continue;
      }
      // Inside an element: stay in this loop until it ends, since almost every byte is spent here.
      while (i < n) {
        const byte = buf[i++];
        if (byte === QUOTE) {
          const end = skipString(buf, i, n);
          if (end > n) {
            inString = true;
            this.skipNext = end === n + 2;
            i = n;
            break;
          }
          i = end;
        } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          this.push(depth++, byte);
        } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          if (this.opens[--depth] !== byte - CLOSE_OFFSET) {
            throw new JsonSyntaxError(i - 1, 'mismatched bracket');
          }
          if (depth === 0) break;
        } else if (byte === COMMA && depth === 1) {
          commas++;
        }
      }
      if (depth === 0) {
        this.commaCount = commas;
        this.endElement(i);
        commas = 0;
        if (this.full) break;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.commaCount = commas;
    return i;
  }

  /** One step between elements (or inside a number/literal element); returns the next position. */
  private listLevel(buf: Uint8Array, i: number): number {
    const byte = buf[i];
    if (this.inScalar) {
      if (isScalarByte(byte)) return i + 1;
      this.inScalar = false;
      this.endElement(i);
      return i;
    }
    if (isWhitespace(byte)) return i + 1;
    if (this.expect === Expect.Separator) return this.separator(byte, i);
    if (byte === CLOSE_ARRAY && this.expect === Expect.FirstOrClose) {
      this.closed = true;
      return i + 1;
    }
    this.startElement(byte, i);
    return i + 1;
  }

  private separator(byte: number | undefined, i: number): number {
    if (byte === COMMA) {
      this.expect = Expect.Element;
    } else if (byte === CLOSE_ARRAY) {
      this.closed = true;
    } else {
      throw new JsonSyntaxError(i, "expected ',' or ']' after a record");
    }
    return i + 1;
  }

  private startElement(byte: number | undefined, i: number): void {
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      this.push(0, byte);
      this.depth = 1;
    } else if (byte === QUOTE) {
      this.inString = true; // at depth 0: the string's closing quote ends the element
    } else if (isScalarStart(byte)) {
      this.inScalar = true;
    } else {
      const detail = this.expect === Expect.Element ? 'expected a record after a comma' : 'expected a record';
      throw new JsonSyntaxError(i, detail);
    }
    if (this.firstStart === -1) this.firstStart = i;
    this.starts.push(this.base + i);
  }

  /** Body offset where the element being scanned started, or -1 between elements. */
  get openStart(): number {
    return this.starts.length > this.ends.length ? this.starts[this.starts.length - 1]! : -1;
  }

  /** Forgets the first `count` elements' offsets (the reader has taken them). */
  drop(count: number): void {
    this.starts.splice(0, count);
    this.ends.splice(0, count);
    this.commas.splice(0, count);
  }

  private endElement(end: number): void {
    this.ends.push(this.base + end);
    this.commas.push(this.commaCount);
    this.commaCount = 0;
    this.ended++;
    this.full = this.ended >= this.maxEnds || end >= this.stopAt;
    this.lastEnd = end;
    this.expect = Expect.Separator;
  }

  private push(depth: number, bracket: number): void {
    if (depth >= this.opens.length) {
      const grown = new Uint8Array(this.opens.length * 2);
      grown.set(this.opens);
      this.opens = grown;
    }
    this.opens[depth] = bracket;
  }
}

/**
 * Index just after the closing quote of the string whose content starts at `i`, or past `n` when the
 * buffer ends first: `n + 2` if it ends on a backslash (the next buffer's first byte is escaped).
 */
function skipString(buf: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const byte = buf[i++];
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++;
  }
  return i === n ? n + 1 : n + 2;
}
