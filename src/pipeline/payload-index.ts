/**
 * What the pipeline remembers about a payload while streaming it: each key once, which copy of a
 * repeated key wins (later cursor, then later position — the same order the database dedup uses),
 * whether it had to be sent to the database, and the span of the window column.
 */
import { KeyTable } from '../load/key-table.js';
import { epochMsOfIso } from '../transform/calendar.js';
import { withLength } from '../load/typed-arrays.js';
import type { KnownRecord, NormalizedRow, RecordIdentity } from '../transform/normalize.js';

const INITIAL_IDS = 1024;
/** Per key id, whether the payload has the key, and whether the winning copy was sent to the database. */
const ABSENT = 0;
const KEPT = 1;
const SENT = 2;

export class PayloadIndex {
  /**
   * Each key once, under its id in a key table (see `KeyTable`): a payload can hold millions of keys.
   * Compared with stored rows, the table is theirs (see `compareWith`), so a record known as a stored
   * row is found by the row's index, without its key.
   */
  private keys = new KeyTable();
  /** Per key id: the cursor of the copy that wins so far, as epoch ms, or NaN when it has none. */
  private cursors = new Float64Array(INITIAL_IDS);
  /** Per key id: ABSENT, KEPT or SENT. */
  private states = new Uint8Array(INITIAL_IDS);
  private distinct = 0;
  /** Rows seen (records that were not rejected). */
  rows = 0;
  /** True when some key was sent to the database more than once, so the merge must dedup. */
  stagedDuplicates = false;
  windowMin: string | null = null;
  windowMax: string | null = null;
  newestCursor: string | null = null;
  /** The same in epoch ms, which order as their canonical texts do. */
  private windowMinMs = Number.POSITIVE_INFINITY;
  private windowMaxMs = Number.NEGATIVE_INFINITY;
  private newestMs = Number.NEGATIVE_INFINITY;

  /** Distinct keys in the payload. */
  get size(): number {
    return this.distinct;
  }

  /**
   * Keys the payload with the stored rows' key table, whose ids are the rows' indexes (see
   * `StoredRows.keys`): before the first row is admitted, as the rows are compared from the first batch on.
   */
  compareWith(keys: KeyTable): void {
    if (keys === this.keys) return;
    if (this.rows > 0) throw new Error('a payload index must be compared with stored rows before its first row is admitted');
    this.keys = keys;
  }

  has(key: string): boolean {
    const id = this.keys.find(key);
    return id !== -1 && this.hasId(id);
  }

  /** Whether the payload has the key with this id; a stored row's id is its index. */
  hasId(id: number): boolean {
    return id < this.states.length && this.states[id] !== ABSENT;
  }

  /**
   * Registers a row and says whether it must be sent to the database: a row identical to what is
   * stored (same hash) never travels (`skip`); a later copy of a key is sent when it wins and either it
   * differs from the stored row or an earlier copy was already sent (so the database dedup sees the
   * winner). `repeat` marks a row whose key was already sent in this payload, `first` any other.
   */
  admit(row: NormalizedRow | KnownRecord): 'skip' | 'first' | 'repeat' {
    this.rows++;
    // Canonical instants and dates: their epoch ms order is their text order.
    const cursor = row.cursorMs ?? (row.cursor === null ? Number.NaN : epochMsOfIso(row.cursor));
    this.track(row, cursor);
    // A known record is its stored row; any other differs from what is stored under its key.
    const differs = row.kind !== 'known';
    const id = differs ? this.keys.intern(row.key) : row.storedRow;
    if (id >= this.states.length) this.grow(id);
    const state = this.states[id]!;
    if (state === ABSENT) {
      this.distinct++;
      this.cursors[id] = cursor;
      this.states[id] = differs ? SENT : KEPT;
      return differs ? 'first' : 'skip';
    }
    const prev = this.cursors[id]!;
    const newWins = !(!Number.isNaN(prev) && (Number.isNaN(cursor) || cursor < prev));
    if (!newWins) return 'skip';
    const prevSent = state === SENT;
    const send = prevSent || differs;
    if (send && prevSent) this.stagedDuplicates = true;
    this.cursors[id] = cursor;
    this.states[id] = send ? SENT : KEPT;
    if (!send) return 'skip';
    return prevSent ? 'repeat' : 'first';
  }

  /** Room for ids up to `id` (a key table's ids count up from 0). */
  private grow(id: number): void {
    let length = this.states.length;
    while (length <= id) length *= 2;
    this.cursors = withLength(this.cursors, length);
    this.states = withLength(this.states, length);
  }

  /** Widens the window's span and the newest cursor (the window value where a view has no cursor); text only for a new extreme. */
  private track(row: RecordIdentity, cursorMs: number): void {
    const windowMs = row.windowMs ?? (row.windowValue === null ? Number.NaN : epochMsOfIso(row.windowValue));
    if (windowMs < this.windowMinMs) {
      this.windowMinMs = windowMs;
      this.windowMin = row.windowValue;
    }
    if (windowMs > this.windowMaxMs) {
      this.windowMaxMs = windowMs;
      this.windowMax = row.windowValue;
    }
    const newest = Number.isNaN(cursorMs) ? windowMs : cursorMs;
    if (newest > this.newestMs) {
      this.newestMs = newest;
      this.newestCursor = Number.isNaN(cursorMs) ? row.windowValue : row.cursor;
    }
  }
}
