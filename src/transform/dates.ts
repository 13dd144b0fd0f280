import { DAY_MS, daysFromCivil, FIRST_DAY, isoDateOfDay, isoInstantOf, LAST_DAY } from './calendar.js';
import { scanDateTime, scanned, type ScanFailure } from './date-scan.js';
import { plainNumber } from './numbers.js';
import { expected, shown, ValueError } from './value-error.js';
import type { ParseContext } from './values.js';

const FIRST_MS = FIRST_DAY * DAY_MS;
const END_MS = (LAST_DAY + 1) * DAY_MS;
const DATE_EXPECTED = 'a date such as 2025-01-07, 2025-01-07T09:05:00+08:00 or 7/1/2025 9:05';
/** Excel's 1900 system counts a 29 February 1900 that never was: serial 60. From 61 on, day 0 is 1899-12-30. */
const EXCEL_1900_EPOCH_DAY = daysFromCivil(1899, 12, 30);
const EXCEL_1900_EARLY_EPOCH_DAY = daysFromCivil(1899, 12, 31);
const EXCEL_1904_EPOCH_DAY = daysFromCivil(1904, 1, 1);
const EXCEL_FAKE_LEAP_DAY = 60;

/** An instant as ISO 8601 UTC with milliseconds (`2025-01-07T01:05:00.000Z`). */
export function parseInstant(raw: unknown, ctx: ParseContext): string | null | ValueError {
  if (raw instanceof Date) return isoInstant(raw.getTime(), raw);
  const wallOrError = readWallClock(raw, ctx);
  if (wallOrError === null || wallOrError instanceof ValueError) return wallOrError;
  const utc = scanned.hasOffset ? wallOrError - scanned.offsetMs : ctx.zone.toUtc(wallOrError);
  return isoInstant(utc, raw);
}

/**
 * A calendar date as `YYYY-MM-DD`. A naive date or date-time keeps its date; a value with an offset is
 * an instant, reduced to its date in the zone.
 */
export function parseDate(raw: unknown, ctx: ParseContext): string | null | ValueError {
  if (raw instanceof Date) return dateInZone(raw.getTime(), ctx, raw);
  const wallOrError = readWallClock(raw, ctx);
  if (wallOrError === null || wallOrError instanceof ValueError) return wallOrError;
  if (scanned.hasOffset) return dateInZone(wallOrError - scanned.offsetMs, ctx, raw);
  return isoDateOfDay(Math.floor(wallOrError / DAY_MS));
}

/**
 * Wall-clock ms (as if UTC) of a date string or serial number; `scanned.hasOffset` and
 * `scanned.offsetMs` say whether it carried its own offset.
 */
function readWallClock(raw: unknown, ctx: ParseContext): number | null | ValueError {
  if (typeof raw === 'number') return serialWallClock(raw, ctx, raw);
  if (typeof raw !== 'string') return expected(DATE_EXPECTED, raw);
  const s = raw.trim();
  if (s === '') return null;
  const failure = scanDateTime(s);
  if (failure === null) return wallClockOfScan();
  const serial = ctx.serialDates && failure === 'format' ? plainNumber(s) : NaN;
  return Number.isNaN(serial) ? scanError(failure, raw) : serialWallClock(serial, ctx, raw);
}

function wallClockOfScan(): number {
  const { year, month, day, hour, minute, second, ms } = scanned;
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

function scanError(failure: ScanFailure, raw: unknown): ValueError {
  if (failure === 'date') return new ValueError(`no such date: ${shown(raw)}`);
  if (failure === 'time') return new ValueError(`no such time of day: ${shown(raw)}`);
  if (failure === 'offset') return new ValueError(`no such UTC offset: ${shown(raw)}`);
  return expected(DATE_EXPECTED, raw);
}

/** A spreadsheet serial day count (fraction = time of day) as wall-clock ms. */
function serialWallClock(serial: number, ctx: ParseContext, raw: unknown): number | ValueError {
  if (!ctx.serialDates) {
    const hint = '(serial dates are read only from spreadsheets)';
    return new ValueError(`expected a date, got the number ${shown(raw)} ${hint}`);
  }
  const epochDay = serialEpochDay(serial, ctx.serialDates);
  if (Number.isNaN(epochDay)) return new ValueError(`not a spreadsheet date serial: ${shown(raw)}`);
  // Rounded to the ms: spreadsheets store 09:05 as 0.378472…, a hair off the exact value.
  const wall = epochDay * DAY_MS + Math.round(serial * DAY_MS);
  if (wall < FIRST_MS || wall >= END_MS) return new ValueError(`spreadsheet date serial out of range: ${shown(raw)}`);
  scanned.hasOffset = false;
  return wall;
}

function serialEpochDay(serial: number, system: '1900' | '1904'): number {
  if (!Number.isFinite(serial)) return NaN;
  if (system === '1904') return serial >= 0 ? EXCEL_1904_EPOCH_DAY : NaN;
  if (serial < 1 || Math.floor(serial) === EXCEL_FAKE_LEAP_DAY) return NaN;
  return serial < EXCEL_FAKE_LEAP_DAY ? EXCEL_1900_EARLY_EPOCH_DAY : EXCEL_1900_EPOCH_DAY;
}

function isoInstant(utc: number, raw: unknown): string | ValueError {
  if (Number.isNaN(utc)) return expected(DATE_EXPECTED, raw);
  // PostgreSQL takes plain ISO text only for years 0001–9999 (it has no year 0000).
  if (utc < FIRST_MS || utc >= END_MS) return new ValueError(`instant outside the years 0001–9999: ${shown(raw)}`);
  return isoInstantOf(utc);
}

function dateInZone(utc: number, ctx: ParseContext, raw: unknown): string | ValueError {
  if (Number.isNaN(utc)) return expected(DATE_EXPECTED, raw);
  const day = Math.floor((utc + ctx.zone.offsetAt(utc)) / DAY_MS);
  if (day < FIRST_DAY || day > LAST_DAY) return new ValueError(`date outside the years 0001–9999: ${shown(raw)}`);
  return isoDateOfDay(day);
}
