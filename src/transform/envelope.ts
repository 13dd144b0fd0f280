/**
 * Finds the record list inside a view's body envelope, and checks what follows it. OTC wraps the list as
 * `{"message":{"data":[…]}}`, `{"data":[…]}` or sends it bare; other keys may sit beside `data` or `message`.
 */

import {
  BACKSLASH,
  BOM,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  JsonSyntaxError,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
  isScalarByte,
  isWhitespace,
} from './json-bytes.js';

/** Where the record list starts: the keys leading to it from the root, and the index just after its `[`. */
export interface ListLocation {
  readonly path: readonly string[];
  readonly start: number;
}

/** Key paths from the root object to the record list (the bare list has the empty path). */
const LIST_PATHS: readonly (readonly string[])[] = [['data'], ['message', 'data']];

/** Guards the walker's recursion: no envelope nests this deep, and a stack overflow must not escape. */
const MAX_ENVELOPE_DEPTH = 64;

const SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

/** Thrown inside the walker when it reaches the end of the bytes it has so far. */
const NEED_MORE_BYTES = Symbol('need more bytes');

/**
 * Walks the start of a body. Returns where the record list starts, `'none'` when the body's root value
 * is complete (or is not an object or array) without a list at a known path, or `'incomplete'` when more
 * bytes are needed to decide. Throws `JsonSyntaxError` (index into `head`) on broken JSON.
 */
export function locateRecordList(head: Uint8Array): ListLocation | 'none' | 'incomplete' {
  try {
    return new EnvelopeWalker(head).root() ?? 'none';
  } catch (error) {
    if (error === NEED_MORE_BYTES) return 'incomplete';
    throw error;
  }
}

const PLACEHOLDER = '\u0000record list';

/**
 * Checks the text after the record list's `]`: it must close the envelope (other keys allowed) and then
 * hold only whitespace (`'malformed'` otherwise), and must not hold a second list at the same path
 * (`'duplicate'`). Returns undefined when the tail is fine.
 */
export function envelopeTailProblem(path: readonly string[], tail: string): 'malformed' | 'duplicate' | undefined {
  // Re-open the envelope around a stand-in for the list, so JSON.parse judges the tail exactly; a string
  // stand-in cannot be extended into another valid token the way a number could (`0` + `.5`).
  const opened = path.map((key) => `{${JSON.stringify(key)}:`).join('');
  let value: unknown;
  try {
    value = JSON.parse(`${opened}${JSON.stringify(PLACEHOLDER)}${tail}`);
  } catch {
    return 'malformed';
  }
  // A later duplicate key wins in JSON.parse and most readers, so the records we streamed would not be
  // "the" list of this body.
  if (valueAt(value, path) !== PLACEHOLDER) return 'duplicate';
  // A second list at another known path (`{"data":[…],"message":{"data":[…]}}`): which one holds the
  // view's records is a guess, so the body is refused rather than half-read.
  const other = LIST_PATHS.some((listPath) => !samePath(listPath, path) && Array.isArray(valueAt(value, listPath)));
  return other ? 'duplicate' : undefined;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) value = isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

function isListPath(path: readonly string[]): boolean {
  return LIST_PATHS.some((listPath) => samePath(listPath, path));
}

function leadsToList(path: readonly string[]): boolean {
  return LIST_PATHS.some((listPath) => listPath.length > path.length && samePath(listPath.slice(0, path.length), path));
}

/** A recursive-descent walk over the envelope's bytes; skipped values are validated, not just skipped. */
class EnvelopeWalker {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  root(): ListLocation | undefined {
    this.skipBom();
    this.skipWhitespace();
    const first = this.peek();
    if (first === OPEN_ARRAY) return { path: [], start: this.pos + 1 };
    if (first !== OPEN_OBJECT) return undefined;
    return this.object([]);
  }

  private object(path: readonly string[]): ListLocation | undefined {
    this.pos++;
    this.skipWhitespace();
    if (this.peek() === CLOSE_OBJECT) {
      this.pos++;
      return undefined;
    }
    for (;;) {
      const key = this.string();
      this.skipWhitespace();
      this.expect(COLON, "':' after a key");
      this.skipWhitespace();
      const found = this.member([...path, key]);
      if (found) return found;
      if (!this.nextItem(CLOSE_OBJECT)) return undefined;
    }
  }

  private member(path: readonly string[]): ListLocation | undefined {
    const first = this.peek();
    if (first === OPEN_ARRAY && isListPath(path)) return { path, start: this.pos + 1 };
    if (first === OPEN_OBJECT && leadsToList(path)) return this.object(path);
    this.skipValue(path.length);
    return undefined;
  }

  /** After a value in a container: true if a comma leads to another item, false once `close` is consumed. */
  private nextItem(close: number): boolean {
    this.skipWhitespace();
    if (this.peek() === COMMA) {
      this.pos++;
      this.skipWhitespace();
      return true;
    }
    this.expect(close, close === CLOSE_OBJECT ? "',' or '}'" : "',' or ']'");
    return false;
  }

  private skipValue(depth: number): void {
    if (depth > MAX_ENVELOPE_DEPTH) throw new JsonSyntaxError(this.pos, 'the envelope nests too deep');
    const first = this.peek();
    if (first === QUOTE) this.string();
    else if (first === OPEN_OBJECT) this.skipContainer(CLOSE_OBJECT, depth);
    else if (first === OPEN_ARRAY) this.skipContainer(CLOSE_ARRAY, depth);
    else this.scalar();
  }

  private skipContainer(close: number, depth: number): void {
    this.pos++;
    this.skipWhitespace();
    if (this.peek() === close) {
      this.pos++;
      return;
    }
    do {
      if (close === CLOSE_OBJECT) {
        this.string();
        this.skipWhitespace();
        this.expect(COLON, "':' after a key");
        this.skipWhitespace();
      }
      this.skipValue(depth + 1);
    } while (this.nextItem(close));
  }

  private string(): string {
    const start = this.pos;
    if (this.peek() !== QUOTE) throw new JsonSyntaxError(start, 'expected a string');
    let i = start + 1;
    for (;;) {
      const byte = this.bytes[i];
      if (byte === undefined) throw NEED_MORE_BYTES;
      if (byte === QUOTE) break;
      i += byte === BACKSLASH ? 2 : 1;
    }
    this.pos = i + 1;
    try {
      return JSON.parse(this.text(start, this.pos)) as string;
    } catch {
      throw new JsonSyntaxError(start, 'invalid string');
    }
  }

  private scalar(): void {
    const start = this.pos;
    while (isScalarByte(this.peek())) this.pos++;
    if (!SCALAR.test(this.text(start, this.pos))) throw new JsonSyntaxError(start, 'unexpected character');
  }

  private skipBom(): void {
    const matched = BOM.findIndex((byte, i) => this.bytes[i] !== byte);
    if (matched === -1) this.pos = BOM.length;
    else if (matched === this.bytes.length) throw NEED_MORE_BYTES;
  }

  private skipWhitespace(): void {
    while (isWhitespace(this.peek())) this.pos++;
  }

  private expect(byte: number, what: string): void {
    if (this.peek() !== byte) throw new JsonSyntaxError(this.pos, `expected ${what}`);
    this.pos++;
  }

  /** The byte at the walker's position; whether a value or token is complete is unknown at the end. */
  private peek(): number {
    const byte = this.bytes[this.pos];
    if (byte === undefined) throw NEED_MORE_BYTES;
    return byte;
  }

  private text(start: number, end: number): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, end - start).toString('utf8');
  }
}
