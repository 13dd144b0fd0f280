/**
 * An import run: export files of any view (XLSX, CSV, JSON) loaded through the same `loadView` as a
 * sync, so they get the same parser, merge guards, counts, quarantine and one `etl_metadata` row per
 * file, with the file's name as the source. Imports never remove rows and skip the volume guard (both
 * only apply to the source 'api').
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { REPROCESS_SOURCE } from '../load/merge-sql.js';
import { getView, VIEWS, type ViewName, type ViewSpec } from '../registry.js';
import type { ExportFormat } from '../source/export-format.js';
import { describeHeaders, detectView, knownHeaderCount } from '../transform/detect-view.js';
import type { RecordBatch } from '../transform/record-stream.js';
import { openExport, readExportHeaders } from './export-file.js';
import { loadView, type RecordSource, type ViewOutcome } from './load-view.js';

/** One file to import, its view already known. */
export interface ImportFile {
  /** The path as given. */
  readonly path: string;
  /** The file's base name: `etl_metadata.source` and the rows' `_last_source`. */
  readonly name: string;
  readonly view: ViewSpec;
  readonly format: ExportFormat;
  readonly bytes: number;
}

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

/** Source names with a meaning of their own in the merge: a file may not pose as one of them. */
const RESERVED_NAMES = new Set(['api', REPROCESS_SOURCE]);

function keyHeaders(view: ViewSpec): string {
  return view.key
    .map((column) => {
      const field = view.fields.find((f) => f.column === column)!;
      return [field.api, ...(field.aliases ?? [])].join(' or ');
    })
    .join(', ');
}

/**
 * Checks every file and tells its view before anything is loaded, so a wrong file is a usage error
 * (exit 2) rather than a failed run. `forced` (`--view`) overrides detection.
 */
export async function planImport(paths: readonly string[], forced?: ViewName): Promise<ImportFile[]> {
  const plan: ImportFile[] = [];
  for (const path of paths) {
    const name = basename(path);
    if (RESERVED_NAMES.has(name)) {
      throw new ConfigError(`cannot import a file named ${name}: that name is reserved for otc-etl's own loads; rename the file.`);
    }
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.code ?? error.message}.`);
    });
    if (!info.isFile()) throw new ConfigError(`cannot import ${path}: not a file.`);
    const { format, headers } = await readExportHeaders(path, name).catch((error: unknown) => {
      throw new ConfigError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    plan.push({ path, name, view: viewOf(path, headers, forced), format, bytes: info.size });
  }
  return plan;
}

function viewOf(path: string, headers: readonly string[], forced?: ViewName): ViewSpec {
  if (forced) {
    const view = getView(forced);
    if (headers.length > 0 && knownHeaderCount(view, headers) === 0) {
      throw new ConfigError(`none of the fields of ${path} belong to the ${forced} view (${describeHeaders(headers)}); check --view.`);
    }
    return view;
  }
  const view = detectView(headers);
  if (view) return view;
  const needs = VIEWS.map((v) => `${v.name} needs ${keyHeaders(v)}`).join('; ');
  throw new ConfigError(
    `cannot tell which view ${path} holds: it has ${describeHeaders(headers)}. ` +
      `Each view is recognised by its key columns (${needs}). If the file is one of them, name it with --view.`,
  );
}

/** Record batches read from an export file, with progress reports. */
function fileRecordSource(file: ImportFile, onProgress?: (progress: ImportProgress) => void): RecordSource {
  let bytesRead = 0;
  let records = 0;
  const report = () => onProgress?.({ file, bytesRead, records });
  return {
    name: file.name,
    // Numbers in date fields of a spreadsheet are serial dates; `_raw` keeps them in the 1900 system.
    serialDates: file.format === 'json' ? false : '1900',
    open: async () => {
      const reader = await openExport(file.path, {
        name: file.name,
        onBytes: (bytes) => {
          bytesRead = bytes;
          report();
        },
      });
      async function* counted(): AsyncGenerator<RecordBatch> {
        for await (const batch of reader.batches(file.view)) {
          records += batch.records.length;
          report();
          yield batch;
        }
      }
      return { batches: counted(), close: () => reader.close() };
    },
  };
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
    const outcome = await loadView(ctx, file.view, fileRecordSource(file, options.onProgress));
    log.info({ file: file.name, view: file.view.name, status: outcome.status, ...outcome.counts }, `${file.name}: ${outcome.status}`);
    results.push({ file, outcome });
  }
  return { runId, files: results };
}
