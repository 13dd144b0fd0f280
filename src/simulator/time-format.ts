/**
 * How the source writes dates and times. OTC is Australian: naive values are wall-clock time in
 * Australia/Perth (UTC+8 all year, no daylight saving since 2009) and slash dates are day first.
 * The simulator mixes the shapes the real source and its exports produce, so the parser is exercised.
 */
import { weighted } from './random.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const PERTH_OFFSET_MS = 8 * HOUR_MS;

export type InstantStyle =
  | 'dmy-hm' // 07/01/2025 14:05
  | 'dmy-hms' // 07/01/2025 14:05:09
  | 'iso-naive' // 2025-01-07T14:05:09
  | 'iso-space' // 2025-01-07 14:05:09
  | 'iso-z' // 2025-01-07T06:05:09.000Z (UTC)
  | 'iso-offset'; // 2025-01-07T14:05:09+08:00

/** Mostly day-first with minutes, as the live views answer; the ISO shapes come from other code paths. */
export const pickInstantStyle = weighted<InstantStyle>([
  ['dmy-hm', 55],
  ['dmy-hms', 10],
  ['iso-naive', 15],
  ['iso-space', 5],
  ['iso-z', 10],
  ['iso-offset', 5],
]);

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** An instant as the source would write it. */
export function formatInstant(ms: number, style: InstantStyle): string {
  if (style === 'iso-z') return new Date(ms).toISOString();
  const d = new Date(ms + PERTH_OFFSET_MS);
  const date = `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  const hms = `${hm}:${pad2(d.getUTCSeconds())}`;
  const iso = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  switch (style) {
    case 'dmy-hm':
      return `${date} ${hm}`;
    case 'dmy-hms':
      return `${date} ${hms}`;
    case 'iso-naive':
      return `${iso}T${hms}`;
    case 'iso-space':
      return `${iso} ${hms}`;
    case 'iso-offset':
      return `${iso}T${hms}+08:00`;
  }
}

/** The Perth calendar day of an instant, as days since 1970-01-01. */
export function perthDay(ms: number): number {
  return Math.floor((ms + PERTH_OFFSET_MS) / DAY_MS);
}

/** The instant a Perth wall-clock time happens: `day` from `perthDay`, `minutes` after midnight. */
export function perthInstant(day: number, minutes: number): number {
  return day * DAY_MS + minutes * MINUTE_MS - PERTH_OFFSET_MS;
}

/** Day of the week of a Perth day: 0 Sunday … 6 Saturday. */
export function weekday(day: number): number {
  return (day + 4) % 7; // 1970-01-01 was a Thursday
}

/** `DD/MM/YYYY`, or `D/M/YYYY` when `short` (exports drop leading zeros). */
export function formatDay(day: number, short: boolean): string {
  const d = new Date(day * DAY_MS);
  const dd = d.getUTCDate();
  const mm = d.getUTCMonth() + 1;
  return short ? `${dd}/${mm}/${d.getUTCFullYear()}` : `${pad2(dd)}/${pad2(mm)}/${d.getUTCFullYear()}`;
}

/** `YYYY-MM` of a Perth day, the ticket view's month columns. */
export function formatMonth(ms: number): string {
  const d = new Date(ms + PERTH_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}`;
}

export type ClockStyle = 'hh:mm' | 'h:mm' | 'hhmm-number';

/** A time of day: `09:00`, `9:00`, or the number 900 (HHMM) as some exports send it. */
export function formatClock(minutes: number, style: ClockStyle): string | number {
  const h = Math.floor(minutes / 60) % 24;
  const m = minutes % 60;
  if (style === 'hhmm-number') return h * 100 + m;
  return style === 'h:mm' ? `${h}:${pad2(m)}` : `${pad2(h)}:${pad2(m)}`;
}
