/** `otc-etl import FILE… [--view V] [--sheet NAME] [--max-reject-rate R]`: load exports; exit 1 if a file failed. */
import type { ExitCode } from '../../errors.js';
import { withRunLock } from '../../pipeline/guard.js';
import { planImports, runImport, type ImportFile, type ImportResult, type SkippedSheet } from '../../pipeline/import.js';
import type { ViewOutcome } from '../../pipeline/load-view.js';
import { table } from '../format.js';
import { endProgress, importProgress } from '../progress.js';
import { withDb, type Runtime } from '../runtime.js';
import { rejectsQuery } from '../rejects-query.js';
import { parseViews } from '../flags.js';
import { exitCodeOf, OUTCOME_HEADERS, outcomeCells, outcomeJson } from '../outcome-output.js';

/** A file as the output names it: the path as given, and the sheet of a workbook with several. */
function shownName(file: ImportFile): string {
  return file.sheet ? `${file.path}#${file.sheet.name}` : file.path;
}

/** Rejects the run left in load_rejects: records not stored, and values stored as NULL. */
function rejectCount(result: ImportResult): number {
  return result.files.reduce((n, { outcome }) => n + outcome.counts.rejected + outcome.counts.valueErrors, 0);
}

function importJson(result: ImportResult, skipped: readonly SkippedSheet[], schema: string): Record<string, unknown> {
  const rejects = rejectCount(result);
  return {
    runId: result.runId,
    files: result.files.map(({ file, outcome }) => {
      // A file's row is a sync view's row without the cursor, under the file's name and view.
      const { cursor: _cursor, ...row } = outcomeJson(outcome);
      return { file: file.path, view: file.view?.name ?? null, ...row, sheet: file.sheet?.name ?? null, source: file.name };
    }),
    skipped: skipped.map((s) => ({ file: s.path, sheet: s.sheet, source: s.name, reason: s.reason })),
    rejects,
    rejectsQuery: rejects > 0 ? rejectsQuery(schema, result.runId) : null,
  };
}

function cells(file: ImportFile, outcome: ViewOutcome): Array<string | number> {
  const [, ...rest] = outcomeCells(outcome);
  return [shownName(file), file.view?.name ?? '-', ...rest];
}

function importText(result: ImportResult, skipped: readonly SkippedSheet[], schema: string): string {
  const rows = result.files.map(({ file, outcome }) => cells(file, outcome));
  const errors = result.files.filter((f) => f.outcome.error).map((f) => `${shownName(f.file)}: ${f.outcome.error}`);
  const notes = skipped.map((s) => `skipped ${s.path}#${s.sheet}: ${s.reason}`);
  const rejects = rejectCount(result);
  const rejectLines =
    rejects === 0
      ? []
      : [
          `${rejects} ${rejects === 1 ? 'reject' : 'rejects'} kept for run ${result.runId}; list them with:`,
          `  ${rejectsQuery(schema, result.runId)}`,
        ];
  return [`run ${result.runId}`, table(['file', ...OUTCOME_HEADERS], rows), ...errors, ...notes, ...rejectLines].join('\n');
}

export async function importCommand(
  rt: Runtime,
  paths: readonly string[],
  flags: { view?: string; sheet?: string } = {},
  signal?: AbortSignal,
): Promise<ExitCode> {
  const forced = flags.view === undefined ? undefined : parseViews([flags.view])![0];
  // Every file is checked and placed before the database is touched: a wrong file is a usage error.
  const plan = await planImports(paths, { view: forced, sheet: flags.sheet, cwd: rt.io.cwd });
  for (const s of plan.skipped) rt.log.info({ file: s.path, sheet: s.sheet }, `skipping sheet ${s.sheet} of ${s.path}: ${s.reason}`);
  return withDb(rt, async (db) => {
    const deps = { db, config: rt.config, log: rt.log };
    const onProgress = importProgress(rt.io.stderr);
    const result = await withRunLock(deps, 'import', { autoMigrate: true }, async () => {
      try {
        return await runImport(deps, plan.files, { signal, onProgress });
      } finally {
        if (onProgress) endProgress(rt.io.stderr);
      }
    });
    const schema = rt.config.schema;
    rt.print(importJson(result, plan.skipped, schema), () => importText(result, plan.skipped, schema));
    return exitCodeOf(result.files.map((f) => f.outcome));
  });
}
