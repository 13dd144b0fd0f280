/** How much of a bad value a reason may quote: enough to find it, not a whole comment. */
const SHOWN_CHARS = 40;

/**
 * A value that could not be parsed. `reason` is short, says what was expected, and quotes at most
 * ~40 characters of the input.
 */
export class ValueError {
  constructor(readonly reason: string) {}
}

/** A short, log-safe rendering of a raw value for a reason. */
export function shown(raw: unknown): string {
  if (typeof raw === 'string') {
    const cut = raw.length > SHOWN_CHARS ? raw.slice(0, SHOWN_CHARS - 1) + '…' : raw;
    return JSON.stringify(cut);
  }
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  if (Array.isArray(raw)) return 'an array';
  if (raw instanceof Date) return 'a Date';
  return typeof raw === 'object' ? 'an object' : 'a ' + typeof raw;
}

/** `expected …, got …`, the common shape of a reason. */
export function expected(what: string, raw: unknown): ValueError {
  return new ValueError(`expected ${what}, got ${shown(raw)}`);
}
