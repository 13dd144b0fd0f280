import { scanClockTime, scanned } from './date-scan.js';
import { plainNumber } from './numbers.js';
import { storableText, textOf } from './storable-text.js';

const MINUTES_PER_DAY = 1440;

/**
 * A time of day as `HH:MM`: `9:00`, `09:00:00`, `9:00 AM`, HHMM numbers (`900`, `"0900"`) and spreadsheet
 * day fractions (`0.375`) all give `09:00`; seconds are dropped. Anything else is kept as given
 * (trimmed), because the column is text and an odd value is still worth keeping. Never fails.
 */
export function parseClock(raw: unknown): string | null {
  if (typeof raw === 'number') return clockOfNumber(raw) ?? String(raw);
  if (typeof raw !== 'string') return storableText(textOf(raw));
  const s = raw.trim();
  if (s === '') return null;
  if (scanClockTime(s) === null) return hhmm(scanned.hour, scanned.minute);
  const n = plainNumber(s);
  return (Number.isNaN(n) ? null : clockOfNumber(n)) ?? storableText(s);
}

/** HHMM for whole numbers, a day fraction for numbers between 0 and 1; null for anything else. */
function clockOfNumber(n: number): string | null {
  if (Number.isInteger(n)) return n >= 0 && n <= 2359 && n % 100 <= 59 ? hhmm(Math.floor(n / 100), n % 100) : null;
  if (!(n > 0 && n < 1)) return null;
  // Round to the second first: 09:00 stored as 0.37499999… must not become 08:59.
  const minutes = Math.floor(Math.round(n * 86_400) / 60);
  return minutes < MINUTES_PER_DAY ? hhmm(Math.floor(minutes / 60), minutes % 60) : null;
}

function hhmm(hour: number, minute: number): string {
  return (hour < 10 ? '0' : '') + hour + (minute < 10 ? ':0' : ':') + minute;
}
