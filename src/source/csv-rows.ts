/**
 * Reads a CSV export row by row with csv-parse's streaming parser: UTF-8 with or without a byte-order
 * mark, `,` or `;` between fields (spreadsheets in comma-decimal locales save with `;`), found from
 * the header line.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse, CsvError, type Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { SourceDataError } from '../errors.js';
import type { BytesListener, SheetRow, SheetRows } from './sheet-rows.js';

/** Bytes read to find the header line and its delimiter. */
const HEAD_BYTES = 64 * 1024;

/**
 * The field delimiter of a header line: `;` when it has more semicolons than commas (outside quotes),
 * else `,`. OTC's headers contain neither, so the count is the number of columns less one.
 */
export function detectDelimiter(headerLine: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** Lines with something in them looked at for the header and the delimiter. */
const HEAD_LINES = 50;

/** The first lines of the file with something in them (csv-parse skips empty lines too). */
async function readHeadLines(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const head = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const lines = head.split(/\r?\n|\r/);
    // The last line may be cut short by the end of the buffer: keep it only when the file ends there.
    if (bytesRead === HEAD_BYTES) lines.pop();
    return lines.filter((line) => line.trim() !== '').slice(0, HEAD_LINES);
  } finally {
    await handle.close();
  }
}

/** Separators outside quotes in a line: commas and semicolons. */
function separators(line: string): number {
  let count = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';')) count++;
  }
  return count;
}

/**
 * The delimiter of a file, told from the line with the most separators among its first lines: title
 * lines above the header have few or none, the header and the records have one less than their columns.
 */
function delimiterOf(lines: readonly string[]): ',' | ';' {
  let best = '';
  for (const line of lines) if (separators(line) > separators(best)) best = line;
  return detectDelimiter(best);
}

/**
 * The first rows of the file, each line parsed on its own, for finding the header: telling a file's view
 * must not depend on whether a line further down is broken (that is the load's business, and is recorded
 * as a failed load). A line that does not parse alone is passed over.
 */
export async function readCsvHeadRows(path: string): Promise<string[][]> {
  const lines = await readHeadLines(path);
  const delimiter = delimiterOf(lines);
  const rows: string[][] = [];
  for (const line of lines) {
    try {
      const [row] = parseSync(line, { delimiter, relax_column_count: true }) as string[][];
      rows.push(row ?? []);
    } catch {
      rows.push([]);
    }
  }
  return rows;
}

export async function openCsvRows(path: string, name: string, onBytes?: BytesListener): Promise<SheetRows> {
  const delimiter = delimiterOf(await readHeadLines(path));
  // Opened when the first row is asked for: a parser running ahead of its reader would report a broken
  // line to nobody (a load opens the file a while before it reads it).
  let opened: { input: ReadStream; parser: Parser } | null = null;
  let notUtf8 = false;
  const open = () => {
    const input = createReadStream(path);
    let bytes = 0;
    // Told before the parser sees each chunk: a line is not UTF-8 once the file is not and the line
    // holds the replacement character decoding put in place of the bytes.
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    input.on('data', (chunk) => {
      bytes += chunk.length;
      onBytes?.(bytes);
      if (!notUtf8) {
        try {
          utf8.decode(chunk as Buffer, { stream: true });
        } catch {
          notUtf8 = true;
        }
      }
    });
    const parser = input.pipe(parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, cast: false }));
    opened = { input, parser };
    return parser;
  };

  async function* rows(): AsyncGenerator<SheetRow> {
    let number = 0;
    try {
      for await (const cells of open() as AsyncIterable<string[]>) {
        yield notUtf8 && cells.some((cell) => cell.includes('\uFFFD'))
          ? { number: ++number, cells, notUtf8: true }
          : { number: ++number, cells };
      }
    } catch (error) {
      throw csvError(error, name);
    }
  }

  return {
    rows: rows(),
    date1904: () => false,
    close: async () => {
      const streams = opened as { input: ReadStream; parser: Parser } | null;
      streams?.parser.destroy();
      streams?.input.destroy();
    },
  };
}

/** csv-parse's messages can quote field values; ours name only the problem and the line. */
function csvError(error: unknown, name: string): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = typeof error.lines === 'number' ? ` near line ${error.lines}` : '';
  return new SourceDataError(`${name} is not a well-formed CSV file (${error.code}${line}); fix that line or export the file again.`);
}
