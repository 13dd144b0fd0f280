/** A one-line progress report on stderr for large import files, shown only when stderr is a terminal. */
import type { ImportProgress } from '../pipeline/import.js';

/** Files smaller than this load in moments: no progress line. */
const PROGRESS_MIN_BYTES = 2 * 1024 * 1024;
const PROGRESS_EVERY_MS = 250;

/** A progress callback for `runImport`, or undefined when stderr is not a terminal. */
export function importProgress(stream: NodeJS.WriteStream = process.stderr): ((p: ImportProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let last = 0;
  return (p) => {
    if (p.file.bytes < PROGRESS_MIN_BYTES) return;
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    const pct = `${Math.min(100, Math.floor((p.bytesRead / p.file.bytes) * 100))}%`;
    const records = `${p.records.toLocaleString('en-AU')} records`;
    // A workbook's sheet often comes before its shared strings: exceljs unpacks it all before the first row.
    const text = p.file.format !== 'xlsx' ? `${pct} read, ${records}` : p.records === 0 ? `unpacking ${pct}` : records;
    stream.write(`\r\u001b[K${p.file.name}: ${text}`);
  };
}

/** Ends the progress line so the next output starts on a fresh line. */
export function endProgress(stream: NodeJS.WriteStream = process.stderr): void {
  if (stream.isTTY) stream.write('\r\u001b[K');
}
