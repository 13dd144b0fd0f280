/**
 * Reads the worksheets of an XLSX export row by row with exceljs's streaming reader: the workbook is
 * never loaded whole, so a 150,000-row export keeps memory flat. (Shared strings are the exception
 * exceljs makes: the workbook's table of distinct texts is held while the sheets are read.) Sheets come
 * in the order the file stores them; each must be read or skipped before the next.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import ExcelJS from 'exceljs';
import { SourceDataError } from '../errors.js';
import type { BytesListener, SheetRow, SheetRows } from './sheet-rows.js';

interface StreamedRow {
  readonly number: number;
  readonly values: unknown;
}

/** exceljs's worksheet reader, as far as it is used here. */
interface WorksheetReader extends AsyncIterable<StreamedRow> {
  readonly name: string;
  /** The sheet's raw XML: a zip entry's chunks, or a temporary file's stream. */
  readonly iterator: AsyncIterator<unknown> & { destroy?: () => void; on?: (event: 'error', listener: () => void) => void };
}

/** One worksheet: its rows, streamed. */
export interface XlsxSheet {
  /** The sheet's name as the workbook shows it on its tab. */
  readonly name: string;
  /** 0-based position among the workbook's sheets, in the order the file stores them. */
  readonly index: number;
  readonly rows: AsyncIterator<SheetRow>;
}

export interface XlsxWorkbook {
  /** The sheets one after another; asking for the next skips what is left of the current one. */
  readonly sheets: AsyncGenerator<XlsxSheet>;
  /** Whether serial dates count from 1904 (old Mac workbooks) rather than 1900. */
  date1904(): boolean;
  close(): Promise<void>;
}

/** One pass of exceljs's streaming reader over the file. */
interface Pass {
  readonly input: ReadStream;
  readonly counted: Transform;
  readonly reader: ExcelJS.stream.xlsx.WorkbookReader;
}

function startPass(path: string, onBytes?: BytesListener): Pass {
  const input = createReadStream(path);
  let bytes = 0;
  // Counted on the way through rather than by a 'data' listener, which would start the file flowing
  // before exceljs reads it (a load opens the file a while before it reads the first row).
  const counted = input.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        onBytes?.(bytes);
        done(null, chunk);
      },
    }),
  );
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(counted, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles tell date-formatted cells from plain numbers; exceljs then hands dates over as Date objects.
    styles: 'cache',
    entries: 'ignore',
  });
  // A zip may hold a sheet before xl/workbook.xml; exceljs then reads the sheet's name from a model it
  // has not parsed yet and throws. An empty model lets it read the sheet (it is then named by number).
  const unparsed = reader as unknown as { model?: { sheets: unknown[] } };
  unparsed.model ??= { sheets: [] };
  return { input, counted, reader };
}

/**
 * Passes over a workbook before its sheets are taken as read. Now and then (a timing fault in exceljs's
 * zip reading, seen under load) a pass stops after the first sheet's entry and hands that sheet over
 * without the shared strings, and sometimes without the workbook's relationships: its text cells would
 * be `{sharedString}` objects and its name a number. Such a pass is thrown away before any row is used,
 * and the file read again; a file still read short after the last pass is refused, never loaded so.
 */
const PASSES = 3;

/**
 * Whether exceljs has read the workbook's relationships, which every workbook has and every sheet needs,
 * and the shared strings when the relationships name them (a workbook may keep every text inline).
 */
function readWhole(pass: Pass): boolean {
  const reader = pass.reader as unknown as { workbookRels?: ReadonlyArray<{ Type?: unknown }>; sharedStrings?: unknown };
  const rels = reader.workbookRels;
  if (!Array.isArray(rels)) return false;
  const namesSharedStrings = rels.some((rel) => typeof rel.Type === 'string' && rel.Type.endsWith('/sharedStrings'));
  return !namesSharedStrings || reader.sharedStrings !== undefined;
}

function endPass(pass: Pass): void {
  pass.input.destroy();
  pass.counted.destroy();
}

