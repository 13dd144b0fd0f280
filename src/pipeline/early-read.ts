/**
 * Reading a view's payload before its transaction begins. An API body is read while it still
 * downloads: records identical to their stored rows need nothing more, and the rows that must travel
 * wait in memory (up to EARLY_MAX_RAW_CHARS) for the transaction. The network stays out of the
 * transaction, and the load no longer waits for the whole body before it starts parsing.
 */
import type { StoredRows } from '../load/table-load.js';
import type { NormalizedRow } from '../transform/normalize.js';
import type { CanonicalRecord, Recogniser } from '../transform/read-batch.js';
import type { RecordBatch } from '../transform/record-stream.js';
import type { PayloadReading, ToSend } from './payload-reading.js';

/**
 * How much the early read may hold (about the rows' length as JSON text, see `rowChars`) before it waits
 * for the transaction. Little: a held row costs several times its text in the heap (its values keep the
 * record's text alive), and rows held across young collections are copied into the old generation. A
 * re-sync holds almost nothing, so it still reads its whole body early; a first sync stops after its first batches.
 */
const EARLY_MAX_RAW_CHARS = 1 << 20;
/** What a field costs a held row beyond its value's text (about its name and punctuation as JSON). */
const FIELD_CHARS = 20;

/** What the transaction starts from: the stored rows, and the rows read early that must travel. */
export interface ReadEarly {
  readonly stored: StoredRows;
  readonly toSend: ToSend;
}

/**
 * Reads a view's payload for one load. Each download attempt the source reports gets a reading of its
 * own, started at once; the stored rows the readings compare with are read once, when first needed.
 */
export class PayloadReader {
  private current: PayloadReading;
  private early: EarlyRead | null = null;
  private storedRead: Promise<StoredRows> | null = null;
  /** The stored rows once read. */
  private storedRows: StoredRows | null = null;

  constructor(
    private readonly newReading: () => PayloadReading,
    private readonly readStored: () => Promise<StoredRows>,
  ) {
    this.current = newReading();
  }

  /** The latest download attempt's reading: what the load has learnt of the payload. */
  get reading(): PayloadReading {
    return this.current;
  }

  /** Handed to the source's `open`: a download attempt has begun; the one before it is dropped. */
  readonly startEarly = (batches: AsyncIterator<RecordBatch>): void => {
    this.early?.abandon();
    this.current = this.newReading();
    this.early = new EarlyRead(batches, this.current, this.stored());
  };

  /**
   * Handed to the source's `open`: recognises a record identical to its stored row from its bytes, for
   * the latest attempt's reading, once the stored rows are read and if there are any.
   */
  readonly recogniser = {
    active: false as boolean,
    recognise: (record: CanonicalRecord): unknown => {
      const stored = this.storedRows;
      return stored === null ? null : this.current.normalizer.recognise(record, stored);
    },
  } satisfies Recogniser;

  /** The source did not open: let go of the body being read. */
  abandon(): void {
    this.early?.abandon();
  }

  /** Stops reading early: the source is open, and the rest is read inside the transaction. */
  async stopEarly(): Promise<ReadEarly> {
    const stored = await this.stored();
    await this.early?.stop();
    return { stored, toSend: this.early?.toSend ?? { fresh: [], repeats: [] } };
  }

  /**
   * Read once the source has answered (so no database work delays the request itself), while the body
   * downloads.
   */
  private stored(): Promise<StoredRows> {
    if (this.storedRead) return this.storedRead;
    this.storedRead = this.readStored();
    this.storedRead.then(
      (stored) => {
        this.storedRows = stored;
        this.recogniser.active = stored.size > 0;
      },
      () => undefined,
    );
    return this.storedRead;
  }
}

/** Reads one download attempt's batches while they arrive, until stopped or holding enough. */
class EarlyRead {
  readonly toSend: ToSend = { fresh: [], repeats: [] };
  private error: unknown = null;
  private stopping = false;
  private held = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly batches: AsyncIterator<RecordBatch>,
    private readonly reading: PayloadReading,
    stored: Promise<StoredRows>,
  ) {
    this.done = this.run(stored);
  }

  /** Lets the batch in hand finish and stops; rethrows what went wrong while reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
    if (this.error) throw this.error;
  }

  /** Its download attempt failed: stop, and let go of the body. */
  abandon(): void {
    this.stopping = true;
    void this.done.then(() => this.batches.return?.()).catch(() => undefined);
  }

  private async run(storedRead: Promise<StoredRows>): Promise<void> {
    try {
      const stored = await storedRead;
      const { fresh, repeats } = this.toSend;
      while (!this.stopping && this.held < EARLY_MAX_RAW_CHARS) {
        const next = await this.batches.next();
        if (next.done === true) return;
        const [freshBefore, repeatsBefore] = [fresh.length, repeats.length];
        this.reading.take(next.value, stored, this.toSend);
        this.held += rowChars(fresh, freshBefore) + rowChars(repeats, repeatsBefore);
      }
    } catch (error) {
      this.error = error;
    }
  }
}

/**
 * About the length of rows as JSON text: their values and `_raw`. `_raw` alone no longer measures a
 * row, since it holds only what the columns do not.
 */
function rowChars(rows: readonly NormalizedRow[], from: number): number {
  let chars = 0;
  for (let i = from; i < rows.length; i++) {
    const row = rows[i]!;
    chars += row.raw.length + row.values.length * FIELD_CHARS;
    for (const value of row.values) if (typeof value === 'string') chars += value.length;
  }
  return chars;
}

/** Rows read early, in parts of at most `size`, so a signal is seen between them as between batches. */
export function* parts({ fresh, repeats }: ToSend, size: number): Generator<ToSend> {
  for (let i = 0; i < fresh.length; i += size) yield { fresh: fresh.slice(i, i + size), repeats: [] };
  for (let i = 0; i < repeats.length; i += size) yield { fresh: [], repeats: repeats.slice(i, i + size) };
}
