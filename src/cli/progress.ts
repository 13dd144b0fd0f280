/**
 * A per-view progress line on a terminal, rewritten in place: bytes while the body downloads, records
 * while they are read, then one summary line. Only when stderr is a TTY and logs are text — cron and
 * log collectors get the log lines alone. Imports of large files get a percentage line the same way.
 */
import type { ViewOutcome } from '../pipeline/load-view.js';
import type { SyncProgress } from '../pipeline/sync.js';
import type { ImportProgress } from '../pipeline/import.js';
import type { OutputStream } from './io.js';

/** Redraws at most this often, so a fast local load is not slowed by the terminal. */
const REDRAW_MS = 100;

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

export function terminalProgress(stream: OutputStream, options: { logFormat?: string } = {}): SyncProgress | undefined {
  if (!stream.isTTY || options.logFormat === 'json') return undefined;
  let lastDraw = 0;
  let started = Date.now();
  /** Body bytes so far per view: with a server database the next body downloads while a view loads. */
  const bytes = new Map<string, number>();
  /** The view the line is about; another view's news waits until it is done. */
  let current: string | null = null;
  let gap: { view: string; until: number } | null = null;
  const draw = (text: string, force = false): void => {
    const now = Date.now();
    if (!force && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    stream.write(`\r\x1b[2K${text}`);
  };
  /** 'new' when `view` takes the line now (drawn at once), 'own' when it has it, null when another view does. */
  const shows = (view: string): 'new' | 'own' | null => {
    if (current === null) {
      current = view;
      started = Date.now();
      gap = null;
      return 'new';
    }
    return current === view ? 'own' : null;
  };
  // The pause between views is its own line, so nothing looks stuck at "downloading 0.0 MB" meanwhile.
  const drawGap = (): void => {
    if (!gap || gap.until <= Date.now()) return;
    const seconds = Math.ceil((gap.until - Date.now()) / 1000);
    draw(`${gap.view.padEnd(11)} waiting ${seconds} s before its request (OTC_VIEW_GAP_MS)`, true);
  };
  return {
    downloaded(view, received) {
      bytes.set(view, received);
      const line = shows(view);
      if (line) draw(`${view.padEnd(11)} downloading ${megabytes(received)}`, line === 'new');
    },
    read(view, records) {
      const line = shows(view);
      if (line)
        draw(`${view.padEnd(11)} loading ${records.toLocaleString('en-AU')} records (${megabytes(bytes.get(view) ?? 0)})`, line === 'new');
    },
    waiting(view, ms) {
      gap = { view, until: Date.now() + ms };
      if (current === null) drawGap();
    },
    finished(outcome: ViewOutcome) {
      // A view that failed before its first byte has no download to time.
      const received = bytes.get(outcome.view) ?? 0;
      const timing = current === outcome.view ? `, ${megabytes(received)} in ${((Date.now() - started) / 1000).toFixed(1)} s` : '';
      const summary = `${outcome.view.padEnd(11)} ${outcome.status} ${outcome.counts.fetched.toLocaleString('en-AU')} records${timing}`;
      draw(summary, true);
      stream.write('\n');
      bytes.delete(outcome.view);
      current = null;
      drawGap();
    },
  };
}

/** Files smaller than this load in moments: no progress line. */
const PROGRESS_MIN_BYTES = 2 * 1024 * 1024;
const PROGRESS_EVERY_MS = 250;

/** A progress callback for `runImport`, or undefined when stderr is not a terminal. */
export function importProgress(stream: OutputStream): ((p: ImportProgress) => void) | undefined {
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
export function endProgress(stream: OutputStream): void {
  if (stream.isTTY) stream.write('\r\u001b[K');
}
