/**
 * Turns a view's body into batches of records without ever holding the body as one string: bodies can
 * pass V8's string limit, and the process must stay small. A byte scanner finds the record list and the
 * boundaries of its elements; each batch is decoded and handed to the native JSON.parse in one call.
 */

import { BodyProblem, sourceDataError } from './body-errors.js';
import { BodyReader, asBuffer } from './body-reader.js';
import type { Recogniser } from './read-batch.js';

/** A run of consecutive records from a view's body. */
export interface RecordBatch {
  /**
   * The list's elements as parsed. Records should be objects, but any other element (number, string,
   * null, array) is passed on as-is for the caller to reject with a reason.
   */
  readonly records: unknown[];
  /** 1-based position of records[0] in the payload */
  readonly firstPosition: number;
}

/**
 * Records per batch unless the caller says otherwise. A batch's records and rows live until its COPY
 * lines are made, and a first load allocates about 8 KB a timesheet on the way: batches of 2500 outlived
 * a young collection, so their objects were copied into the old generation (212 MB in a full sync, with
 * 1.1 s of young-collection pauses and six full collections to clear them); batches of 500 die young
 * (25 MB, 0.36 s, none).
 */
export const DEFAULT_BATCH_SIZE = 500;

/**
 * Reads a view body chunk by chunk and yields parsed records in batches of about `batchSize` records
 * (default 500): exactly that many, except the last batch and batches cut early at the first record
 * boundary past 8 MiB of text, which keeps memory flat when records are large.
 *
 * A record larger than `maxRecordBytes` (default 16 MiB), one with bytes that are not UTF-8, or one naming a
 * field twice with different values arrives as an `UnreadableRecord` in its place, for the caller to reject.
 * `recogniser`, when given, may stand in for a canonical record before it is decoded (see `Recogniser`).
 *
 * Accepts `{"message":{"data":[…]}}`, `{"data":[…]}` (other keys beside `data`/`message` allowed) and a
 * bare `[…]`, with or without a UTF-8 byte-order mark. Throws `SourceDataError` naming `view` for any other
 * body, for broken JSON or UTF-8, and for a body that is cut off. Such an error can come after batches
 * have been yielded (a cut-off is only visible at the end), so do not commit anything until the
 * generator has finished.
 */
export async function* readRecordBatches(
  body: AsyncIterable<Uint8Array>,
  opts: { view: string; batchSize?: number; maxRecordBytes?: number; recogniser?: Recogniser },
): AsyncGenerator<RecordBatch> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const reader = new BodyReader(batchSize, opts.maxRecordBytes, opts.recogniser);
  const chunks = body[Symbol.asyncIterator]();
  try {
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
      yield* reader.push(asBuffer(next.value));
    }
    reader.finish();
  } catch (error) {
    if (!(error instanceof BodyProblem)) throw error;
    // The preview is a courtesy: a read error while filling it must not hide the body's problem.
    await readPreview(reader, chunks).catch(() => undefined);
    throw sourceDataError(error, opts.view, reader.preview);
  } finally {
    await chunks.return?.();
  }
}

/** Reads on to fill the preview: problems are often spotted within the body's first few bytes. */
async function readPreview(reader: BodyReader, chunks: AsyncIterator<Uint8Array>): Promise<void> {
  while (!reader.hasFullPreview) {
    const next = await chunks.next();
    if (next.done === true) return;
    reader.keepPreview(asBuffer(next.value));
  }
}
