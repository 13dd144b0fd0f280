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

/**
 * A record's digest: the SHA-1 whose first 64 bits are its record hash, one byte a character (node's 'binary').
 * Stored rows are looked up by digest (see `digestHalf`); the hash's text is made only for a row that
 * travels to the database. A string, not a Buffer: a Buffer of its own for every record cost more than
 * the SHA-1 itself.
 */
export type RecordDigest = string;

/** The digest of a record's JSON text. */
export function recordDigest(recordJson: string): RecordDigest {
  return hash('sha1', `${PARSER_VERSION}\u0001${recordJson}`, 'binary');
}

/** The hash of a record's JSON text. Compared per key only, so 64 bits are plenty. */
export function recordHash(recordJson: string): string {
  return hashText(recordDigest(recordJson));
}

/** A record hash as stored: the first 64 bits of its digest as the decimal text of a signed bigint. */
export function hashText(digest: RecordDigest): string {
  return BigInt.asIntN(64, (BigInt(digestHalf(digest, 0)) << 32n) | BigInt(digestHalf(digest, 4) >>> 0)).toString();
}

/** The signed 32-bit number in the digest's four bytes from `at`, big-endian: 0 for the hash's high half, 4 for its low. */
export function digestHalf(digest: RecordDigest, at: 0 | 4): number {
  return (digest.charCodeAt(at) << 24) | (digest.charCodeAt(at + 1) << 16) | (digest.charCodeAt(at + 2) << 8) | digest.charCodeAt(at + 3);
}

/**
 * A record hash's text as two signed 32-bit halves, high first: how stored rows are looked up (the
 * database hands them over so, see `readStoredRows`), and the first eight bytes of its digest.
 */
export function hashHalves(hashText: string): [number, number] {
  const hash = BigInt(hashText);
  return [Number(hash >> 32n), Number(BigInt.asIntN(32, hash))];
}

/** Reused for the prefix and a record's bytes (SHA-1 takes one contiguous buffer); a larger record gets its own. */
const scratch = Buffer.allocUnsafe(64 << 10);

/** The digest of the JSON text whose UTF-8 bytes are `bytes[start, end)`; the same as `recordDigest` of that text. */
export function recordDigestOfBytes(bytes: Buffer, start: number, end: number): RecordDigest {
  const length = PREFIX.length + end - start;
  const target = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
  PREFIX.copy(target, 0);
  bytes.copy(target, PREFIX.length, start, end);
  return hash('sha1', target.subarray(0, length), 'binary');
}

/**
 * What the reader took from the bytes of a batch's records, for the normalizer: each canonical record's
 * digest and shape (see `ListScanner.shapes`), undefined for the others; and which records hold no escape.
 */
export interface ReadFromBytes {
  readonly digests: ReadonlyArray<RecordDigest | undefined>;
  readonly shapes: ReadonlyArray<number | undefined>;
  /**
   * Per record: true when its bytes hold no backslash, so no value read from it holds a character a
   * COPY line must escape (JSON can write a tab, a line break or a backslash in a string only as an
   * escape, and a quote only after one).
   */
  readonly escapeFree: ReadonlyArray<boolean>;
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
