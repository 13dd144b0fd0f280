/**
 * Finds where the elements of a JSON array begin and end, chunk by chunk, without decoding them. It tracks
 * just enough (nesting, strings, escapes) to cut between elements; JSON.parse later validates each run of
 * elements, so everything the scanner does not check is still checked.
 *
 * On the way it notes whether each element is a flat object already written exactly as JSON.stringify
 * would write it back (see `canonical`): such a record's hash can be taken from its bytes as read,
 * without re-serializing it. For those it also takes a hash of its member names in order (`shapes`), so
 * the reader can tell which names a record carries without decoding it.
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
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const SPACE = 0x20;
const LOWER_U = 0x75;
/** FNV-1a, 32 bits; the second half of a shape starts from another basis so the halves differ. */
const FNV_PRIME = 16777619;
const FNV_BASIS = 0x811c9dc5;
const FNV_BASIS_LOW = 0x01000193;
/** The low half keeps 21 bits: with the high half's 32, a shape is an exact double. */
const SHAPE_LOW_BITS = 0x1fffff;
const SHAPE_HIGH_SCALE = 0x200000;
/** Digits a number may have for JSON.stringify to write it back the same (every 15-digit decimal survives a double). */
const EXACT_DIGITS = 15;
/** JSON.stringify writes a number below 1e-6 with an exponent: at most this many zeros after `0.`. */
const PLAIN_FRACTION_ZEROS = 5;

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
  /**
   * Per element, in the same order: 1 when it is a flat object (no nested object or array) whose bytes
   * are exactly what JSON.stringify gives for what JSON.parse makes of them, provided no member name
   * repeats (the reader checks that): no whitespace between tokens, no escape JSON.stringify would not
   * write (nor `\u0000` nor any surrogate escape, which jsonb cannot take as they are), no member name
   * starting with a digit (JavaScript orders such names first), numbers as JavaScript writes them.
   * 0 when it is anything else or the scanner is not sure (a token cut between chunks): never wrong
   * when 1, only sometimes cautious when 0.
   */
  readonly canonical: number[] = [];
  /**
   * Per element, in the same order: for a canonical element, a 53-bit hash of its member names as
   * written, in order (two 32-bit FNV-1a hashes of the names' bytes, quotes included, folded together);
   * 0 for any other, and for every element while `shaping` is off. Equal shapes mean the same names, barring a collision no real payload meets.
   */
  readonly shapes: number[] = [];
  /** Whether to take shapes: otherwise every element's is 0. */
  shaping = false;
  private commaCount = 0;
  /** The two halves of the shape of the element being scanned (see `shapes`). */
  private shapeHigh = FNV_BASIS;
  private shapeLow = FNV_BASIS_LOW;
  /** Whether the element being scanned is canonical so far; whether its next string is a member name. */
  private plain = false;
  private nameNext = false;
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
    let plain = this.plain;
    let nameNext = this.nameNext;
    let shapeHigh = this.shapeHigh;
    let shapeLow = this.shapeLow;
    const shaping = this.shaping;
    while (i < n) {
      if (inString) {
        plainEscapes = 1;
        const end = skipString(buf, i, n);
        if (end > n) {
          this.skipNext = end === n + 2;
          // An escape cut between chunks is not judged: the element is taken as not canonical.
          if (this.skipNext || plainEscapes === 0) plain = false;
          i = n;
          break;
        }
        if (plainEscapes === 0) plain = false;
        i = end;
        inString = false;
        if (depth === 0) {
          this.commaCount = commas;
          this.endElement(i, 0);
          commas = 0;
          if (this.full) break;
        }
        continue;
      }
      if (depth === 0) {
        this.depth = depth;
        this.inString = inString;
        this.commaCount = commas;
        this.plain = plain;
        i = this.listLevel(buf, i);
        commas = this.commaCount;
        depth = this.depth;
        inString = this.inString;
        plain = this.plain;
        nameNext = plain;
        shapeHigh = FNV_BASIS;
        shapeLow = FNV_BASIS_LOW;
        if (this.closed || this.full) break;
        continue;
      }
      // Inside an element: stay in this loop until it ends, since almost every byte is spent here.
      while (i < n) {
        const byte = buf[i++]!;
        if (byte === QUOTE) {
          // A member name starting with a digit may be an array index, which JavaScript moves first.
          const name = nameNext;
          if (name) {
            nameNext = false;
            if (i >= n || (buf[i]! >= DIGIT_0 && buf[i]! <= DIGIT_9)) plain = false;
          }
          plainEscapes = 1;
          const end = skipString(buf, i, n);
          if (end > n) {
            inString = true;
            this.skipNext = end === n + 2;
            // A name cut between chunks is not hashed: the element is taken as not canonical.
            if (this.skipNext || plainEscapes === 0 || name) plain = false;
            i = n;
            break;
          }
          if (plainEscapes === 0) plain = false;
          if (name && shaping) {
            for (let j = i - 1; j < end; j++) {
              shapeHigh = Math.imul(shapeHigh ^ buf[j]!, FNV_PRIME);
              shapeLow = Math.imul(shapeLow ^ buf[j]!, FNV_PRIME);
            }
          }
          i = end;
        } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          this.push(depth++, byte);
          plain = false;
        } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          if (this.opens[--depth] !== byte - CLOSE_OFFSET) {
            throw new JsonSyntaxError(i - 1, 'mismatched bracket');
          }
          if (depth === 0) break;
        } else if (byte === COMMA) {
          if (depth === 1) {
            commas++;
            nameNext = plain;
          }
        } else if (plain && byte !== COLON) {
          if (byte <= SPACE) plain = false;
          else if (byte === MINUS || (byte >= DIGIT_0 && byte <= DIGIT_9)) {
            const end = plainNumberEnd(buf, i - 1, n);
            if (end === -1) plain = false;
            else i = end;
          }
        }
      }
      if (depth === 0) {
        this.commaCount = commas;
        this.plain = plain;
        this.endElement(i, shaping ? (shapeHigh >>> 0) * SHAPE_HIGH_SCALE + (shapeLow & SHAPE_LOW_BITS) : 0);
        commas = 0;
        if (this.full) break;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.commaCount = commas;
    this.plain = plain;
    this.nameNext = nameNext;
    this.shapeHigh = shapeHigh;
    this.shapeLow = shapeLow;
    return i;
  }

  /** One step between elements (or inside a number/literal element); returns the next position. */
  private listLevel(buf: Uint8Array, i: number): number {
    const byte = buf[i];
    if (this.inScalar) {
      if (isScalarByte(byte)) return i + 1;
      this.inScalar = false;
      this.endElement(i, 0);
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
    // Only an object can be a canonical record; the loop above judges the rest of it.
    this.plain = byte === OPEN_OBJECT;
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
    this.canonical.splice(0, count);
    this.shapes.splice(0, count);
  }

  private endElement(end: number, shape: number): void {
    this.ends.push(this.base + end);
    this.commas.push(this.commaCount);
    this.canonical.push(this.plain ? 1 : 0);
    this.shapes.push(this.plain ? shape : 0);
    this.plain = false;
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
    if (byte === BACKSLASH) {
      if (plainEscapes === 1 && !isPlainEscape(buf, i, n)) plainEscapes = 0;
      i++;
    }
  }
  return i === n ? n + 1 : n + 2;
}

