/**
 * What the pipeline remembers about a payload while streaming it: each key once, which copy of a
 * repeated key wins (later cursor, then later position — the same order the database dedup uses),
 * whether it had to be sent to the database, and the span of the window column.
 */
import type { RecordIdentity } from '../transform/normalize.js';

const INITIAL_SLOTS = 1024;

export class PayloadIndex {
  /**
   * Each key once, with its slot in the typed arrays below: a payload can hold millions of keys, and a
   * Map entry plus two numbers in arrays is about half the memory of an object per key.
   */
  private readonly slots = new Map<string, number>();
  /** Per slot: the cursor of the copy that wins so far, as epoch ms, or NaN when it has none. */
  private cursors = new Float64Array(INITIAL_SLOTS);
  /** Per slot: 1 when the winning copy had to be sent to the database. */
  private sent = new Uint8Array(INITIAL_SLOTS);
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
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /**
   * Registers a row and says whether it must be sent to the database: a row identical to what is
   * stored (same hash) never travels (`skip`); a later copy of a key is sent when it wins and either it
   * differs from the stored row or an earlier copy was already sent (so the database dedup sees the
   * winner). `repeat` marks a row whose key was already sent in this payload, `first` any other.
   */
  admit(row: RecordIdentity, asStored: boolean): 'skip' | 'first' | 'repeat' {
    this.rows++;
    // Canonical instants and dates: their epoch ms order is their text order.
    const cursor = row.cursorMs ?? (row.cursor === null ? Number.NaN : Date.parse(row.cursor));
    this.track(row, cursor);
    const differs = !asStored;
    const slot = this.slots.get(row.key);
    if (slot === undefined) {
      this.add(row.key, cursor, differs);
      return differs ? 'first' : 'skip';
    }
    const prev = this.cursors[slot]!;
    const newWins = !(!Number.isNaN(prev) && (Number.isNaN(cursor) || cursor < prev));
    if (!newWins) return 'skip';
    const prevSent = this.sent[slot] === 1;
    const send = prevSent || differs;
    if (send && prevSent) this.stagedDuplicates = true;
    this.cursors[slot] = cursor;
    this.sent[slot] = send ? 1 : 0;
    if (!send) return 'skip';
    return prevSent ? 'repeat' : 'first';
  }

  private add(key: string, cursor: number, sent: boolean): void {
    const slot = this.slots.size;
    if (slot === this.cursors.length) {
      const cursors = new Float64Array(slot * 2);
      cursors.set(this.cursors);
      this.cursors = cursors;
      const flags = new Uint8Array(slot * 2);
      flags.set(this.sent);
      this.sent = flags;
    }
    this.slots.set(key, slot);
    this.cursors[slot] = cursor;
    this.sent[slot] = sent ? 1 : 0;
  }

  /** Widens the window's span and the newest cursor (the window value where a view has no cursor); text only for a new extreme. */
  private track(row: RecordIdentity, cursorMs: number): void {
    const windowMs = row.windowMs ?? (row.windowValue === null ? Number.NaN : Date.parse(row.windowValue));
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
