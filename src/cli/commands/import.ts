/** `otc-etl import FILE… [--view V]`: load XLSX, CSV or JSON exports; exit 1 if a file failed. */
import type { ExitCode } from '../../errors.js';
import { withRunLock } from '../../pipeline/guard.js';
import { planImport, runImport, type ImportResult } from '../../pipeline/import.js';
import { table } from '../format.js';
import { endProgress, importProgress } from '../progress.js';
import { withDb, type Runtime } from '../runtime.js';
import { exitCodeOf, OUTCOME_HEADERS, outcomeCells, outcomeJson, parseViews } from './sync.js';

function importJson(result: ImportResult): Record<string, unknown> {
  return {
    runId: result.runId,
    files: result.files.map(({ file, outcome }) => {
      // A file's row is a sync view's row without the cursor, under the file's name and view.
      const { cursor: _cursor, ...row } = outcomeJson(outcome);
      return { file: file.path, view: outcome.view, ...row };
    }),
  };
}

function importText(result: ImportResult): string {
  const rows = result.files.map(({ file, outcome }) => [file.path, ...outcomeCells(outcome)]);
  const errors = result.files.filter((f) => f.outcome.error).map((f) => `${f.file.path}: ${f.outcome.error}`);
  const headers = ['file', ...OUTCOME_HEADERS];
  return [`run ${result.runId}`, table(headers, rows), ...errors].join('\n');
}

export async function importCommand(
  rt: Runtime,
  paths: readonly string[],
  flags: { view?: string } = {},
  signal?: AbortSignal,
): Promise<ExitCode> {
  const forced = flags.view === undefined ? undefined : parseViews([flags.view])![0];
  // Every file is checked and placed before the database is touched: a wrong file is a usage error.
  const files = await planImport(paths, forced);
  return withDb(rt.config, async (db) => {
    const deps = { db, config: rt.config, log: rt.log };
    const onProgress = importProgress();
    const result = await withRunLock(deps, 'import', { autoMigrate: true }, async () => {
      try {
        return await runImport(deps, files, { signal, onProgress });
      } finally {
        if (onProgress) endProgress();
      }
    });
    rt.print(importJson(result), () => importText(result));
    return exitCodeOf(result.files.map((f) => f.outcome));
  });
}
