/** Where a view's records come from: the API, an export file, or the stored records (reprocess). */
import type { SourceKind } from '../load/source-kind.js';
import type { Recogniser } from '../transform/read-batch.js';
import type { RecordBatch } from '../transform/record-stream.js';

/** An open source: its record batches, and how to let go of what it holds. */
export interface OpenedSource {
  readonly batches: AsyncIterable<RecordBatch>;
  close(): Promise<void>;
}

/** Opened after the run row is written, closed after the load. */
export interface RecordSource {
  /** What the load does with the records depends on it: see `loadView`. */
  readonly kind: SourceKind;
  /** What the run record and the rows' `_last_source` store: `api`, `reprocess`, or the file's name. */
  readonly name: string;
  /**
   * Resolves once every record can be read. A source whose body arrives slowly (the API) hands each
   * download attempt's batches to `early` as the body starts to arrive, and then returns the last
   * attempt's batches, so what was read early is not read again. A source that reads JSON bytes lets
   * `recogniser` stand in for its canonical records (see `Recogniser`).
   */
  open(early?: (batches: AsyncIterator<RecordBatch>) => void, recogniser?: Recogniser): Promise<OpenedSource>;
  readonly serialDates?: '1900' | '1904' | false;
}
