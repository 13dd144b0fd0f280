/**
 * Rows encoded for COPY once, when they are read: held as bytes until the load sends them, as lines
 * straight into the view's table or into the staging table, which it only decides once its transaction
 * has begun. Bytes cost a fraction of the row objects they come from, so rows read before the
 * transaction can wait as these, and the objects are let go at once.
 */
import { columnsOf, type ViewSpec } from '../registry.js';
import { copyFields, copyValue, LineBytes, textArrayLiteral } from './copy-format.js';

/** One record ready to send: typed values in registry order, plus what the merge needs. */
export interface StagedRow {
  /** 1-based position in the payload or file. */
  readonly position: number;
  readonly values: ReadonlyArray<string | boolean | null>;
  /** Columns whose stored value must be kept (absent from the record, or the value did not parse). */
  readonly keep: readonly string[] | null;
  /** What `_raw` gets from the record, as JSON text storable as jsonb. */
  readonly raw: string;
  /** API names of the typed fields the record carries; null for all. */
  readonly carried: readonly string[] | null;
  /** The record hash (decimal bigint text); a leading `!` marks a record never taken for unchanged. */
  readonly hash: string;
  /** True when no value nor `raw` holds a character COPY escapes, so none is looked for. */
  readonly escapeFree?: boolean;
}

/** A staged line's end when the record keeps no stored value and carries every field (the usual case). */
const NOTHING_KEPT = '\t\\N\t\\N\n';
const NEWLINE = 0x0a;

/**
 * Rows as COPY text. Each row's common part (its columns, `_raw` and `_record_hash`) is encoded once;
 * `direct` and `staged` put the lines of either COPY together around it (see `stageColumns`).
 */
export class RowLines {
  private readonly body: LineBytes;
  /** Per row: where its common part ends in `body`, its position, and its staged line's end. */
  private readonly ends: number[] = [];
  private readonly positions: number[] = [];
  private readonly tails: string[] = [];
  /** Which key parts are NULL (bit i = key column i) in these rows: the merge runs once per pattern. */
  readonly nullMasks = new Set<number>();
  private readonly keySlots: number[] | null;

  /** `expected`: about how many rows will be added. */
  constructor(view: ViewSpec, expected: number) {
    this.body = new LineBytes(expected);
    this.keySlots = view.keyNullable ? view.key.map((column) => columnsOf(view).indexOf(column)) : null;
  }

  get count(): number {
    return this.ends.length;
  }

  /** About the bytes these rows take (their common parts). */
  get byteLength(): number {
    return this.body.size;
  }

  add(row: StagedRow): void {
    const mayNeedEscape = row.escapeFree !== true;
    this.body.add(`${copyFields(row.values, mayNeedEscape)}\t${copyValue(row.raw, mayNeedEscape)}\t${storedHash(row.hash)}`);
    this.ends.push(this.body.size);
    this.positions.push(row.position);
    this.tails.push(row.keep === null && row.carried === null ? NOTHING_KEPT : `\t${arrayOrNull(row.keep)}\t${arrayOrNull(row.carried)}\n`);
    if (this.keySlots) this.nullMasks.add(nullMaskOf(row.values, this.keySlots));
  }

  /** Lines for the view's table: each row's common part, then `suffix` (its lineage) and a newline. */
  direct(suffix: Uint8Array): Buffer {
    const body = this.body.bytes();
    const out = Buffer.allocUnsafe(body.length + this.count * (suffix.length + 1));
    let at = 0;
    let start = 0;
    for (const end of this.ends) {
      at += body.copy(out, at, start, end);
      out.set(suffix, at);
      at += suffix.length;
      out[at++] = NEWLINE;
      start = end;
    }
    return out;
  }

  /** Lines for the staging table: each row's position, its common part, what it keeps and carries. */
  staged(): Buffer {
    const body = this.body.bytes();
    const heads = this.positions.map((position) => `${position}\t`);
    let length = body.length;
    for (let i = 0; i < this.count; i++) length += heads[i]!.length + Buffer.byteLength(this.tails[i]!);
    const out = Buffer.allocUnsafe(length);
    let at = 0;
    let start = 0;
    for (let i = 0; i < this.count; i++) {
      at += out.write(heads[i]!, at, 'latin1');
      at += body.copy(out, at, start, this.ends[i]);
      at += out.write(this.tails[i]!, at);
      start = this.ends[i]!;
    }
    return out;
  }
}

/** The hash as stored: a record with a value we could not store gets none, so it is parsed on every load. */
function storedHash(hash: string): string {
  return hash.charCodeAt(0) === 33 ? '\\N' : hash;
}

function arrayOrNull(items: readonly string[] | null): string {
  return items ? copyValue(textArrayLiteral(items)) : '\\N';
}

function nullMaskOf(values: StagedRow['values'], keySlots: readonly number[]): number {
  let mask = 0;
  for (let i = 0; i < keySlots.length; i++) if (values[keySlots[i]!] === null) mask |= 1 << i;
  return mask;
}
