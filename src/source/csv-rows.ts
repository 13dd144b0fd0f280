/**
 * Reads a CSV export row by row with csv-parse's streaming parser: UTF-8 with or without a byte-order
 * mark, `,` or `;` between fields (spreadsheets in comma-decimal locales save with `;`), found from
 * the header line.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse, CsvError } from 'csv-parse';
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

async function readHeaderLine(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    // csv-parse skips empty lines, so the header is the first line with something in it.
    return head.split(/\r?\n|\r/).find((line) => line.trim() !== '') ?? '';
  } finally {
    await handle.close();
  }
}

/**
 * The header row alone, read from the first line: telling a file's view must not depend on whether a
 * line further down is broken (that is the load's business, and is recorded as a failed load).
 */
export async function readCsvHeader(path: string, name: string): Promise<string[]> {
  const line = await readHeaderLine(path);
  try {
    const [header] = parseSync(line, { delimiter: detectDelimiter(line), relax_column_count: true }) as string[][];
    return header ?? [];
  } catch (error) {
    throw csvError(error, name);
  }
}

export async function openCsvRows(path: string, name: string, onBytes?: BytesListener): Promise<SheetRows> {
  const delimiter = detectDelimiter(await readHeaderLine(path));
  const input = createReadStream(path);
  let bytes = 0;
  input.on('data', (chunk) => {
    bytes += chunk.length;
    onBytes?.(bytes);
  });
  const parser = input.pipe(
    parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, cast: false }),
  );

  async function* rows(): AsyncGenerator<SheetRow> {
    let number = 0;
    try {
      for await (const cells of parser as AsyncIterable<string[]>) yield { number: ++number, cells };
    } catch (error) {
      throw csvError(error, name);
    }
  }

  return {
    rows: rows(),
    date1904: () => false,
    close: async () => {
      parser.destroy();
      input.destroy();
    },
  };
}

/** csv-parse's messages can quote field values; ours name only the problem and the line. */
function csvError(error: unknown, name: string): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = typeof error.lines === 'number' ? ` near line ${error.lines}` : '';
  return new SourceDataError(
    `${name} is not a well-formed CSV file (${error.code}${line}); fix that line or export the file again.`,
  );
}
