/**
 * Turns source records into rows ready to stage, and the records (or values) we could not store into
 * rejects with their reason. Pure: no I/O, no clock. Results, not exceptions, for bad records.
 */
import type { FieldSpec, ViewSpec } from '../registry.js';
import { MAX_FIELD_DEPTH, nestedDeeperThan } from './deep-json.js';
import { type KeyValue, keyText } from './natural-key.js';
import { epochMsOfIso } from './calendar.js';
import { type CanonicalRecord, parseCanonical } from './read-batch.js';
import { hashText, type RecordDigest, readOf, recordDigest } from './record-hash.js';
import { parsePlainText } from './storable-text.js';
import { UnreadableRecord } from './unreadable-record.js';
import { parseValue, ValueError, type ParseContext } from './values.js';

/** What identifies a record in its payload, and whether it changed. */
export interface RecordIdentity {
  /** 1-based position in the payload or file. */
  readonly position: number;
  /** The natural key as one string (NULL parts included), unique per row. */
  readonly key: string;
  /** The change cursor's value (canonical text), or null when absent or the view has none. */
  readonly cursor: string | null;
  /** The window column's value (canonical text), or null. */
  readonly windowValue: string | null;
  /** The cursor and window values in epoch ms, when known without their text (NaN for none). */
  readonly cursorMs?: number;
  readonly windowMs?: number;
}

export interface NormalizedRow extends RecordIdentity {
  readonly kind: 'row';
  /**
   * Hash of what the record stores; equal hashes mean an unchanged record. A record with a value we
   * could not store gets a hash marked with `!` and is stored without one, so it is never taken for
   * unchanged and its value errors are reported again on every load, as a full parse would.
   */
  readonly hash: string;
  readonly values: Array<string | boolean | null>;
  /** Columns whose stored value must be kept: absent from the record, or their value did not parse. */
  readonly keep: string[] | null;
  /**
   * What the row's `_raw` gets from this record, as JSON text: its fields without a column, and the
   * source value of each typed field whose column would not give it back as sent (see `storedVerbatim`).
   */
  readonly raw: string;
  /** API names of the typed fields the record carries; null when it carries all of them (the usual case). */
  readonly carried: string[] | null;
  /** True when no value nor `_raw` holds a character a COPY line must escape (see `ReadFromBytes.escapeFree`). */
  readonly escapeFree?: boolean;
}

/**
 * A record whose hash a stored row has: that row, unchanged, none of its values parsed. Should it have
 * to travel after all (a repeated key), `Normalizer.complete` parses it.
 */
export interface KnownRecord extends RecordIdentity {
  readonly kind: 'known';
  readonly record: unknown;
  /** The stored row it is (see `StoredLookup`). */
  readonly storedRow: number;
}

export interface RejectedRecord {
  readonly position: number;
  readonly recordKey: string | null;
  readonly kind: 'record' | 'value';
  readonly field: string | null;
  readonly reason: string;
  readonly raw: unknown;
}

export interface NormalizedBatch<R = NormalizedRow> {
  readonly rows: R[];
  readonly rejects: RejectedRecord[];
}

/**
 * The stored rows a load knows by record hash: what it knows of each without reading it whole. Equal
 * hashes mean equal records (the hash is of the whole record), so a record whose hash a row has is that
 * row, unchanged.
 */
export interface StoredLookup {
  /** The row that has this record's hash (see `RecordDigest`), or -1 when none has it. */
  rowOf(digest: RecordDigest): number;
  key(row: number): string;
  /** The row's cursor and window values in epoch ms; NaN for none. */
  cursorMs(row: number): number;
  windowMs(row: number): number;
  /** A cursor or window value in epoch ms as canonical text, as `Normalizer` writes it. */
  cursorText(ms: number): string;
  windowText(ms: number): string;
}

/**
 * A record whose hash a stored row has: that row, unchanged, with its key, cursor and window (as text
 * only when asked for). A record recognised from its bytes (see `Normalizer.recognise`) stands in its
 * batch as one: it is never parsed, unless it has to travel after all, while its batch is being taken.
 */
class StoredRecord implements KnownRecord {
  readonly kind = 'known';
  readonly cursorMs: number;
  readonly windowMs: number;

