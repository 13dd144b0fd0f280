/**
 * Reading a view's payload before its transaction begins. An API body is read while it still
 * downloads: records identical to their stored rows need nothing more, and the rows that must travel
 * wait in memory, as the bytes they will be sent as (up to EARLY_MAX_BYTES), for the transaction. The
 * network stays out of the transaction, and the load no longer waits for the whole body before it
 * starts parsing.
 */
import { setImmediate } from 'node:timers/promises';
import { COPY_IN_FLIGHT_BYTES } from '../load/db.js';
import type { StoredRows } from '../load/table-load.js';
import type { CanonicalRecord, Recogniser } from '../transform/read-batch.js';
import type { RecordBatch } from '../transform/record-stream.js';
import type { PayloadReading, ToSend } from './payload-reading.js';

/**
 * How much the early read may hold, as COPY bytes, before it waits for the transaction: the time the
 * body takes to arrive is used to parse it (a first sync reads 20,500 of its 150,000 timesheets before
 * the last byte is in), and the held rows cost the heap nothing. It is what the server's COPY takes
 * unawaited, so the transaction hands it all over and goes on reading. 16 MB was no faster (0.98x and
 * 1.02x in two sets of 10 pairs; the first load's transaction goes at the server's pace) and peaked
 * 10-30 MB higher, up to 260 MB at 4x scale; 24 MB higher still. A re-sync holds almost nothing, so it
 * reads its whole body early.
 */
const EARLY_MAX_BYTES = COPY_IN_FLIGHT_BYTES;

/**
 * What the transaction starts from: the stored rows, and the rows read early that must travel, batch by
 * batch (the load takes each out as it sends it, so it is let go).
 */
export interface ReadEarly {
  readonly stored: StoredRows;
  readonly toSend: ToSend[];
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
    return { stored, toSend: this.early?.toSend ?? [] };
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
  readonly toSend: ToSend[] = [];
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
      while (!this.stopping && this.held < EARLY_MAX_BYTES) {
        const next = await this.batches.next();
        if (next.done === true) return;
        const part = this.reading.take(next.value, stored);
        if (part.fresh.count + part.repeats.count > 0) {
          this.toSend.push(part);
          this.held += part.fresh.byteLength + part.repeats.byteLength;
        }
        // A turn of the event loop between batches, so the download goes on: batches already in memory
        // would otherwise be read one after another while the socket and the spool waited (the first
        // sync's 120 MB of timesheets then took 1.3 s to arrive instead of 0.7 s).
        await setImmediate();
      }
    } catch (error) {
      this.error = error;
    }
  }
}