/**
 * Set to 1 before a string is skipped, and to 0 by `skipString` when the string holds an escape that
 * JSON.stringify would not write. A module variable rather than a second return value: this is the
 * hottest loop of a sync.
 */
let plainEscapes = 1;

/**
 * Whether the escape whose backslash precedes `i` is one JSON.stringify writes: `\"`, `\\`, the five
 * short control escapes, or `\u00xx` (lowercase) for any other control character but NUL.
 */
function isPlainEscape(buf: Uint8Array, i: number, n: number): boolean {
  if (i >= n) return false;
  const byte = buf[i];
  // " \ b f n r t
  if (byte === QUOTE || byte === BACKSLASH || byte === 0x62 || byte === 0x66 || byte === 0x6e || byte === 0x72 || byte === 0x74)
    return true;
  if (byte !== LOWER_U || i + 4 >= n) return false;
  if (buf[i + 1] !== DIGIT_0 || buf[i + 2] !== DIGIT_0) return false;
  const high = buf[i + 3];
  const low = buf[i + 4]!;
  const lowValue = low >= DIGIT_0 && low <= DIGIT_9 ? low - DIGIT_0 : low >= 0x61 && low <= 0x66 ? low - 0x61 + 10 : -1;
  if (lowValue === -1 || (high !== DIGIT_0 && high !== 0x31)) return false;
  const code = (high === DIGIT_0 ? 0 : 16) + lowValue;
  // NUL cannot be stored in jsonb; \b \t \n \f \r have their short forms.
  return code !== 0 && code !== 8 && code !== 9 && code !== 10 && code !== 12 && code !== 13;
}

/**
 * The end of the number starting at `i` when JSON.stringify would write its value back the same:
 * no leading zero or `+`, no exponent, no trailing zero after the point, not minus zero, at most
 * EXACT_DIGITS significant digits, and not below 1e-6. Otherwise (or when the buffer ends within it),
 * -1. JSON.parse judges whether it is a number at all.
 */
function plainNumberEnd(buf: Uint8Array, i: number, n: number): number {
  let j = i;
  const negative = buf[j] === MINUS;
  if (negative) j++;
  const intStart = j;
  while (j < n && buf[j]! >= DIGIT_0 && buf[j]! <= DIGIT_9) j++;
  const intDigits = j - intStart;
  if (intDigits === 0 || (intDigits > 1 && buf[intStart] === DIGIT_0)) return -1;
  const zeroInt = intDigits === 1 && buf[intStart] === DIGIT_0;
  let significant = zeroInt ? 0 : intDigits;
  if (j < n && buf[j] === DOT) {
    j++;
    const fracStart = j;
    while (j < n && buf[j]! >= DIGIT_0 && buf[j]! <= DIGIT_9) j++;
    if (j === fracStart || buf[j - 1] === DIGIT_0) return -1;
    let leadingZeros = 0;
    if (zeroInt) while (buf[fracStart + leadingZeros] === DIGIT_0) leadingZeros++;
    if (leadingZeros > PLAIN_FRACTION_ZEROS) return -1;
    significant += j - fracStart - leadingZeros;
  } else if (zeroInt && negative) {
    return -1;
  }
  if (j >= n || significant > EXACT_DIGITS) return -1;
  const next = buf[j];
  if (next !== COMMA && next !== CLOSE_OBJECT && next !== CLOSE_ARRAY) return -1;
  return j;
}
