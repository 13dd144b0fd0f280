/**
 * Opens an export file of any view — XLSX, CSV or JSON (see `sniffFormat`) —
 * and streams its records in batches, the way a view's body is streamed on the API path. The field
 * names (headers) are read first, so the caller can tell which view the file holds before loading it.
 */
import type { ViewSpec } from '../registry.js';
import { sniffFormat, type ExportFormat } from '../source/export-format.js';
import { chunksOfFile } from '../source/file-chunks.js';
import type { BytesListener, SheetRow, SheetRows } from '../source/sheet-rows.js';
import { headerNames, isBlankRow, RowRecords } from '../transform/cells.js';
import { DEFAULT_BATCH_SIZE, readRecordBatches, type RecordBatch } from '../transform/record-stream.js';

export interface ExportReader {
  readonly format: ExportFormat;
  /** The file's field names: its header row, or the keys of a JSON export's first records. */
  readonly headers: readonly string[];
  /** The records, in batches with 1-based positions (the data row number). Read once. */
  batches(view: ViewSpec): AsyncIterable<RecordBatch>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** The file's name as shown in messages. */
  readonly name: string;
  readonly onBytes?: BytesListener;
  readonly batchSize?: number;
}

/** Records read to learn a JSON export's field names. */
const JSON_HEADER_RECORDS = 50;

/**
 * The format and field names of an export, reading no further than needed: the header row, or a JSON
 * export's first records.
 */
export async function readExportHeaders(path: string, name: string): Promise<{ format: ExportFormat; headers: string[] }> {
  const format = await sniffFormat(path, name);
  if (format === 'csv') {
    const { readCsvHeader } = await import('../source/csv-rows.js');
    return { format, headers: headerNames(await readCsvHeader(path, name)).filter((n): n is string => n !== null) };
  }
  const reader = await openExport(path, { name, batchSize: JSON_HEADER_RECORDS });
  await reader.close();
  return { format, headers: [...reader.headers] };
}

export async function openExport(path: string, options: OpenOptions): Promise<ExportReader> {
  const format = await sniffFormat(path, options.name);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (format === 'json') return openJson(path, options, batchSize);
  const rows = format === 'xlsx' ? await openXlsx(path, options) : await openCsv(path, options);
  try {
    return await openSheet(format, rows, batchSize);
  } catch (error) {
    await rows.close();
    throw error;
  }
}

// The spreadsheet readers are loaded when a file needs them: exceljs alone adds a fifth of a second to
// the start of every command otherwise.
async function openXlsx(path: string, options: OpenOptions): Promise<SheetRows> {
  const { openXlsxRows } = await import('../source/xlsx-rows.js');
  return openXlsxRows(path, options.name, options.onBytes);
}

async function openCsv(path: string, options: OpenOptions): Promise<SheetRows> {
  const { openCsvRows } = await import('../source/csv-rows.js');
  return openCsvRows(path, options.name, options.onBytes);
}

/** The header is the first row with anything in it. */
async function openSheet(format: ExportFormat, rows: SheetRows, batchSize: number): Promise<ExportReader> {
  let header: SheetRow | null = null;
  for (let next = await rows.rows.next(); next.done !== true; next = await rows.rows.next()) {
    if (isBlankRow(next.value.cells, rows.date1904())) continue;
    header = next.value;
    break;
  }
  const names = header ? headerNames(header.cells) : [];
  return {
    format,
    headers: names.filter((n): n is string => n !== null),
    batches: (view) => (header ? sheetBatches(rows, header.number, names, view, batchSize) : emptyBatches()),
    close: () => rows.close(),
  };
}

async function* emptyBatches(): AsyncGenerator<RecordBatch> {}

/**
 * Columns holding dates or instants. A 1904-system workbook's serial numbers there are moved to the
 * 1900 system, the one the stored `_raw` uses (see `rebase1904Serial`).
 */
function dateColumns(view: ViewSpec, names: ReadonlyArray<string | null>): Set<number> {
  const dated = new Set(
    view.fields.filter((f) => f.type === 'date' || f.type === 'instant').flatMap((f) => [f.api, ...(f.aliases ?? [])]),
  );
  const columns = new Set<number>();
  names.forEach((name, i) => {
    if (name !== null && dated.has(name)) columns.add(i);
  });
  return columns;
}

/**
 * Records in batches of `batchSize` consecutive data rows; a gap in the row numbers (a blank row)
 * starts a new batch, so every record's position is its data row number.
 */
async function* sheetBatches(
  rows: SheetRows,
  headerNumber: number,
  names: ReadonlyArray<string | null>,
  view: ViewSpec,
  batchSize: number,
): AsyncGenerator<RecordBatch> {
  const date1904 = rows.date1904();
  const builder = new RowRecords(names, { date1904, rebase1904Columns: date1904 ? dateColumns(view, names) : undefined });
  let records: unknown[] = [];
  let firstPosition = 0;
  for (let next = await rows.rows.next(); next.done !== true; next = await rows.rows.next()) {
    const record = builder.record(next.value.cells);
    if (record === null) continue;
    const position = next.value.number - headerNumber;
    if (records.length > 0 && (records.length >= batchSize || position !== firstPosition + records.length)) {
      yield { records, firstPosition };
      records = [];
    }
    if (records.length === 0) firstPosition = position;
    records.push(record);
  }
  if (records.length > 0) yield { records, firstPosition };
}

async function* countedChunks(path: string, onBytes?: BytesListener): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of chunksOfFile(path)) {
    bytes += chunk.byteLength;
    onBytes?.(bytes);
    yield chunk;
  }
}

/** A JSON export in any of the API's envelopes, read by the same streaming reader as an API body. */
async function openJson(path: string, options: OpenOptions, batchSize: number): Promise<ExportReader> {
  const stream = readRecordBatches(countedChunks(path, options.onBytes), { view: options.name, batchSize });
  const first = await stream.next();
  const firstBatch = first.done === true ? null : first.value;
  return {
    format: 'json',
    headers: keysOf(firstBatch?.records ?? []),
    batches: () => rest(firstBatch, stream),
    close: async () => {
      await stream.return(undefined);
    },
  };
}

async function* rest(first: RecordBatch | null, stream: AsyncGenerator<RecordBatch>): AsyncGenerator<RecordBatch> {
  if (first) yield first;
  yield* stream;
}

/** Field names of the records that are objects, in the order first seen. */
function keysOf(records: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const record of records) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) continue;
    for (const key of Object.keys(record)) keys.add(key);
  }
  return [...keys];
}
