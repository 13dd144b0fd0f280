/**
 * A seeded pseudo-random generator (mulberry32). The simulator's data must be identical for the same
 * seed, so nothing here reads `Math.random` or the clock.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uint32, used as a record's "noise" word from which cosmetic choices are derived at render time. */
  uint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return pickBy(items, this.uint32());
  }
}

/** Derive an independent seed for one stream (a view, a mutation) so views do not shift each other. */
export function streamSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed, then one murmur3 finaliser round.
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Pick an item with a uint32 (a record's noise word, shifted), so rendering needs no generator. */
export function pickBy<T>(items: readonly T[], word: number): T {
  if (items.length === 0) throw new RangeError('cannot pick from an empty list');
  return items[(word >>> 0) % items.length] as T;
}

/** `width` bits of `word` starting at bit `shift`. */
export function bits(word: number, shift: number, width: number): number {
  return (word >>> shift) & ((1 << width) - 1);
}

/** A picker over weighted choices; weights need not sum to 1. */
export function weighted<T>(entries: readonly (readonly [T, number])[]): (unit: number) => T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  const thresholds = entries.map(([value], i) => ({
    value,
    upTo: entries.slice(0, i + 1).reduce((sum, [, w]) => sum + w, 0) / total,
  }));
  const last = thresholds[thresholds.length - 1];
  if (!last) throw new RangeError('weighted() needs at least one entry');
  /** `unit` is a float in [0, 1), e.g. `rng.next()`. */
  return (unit) => (thresholds.find((t) => unit < t.upTo) ?? last).value;
}