  constructor(
    readonly position: number,
    /** The record as parsed; or, when it was recognised unparsed, null and its bytes in `canonical`. */
    private readonly parsed: unknown,
    private readonly canonical: CanonicalRecord | null,
    private readonly stored: StoredLookup,
    readonly storedRow: number,
  ) {
    this.cursorMs = stored.cursorMs(storedRow);
    this.windowMs = stored.windowMs(storedRow);
  }

  get key(): string {
    return this.stored.key(this.storedRow);
  }

  get cursor(): string | null {
    return Number.isNaN(this.cursorMs) ? null : this.stored.cursorText(this.cursorMs);
  }

  get windowValue(): string | null {
    return Number.isNaN(this.windowMs) ? null : this.stored.windowText(this.windowMs);
  }

  get record(): unknown {
    return this.canonical ? parseCanonical(this.canonical) : this.parsed;
  }
}

export { PARSER_VERSION, recordHash } from './record-hash.js';

/**
 * Longest text (UTF-8 bytes) an indexed column takes, and a part of a key. A btree index entry cannot
 * pass ~2700 bytes (what does not compress), and one over-long value would abort the whole view's load;
 * the composite timesheet key holds two text parts in one entry, so each gets well under half.
 */
export const INDEXED_TEXT_MAX_BYTES = 2000;
export const KEY_TEXT_MAX_BYTES = 1000;

/** Marks the hash of a record with a value we could not store (see `NormalizedRow.hash`). */
const HAS_VALUE_ERRORS = '!';

/** A field the record does not carry (distinct from one that is present and null). */
const ABSENT: unique symbol = Symbol('absent');

/** jsonb cannot hold \u0000, and PostgreSQL rejects escaped unpaired surrogates. */
const UNSTORABLE_JSON = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

interface FieldSlot {
  readonly index: number;
  readonly field: FieldSpec;
  /** The name this slot is found by, as JSON text followed by a colon: how `_raw` writes it. */
  readonly member: string;
}

export class Normalizer {
  private readonly slots = new Map<string, FieldSlot>();
  /** Whether every registry name is written in JSON without an escape (see `NormalizedRow.escapeFree`). */
  private readonly namesEscapeFree: boolean;
  /**
   * The member names of the record read last, and each one's slot (undefined: no column). A view's
   * records carry the same names in the same order, so a name is looked up only where it differs.
   */
  private readonly lastNames: string[] = [];
  private readonly lastSlots: Array<FieldSlot | undefined> = [];
  private readonly keySlots: number[];
  private readonly cursorSlot: number;
  private readonly windowSlot: number;
  private readonly usesAliases: boolean;
  /** Per field: the byte limit of a text value (indexed or key columns), or 0 for none. */
  private readonly byteLimits: number[];
  /** Per field: whether a value after `ctx.latestMs` is implausible (created times, the cursor). */
  private readonly notFuture: boolean[];
  /** Field names in this payload that the registry does not know, for the drift report. */
  private readonly unknownSeen = new Set<string>();
  /** Registry fields (by slot) that appeared in at least one record. */
  private readonly slotSeen: boolean[];
  private records = 0;
  /** The key's text, the same the database computes for a stored row (see natural-key.ts). */
  private readonly keyOf: (values: readonly KeyValue[]) => string;
  /**
   * Shapes (see `ListScanner.shapes`) of parsed records whose member names this normalizer has marked
   * seen: a record of the same shape carries no name it has not, so it can be recognised unparsed.
   */
  private readonly shapesMarked = new Set<number>();

  constructor(
    readonly view: ViewSpec,
    private readonly ctx: ParseContext,
  ) {
    view.fields.forEach((field, index) => {
      for (const name of [field.api, ...(field.aliases ?? [])]) this.slots.set(name, { index, field, member: `${JSON.stringify(name)}:` });
    });
    this.usesAliases = view.fields.some((f) => (f.aliases ?? []).length > 0);
    this.namesEscapeFree = [...this.slots.values()].every((slot) => !slot.member.includes('\\'));
    this.slotSeen = view.fields.map(() => false);
    this.byteLimits = view.fields.map((f) => {
      if (f.type !== 'text' && f.type !== 'clock') return 0;
      if (view.key.includes(f.column)) return KEY_TEXT_MAX_BYTES;
      return view.indexed.includes(f.column) ? INDEXED_TEXT_MAX_BYTES : 0;
    });
    this.notFuture = view.fields.map((f) => f.notFuture === true || f.column === view.cursor);
    this.keySlots = view.key.map((column) => view.fields.findIndex((f) => f.column === column));
    this.keyOf = keyText(view);
    this.cursorSlot = view.cursor ? view.fields.findIndex((f) => f.column === view.cursor) : -1;
    this.windowSlot = view.windowColumn ? view.fields.findIndex((f) => f.column === view.windowColumn) : -1;
  }

