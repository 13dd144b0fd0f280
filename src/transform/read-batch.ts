/**
 * Turns one batch's bytes into records, each decoded and parsed from its own bytes. One JSON.parse of
 * the whole batch was twice as slow: a batch of megabytes decodes into one string too large for the
 * young generation (a non-ASCII letter makes it two bytes a character), and neither it nor its decoding
 * stays in the CPU's cache. A record too large or with bytes that are not UTF-8 is checked on its own,
 * so only that record is lost. Either way a record naming a field twice with different values is caught:
 * JSON.parse would keep the last value silently, and which one the source meant cannot be known.
 */

import { isUtf8 } from 'node:buffer';
import { BodyProblem } from './body-errors.js';
import { firstInvalidUtf8 } from './json-bytes.js';
import { OversizedRecord } from './oversized-record.js';
import { type RecordDigest, recordDigestOfBytes, rememberRead } from './record-hash.js';
import { UnreadableRecord, escapeBytes, readableFields } from './unreadable-record.js';

/**
 * Where a record lies in its batch's bytes (end exclusive), the commas at its top level, whether its
 * bytes are written as JSON.stringify writes them (see `ListScanner.canonical`), and then the hash of
 * its member names (see `ListScanner.shapes`).
 */
export interface RecordSpan {
  readonly start: number;
  readonly end: number;
  readonly commas: number;
  readonly canonical?: boolean;
  readonly shape?: number;
}

/** A canonical record as read: where its bytes lie, its digest (see `RecordDigest`) and its shape (see `RecordSpan`). */
export interface CanonicalRecord {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  readonly digest: RecordDigest;
  readonly shape: number;
  readonly position: number;
}

/**
 * Looks at canonical records before they are decoded. A load uses it to recognise records identical to
 * their stored rows from their bytes: decoding and parsing every record of a re-sync was a third of its
 * time.
 */
export interface Recogniser {
  /**
   * Whether records can be recognised now (a load with stored rows). Only then does the reader take
   * the records' shapes (see `ListScanner.shapes`), which costs a first load time for nothing.
   */
  readonly active: boolean;
  /**
   * What stands in for the record in its batch, or null to have it parsed. Its bytes are valid only while
   * its batch is being taken (the reader reuses them for the next batch).
   */
  recognise(record: CanonicalRecord): unknown;
}

/** Where a batch lies in its body, and how large a record may be. */
export interface BatchPlace {
  /** The body offset of `array[1]`. */
  readonly startOffset: number;
  readonly firstPosition: number;
  readonly maxRecordBytes: number;
}

/**
 * The records of `array` (a JSON array's bytes; `spans` locate its elements). Throws `BodyProblem` when
 * a record is not valid JSON. A canonical record the recogniser stands in for is not parsed.
 */
export function readBatch(array: Buffer, spans: readonly RecordSpan[], place: BatchPlace, recogniser?: Recogniser): unknown[] {
  const { startOffset, firstPosition, maxRecordBytes } = place;
  const plain = isUtf8(array) && spans.every((s) => s.end - s.start <= maxRecordBytes);
  if (!plain) return readChecked(array, spans, place);
  // Only a batch of ordinary records, all UTF-8, has its canonical records' digests taken: the others are rare.
  const digests: Array<RecordDigest | undefined> = new Array(spans.length);
  const shapes: Array<number | undefined> = new Array(spans.length);
  const escapeFree: boolean[] = new Array(spans.length).fill(false);
  const records: unknown[] = new Array(spans.length);
  // The next backslash at or after the record being read (the records' spans are in order), so the
  // batch's bytes are searched once however many records it holds.
  let backslash = -1;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    const position = firstPosition + i;
    const digest = span.canonical === true ? recordDigestOfBytes(array, span.start, span.end) : undefined;
    // A shape of 0 is none: the reader took no shapes.
    const shape = span.shape ?? 0;
    if (digest !== undefined && shape !== 0 && recogniser) {
      const standIn = recogniser.recognise({ bytes: array, start: span.start, end: span.end, digest, shape, position });
      if (standIn !== null) {
        records[i] = standIn;
        continue;
      }
    }
    const record = parseRecord(array, span, startOffset, position);
    records[i] = record;
    if (backslash !== Number.POSITIVE_INFINITY && backslash < span.start) {
      backslash = array.indexOf(BACKSLASH, span.start);
      if (backslash === -1) backslash = Number.POSITIVE_INFINITY;
    }
    escapeFree[i] = backslash >= span.end;
    if (!isPlainObject(record)) continue;
    // As many members as top-level commas allow: no name came twice.
    if (hasMoreKeysThan(record, span.commas)) {
      digests[i] = digest;
      shapes[i] = digest === undefined || shape === 0 ? undefined : shape;
      continue;
    }
    // Fewer members than top-level commas allow: a name came twice (or the object is empty).
    records[i] = judgeRepeatedNames(record, array.subarray(span.start, span.end)) ?? record;
  }
  rememberRead(records, { digests, shapes, escapeFree });
  return records;
}

