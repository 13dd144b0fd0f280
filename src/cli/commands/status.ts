/**
 * `otc-etl status`: per view the last committed API sync against its window, rows, the last API run,
 * the last import or reprocess (shown as such), newest cursor, gaps and drift; then the state model's
 * problems and warnings. Exit 0 without problems, 1 with one, 4 when the database needs `migrate`.
 */
import { DatabaseUnavailableError, MigrationRequiredError, type ExitCode } from '../../errors.js';
import { readState, unusableDatabaseState } from '../../pipeline/read-view-state.js';
import { nameList, runInWords, runKindWords } from '../../pipeline/state-words.js';
import type { StateReport } from '../../pipeline/view-state.js';
import { duration, table } from '../format.js';
import { withDb, type Runtime } from '../runtime.js';
import { findingLines, stateExitCode } from '../state-output.js';

export function statusText(report: StateReport): string {
  const views = report.views;
  const rows = views.map((v) => [
    v.view,
    v.lastSuccess ? `${duration(v.ageSeconds)} ago` : 'never',
    `${v.windowDays}d`,
    v.fresh ? 'ok' : 'NO',
    v.rows,
    v.lastRun ? `${v.lastRun.status}, ${runInWords(v.lastRun)}` : '-',
    v.newestCursor,
  ]);
  const lines = [`status: ${report.status}`];
  if (views.length > 0) lines.push(table(['view', 'last committed API sync', 'window', 'fresh', 'rows', 'last API run', 'newest cursor'], rows));
  for (const v of views) {
    const other = v.lastImportOrReprocess;
    if (other) {
      const what = runKindWords(other.source);
      lines.push(`last ${what} (${v.view}, ${other.start}): ${other.status}, ${runInWords(other)}${other.error ? ` — ${other.error}` : ''}`);
    }
    for (const r of v.running) lines.push(`${r.interrupted ? 'interrupted' : 'running'}: ${v.view} (${r.source}) since ${r.since}, run ${r.runId}`);
    for (const g of v.gaps) lines.push(`gap: ${v.view} had no committed API sync from ${g.from} to ${g.to} (${g.days} days > ${v.windowDays}-day window)`);
    if (v.lastRun?.error) lines.push(`last API error (${v.view}): ${v.lastRun.error}`);
    if (v.drift.fieldsNew.length || v.drift.fieldsMissing.length) {
      lines.push(`drift (${v.view}, run ${v.drift.runId}): new fields [${nameList(v.drift.fieldsNew)}], missing fields [${nameList(v.drift.fieldsMissing)}]`);
    }
  }
  lines.push(...findingLines(report));
  return lines.join('\n');
}

export async function statusCommand(rt: Runtime): Promise<ExitCode> {
  let report: StateReport;
  try {
    report = await withDb(rt.config, (db) => readState(db, rt.config));
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError || error instanceof MigrationRequiredError)) throw error;
    report = unusableDatabaseState(rt.config, error.message, { reachable: error instanceof MigrationRequiredError });
  }
  rt.print(report, () => statusText(report));
  return stateExitCode(report);
}
