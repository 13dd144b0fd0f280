/**
 * Hand-written scanner for the date formats the source uses: ISO 8601 (`2025-01-07`, `2025-01-07 09:05`,
 * `2025-01-07T09:05:30.123+08:00`) and Australian day-first slash dates (`7/1/2025`, `7/1/2025 9:05`,
 * `07/01/2025 09:05:30`, `7/1/2025 9:05 PM`). Fields land in `scanned`, which is reused: the parser is
 * synchronous and this keeps the hot path free of allocations.
 */

import { daysInMonth } from './calendar.js';

/** Why a string is not a date: bad shape, or well-formed but no such date, time or offset. */
export type ScanFailure = 'format' | 'date' | 'time' | 'offset';

/** The fields of the last successful scan; hour/minute/second/ms are 0 for a date alone. */
export const scanned = {
  year: 0,
  month: 0,
  day: 0,
  hour: 0,
  minute: 0,
  second: 0,
  ms: 0,
  hasTime: false,
  hasOffset: false,
  /** Local minus UTC, in ms. */
  offsetMs: 0,
};

const DASH = 45;
const SLASH = 47;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const SPACE = 32;
const PLUS = 43;

/** Scan position; an object rather than module `let`s because V8 reads and writes its fields faster. */
const cursor = {
  text: '',
  at: 0,
  /** 0: no AM/PM; 1: AM; 2: PM. */
  meridiem: 0,
};

/** Scans a trimmed string; null when it is a valid date or date-time. */
export function scanDateTime(s: string): ScanFailure | null {
  start(s);
  if (!scanDate()) return 'format';
  if (cursor.at < cursor.text.length && !(scanSeparator() && scanTime() && scanZoneTail())) return 'format';
  if (cursor.at !== cursor.text.length) return 'format';
  return validate();
}

/** Scans a trimmed time of day (`9:05`, `09:05:30.5`, `9:05 pm`); null when valid. */
export function scanClockTime(s: string): ScanFailure | null {
  start(s);
  if (!scanTime()) return 'format';
  skipSpaces();
  scanMeridiem();
  if (cursor.at !== cursor.text.length) return 'format';
  return validateTime();
}

function start(s: string): void {
  cursor.text = s;
  cursor.at = 0;
  cursor.meridiem = 0;
  scanned.hour = scanned.minute = scanned.second = scanned.ms = scanned.offsetMs = 0;
  scanned.hasTime = scanned.hasOffset = false;
}

function scanDate(): boolean {
  const first = digits(1, 4);
  const firstLength = cursor.at;
  if (first < 0) return false;
  const separator = cursor.text.charCodeAt(cursor.at);
  if (separator === DASH && firstLength === 4) return scanIsoRest(first);
  if (separator === SLASH && firstLength <= 2) return scanSlashRest(first);
  return false;
}

function scanIsoRest(year: number): boolean {
  scanned.year = year;
  cursor.at++;
  scanned.month = digits(1, 2);
  if (scanned.month < 0 || !skip(DASH)) return false;
  scanned.day = digits(1, 2);
  return scanned.day >= 0;
}

/** Slash dates are always day first: the source is Australian. */
function scanSlashRest(day: number): boolean {
  scanned.day = day;
  cursor.at++;
  scanned.month = digits(1, 2);
  if (scanned.month < 0 || !skip(SLASH)) return false;
  scanned.year = digits(4, 4);
  return scanned.year >= 0;
}

function scanSeparator(): boolean {
  const c = cursor.text.charCodeAt(cursor.at);
  if (c === 84 || c === 116) {
    cursor.at++;
    return true;
  }
  return skipSpaces();
}

function scanTime(): boolean {
  scanned.hasTime = true;
  scanned.hour = digits(1, 2);
  if (scanned.hour < 0 || !skip(COLON)) return false;
  scanned.minute = digits(2, 2);
  if (scanned.minute < 0) return false;
  if (!skip(COLON)) return true;
  scanned.second = digits(2, 2);
  if (scanned.second < 0) return false;
  const c = cursor.text.charCodeAt(cursor.at);
  return c === DOT || c === COMMA ? scanFraction() : true;
}

/** Milliseconds from a fraction of any length; digits past the third are dropped, not rounded. */
function scanFraction(): boolean {
  cursor.at++;
  const from = cursor.at;
  const ms = digits(1, 3);
  if (ms < 0) return false;
  scanned.ms = cursor.at - from === 1 ? ms * 100 : cursor.at - from === 2 ? ms * 10 : ms;
  while (isDigit(cursor.text.charCodeAt(cursor.at))) cursor.at++;
  return true;
}

/** Optional AM/PM, then an optional `Z` or numeric offset, each maybe after spaces. */
function scanZoneTail(): boolean {
  skipSpaces();
  if (scanMeridiem()) skipSpaces();
  if (cursor.at === cursor.text.length) return true;
  const c = cursor.text.charCodeAt(cursor.at);
  if (c === 90 || c === 122) {
    cursor.at++;
    scanned.hasOffset = true;
    return true;
  }
  return c === PLUS || c === DASH ? scanOffset(c === DASH ? -1 : 1) : false;
}

/** `+08`, `+0800` or `+08:00`. */
function scanOffset(sign: number): boolean {
  cursor.at++;
  const hours = digits(2, 2);
  if (hours < 0) return false;
  let minutes = 0;
  if (skip(COLON)) {
    minutes = digits(2, 2);
    if (minutes < 0) return false;
  } else if (isDigit(cursor.text.charCodeAt(cursor.at))) {
    minutes = digits(2, 2);
    if (minutes < 0) return false;
  }
  scanned.hasOffset = true;
  scanned.offsetMs = hours > 23 || minutes > 59 ? NaN : sign * (hours * 60 + minutes) * 60_000;
  return true;
}

function scanMeridiem(): boolean {
  const first = cursor.text.charCodeAt(cursor.at) | 0x20;
  if ((first !== 97 && first !== 112) || (cursor.text.charCodeAt(cursor.at + 1) | 0x20) !== 109) return false;
  cursor.meridiem = first === 97 ? 1 : 2;
  cursor.at += 2;
  return true;
}

function validate(): ScanFailure | null {
  const { year, month, day } = scanned;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'date';
  if (Number.isNaN(scanned.offsetMs)) return 'offset';
  return validateTime();
}

function validateTime(): ScanFailure | null {
  if (scanned.minute > 59 || scanned.second > 59) return 'time';
  if (cursor.meridiem === 0) return scanned.hour > 23 ? 'time' : null;
  // 12-hour clock: 12 AM is midnight, 12 PM is noon.
  if (scanned.hour < 1 || scanned.hour > 12) return 'time';
  scanned.hour = (scanned.hour % 12) + (cursor.meridiem === 2 ? 12 : 0);
  return null;
}

/** Reads min..max digits; -1 (position unchanged) when fewer than min. Loops on locals: this is the hot spot. */
function digits(min: number, max: number): number {
  const s = cursor.text;
  const from = cursor.at;
  const limit = Math.min(from + max, s.length);
  let value = 0;
  let i = from;
  for (; i < limit; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  if (i - from < min) return -1;
  cursor.at = i;
  return value;
}

function skip(code: number): boolean {
  if (cursor.text.charCodeAt(cursor.at) !== code) return false;
  cursor.at++;
  return true;
}

function skipSpaces(): boolean {
  const from = cursor.at;
  while (cursor.text.charCodeAt(cursor.at) === SPACE) cursor.at++;
  return cursor.at > from;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
