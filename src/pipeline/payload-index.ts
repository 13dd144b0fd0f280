/**
 * What the pipeline remembers about a payload while streaming it: each key once, which copy of a
 * repeated key wins (later cursor, then later position — the same order the database dedup uses),
 * whether it had to be sent to the database, and the span of the window column.
 */
import type { RecordIdentity } from '../transform/normalize.js';

interface KeyEntry {
  cursor: string | null;
  staged: boolean;
}

export class PayloadIndex {
  private readonly entries = new Map<string, KeyEntry>();
  /** Rows seen (records that were not rejected). */
  rows = 0;
  /** True when some key was sent to the database more than once, so the merge must dedup. */
  stagedDuplicates = false;
  windowMin: string | null = null;
  windowMax: string | null = null;
  newestCursor: string | null = null;

  /** Distinct keys in the payload. */
  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Registers a row and says whether it must be sent to the database: a row identical to what is
   * stored (same hash) never travels (`skip`); a later copy of a key is sent when it wins and either it
   * differs from the stored row or an earlier copy was already sent (so the database dedup sees the
   * winner). `repeat` marks a row whose key was already sent in this payload, `first` any other.
   */
  admit(row: RecordIdentity, storedHash: string | undefined): 'skip' | 'first' | 'repeat' {
    this.rows++;
    this.track(row);
    const prev = this.entries.get(row.key);
    const differs = storedHash !== row.hash;
    if (!prev) {
      this.entries.set(row.key, { cursor: row.cursor, staged: differs });
      return differs ? 'first' : 'skip';
    }
    const newWins = !(prev.cursor !== null && (row.cursor === null || row.cursor < prev.cursor));
    if (!newWins) return 'skip';
    const stage = prev.staged || differs;
    if (stage && prev.staged) this.stagedDuplicates = true;
    this.entries.set(row.key, { cursor: row.cursor, staged: stage });
    if (!stage) return 'skip';
    return prev.staged ? 'repeat' : 'first';
  }

  private track(row: RecordIdentity): void {
    const w = row.windowValue;
    if (w !== null) {
      if (this.windowMin === null || w < this.windowMin) this.windowMin = w;
      if (this.windowMax === null || w > this.windowMax) this.windowMax = w;
    }
    const c = row.cursor ?? row.windowValue;
    if (c !== null && (this.newestCursor === null || c > this.newestCursor)) this.newestCursor = c;
  }
}
