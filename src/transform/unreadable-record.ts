/**
 * A record the body reader could not (or must not) turn into an object: larger than OTC_MAX_RECORD_BYTES,
 * holding bytes that are not UTF-8, or naming one field twice with different values. It takes the
 * record's place in its batch, so positions and counts stay true, and the normalizer rejects it alone.
 */

import { firstInvalidUtf8 } from './json-bytes.js';

/** How many of a rejected record's bytes are kept in the quarantine. */
export const KEPT_RAW_BYTES = 4096;

export class UnreadableRecord {
  constructor(
    /** Why the record was not read, with its size or the cause. */
    readonly reason: string,
    /** The record's first KEPT_RAW_BYTES bytes as escaped text (bytes that are not UTF-8 as `\xNN`). */
    readonly rawText: string,
    /** The fields that could be read safely (short top-level values), so its key can still be shown. */
    readonly fields: Readonly<Record<string, unknown>>,
  ) {}
}

const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * Up to KEPT_RAW_BYTES of `bytes` as printable text: valid UTF-8 stays as it is, control characters become
 * `\u00NN`, every byte that is not UTF-8 becomes `\xNN` (which JSON text never holds, so it cannot be
 * mistaken for the source's own escapes). A cut is marked with the record's full size.
 */
export function escapeBytes(bytes: Uint8Array, totalBytes = bytes.length): string {
  let rest = bytes.subarray(0, KEPT_RAW_BYTES);
  let out = '';
  while (rest.length > 0) {
    const bad = firstInvalidUtf8(rest);
    const good = bad === -1 ? rest : rest.subarray(0, bad);
    out += Buffer.from(good.buffer, good.byteOffset, good.byteLength).toString('utf8');
    if (bad === -1) break;
    out += `\\x${rest[bad]!.toString(16).padStart(2, '0')}`;
    rest = rest.subarray(bad + 1);
  }
  out = out.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return totalBytes > KEPT_RAW_BYTES ? `${out}… (first ${KEPT_RAW_BYTES} of ${totalBytes} bytes)` : out;
}

/**
 * The fields of a record whose bytes are not all UTF-8, read with those bytes replaced: only values that
 * did not need a replacement are kept, so a key shown from them is the source's own.
 */
export function readableFields(bytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const out: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(parsed)) {
    if (name.includes('\uFFFD') || (typeof value === 'string' && value.includes('\uFFFD'))) continue;
    if (value === null || typeof value !== 'object') out[name] = value;
  }
  return out;
}
