/** Tells an export file's format from its first bytes: names lie (a CSV saved as .xls, a JSON as .txt). */
import { open } from 'node:fs/promises';
import { SourceDataError } from '../errors.js';

export type ExportFormat = 'xlsx' | 'csv' | 'json';

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);
const SNIFF_BYTES = 512;

/** XLSX by its zip signature, JSON by a leading `{` or `[`, anything else CSV. */
export async function sniffFormat(path: string, name: string): Promise<ExportFormat> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 4).equals(ZIP_MAGIC)) return 'xlsx';
  if (head.subarray(0, 4).equals(OLE_MAGIC)) {
    throw new SourceDataError(`${name} is an old binary .xls workbook: save it as .xlsx or CSV and import that.`);
  }
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return text.startsWith('{') || text.startsWith('[') ? 'json' : 'csv';
}
