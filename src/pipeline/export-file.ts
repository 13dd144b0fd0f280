/**
 * Opens an export file of any view — XLSX, CSV or JSON (see `sniffFormat`) — and streams its records
 * in batches, the way a view's body is streamed on the API path. Exports come as people make them: the
 * header row is found below title and blank rows, headers are matched in any case and spacing, and every
 * sheet of a workbook is looked at. `surveyExport` reads no further than that takes, so the caller can
 * tell what a file holds before loading it; `openExport` then reads one part (a file, or one sheet).
 */
import type { ViewSpec } from '../registry.js';
import { sniffFormat, type ExportFormat } from '../source/export-format.js';
import { chunksOfFile } from '../source/file-chunks.js';
import type { BytesListener, SheetRow, SheetRows } from '../source/sheet-rows.js';
import { headerNames, RowRecords } from '../transform/cells.js';
import { describeHeaders, placeHeaders } from '../transform/detect-view.js';
import { canonicalHeaders, RecordRenamer } from '../transform/header-names.js';
import { HeaderSearch, type Unplaced } from '../transform/header-search.js';
import { DEFAULT_BATCH_SIZE, readRecordBatches, type RecordBatch } from '../transform/record-stream.js';
import { KEPT_RAW_BYTES, UnreadableRecord } from '../transform/unreadable-record.js';

/** One part of an export: the whole of a CSV or JSON file, or one sheet of a workbook. */
export interface ExportPart {
  /** The workbook sheet, or null for a CSV or JSON file. */
  readonly sheet: { readonly name: string; readonly index: number } | null;
  /** The view its header row places it in; null when no row does. */
  readonly view: ViewSpec | null;
  /** What it holds when no row places it (null when one does). */
  readonly unplaced: Unplaced | null;
}

export interface ExportSurvey {
  readonly format: ExportFormat;
  /** A workbook's sheets in the order the file stores them; one part for a CSV or JSON file. */
  readonly parts: readonly ExportPart[];
}

export interface ReadOptions {
  /** The file's name as shown in messages. */
  readonly name: string;
  /** The view the user named (`--view`): a row naming one of its fields is then the header. */
  readonly forced?: ViewSpec;
}

export interface OpenOptions extends ReadOptions {
  /** The view to read the records for. */
  readonly view: ViewSpec;
  /** The workbook sheet to read (0-based, in file order); ignored for CSV and JSON. */
  readonly sheetIndex?: number;
  readonly onBytes?: BytesListener;
  readonly batchSize?: number;
  /** OTC_MAX_RECORD_BYTES: a larger record in a JSON export is rejected on its own, as from the source. */
  readonly maxRecordBytes?: number;
}

export interface ExportReader {
  readonly format: ExportFormat;
  /** The records, in batches with 1-based positions (the data row number under the header). Read once. */
  readonly batches: AsyncIterable<RecordBatch>;
  /** Once the batches are read: why there were no records (null when there were some). */
  emptyReason(): string | null;
  close(): Promise<void>;
}

/** Records read to learn a JSON export's field names. */
const JSON_HEADER_RECORDS = 50;

/** What each part of an export holds, reading no further than it takes to find each header. */
export async function surveyExport(path: string, options: ReadOptions): Promise<ExportSurvey> {
  const format = await sniffFormat(path, options.name);
  if (format === 'json') return { format, parts: [await surveyJson(path, options)] };
  if (format === 'csv') {
    const { readCsvHeadRows } = await import('../source/csv-rows.js');
    const search = new HeaderSearch(options.forced);
    for (const row of await readCsvHeadRows(path)) {
      const view = search.offer(headerNames(row));
      if (view) return { format, parts: [{ sheet: null, view, unplaced: null }] };
    }
    return { format, parts: [{ sheet: null, view: null, unplaced: search.verdict() }] };
  }
  return { format, parts: await surveyWorkbook(path, options) };
}

// The spreadsheet readers are loaded when a file needs them: exceljs alone adds a fifth of a second to
// the start of every command otherwise.
async function surveyWorkbook(path: string, options: ReadOptions): Promise<ExportPart[]> {
  const { openXlsxWorkbook } = await import('../source/xlsx-rows.js');
  const workbook = openXlsxWorkbook(path, options.name);
  const parts: ExportPart[] = [];
  try {
    for await (const sheet of workbook.sheets) {
      const found = await findHeader(sheet.rows, options.forced);
      const at = { name: sheet.name, index: sheet.index };
      parts.push('view' in found ? { sheet: at, view: found.view, unplaced: null } : { sheet: at, view: null, unplaced: found.unplaced });
    }
  } finally {
    await workbook.close();
  }
  return parts;
}

async function surveyJson(path: string, options: ReadOptions): Promise<ExportPart> {
  const stream = readRecordBatches(countedChunks(path), { view: options.name, batchSize: JSON_HEADER_RECORDS });
  try {
    const first = await stream.next();
    const keys = first.done === true ? [] : keysOf(first.value.records);
    if (keys.length === 0) return { sheet: null, view: null, unplaced: { kind: 'blank' } };
    const view = placeHeaders(keys, options.forced);
    return { sheet: null, view, unplaced: view ? null : { kind: 'unknown', headers: keys } };
  } finally {
    await stream.return(undefined);
  }
}

type HeaderFound = { readonly view: ViewSpec; readonly row: SheetRow } | { readonly unplaced: Unplaced };

/**
 * Reads rows up to the first that places the file in a view (the header). Rows are taken one `next()` at
 * a time and the iterator is never ended here: the sheet reader decides how to skip what is left.
 */