  normalize(records: readonly unknown[], firstPosition: number): NormalizedBatch {
    return this.normalizeAll(records, firstPosition, null) as NormalizedBatch;
  }

  /**
   * Like `normalize`, but a record whose hash a stored row has is returned as a `KnownRecord`, with the
   * row's key, cursor and window, without parsing its values: on a re-sync most records are unchanged,
   * and parsing every value of them is most of the work.
   */
  normalizeKnown(records: readonly unknown[], firstPosition: number, stored: StoredLookup): NormalizedBatch<NormalizedRow | KnownRecord> {
    return this.normalizeAll(records, firstPosition, stored);
  }

  private normalizeAll(
    records: readonly unknown[],
    firstPosition: number,
    stored: StoredLookup | null,
  ): NormalizedBatch<NormalizedRow | KnownRecord> {
    const rows: Array<NormalizedRow | KnownRecord> = [];
    const rejects: RejectedRecord[] = [];
    const read = readOf(records);
    records.forEach((record, i) => {
      const row = this.normalizeOne(
        record,
        firstPosition + i,
        rejects,
        stored,
        true,
        read?.digests[i],
        read?.shapes[i],
        read?.escapeFree[i],
      );
      if (row) rows.push(row);
    });
    return { rows, rejects };
  }

  /**
   * A canonical record (see `CanonicalRecord`) whose hash, taken from its bytes, a stored row has: the
   * record `normalizeKnown` would parse and find known, found without parsing it. Null when no stored
   * row has its hash, or when no record of its shape has been parsed yet (its names are then not all
   * marked seen for the drift report): the record is then parsed as usual.
   */
  recognise(record: CanonicalRecord, stored: StoredLookup): KnownRecord | null {
    if (!this.shapesMarked.has(record.shape)) return null;
    const row = stored.rowOf(record.digest);
    return row === -1 ? null : new StoredRecord(record.position, null, record, stored, row);
  }

  /** Parses a known record in full, for when it has to travel after all. */
  complete(known: KnownRecord): NormalizedBatch {
    const rejects: RejectedRecord[] = [];
    const row = this.normalizeOne(known.record, known.position, rejects, null, false);
    return { rows: row ? [row as NormalizedRow] : [], rejects };
  }

