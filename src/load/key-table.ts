/**
 * Natural keys interned compactly, each under a small integer id, for a load that remembers every key
 * of its stored rows and of its payload. Each key's UTF-16 code units sit in one byte arena (one byte a
 * unit when every unit is below 256, two otherwise), found through an open-addressing table of ids. A
 * `Map` keyed by the key strings cost about 150 bytes a key (the string, the map's entry and an array
 * slot), most of a re-sync's memory at scale; this costs the key's length and about 16 bytes more.
 */

import { grownBuffer, withLength } from './typed-arrays.js';

/** The table is at most three quarters full, so a probe ends at an empty slot within a few steps. */
const MAX_LOAD = 0.75;
const INITIAL_IDS = 1024;

export class KeyTable {
  /** The keys' code units, back to back. */
  private units = Buffer.allocUnsafe(INITIAL_IDS * 32);
  private used = 0;
  /** Per id: where its units start (`starts[id + 1]` is where they end). */
  private starts = new Int32Array(INITIAL_IDS + 1);
  /** Per id: 1 when its units take two bytes each. */
  private wide = new Uint8Array(INITIAL_IDS);
  private hashes = new Int32Array(INITIAL_IDS);
  /** Per slot: an id plus one (0: an empty slot). */
  private slots = new Int32Array(2 * INITIAL_IDS);
  private mask = 2 * INITIAL_IDS - 1;
  private count = 0;

  /** How many keys the table holds; their ids are 0 to `size - 1`, in the order they were added. */
  get size(): number {
    return this.count;
  }

  /** The id of `key`, or -1 when the table does not hold it. */
  find(key: string): number {
    return this.slots[this.slotOf(key, hashOf(key))]! - 1;
  }

  /** The id of `key`, added under the next id when the table does not hold it yet. */
  intern(key: string): number {
    const hash = hashOf(key);
    const slot = this.slotOf(key, hash);
    const found = this.slots[slot]! - 1;
    if (found !== -1) return found;
    return this.add(key, hash, slot);
  }

  /** The key with this id. */
  text(id: number): string {
    const start = this.starts[id]!;
    return this.units.toString(this.wide[id] === 1 ? 'utf16le' : 'latin1', start, this.starts[id + 1]!);
  }

  private add(key: string, hash: number, slot: number): number {
    const id = this.count;
    if (id === this.hashes.length) this.growIds();
    const wide = isWide(key);
    const bytes = wide ? key.length * 2 : key.length;
    if (this.used + bytes > this.units.length) this.units = grownBuffer(this.units, this.used, bytes);
    // A loop, not `Buffer.write`: for keys of a few dozen characters its call costs more than the copy.
    const { units, used } = this;
    if (wide) {
      for (let i = 0; i < key.length; i++) {
        const unit = key.charCodeAt(i);
        units[used + 2 * i] = unit & 0xff;
        units[used + 2 * i + 1] = unit >>> 8;
      }
    } else {
      for (let i = 0; i < key.length; i++) units[used + i] = key.charCodeAt(i);
    }
    this.used += bytes;
    this.starts[id + 1] = this.used;
    this.wide[id] = wide ? 1 : 0;
    this.hashes[id] = hash;
    this.count++;
    if (this.count > this.slots.length * MAX_LOAD) this.growSlots();
    else this.slots[slot] = id + 1;
    return id;
  }

  /** The slot that holds `key`, or the empty slot where it would go. */
  private slotOf(key: string, hash: number): number {
    let slot = hash & this.mask;
    for (;;) {
      const id = this.slots[slot]! - 1;
      if (id === -1 || (this.hashes[id] === hash && this.holds(id, key))) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether id's units are those of `key`. */
  private holds(id: number, key: string): boolean {
    const start = this.starts[id]!;
    const units = this.units;
    if (this.wide[id] === 1) {
      if (this.starts[id + 1]! - start !== key.length * 2) return false;
      for (let i = 0; i < key.length; i++) {
        if (units[start + 2 * i]! + (units[start + 2 * i + 1]! << 8) !== key.charCodeAt(i)) return false;
      }
      return true;
    }
    if (this.starts[id + 1]! - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (units[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private growIds(): void {
    const ids = this.hashes.length * 2;
    this.starts = withLength(this.starts, ids + 1);
    this.wide = withLength(this.wide, ids);
    this.hashes = withLength(this.hashes, ids);
  }

  /** Doubles the table and places every id again (the last one added included). */
  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hashes[id]! & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id + 1;
    }
  }
}

/** Whether some code unit of `key` is 256 or more, so it needs two bytes. */
function isWide(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return true;
  return false;
}

/** FNV-1a over the code units, then MurmurHash3's finaliser, so the low bits that pick a slot are mixed. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
