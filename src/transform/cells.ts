/**
 * Spreadsheet rows into source records: cell values as the XLSX and CSV readers hand them over become
 * the plain values an API record holds (text, numbers, booleans), keyed by the file's headers.
 * Pure: no I/O, no clock.
 */
import { plainNumber } from './numbers.js';

export type PlainValue = string | number | boolean | null;

const DAY_MS = 86_400_000;
/** The day a time-only cell falls on in each date system (serial 0), as days since 1970-01-01. */
const TIME_ONLY_DAY_1900 = Date.UTC(1899, 11, 30) / DAY_MS;
const TIME_ONLY_DAY_1904 = Date.UTC(1904, 0, 1) / DAY_MS;
/** Days between the two systems' epochs: serial s in 1904 is serial s + 1462 in 1900. */
export const DAYS_1904_TO_1900 = 1462;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A date-formatted cell, which exceljs hands over as a Date whose UTC fields are the wall-clock value
 * shown in the sheet, as naive text (`2025-01-07 09:05:00`, `2025-01-07` at midnight, `09:05:00` for a
 * time-only cell), so the shared parser reads it in OTC_TIMEZONE rather than as a UTC instant.
 */
export function wallClockText(date: Date, date1904: boolean): string | null {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return null;
  const day = Math.floor(ms / DAY_MS);
  const d = new Date(ms);
  const time =
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    (d.getUTCMilliseconds() > 0 ? `.${pad(d.getUTCMilliseconds(), 3)}` : '');
  if (day === (date1904 ? TIME_ONLY_DAY_1904 : TIME_ONLY_DAY_1900)) return time;
  const dateText = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return ms % DAY_MS === 0 ? dateText : `${dateText} ${time}`;
}

/**
 * One cell's value: text, numbers and booleans as they are; dates as naive wall-clock text; rich text
 * joined; a formula's cached result; a hyperlink's text; an error cell (`#N/A`) as its text, so it is
 * reported as a value error rather than silently emptied. Empty cells are ''.
 */
export function plainCell(value: unknown, date1904: boolean): PlainValue {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return wallClockText(value, date1904) ?? '';
  if (typeof value !== 'object') return String(value);
  const cell = value as Record<string, unknown>;
  if (Array.isArray(cell.richText)) {
    return (cell.richText as Array<{ text?: unknown }>).map((r) => (typeof r.text === 'string' ? r.text : '')).join('');
  }
  if ('formula' in cell || 'sharedFormula' in cell) return plainCell(cell.result, date1904);
  if ('hyperlink' in cell) return plainCell(cell.text, date1904);
  if (typeof cell.error === 'string') return cell.error;
  return JSON.stringify(value) ?? '';
}

/**
 * A serial date of a 1904-system workbook as the same day in the 1900 system, which is the one system
 * the stored `_raw` uses: reprocess reads `_raw` long after the workbook is gone and could not tell the
 * systems apart. Anything that is not a plain non-negative number is returned as it is.
 */
export function rebase1904Serial(value: PlainValue): PlainValue {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? plainNumber(value.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0) return value;
  return n + DAYS_1904_TO_1900;
}

function isBlank(value: PlainValue): boolean {
  return value === null || (typeof value === 'string' && value.trim() === '');
}

/** Whether a row has nothing in it (spreadsheets end in such rows). */
export function isBlankRow(cells: readonly unknown[], date1904: boolean): boolean {
  return cells.every((c) => isBlank(plainCell(c, date1904)));
}

/**
 * Turns rows of cells into records keyed by the header row. Columns without a header are not fields
 * and are left out; a blank row is no record at all.
 */
export class RowRecords {
  private readonly rebase: ReadonlySet<number>;

  constructor(
    readonly headers: ReadonlyArray<string | null>,
    private readonly options: { date1904: boolean; rebase1904Columns?: ReadonlySet<number> },
  ) {
    this.rebase = options.rebase1904Columns ?? new Set();
  }

  /** The record of one row, or null for a blank row. */
  record(cells: readonly unknown[]): Record<string, PlainValue> | null {
    const record: Record<string, PlainValue> = {};
    let blank = true;
    this.headers.forEach((header, i) => {
      if (header === null) return;
      const cell = plainCell(cells[i], this.options.date1904);
      if (!isBlank(cell)) blank = false;
      record[header] = this.rebase.has(i) ? rebase1904Serial(cell) : cell;
    });
    return blank ? null : record;
  }
}

/** Header cells as trimmed names; an empty header cell is null (its column is not a field). */
export function headerNames(cells: readonly unknown[]): Array<string | null> {
  return Array.from(cells, (c) => {
    const name = String(plainCell(c, false) ?? '')
      .replace(/^\uFEFF/, '')
      .trim();
    return name === '' ? null : name;
  });
}
