/**
 * The record hash, and the hashes the body reader takes from records' bytes as read. A record hash is
 * the first 64 bits of a SHA-1 of the parser version and the record's JSON as JSON.stringify writes
 * it, as the decimal text of a signed bigint (what the table stores). A record whose bytes are already
 * that JSON (see `ListScanner.canonical`) gets the same hash from its bytes, without being written
 * out again: stored hashes mean the same whichever way they were taken.
 */
import { hash } from 'node:crypto';

/** Bump when parsing rules change, so stored hashes stop matching and rows are re-derived. */
export const PARSER_VERSION = 1;

const PREFIX = Buffer.from(`${PARSER_VERSION}\u0001`);

/** The hash of a record's JSON text. Compared per key only, so 64 bits are plenty. */
export function recordHash(recordJson: string): string {
  return hash('sha1', `${PARSER_VERSION}\u0001${recordJson}`, 'buffer').readBigInt64BE(0).toString();
}

/** Reused for the prefix and a record's bytes (SHA-1 takes one contiguous buffer); a larger record gets its own. */
const scratch = Buffer.allocUnsafe(64 << 10);

/** The hash of the JSON text whose UTF-8 bytes are `bytes[start, end)`; the same as `recordHash` of that text. */
export function recordHashOfBytes(bytes: Buffer, start: number, end: number): string {
  const length = PREFIX.length + end - start;
  const target = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
  PREFIX.copy(target, 0);
  bytes.copy(target, PREFIX.length, start, end);
  return hash('sha1', target.subarray(0, length), 'buffer').readBigInt64BE(0).toString();
}

/**
 * What the reader took from the bytes of a batch's records, for the normalizer: each canonical record's
 * hash and shape (see `ListScanner.shapes`); undefined for the others.
 */
export interface ReadFromBytes {
  readonly hashes: ReadonlyArray<string | undefined>;
  readonly shapes: ReadonlyArray<number | undefined>;
}

/** Per batch of records (its array, as the reader made it). */
const readFromBytes = new WeakMap<readonly unknown[], ReadFromBytes>();

/** Remembers what the reader took from the bytes of a batch's records. */
export function rememberRead(records: readonly unknown[], read: ReadFromBytes): void {
  readFromBytes.set(records, read);
}

/** What was taken from the bytes of `records` as read, if the reader took anything. */
export function readOf(records: readonly unknown[]): ReadFromBytes | undefined {
  return readFromBytes.get(records);
}
