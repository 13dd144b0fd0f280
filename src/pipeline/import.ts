/**
 * An import run: export files of any view (XLSX, CSV or JSON) loaded through the same `loadView` as a
 * sync, so they get the same parser, merge guards, counts, quarantine and one `etl_metadata` row per
 * file, with the file's name as the source. Each sheet of a workbook that holds a view's export is a file
 * of its own here. Imports never remove rows and skip the volume guard (both only apply to
 * an API sync).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { LoadRefusedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { ZERO_COUNTS } from '../load/runs.js';
import type { ViewSpec } from '../registry.js';
import type { RecordBatch } from '../transform/record-stream.js';
import { openExport } from './export-file.js';
import type { ImportFile } from './import-plan.js';
import { loadView, type ViewOutcome } from './load-view.js';
import type { RecordSource } from './record-source.js';

export { planImport, planImports, type ImportFile, type ImportPlan, type PlanOptions, type SkippedSheet } from './import-plan.js';

export interface ImportProgress {
  readonly file: ImportFile;
  readonly bytesRead: number;
  readonly records: number;
}

export interface ImportOptions {
  readonly signal?: AbortSignal;
  /** Called as a file is read (often: throttle it). */
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportResult {
  readonly runId: string;
  readonly files: ReadonlyArray<{ readonly file: ImportFile; readonly outcome: ViewOutcome }>;
}

/** Record batches read from an export file, with progress reports; a file with no records fails. */
function fileRecordSource(
  file: ImportFile & { view: ViewSpec },
  maxRecordBytes: number,
  onProgress?: (progress: ImportProgress) => void,
): RecordSource {
  let bytesRead = 0;
  let records = 0;
  const report = () => onProgress?.({ file, bytesRead, records });
  return {
    kind: 'file',
    name: file.name,
    // Numbers in date fields of a spreadsheet are serial dates; `_raw` keeps them in the 1900 system.
    serialDates: file.format === 'json' ? false : '1900',
    open: async () => {
      if (file.empty !== null) return { batches: noRecords(file, file.empty), close: async () => undefined };
      const reader = await openExport(file.location, {
        name: file.name,
        view: file.view,
        forced: file.forced ? file.view : undefined,
        sheetIndex: file.sheet?.index,
        maxRecordBytes,
        onBytes: (bytes) => {
          bytesRead = bytes;
          report();
        },
      });
      async function* counted(): AsyncGenerator<RecordBatch> {
        for await (const batch of reader.batches) {
          records += batch.records.length;
          report();
          yield batch;
        }
        const reason = reader.emptyReason();
        if (reason !== null) yield* noRecords(file, reason);
      }
      return { batches: counted(), close: () => reader.close() };
    },
  };
}

/** A file that holds no records fails: an empty export usually means the export job itself failed. */
// biome-ignore lint/correctness/useYield: it yields nothing by design; reading it fails the file in the load's own error path
async function* noRecords(file: ImportFile, reason: string): AsyncGenerator<RecordBatch> {
  throw new LoadRefusedError(noRecordsMessage(file, reason), { view: file.view?.name });
}

function noRecordsMessage(file: ImportFile, reason: string): string {
  // The output and etl_metadata (its source column) name the file already.
  return `the ${file.sheet ? 'sheet' : 'file'} holds no records (${reason}); nothing was loaded. Check the export and run it again.`;
}

export interface ImportDeps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
}

/** Loads the planned files one after another under one run id; a failed file does not stop the others. */
export async function runImport(deps: ImportDeps, files: readonly ImportFile[], options: ImportOptions = {}): Promise<ImportResult> {
  const runId = randomUUID();
  const log = deps.log.child({ runId });
  const results: Array<{ file: ImportFile; outcome: ViewOutcome }> = [];
  log.info({ files: files.length }, 'import started');
  for (const file of files) {
    const ctx = { db: deps.db, config: deps.config, runId, log, signal: options.signal };
    const outcome = file.view
      ? await loadView(ctx, file.view, fileRecordSource({ ...file, view: file.view }, deps.config.maxRecordBytes, options.onProgress))
      : viewlessFailure(file);
    if (outcome.status === 'failed' && !file.view) log.error({ file: file.name }, outcome.error!);
    log.info({ file: file.name, view: outcome.view, status: outcome.status, ...outcome.counts }, `${file.name}: ${outcome.status}`);
    results.push({ file, outcome });
  }
  return { runId, files: results };
}

/**
 * A file with nothing in it and no `--view`: no view to load it into, nor to record its run under (the
 * run record is per view), so it fails here, in the output and the exit code.
 */
function viewlessFailure(file: ImportFile): ViewOutcome {
  const error =
    noRecordsMessage(file, file.empty ?? 'it is empty') + ' (Name its view with --view to have the failure recorded in etl_metadata.)';
  return { view: '', source: file.name, status: 'failed', counts: ZERO_COUNTS, error, cursor: null, fieldsNew: [], fieldsMissing: [] };
}
