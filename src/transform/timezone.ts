import { DAY_MS, daysFromCivil } from './calendar.js';

/**
 * Every zone's offset is constant (local mean time) before its first tzdb transition, and the earliest
 * of those is in 1844, so probes before 1800 are clamped there. It also keeps Intl away from its
 * Julian-calendar and era handling of very old dates. Past the year 9999 nothing is stored anyway.
 */
const FIRST_PROBE_DAY = daysFromCivil(1800, 1, 1);
const LAST_PROBE_DAY = daysFromCivil(10_000, 1, 2);
const SECOND_MS = 1000;
/** Offsets at UTC midnights are kept in pages of 4096 days (16 KiB), allocated as values reach them. */
const PAGE_BITS = 12;
const PAGE_MASK = (1 << PAGE_BITS) - 1;
const UNKNOWN = -(2 ** 31);

/**
 * An IANA time zone. Offsets come from Intl, probed once per UTC midnight seen (and bisected to the
 * second on days with a transition), and kept in flat arrays: converting a value costs two array reads,
 * not an Intl call or a hash lookup. Shared through `zoneNamed`.
 */
export class Zone {
  /** The name as configured (ICU would canonicalise some links, e.g. EST to America/Panama). */
  readonly name: string;
  readonly #format: Intl.DateTimeFormat;
  /** Offset (ms) at 00:00 UTC of each day, by day number minus FIRST_PROBE_DAY, paged. */
  readonly #midnights: (Int32Array | undefined)[] = [];
  /** UTC ms of the offset change within a day, for the few days whose midnights differ. */
  readonly #switches = new Map<number, number>();

  /** @throws RangeError when `name` is not a time zone Intl knows. */
  constructor(name: string) {
    this.#format = wallClockFormat(name);
    this.name = name;
  }

  /** The zone's UTC offset (local minus UTC, in ms) at a UTC instant. */
  offsetAt(utcMs: number): number {
    const day = clampDay(Math.floor(utcMs / DAY_MS));
    const before = this.#midnightOffset(day);
    const after = this.#midnightOffset(day + 1);
    if (before === after) return before;
    return utcMs < this.#switchOf(day, before) ? before : after;
  }

  /**
   * The UTC instant (ms) of a wall-clock time in this zone, given as ms since 1970-01-01 as if the wall
   * clock were UTC. A nonexistent local time (DST gap) resolves to the later instant, i.e. it is read
   * with the offset from before the gap (02:30 becomes 03:30); an ambiguous one (DST overlap) resolves to
   * the earlier instant.
   */
  toUtc(wallMs: number): number {
    // Offsets stay within ±1 day, so these bracket any transition near this wall-clock time.
    const before = this.offsetAt(wallMs - DAY_MS);
    const after = this.offsetAt(wallMs + DAY_MS);
    if (before === after) return wallMs - before;
    const withBefore = wallMs - before;
    const withAfter = wallMs - after;
    const beforeHolds = this.offsetAt(withBefore) === before;
    const afterHolds = this.offsetAt(withAfter) === after;
    if (beforeHolds && afterHolds) return Math.min(withBefore, withAfter);
    if (afterHolds) return withAfter;
    return withBefore;
  }

  #midnightOffset(day: number): number {
    const index = day - FIRST_PROBE_DAY;
    const page = this.#midnights[index >> PAGE_BITS] ?? this.#newPage(index >> PAGE_BITS);
    const known = page[index & PAGE_MASK]!;
    if (known !== UNKNOWN) return known;
    const offset = probeOffset(this.#format, day * DAY_MS);
    page[index & PAGE_MASK] = offset;
    return offset;
  }

  #newPage(pageIndex: number): Int32Array {
    const page = new Int32Array(1 << PAGE_BITS).fill(UNKNOWN);
    this.#midnights[pageIndex] = page;
    return page;
  }

  #switchOf(day: number, before: number): number {
    const known = this.#switches.get(day);
    if (known !== undefined) return known;
    const switchAt = findSwitch(this.#format, day * DAY_MS, (day + 1) * DAY_MS, before);
    this.#switches.set(day, switchAt);
    return switchAt;
  }
}

/** The zones made so far, by name: what one learns of its zone's offsets holds for every view and run. */
const zones = new Map<string, Zone>();

/** The process's one Zone for `name`. @throws RangeError as `new Zone` does. */
export function zoneNamed(name: string): Zone {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = new Zone(name);
    zones.set(name, zone);
  }
  return zone;
}

/** NaN lands on the first day too; callers reject NaN instants before asking. */
function clampDay(day: number): number {
  if (!(day >= FIRST_PROBE_DAY)) return FIRST_PROBE_DAY;
  return Math.min(day, LAST_PROBE_DAY);
}

/** First whole second in (lo, hi] whose offset differs from `before`; tzdb transitions fall on whole seconds. */
function findSwitch(format: Intl.DateTimeFormat, lo: number, hi: number, before: number): number {
  let low = lo;
  let high = hi;
  while (high - low > SECOND_MS) {
    const mid = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS;
    if (probeOffset(format, mid) === before) low = mid;
    else high = mid;
  }
  return high;
}

function wallClockFormat(name: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (cause) {
    throw new RangeError(`unknown time zone ${JSON.stringify(name)}: use an IANA name such as Australia/Perth`, {
      cause,
    });
  }
}

/** Offset (ms) at a whole-second UTC instant, read from the zone's wall clock. */
function probeOffset(format: Intl.DateTimeFormat, utcMs: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let clockMs = 0;
  for (const part of format.formatToParts(utcMs)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
    else if (part.type === 'hour') clockMs += Number(part.value) * 3_600_000;
    else if (part.type === 'minute') clockMs += Number(part.value) * 60_000;
    else if (part.type === 'second') clockMs += Number(part.value) * 1000;
  }
  return daysFromCivil(year, month, day) * DAY_MS + clockMs - utcMs;
}