  private normalizeOne(
    record: unknown,
    position: number,
    rejects: RejectedRecord[],
    stored: StoredLookup | null,
    count = true,
    digestRead?: RecordDigest,
    shapeRead?: number,
    escapeFreeRead = false,
  ): NormalizedRow | KnownRecord | null {
    if (record instanceof StoredRecord) {
      if (count) this.records++;
      return record;
    }
    if (record instanceof UnreadableRecord) {
      rejects.push({
        position,
        recordKey: this.keyOfFields(record.fields),
        kind: 'record',
        field: null,
        reason: record.reason,
        raw: record,
      });
      return null;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      rejects.push({
        position,
        recordKey: null,
        kind: 'record',
        field: null,
        reason: `expected a JSON object, got ${describe(record)}`,
        raw: record,
      });
      return null;
    }
    const source = record as Record<string, unknown>;
    const fields = this.view.fields;
    // The record's value of each registry field, unparsed; ABSENT where it has none.
    const found: unknown[] = new Array(fields.length).fill(ABSENT);
    // No prototype: a field named `__proto__` must be kept like any other, not set the object's prototype.
    const apiRecord: Record<string, unknown> = this.usesAliases ? Object.create(null) : source;

    if (count) this.records++;
    // Whether an alias was renamed: the record's JSON is then no longer the bytes it was read from.
    let renamed = false;
    let member = 0;
    for (const name in source) {
      const value = source[name];
      if (value !== null && typeof value === 'object' && nestedDeeperThan(value, MAX_FIELD_DEPTH)) {
        // Neither JSON.stringify nor jsonb could take it; the whole record goes to the quarantine.
        const reason = `field ${shortName(name)} is nested more than ${MAX_FIELD_DEPTH} levels deep`;
        rejects.push({ position, recordKey: null, kind: 'record', field: null, reason, raw: record });
        return null;
      }
      const slot = this.slotOf(member++, name);
      if (this.usesAliases) {
        const api = slot ? slot.field.api : name;
        if (api !== name) renamed = true;
        apiRecord[api] = value;
      }
      if (!slot) {
        if (count) this.unknownSeen.add(name);
        continue;
      }
      this.slotSeen[slot.index] = true;
      found[slot.index] = value;
    }
    // Every name of this record is marked now; a record read with the same names need not be parsed for them.
    if (count && shapeRead !== undefined) this.shapesMarked.add(shapeRead);

    // A record read in canonical form was hashed from its bytes, which are what JSON.stringify would
    // give (and storable: the reader does not take a record with \u0000 or a surrogate escape).
    let digest: RecordDigest;
    let unstorable = false;
    if (digestRead !== undefined && !renamed) {
      digest = digestRead;
    } else {
      const whole = JSON.stringify(apiRecord);
      unstorable = UNSTORABLE_JSON.test(whole);
      digest = recordDigest(unstorable ? JSON.stringify(storable(apiRecord)) : whole);
    }
    const row = stored && !unstorable ? stored.rowOf(digest) : -1;
    if (row !== -1) return new StoredRecord(position, record, null, stored!, row);

    const values: Array<string | boolean | null> = new Array(fields.length).fill(null);
    const present: boolean[] = new Array(fields.length).fill(false);
    const valueErrors: Array<{ field: FieldSpec; reason: string }> = [];
    for (let i = 0; i < fields.length; i++) {
      if (found[i] === ABSENT) continue;
      const parsed = this.parse(i, found[i], escapeFreeRead);
      if (parsed instanceof ValueError) {
        valueErrors.push({ field: fields[i]!, reason: parsed.reason });
        continue;
      }
      values[i] = parsed;
      present[i] = true;
    }

    const keyError = this.checkKey(values, present, valueErrors);
    const recordKey = keyError || valueErrors.length > 0 || unstorable ? this.displayKey(values) : null;
    if (keyError) {
      rejects.push({ position, recordKey, kind: 'record', field: keyError.field, reason: keyError.reason, raw: record });
      return null;
    }
    for (const e of valueErrors) {
      rejects.push({ position, recordKey, kind: 'value', field: e.field.api, reason: `${e.field.api}: ${e.reason}`, raw: record });
    }
    if (unstorable) {
      rejects.push({
        position,
        recordKey,
        kind: 'value',
        field: null,
        reason: 'record holds characters PostgreSQL cannot store (NUL or an unpaired surrogate); stored with U+FFFD in their place',
        raw: record,
      });
    }
    const storedForm = unstorable ? (storable(apiRecord) as Record<string, unknown>) : apiRecord;
    return {
      kind: 'row',
      position,
      values,
      keep: this.keepList(present),
      raw: this.rawRemainder(storedForm, values, present),
      carried: this.carriedList(found),
      // A renamed member takes its registry name, which must need no escape either.
      escapeFree: escapeFreeRead && (!renamed || this.namesEscapeFree),
      hash: valueErrors.length > 0 || unstorable ? `${HAS_VALUE_ERRORS}${hashText(digest)}` : hashText(digest),
      key: this.keyOf(values),
      cursor: this.cursorSlot >= 0 ? (values[this.cursorSlot] as string | null) : null,
      windowValue: this.windowSlot >= 0 ? (values[this.windowSlot] as string | null) : null,
    };
  }

  /** New fields (unknown to the registry) seen in this payload, sorted. */
  fieldsNew(): string[] {
    return [...this.unknownSeen].sort();
  }