const BACKSLASH = 0x5c;

/** A batch with a record too large or bytes that are not UTF-8: each record is checked on its own. */
function readChecked(array: Buffer, spans: readonly RecordSpan[], place: BatchPlace): unknown[] {
  const { startOffset, firstPosition, maxRecordBytes } = place;
  const records = spans.map((span, i) => readOne(array, span, startOffset, firstPosition + i, maxRecordBytes));
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const span = spans[i]!;
    if (!isPlainObject(record) || hasMoreKeysThan(record, span.commas)) continue;
    records[i] = judgeRepeatedNames(record, array.subarray(span.start, span.end)) ?? record;
  }
  return records;
}

/**
 * A record a recogniser stood in for, parsed after all (it has to travel): only while its batch is
 * being taken. Its bytes are canonical, so no name repeats.
 */
export function parseCanonical(record: CanonicalRecord): unknown {
  return JSON.parse(record.bytes.toString('utf8', record.start, record.end)) as unknown;
}

function readOne(array: Buffer, span: RecordSpan, startOffset: number, position: number, maxRecordBytes: number): unknown {
  const bytes = array.subarray(span.start, span.end);
  if (bytes.length > maxRecordBytes) {
    const oversized = new OversizedRecord();
    oversized.feed(bytes);
    return oversized.finish(maxRecordBytes);
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid === -1) return parseRecord(array, span, startOffset, position);
  // The source's text is stored as it is: silently turning a bad byte into U+FFFD would damage data.
  const reason = `record holds bytes that are not UTF-8 (the first at byte ${invalid} of its ${bytes.length}); it was not read`;
  return new UnreadableRecord(reason, escapeBytes(bytes), readableFields(bytes));
}

/** The record at `span` of `array`, whose bytes are UTF-8 (`startOffset`: the body offset of `array[1]`). */
function parseRecord(array: Buffer, span: RecordSpan, startOffset: number, position: number): unknown {
  try {
    return JSON.parse(array.toString('utf8', span.start, span.end)) as unknown;
  } catch (error) {
    throw new BodyProblem('malformed', startOffset + span.start - 1, `record ${position} is not valid JSON`, { cause: error });
  }
}

/** Counts own keys without allocating a key array (this runs for every record). */
function hasMoreKeysThan(record: Record<string, unknown>, count: number): boolean {
  let keys = 0;
  for (const name in record) {
    if (++keys > count) return true;
    void name;
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof UnreadableRecord);
}

/** An `UnreadableRecord` when a name repeats with a different value; undefined when every repeat agrees. */
function judgeRepeatedNames(record: Record<string, unknown>, bytes: Buffer): UnreadableRecord | undefined {
  const seen = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const [name, valueText] of topLevelMembers(bytes.toString('utf8'))) {
    const value = canonical(valueText);
    const earlier = seen.get(name);
    if (earlier !== undefined && earlier !== value) conflicting.add(name);
    seen.set(name, value);
  }
  if (conflicting.size === 0) return undefined;
  const names = [...conflicting].slice(0, 5).map(shortName).join(', ');
  const reason = `field ${names} is named twice with different values, so which one the source meant is unknown; it was not read`;
  const fields: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(record)) if (!conflicting.has(name)) fields[name] = value;
  return new UnreadableRecord(reason, escapeBytes(bytes), fields);
}

/** One text per JSON value (`1.0` and `1` agree); a value too deep to re-serialize is compared as sent. */
function canonical(valueText: string): string {
  try {
    return JSON.stringify(JSON.parse(valueText));
  } catch {
    return valueText;
  }
}

function shortName(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 59)}…` : name);
}

/** The top-level members of a JSON object's text (already known to be valid JSON): name and value text. */
export function topLevelMembers(text: string): Array<[string, string]> {
  const members: Array<[string, string]> = [];
  let i = skipSpace(text, text.indexOf('{') + 1);
  while (text[i] === '"') {
    const nameEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, nameEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, nameEnd) + 1);
    const valueEnd = valueEndOf(text, valueStart);
    members.push([name, text.slice(valueStart, valueEnd)]);
    i = skipSpace(text, valueEnd);
    if (text[i] !== ',') break;
    i = skipSpace(text, i + 1);
  }
  return members;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** Index just after the closing quote of the string opening at `i`. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

function valueEndOf(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return stringEnd(text, i);
  if (first !== '{' && first !== '[') {
    let j = i;
    while (j < text.length && /[-+.\w]/.test(text[j]!)) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '"') j = stringEnd(text, j) - 1;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return j + 1;
  }
  return text.length;
}
