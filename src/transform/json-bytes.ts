/** The JSON bytes the body scanners look at. Everything structural in JSON is ASCII. */

import { isUtf8 } from 'node:buffer';

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;

/** The UTF-8 byte-order mark some Windows services put before the JSON. */
export const BOM = [0xef, 0xbb, 0xbf] as const;

/** JSON's four whitespace bytes: space, tab, line feed, carriage return. */
export function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Bytes that can continue a number or `true`/`false`/`null`. Deliberately loose (any letter or digit):
 * the scanner only needs to find where a scalar ends; JSON.parse judges whether it is valid.
 */
export function isScalarByte(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    byte === 0x2d || // -
    byte === 0x2b || // +
    byte === 0x2e // .
  );
}

/** Bytes that can start a number or `true`/`false`/`null`. */
export function isScalarStart(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x74 || byte === 0x66 || byte === 0x6e;
}

/** Index of the first byte that is not valid UTF-8, or -1 when all are. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    // Before the first replacement character that was not in the bytes, they decoded one-to-one.
    if (bytes[at] !== 0xef || bytes[at + 1] !== 0xbf || bytes[at + 2] !== 0xbd) return at;
  }
  return 0;
}

/** A syntax problem found by a scanner, at an index into the bytes it was given. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly at: number,
    readonly detail: string,
  ) {
    super(`${detail} at index ${at}`);
  }
}
