/**
 * Reads the first worksheet of an XLSX export row by row with exceljs's streaming reader: the workbook
 * is never loaded whole, so a 150,000-row export keeps memory flat. (Shared strings are the exception
 * exceljs makes: the workbook's table of distinct texts is held while the sheet is read.)
 */
import { createReadStream } from 'node:fs';
import ExcelJS from 'exceljs';
import { SourceDataError } from '../errors.js';
import type { BytesListener, SheetRow, SheetRows } from './sheet-rows.js';

interface StreamedRow {
  readonly number: number;
  readonly values: unknown;
}

export function openXlsxRows(path: string, name: string, onBytes?: BytesListener): SheetRows {
  const input = createReadStream(path);
  let bytes = 0;
  input.on('data', (chunk) => {
    bytes += chunk.length;
    onBytes?.(bytes);
  });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles tell date-formatted cells from plain numbers; exceljs then hands dates over as Date objects.
    styles: 'cache',
    entries: 'ignore',
  });
  // A zip may hold a sheet before xl/workbook.xml; exceljs then reads the sheet's name from a model it
  // has not parsed yet and throws. An empty model lets it read the sheet (its name is not needed).
  const unparsed = reader as unknown as { model?: { sheets: unknown[] } };
  unparsed.model ??= { sheets: [] };
  // exceljs keeps the parsed <workbookPr> here (its typings describe a different object).
  const date1904 = () =>
    (reader as unknown as { properties?: { model?: { date1904?: boolean } } }).properties?.model?.date1904 === true;

  async function* rows(): AsyncGenerator<SheetRow> {
    try {
      for await (const sheet of reader) {
        for await (const row of sheet as unknown as AsyncIterable<StreamedRow>) {
          yield { number: row.number, cells: cellsOf(row.values) };
        }
        // Exports have one sheet; anything after the first is not part of the view.
        return;
      }
    } catch (error) {
      const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80);
      throw new SourceDataError(
        `${name} is not a readable XLSX workbook (${detail}): it may be damaged or cut short; export it again.`,
      );
    }
  }

  return {
    rows: rows(),
    date1904,
    close: async () => {
      input.destroy();
    },
  };
}

/** exceljs row values are 1-based and sparse; cells come back 0-based and dense. */
function cellsOf(values: unknown): unknown[] {
  if (!Array.isArray(values)) return [];
  const cells: unknown[] = new Array(Math.max(0, values.length - 1));
  for (let i = 1; i < values.length; i++) cells[i - 1] = values[i];
  return cells;
}
