/**
 * Stored rows by record hash, for a load that looks up every record of its payload: an open-addressing
 * table of the hashes' 32-bit halves in typed arrays. A `Map` keyed by the hash's decimal text made a
 * string of every record's hash to look it up, and held one string per stored row for the collector to
 * trace.
 */

/** What `rowOf` says of a hash that more than one row has. */
export const SHARED_HASH = -2;

/** The table is at most three quarters full, so a probe ends at an empty slot within a few steps. */
const MAX_LOAD = 0.75;

export class RowsByHash {
  private highs: Int32Array;
  private lows: Int32Array;
  /** Per slot: what `rowOf` returns plus one (0: an empty slot, so none). */
  private rows: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected: number) {
    let slots = 16;
    while (slots * MAX_LOAD < expected) slots *= 2;
    this.highs = new Int32Array(slots);
    this.lows = new Int32Array(slots);
    this.rows = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** Adds `row` under the hash with halves `high`, `low`; a hash added twice is marked shared. */
  add(high: number, low: number, row: number): void {
    if (this.count + 1 > this.rows.length * MAX_LOAD) this.grow();
    const slot = this.slotOf(high, low);
    if (this.rows[slot] === 0) {
      this.highs[slot] = high;
      this.lows[slot] = low;
      this.count++;
      this.rows[slot] = row + 1;
    } else {
      this.rows[slot] = SHARED_HASH + 1;
    }
  }

  /** The row with this hash, `SHARED_HASH` when several have it, -1 when none has. */
  rowOf(high: number, low: number): number {
    return this.rows[this.slotOf(high, low)]! - 1;
  }

  /** The slot that holds the hash, or the empty slot where it would go. */
  private slotOf(high: number, low: number): number {
    // The hash is SHA-1's: its low bits are as good an index as any.
    let slot = low & this.mask;
    while (this.rows[slot] !== 0 && (this.lows[slot] !== low || this.highs[slot] !== high)) slot = (slot + 1) & this.mask;
    return slot;
  }

  private grow(): void {
    const { highs, lows, rows } = this;
    this.highs = new Int32Array(rows.length * 2);
    this.lows = new Int32Array(rows.length * 2);
    this.rows = new Int32Array(rows.length * 2);
    this.mask = rows.length * 2 - 1;
    for (let slot = 0; slot < rows.length; slot++) {
      if (rows[slot] === 0) continue;
      const to = this.slotOf(highs[slot]!, lows[slot]!);
      this.highs[to] = highs[slot]!;
      this.lows[to] = lows[slot]!;
      this.rows[to] = rows[slot]!;
    }
  }
}