async function findHeader(rows: AsyncIterator<SheetRow>, forced?: ViewSpec): Promise<HeaderFound> {
  const search = new HeaderSearch(forced);
  while (!search.exhausted) {
    const next = await rows.next();
    if (next.done === true) break;
    const view = search.offer(headerNames(next.value.cells));
    if (view) return { view, row: next.value };
  }
  return { unplaced: search.verdict() };
}

/** Why a part with no records has none, for the message that fails it. */
export function emptyReason(unplaced: Unplaced | null, view?: ViewSpec): string {
  if (unplaced === null) return 'it has a header row and nothing under it';
  if (unplaced.kind === 'blank') return 'it is empty';
  if (unplaced.kind === 'titles')
    return `it has ${unplaced.rows === 1 ? 'a title line' : `${unplaced.rows} title lines`} and no header row`;
  const fields = view ? `a field of the ${view.name} view` : "a view's key columns";
  return `no row of it names ${fields} (it has ${describeHeaders(unplaced.headers)})`;
}

/** Opens one part of an export to read its records for `options.view`. */
export async function openExport(path: string, options: OpenOptions): Promise<ExportReader> {
  const format = await sniffFormat(path, options.name);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (format === 'json') return openJson(path, options, batchSize);
  const rows = format === 'xlsx' ? await openXlsx(path, options) : await openCsv(path, options);
  return openSheet(format, rows, options, batchSize);
}

async function openXlsx(path: string, options: OpenOptions): Promise<SheetRows> {
  const { openXlsxRows } = await import('../source/xlsx-rows.js');
  return openXlsxRows(path, options.name, options.onBytes, options.sheetIndex ?? 0);
}

async function openCsv(path: string, options: OpenOptions): Promise<SheetRows> {
  const { openCsvRows } = await import('../source/csv-rows.js');
  return openCsvRows(path, options.name, options.onBytes);
}

function openSheet(format: ExportFormat, rows: SheetRows, options: OpenOptions, batchSize: number): ExportReader {
  let records = 0;
  let unplaced: Unplaced | null = null;
  async function* batches(): AsyncGenerator<RecordBatch> {
    const found = await findHeader(rows.rows, options.forced);
    if ('unplaced' in found) {
      unplaced = found.unplaced;
      return;
    }
    for await (const batch of sheetBatches(rows, found.row, options.view, batchSize)) {
      records += batch.records.length;
      yield batch;
    }
  }
  return {
    format,
    batches: batches(),
    emptyReason: () => (records > 0 ? null : emptyReason(unplaced, options.view)),
    close: () => rows.close(),
  };
}

/**
 * Columns holding dates or instants. A 1904-system workbook's serial numbers there are moved to the
 * 1900 system, the one the stored `_raw` uses (see `rebase1904Serial`).
 */
function dateColumns(view: ViewSpec, names: ReadonlyArray<string | null>): Set<number> {
  const dated = new Set(view.fields.filter((f) => f.type === 'date' || f.type === 'instant').map((f) => f.api));
  const columns = new Set<number>();
  names.forEach((name, i) => {
    if (name !== null && dated.has(name)) columns.add(i);
  });
  return columns;
}

/**
 * Records in batches of `batchSize` consecutive data rows; a gap in the row numbers (a blank row)
 * starts a new batch, so every record's position is its data row number under the header.
 */
async function* sheetBatches(rows: SheetRows, header: SheetRow, view: ViewSpec, batchSize: number): AsyncGenerator<RecordBatch> {
  const date1904 = rows.date1904();
  const names = canonicalHeaders(view, headerNames(header.cells));
  const builder = new RowRecords(names, { date1904, rebase1904Columns: date1904 ? dateColumns(view, names) : undefined });
  let records: unknown[] = [];
  let firstPosition = 0;
  for (let next = await rows.rows.next(); next.done !== true; next = await rows.rows.next()) {
    let record: unknown = builder.record(next.value.cells);
    if (record === null) continue;
    if (next.value.notUtf8 === true) record = notUtf8Line(next.value.cells, record as Record<string, unknown>);
    const position = next.value.number - header.number;
    if (records.length > 0 && (records.length >= batchSize || position !== firstPosition + records.length)) {
      yield { records, firstPosition };
      records = [];
    }
    if (records.length === 0) firstPosition = position;
    records.push(record);
  }
  if (records.length > 0) yield { records, firstPosition };
}

/** A CSV line that was not UTF-8 is rejected on its own, as such a record from the source is. */
function notUtf8Line(cells: readonly unknown[], fields: Record<string, unknown>): UnreadableRecord {
  return new UnreadableRecord(
    'line holds bytes that are not UTF-8 (shown as U+FFFD); it was not read. Save the export as UTF-8 and import it again',
    cells.map(String).join(',').slice(0, KEPT_RAW_BYTES),
    fields,
  );
}

async function* countedChunks(path: string, onBytes?: BytesListener): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of chunksOfFile(path)) {
    bytes += chunk.byteLength;
    onBytes?.(bytes);
    yield chunk;
  }
}

/**
 * A JSON export in any of the API's envelopes, read by the same streaming reader as an API body; field
 * names spelt differently from the API's are renamed record by record.
 */
function openJson(path: string, options: OpenOptions, batchSize: number): ExportReader {
  const stream = readRecordBatches(countedChunks(path, options.onBytes), {
    view: options.name,
    batchSize,
    maxRecordBytes: options.maxRecordBytes,
  });
  const renamer = new RecordRenamer(options.view);
  let records = 0;
  async function* batches(): AsyncGenerator<RecordBatch> {
    for await (const batch of stream) {
      records += batch.records.length;
      yield { records: batch.records.map((r) => renamer.rename(r)), firstPosition: batch.firstPosition };
    }
  }
  return {
    format: 'json',
    batches: batches(),
    emptyReason: () => (records > 0 ? null : 'its list of records is empty'),
    close: async () => {
      await stream.return(undefined);
    },
  };
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