  /** API names of every field some record carried (registry fields and new ones), sorted. */
  fieldsSeen(): string[] {
    const known = this.view.fields.filter((_, i) => this.slotSeen[i]).map((f) => f.api);
    return [...known, ...this.unknownSeen].sort();
  }

  /** Records read so far (what drift can be measured on). */
  get recordsRead(): number {
    return this.records;
  }

  /** Registry fields (API names) that no record of a non-empty payload carried. */
  fieldsMissing(): string[] {
    if (this.records === 0) return [];
    return this.view.fields.filter((_, i) => !this.slotSeen[i]).map((f) => f.api);
  }

  /**
   * The part of a record the typed columns do not hold verbatim, as JSON text: every field without a
   * column, and the source value of a typed field whose column does not give it back as sent (a parsed
   * date, a number sent as text, Yes/No, an empty string stored as NULL, a value that did not parse).
   * With the columns it rebuilds the record (the `record_of` functions of migration 005).
   */
  private rawRemainder(
    record: Record<string, unknown>,
    values: ReadonlyArray<string | boolean | null>,
    present: readonly boolean[],
  ): string {
    let out = '';
    let member = 0;
    for (const name in record) {
      const value = record[name];
      const slot = this.slotOf(member++, name);
      if (slot && present[slot.index] && storedVerbatim(slot.field.type, value, values[slot.index]!)) continue;
      out += `${out === '' ? '{' : ','}${slot ? slot.member : `${JSON.stringify(name)}:`}${jsonOf(value)}`;
    }
    return out === '' ? '{}' : `${out}}`;
  }

  /** The slot of a record's member number `member`, named `name` (see `lastNames`). */
  private slotOf(member: number, name: string): FieldSlot | undefined {
    if (this.lastNames[member] === name) return this.lastSlots[member];
    const slot = this.slots.get(name);
    this.lastNames[member] = name;
    this.lastSlots[member] = slot;
    return slot;
  }

  /** API names of the typed fields a record carries; null (no allocation) when it carries them all. */
  private carriedList(found: readonly unknown[]): string[] | null {
    if (!found.includes(ABSENT)) return null;
    const carried: string[] = [];
    for (let i = 0; i < found.length; i++) if (found[i] !== ABSENT) carried.push(this.view.fields[i]!.api);
    return carried;
  }

  /** Columns whose stored value is kept; null (no allocation) in the usual all-present case. */
  private keepList(present: readonly boolean[]): string[] | null {
    let keep: string[] | null = null;
    for (let i = 0; i < present.length; i++) {
      if (!present[i]) (keep ??= []).push(this.view.fields[i]!.column);
    }
    return keep;
  }

  /** The value of field `index`; `escapeFree`: the record's bytes held no backslash (see `NormalizedRow.escapeFree`). */
  private parse(index: number, raw: unknown, escapeFree = false): string | boolean | null | ValueError {
    const type = this.view.fields[index]!.type;
    const parsed = escapeFree && type === 'text' && typeof raw === 'string' ? parsePlainText(raw) : parseValue(type, raw, this.ctx);
    if (
      this.notFuture[index] &&
      typeof parsed === 'string' &&
      this.ctx.latestMs !== undefined &&
      epochMsOfIso(parsed) > this.ctx.latestMs
    ) {
      return new ValueError(`${parsed} is more than a day in the future; kept out of the row (and of the cursor)`);
    }
    const limit = this.byteLimits[index]!;
    // Three bytes per UTF-16 unit at most, so only long values pay for the exact count.
    if (limit === 0 || typeof parsed !== 'string' || parsed.length * 3 <= limit) return parsed;
    const bytes = Buffer.byteLength(parsed);
    return bytes <= limit ? parsed : new ValueError(`${bytes} bytes of text, more than the ${limit} an indexed column takes`);
  }

  /** A key part that did not parse, or a missing part of a key that cannot be empty, rejects the record. */
  private checkKey(
    values: ReadonlyArray<string | boolean | null>,
    present: readonly boolean[],
    valueErrors: ReadonlyArray<{ field: FieldSpec; reason: string }>,
  ): { field: string; reason: string } | null {
    for (const slot of this.keySlots) {
      const field = this.view.fields[slot]!;
      const bad = valueErrors.find((e) => e.field === field);
      if (bad) return { field: field.api, reason: `key ${field.api}: ${bad.reason}` };
      if (!this.view.keyNullable && (!present[slot] || values[slot] === null)) {
        return { field: field.api, reason: `key ${field.api} is missing or empty` };
      }
      if (field.type === 'id' && isNonPositive(values[slot])) {
        return { field: field.api, reason: `key ${field.api} must be a positive id, got ${String(values[slot])}` };
      }
    }
    return null;
  }