export function openXlsxWorkbook(path: string, name: string, onBytes?: BytesListener): XlsxWorkbook {
  let pass = startPass(path, onBytes);
  // exceljs keeps the parsed <workbookPr> here (its typings describe a different object).
  const date1904 = () =>
    (pass.reader as unknown as { properties?: { model?: { date1904?: boolean } } }).properties?.model?.date1904 === true;

  async function* sheets(): AsyncGenerator<XlsxSheet> {
    try {
      for (let attempt = 1; ; attempt++) {
        const worksheets = (pass.reader as unknown as AsyncIterable<WorksheetReader>)[Symbol.asyncIterator]();
        const first = await worksheets.next();
        if (first.done !== true && !readWhole(pass)) {
          if (attempt === PASSES) {
            throw new SourceDataError(
              `${name} was read short ${PASSES} times (its sheets without the workbook's shared strings or relationships); ` +
                'nothing of it was loaded: import it again, and if it keeps failing, export it again.',
            );
          }
          await skipRest(first.value);
          endPass(pass);
          pass = startPass(path, onBytes);
          continue;
        }
        let index = 0;
        for (let next = first; next.done !== true; next = await worksheets.next()) {
          yield { name: next.value.name, index: index++, rows: sheetRows(next.value, name) };
          await skipRest(next.value);
        }
        return;
      }
    } catch (error) {
      throw unreadable(error, name);
    }
  }

  return {
    sheets: sheets(),
    date1904,
    close: async () => {
      endPass(pass);
    },
  };
}

/**
 * The rows of one sheet of a workbook (`index`, default the first): what a load reads. The sheets before
 * it are skipped unread.
 */
export function openXlsxRows(path: string, name: string, onBytes?: BytesListener, index = 0): SheetRows {
  const workbook = openXlsxWorkbook(path, name, onBytes);
  async function* rows(): AsyncGenerator<SheetRow> {
    for await (const sheet of workbook.sheets) {
      if (sheet.index < index) continue;
      for (let next = await sheet.rows.next(); next.done !== true; next = await sheet.rows.next()) yield next.value;
      return;
    }
  }
  return { rows: rows(), date1904: workbook.date1904, close: workbook.close };
}

async function* sheetRows(sheet: WorksheetReader, name: string): AsyncGenerator<SheetRow> {
  try {
    for await (const row of sheet) yield { number: row.number, cells: cellsOf(row.values) };
  } catch (error) {
    throw unreadable(error, name);
  }
}

/**
 * Moves past what is left of a sheet without parsing it. The rows' own iterator is left where it stopped
 * rather than ended: ending it would leave exceljs buffering the rest of the sheet's XML in memory while
 * it drains the zip entry. Reading the raw XML chunks to the end keeps memory flat; a sheet kept in a
 * temporary file (exceljs does that when the shared strings come after the sheets) is simply closed.
 */
async function skipRest(sheet: WorksheetReader): Promise<void> {
  const raw = sheet.iterator;
  if (typeof raw.destroy === 'function') {
    // exceljs deletes the temporary file as soon as we move on, perhaps before the stream has opened it:
    // the failed open of a stream nobody reads is no error of the import.
    raw.on?.('error', () => undefined);
    raw.destroy();
    return;
  }
  for (let next = await raw.next(); next.done !== true; next = await raw.next()) {
    // discarded unparsed
  }
}

function unreadable(error: unknown, name: string): SourceDataError {
  if (error instanceof SourceDataError) return error;
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80);
  return new SourceDataError(`${name} is not a readable XLSX workbook (${detail}): it may be damaged or cut short; export it again.`);
}

/** exceljs row values are 1-based and sparse; cells come back 0-based and dense. */
function cellsOf(values: unknown): unknown[] {
  if (!Array.isArray(values)) return [];
  const cells: unknown[] = new Array(Math.max(0, values.length - 1));
  for (let i = 1; i < values.length; i++) cells[i - 1] = values[i];
  return cells;
}
