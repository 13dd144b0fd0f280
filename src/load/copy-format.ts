/** Encoding of values for COPY … FROM STDIN in PostgreSQL's text format. */
import { grownBuffer } from './typed-arrays.js';

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/**
 * Escapes one value; null becomes \N. `mayNeedEscape` false: the caller knows the text holds nothing to
 * escape (see `ReadFromBytes.escapeFree`), so it is not looked at.
 */
export function copyValue(value: string | number | boolean | null | undefined, mayNeedEscape = true): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = typeof value === 'number' ? String(value) : value;
  if (!mayNeedEscape || !NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Escaped values separated by tabs: part of a COPY line (`mayNeedEscape` as for `copyValue`). */
export function copyFields(values: ReadonlyArray<string | number | boolean | null | undefined>, mayNeedEscape = true): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyValue(values[i], mayNeedEscape);
  }
  return line;
}

/** A text[] literal for COPY (array elements quoted). */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Most UTF-8 bytes one UTF-16 code unit can take. */
const MAX_BYTES_PER_CHAR = 3;
/** Room for the lines expected, sized from the first: lines of one view are much alike. */
const FIRST_LINE_SHARE = 1.25;

/**
 * COPY lines gathered as their UTF-8 bytes, each line encoded as it is added. Encoding a batch as one
 * joined string was four times slower: a string of megabytes is flattened before it is encoded, out of
 * the CPU's cache, and a single letter outside ASCII makes all of it two bytes a character.
 */
export class LineBytes {
  private buffer: Buffer | null = null;
  private length = 0;

  /** `expected`: about how many lines will be added. */
  constructor(private readonly expected: number) {}

  add(line: string): void {
    const room = line.length * MAX_BYTES_PER_CHAR;
    this.buffer ??= Buffer.allocUnsafe(Math.ceil(line.length * this.expected * FIRST_LINE_SHARE) + room);
    if (this.length + room > this.buffer.length) this.buffer = grownBuffer(this.buffer, this.length, room);
    this.length += this.buffer.write(line, this.length);
  }

  /** How many bytes the lines added take. */
  get size(): number {
    return this.length;
  }

  /** The lines added, as bytes; the buffer is not reused, so they stay valid while a COPY sends them. */
  bytes(): Buffer {
    return this.buffer?.subarray(0, this.length) ?? Buffer.alloc(0);
  }
}
