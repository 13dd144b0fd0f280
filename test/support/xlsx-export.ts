/**
 * Writes XLSX exports for tests and benchmarks, made at run time (no binary fixtures in the
 * repository). Records become rows under a header row; a Date value becomes a date-formatted cell
 * holding the Date's UTC fields as its wall-clock value, the way a spreadsheet shows it.
 */
import ExcelJS from 'exceljs';
import { openXlsxRows } from '../../src/source/xlsx-rows.js';

export interface XlsxExportOptions {
  /** Header row; default the records' keys in the order first seen (requires an array of records). */
  readonly headers?: readonly string[];
  /** Count serial dates from 1904 (old Mac workbooks). Written by exceljs's non-streaming writer, which
   * is the only one that can set it: keep such fixtures small. */
  readonly date1904?: boolean;
  /** Use a shared-strings table as Excel does (default true). */
  readonly sharedStrings?: boolean;
  /** Number format of Date cells. */
  readonly dateFormat?: string;
  /** Blank rows to write before the header row. */
  readonly leadingBlankRows?: number;
}

function headersOf(records: Iterable<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) keys.add(key);
  return [...keys];
}

function cellsOf(headers: readonly string[], record: Record<string, unknown>): unknown[] {
  return headers.map((h) => {
    const value = record[h];
    return value === '' || value === undefined ? null : value;
  });
}

interface RowLike {
  getCell(index: number): { numFmt: string };
  commit?(): void;
}

function formatDates(row: RowLike, cells: readonly unknown[], format: string): void {
  cells.forEach((value, i) => {
    if (value instanceof Date) row.getCell(i + 1).numFmt = format;
  });
}

async function readsBack(path: string): Promise<boolean> {
  const sheet = openXlsxRows(path, 'fixture');
  try {
    await sheet.rows.next();
    const known = sheet.date1904();
    while (!(await sheet.rows.next()).done) {
      // read every row
    }
    return known;
  } catch {
    return false;
  } finally {
    await sheet.close();
  }
}

/** Writes `records` to an XLSX file at `path`, streamed row by row unless `date1904` is set. */
export async function writeXlsxExport(
  path: string,
  records: Iterable<Record<string, unknown>>,
  options: XlsxExportOptions = {},
): Promise<void> {
  const headers = options.headers ?? headersOf(records);
  const format = options.dateFormat ?? 'dd/mm/yyyy hh:mm';
  if (options.date1904) {
    const workbook = new ExcelJS.Workbook();
    workbook.properties.date1904 = true;
    const sheet = workbook.addWorksheet('Export');
    for (let i = 0; i < (options.leadingBlankRows ?? 0); i++) sheet.addRow([]);
    sheet.addRow([...headers]);
    for (const record of records) {
      const cells = cellsOf(headers, record);
      formatDates(sheet.addRow(cells), cells, format);
    }
    // exceljs's in-memory writer adds the zip entries concurrently, so their order varies from run to
    // run; with a sheet before xl/workbook.xml the 1904 flag is only known after the rows. Rewrite until
    // the flag is known at the first row, as in workbooks spreadsheet programs write.
    for (let attempt = 1; ; attempt++) {
      await workbook.xlsx.writeFile(path);
      if ((await readsBack(path)) || attempt === 10) return;
    }
  }
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useSharedStrings: options.sharedStrings ?? true,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet('Export');
  for (let i = 0; i < (options.leadingBlankRows ?? 0); i++) sheet.addRow([]).commit();
  sheet.addRow([...headers]).commit();
  for (const record of records) {
    const cells = cellsOf(headers, record);
    const row = sheet.addRow(cells);
    formatDates(row, cells, format);
    row.commit();
  }
  sheet.commit();
  await workbook.commit();
}
