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
import { recordHashOfBytes, rememberHashes } from './record-hash.js';
import { UnreadableRecord, escapeBytes, readableFields } from './unreadable-record.js';

/**
 * Where a record lies in its batch's bytes (end exclusive), the commas at its top level, and whether
 * its bytes are written as JSON.stringify writes them (see `ListScanner.canonical`).
 */
export interface RecordSpan {
  readonly start: number;
  readonly end: number;
  readonly commas: number;
  readonly canonical?: boolean;
}

/**
 * The records of `array` (a JSON array's bytes; `spans` locate its elements; `startOffset` is the body
 * offset of `array[1]`). Throws `BodyProblem` when a record is not valid JSON.
 */
export function readBatch(
  array: Buffer,
  spans: readonly RecordSpan[],
  startOffset: number,
  firstPosition: number,
  maxRecordBytes: number,
): unknown[] {
  const plain = isUtf8(array) && spans.every((s) => s.end - s.start <= maxRecordBytes);
  const records = plain
    ? spans.map((span, i) => parseRecord(array, span, startOffset, firstPosition + i))
    : spans.map((span, i) => readOne(array, span, startOffset, firstPosition + i, maxRecordBytes));
  // Only a batch of ordinary records, all UTF-8, has its canonical records' hashes taken: the others are rare.
  const hashes: Array<string | undefined> | null = plain ? new Array(records.length) : null;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const span = spans[i]!;
    if (!isPlainObject(record)) continue;
    // As many members as top-level commas allow: no name came twice.
    if (hasMoreKeysThan(record, span.commas)) {
      if (hashes && span.canonical === true) hashes[i] = recordHashOfBytes(array, span.start, span.end);
      continue;
    }
    // Fewer members than top-level commas allow: a name came twice (or the object is empty).
    const bytes = array.subarray(span.start, span.end);
    records[i] = judgeRepeatedNames(record, bytes) ?? record;
  }
  if (hashes) rememberHashes(records, hashes);
  return records;
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
