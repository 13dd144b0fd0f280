/**
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01). `Date.UTC` is not
 * used because it maps years 0–99 to 1900–1999, and the ISO text is built from character codes because
 * `Date#toISOString` and string concatenation cost most of an instant's parse time.
 */

export const DAY_MS = 86_400_000;

const ZERO = 48;
const DASH = 45;
const COLON = 58;

/** Day number of a calendar date (month 1–12), valid for any year. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** First and last day numbers PostgreSQL can take as plain `YYYY-MM-DD` (years 0001–9999). */
export const FIRST_DAY = daysFromCivil(1, 1, 1);
export const LAST_DAY = daysFromCivil(9999, 12, 31);

/** Year, month and day of the last `toCivil` call; reused to keep formatting allocation-free. */
const civil = { year: 0, month: 0, day: 0 };

/**
 * Integer arithmetic (`| 0`) throughout: every quantity here is non-negative and below 2^31 for the years
 * 0001–9999, and float `%` and `Math.floor` were most of the formatting time.
 */
function toCivil(days: number): void {
  const shifted = days + 719_468;
  const era = (shifted / 146_097) | 0;
  const dayOfEra = shifted - era * 146_097;
  const leapDays = ((dayOfEra / 1460) | 0) - ((dayOfEra / 36_524) | 0) + ((dayOfEra / 146_096) | 0);
  const yearOfEra = ((dayOfEra - leapDays) / 365) | 0;
  const dayOfYear = dayOfEra - (365 * yearOfEra + ((yearOfEra / 4) | 0) - ((yearOfEra / 100) | 0));
  const shiftedMonth = ((5 * dayOfYear + 2) / 153) | 0;
  civil.day = dayOfYear - (((153 * shiftedMonth + 2) / 5) | 0) + 1;
  civil.month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  civil.year = yearOfEra + era * 400 + (civil.month <= 2 ? 1 : 0);
}

/** `YYYY-MM-DD` of a day number in the years 0001–9999. */
export function isoDateOfDay(days: number): string {
  toCivil(days);
  const { year, month, day } = civil;
  // biome-ignore format: the characters grouped as the text they write
  return String.fromCharCode(
    digit(year, 1000), digit(year, 100), digit(year, 10), digit(year, 1),
    DASH, digit(month, 10), digit(month, 1),
    DASH, digit(day, 10), digit(day, 1),
  );
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` of a UTC instant (ms) in the years 0001–9999. */
export function isoInstantOf(utcMs: number): string {
  const days = Math.floor(utcMs / DAY_MS);
  toCivil(days);
  const { year, month, day } = civil;
  const msOfDay = (utcMs - days * DAY_MS) | 0;
  const secondOfDay = (msOfDay / 1000) | 0;
  const minuteOfDay = (secondOfDay / 60) | 0;
  const hour = (minuteOfDay / 60) | 0;
  const minute = minuteOfDay - hour * 60;
  const second = secondOfDay - minuteOfDay * 60;
  const ms = msOfDay - secondOfDay * 1000;
  // biome-ignore format: the characters grouped as the text they write
  return String.fromCharCode(
    digit(year, 1000), digit(year, 100), digit(year, 10), digit(year, 1),
    DASH, digit(month, 10), digit(month, 1),
    DASH, digit(day, 10), digit(day, 1),
    84 /* T */, digit(hour, 10), digit(hour, 1),
    COLON, digit(minute, 10), digit(minute, 1),
    COLON, digit(second, 10), digit(second, 1),
    46 /* . */, digit(ms, 100), digit(ms, 10), digit(ms, 1),
    90 /* Z */,
  );
}

/**
 * Epoch ms of a canonical date (`YYYY-MM-DD`, its midnight UTC) or instant (`YYYY-MM-DDTHH:MM:SS.sssZ`),
 * as the normalizer writes them; `Date.parse` of anything else. Read from the character codes: a load
 * takes two of these a row, and `Date.parse` cost three times as much.
 */
export function epochMsOfIso(text: string): number {
  const date = text.length === 10 || (text.length === 24 && text.charCodeAt(10) === 84 && text.charCodeAt(23) === 90);
  if (!date || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return Date.parse(text);
  const days = daysFromCivil(number(text, 0, 4), number(text, 5, 2), number(text, 8, 2));
  if (text.length === 10) return days * DAY_MS;
  return days * DAY_MS + number(text, 11, 2) * 3_600_000 + number(text, 14, 2) * 60_000 + number(text, 17, 2) * 1000 + number(text, 20, 3);
}

/** The decimal number written by the `length` digits of `text` from `at`. */
function number(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + text.charCodeAt(i) - ZERO;
  return n;
}

/** Character code of the decimal digit of `n` at `place` (1, 10, 100, 1000). */
function digit(n: number, place: number): number {
  const above = (n / place) | 0;
  return ZERO + above - ((above / 10) | 0) * 10;
}

/** Days in a month (1–12) of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}
