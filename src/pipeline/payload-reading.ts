/**
 * One reading of a view's payload: each batch normalized, its rejects kept for the quarantine, its rows
 * admitted to the payload index, and the rows that must travel to the database handed on. A download
 * attempt that fails is read again from scratch, with a new reading.
 */
import { RowLines } from '../load/row-lines.js';
import type { StoredRows } from '../load/table-load.js';
import type { KnownRecord, NormalizedRow, Normalizer, RejectedRecord } from '../transform/normalize.js';
import type { RecordBatch } from '../transform/record-stream.js';
import { type RejectEntry, rejectEntry } from '../transform/reject-entry.js';
import { PayloadIndex } from './payload-index.js';

/** Rows that must travel to the database, from one or more batches, encoded as they are read. */
export interface ToSend {
  /** Rows whose key is sent for the first time in this payload. */
  readonly fresh: RowLines;
  /** Later copies of keys already sent, which the database dedup has to see win. */
  readonly repeats: RowLines;
}

export class PayloadReading {
  fetched = 0;
  rejected = 0;
  valueErrors = 0;
  readonly rejects: RejectEntry[] = [];
  readonly payload = new PayloadIndex();

  constructor(readonly normalizer: Normalizer) {}

  /**
   * Normalizes one batch and admits its rows to the payload index; adds the rows that must travel to
   * `into` (a record identical to its stored row stays here).
   */
  take(batch: RecordBatch, stored: StoredRows, into: ToSend = this.toSend(batch.records.length)): ToSend {
    // With nothing stored (a first load) no record can be known: skip looking.
    const { rows, rejects } =
      stored.size > 0
        ? this.normalizer.normalizeKnown(batch.records, batch.firstPosition, stored)
        : this.normalizer.normalize(batch.records, batch.firstPosition);
    this.fetched += batch.records.length;
    this.collectRejects(rejects);
    this.payload.compareWith(stored.keys);
    for (const row of rows) {
      const admitted = this.payload.admit(row);
      if (admitted === 'skip') continue;
      const full = row.kind === 'row' ? row : this.completed(row);
      (admitted === 'first' ? into.fresh : into.repeats).add(full);
    }
    return into;
  }

  /** Somewhere to put the rows of about `rows` records that must travel. */
  toSend(rows: number): ToSend {
    const { view } = this.normalizer;
    return { fresh: new RowLines(view, rows), repeats: new RowLines(view, 1) };
  }

  private collectRejects(rejects: readonly RejectedRecord[]): void {
    for (const reject of rejects) {
      if (reject.kind === 'record') this.rejected++;
      else this.valueErrors++;
      this.rejects.push(rejectEntry(reject));
    }
  }

  /**
   * A record identical to its stored row that must travel after all: a later copy of a key whose earlier
   * copy in the payload differed and was sent, so the database dedup has to see this one win.
   */
  private completed(known: KnownRecord): NormalizedRow {
    const { rows, rejects } = this.normalizer.complete(known);
    this.collectRejects(rejects);
    // Its key parsed a moment ago, so the record cannot be rejected now.
    if (rows.length !== 1) throw new Error(`record ${known.position} parsed differently twice`);
    return rows[0]!;
  }
}