  /** The key shown for a record that was not read, from the fields that could be (null when they do not parse). */
  private keyOfFields(fields: Readonly<Record<string, unknown>>): string | null {
    const values: Array<string | boolean | null> = new Array(this.view.fields.length).fill(null);
    for (const [name, raw] of Object.entries(fields)) {
      const slot = this.slots.get(name);
      if (!slot || !this.keySlots.includes(slot.index)) continue;
      const parsed = this.parse(slot.index, raw);
      if (!(parsed instanceof ValueError)) values[slot.index] = parsed;
    }
    return this.displayKey(values);
  }

  private displayKey(values: ReadonlyArray<string | boolean | null>): string | null {
    const parts = this.keySlots.map((slot) => values[slot]);
    if (parts.every((p) => p === null)) return null;
    return parts.map((p) => (p === null ? '' : String(p))).join(' | ');
  }
}

/**
 * Whether a typed column gives a source value back exactly as sent, so `_raw` need not repeat it. The
 * rebuild renders a column the way the source writes it where that is fixed (`record_of` in migration
 * 005 does the same): text as a JSON string, ids and decimals as JSON numbers, booleans as `Yes`/`No`,
 * dates day first (`07/01/2025`), instants as ISO 8601 UTC with milliseconds (a wall-clock rendering
 * would depend on OTC_TIMEZONE), and NULL as an absent field. Anything else keeps its source value.
 */
export function storedVerbatim(type: FieldSpec['type'], sent: unknown, parsed: string | boolean | null): boolean {
  if (parsed === null) return false;
  switch (type) {
    case 'id':
    case 'decimal':
      return typeof sent === 'number' && String(sent) === parsed;
    case 'bool':
      return sent === (parsed ? 'Yes' : 'No');
    case 'date':
      return typeof sent === 'string' && isDayFirst(sent, parsed as string);
    default:
      return typeof sent === 'string' && sent === parsed;
  }
}

/** Whether `sent` is `iso` (`YYYY-MM-DD`) written day first, `DD/MM/YYYY` (compared in place: this runs for every date). */
function isDayFirst(sent: string, iso: string): boolean {
  if (sent.length !== 10 || sent.charCodeAt(2) !== SLASH || sent.charCodeAt(5) !== SLASH) return false;
  for (let i = 0; i < DAY_FIRST_PAIRS.length; i += 2) {
    if (sent.charCodeAt(DAY_FIRST_PAIRS[i]!) !== iso.charCodeAt(DAY_FIRST_PAIRS[i + 1]!)) return false;
  }
  return true;
}

const SLASH = 0x2f;
/** Each digit's place in `DD/MM/YYYY`, then in `YYYY-MM-DD`. */
const DAY_FIRST_PAIRS = [0, 8, 1, 9, 3, 5, 4, 6, 6, 0, 7, 1, 8, 2, 9, 3];

/** What JSON.stringify escapes in a string (a paired surrogate too, to be safe). */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify of a value, without its call for a string that needs no escape (most of `_raw`). */
function jsonOf(value: unknown): string {
  return typeof value === 'string' && !JSON_ESCAPED.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** A key id of 0 or below names no real ticket or comment: the source sent a placeholder or garbage. */
function isNonPositive(value: string | boolean | null | undefined): boolean {
  return typeof value === 'string' && (value.startsWith('-') || value === '0');
}

/** A field name short and clean enough for a reason. */
function shortName(name: string): string {
  return JSON.stringify(storableText(name.length > 60 ? `${name.slice(0, 59)}…` : name));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function storableText(text: string): string {
  return (text as string & { toWellFormed(): string }).toWellFormed().replace(/\u0000/g, '\uFFFD');
}

/** A copy of a JSON value whose strings and keys jsonb can hold. */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(storable);
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(value)) out[storableText(key)] = storable(item);
  return out;
}
