/**
 * How `status` and `health` turn the state model into an exit code and text: problems exit 1 (4 when
 * the database is unreachable or needs `migrate`), warnings alone exit 0. `demo` prints the status text too.
 */
import { EXIT, type ExitCode } from '../errors.js';
import { nameList, runInWords, runKindWords } from '../pipeline/state-words.js';
import type { Finding, StateReport } from '../pipeline/view-state.js';
import { duration, table } from './format.js';

const DATABASE_CODES: ReadonlySet<string> = new Set(['database_unreachable', 'migrations_pending']);

export function stateExitCode(report: Pick<StateReport, 'problems'>): ExitCode {
  if (report.problems.some((p) => DATABASE_CODES.has(p.code))) return EXIT.database;
  return report.problems.length > 0 ? EXIT.failed : EXIT.ok;
}

/** `problem stale: …` and `warning breaker_open: …` lines, problems first; each message names its view. */
export function findingLines(report: Pick<StateReport, 'problems' | 'warnings'>): string[] {
  const line = (kind: string, f: Finding) => `${kind} ${f.code}: ${f.message}`;
  return [...report.problems.map((p) => line('problem', p)), ...report.warnings.map((w) => line('warning', w))];
}

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
  if (views.length > 0)
    lines.push(table(['view', 'last committed API sync', 'window', 'fresh', 'rows', 'last API run', 'newest cursor'], rows));
  for (const v of views) {
    const other = v.lastImportOrReprocess;
    if (other) {
      const what = runKindWords(other.source);
      lines.push(
        `last ${what} (${v.view}, ${other.start}): ${other.status}, ${runInWords(other)}${other.error ? ` — ${other.error}` : ''}`,
      );
    }
    for (const r of v.running)
      lines.push(`${r.interrupted ? 'interrupted' : 'running'}: ${v.view} (${r.source}) since ${r.since}, run ${r.runId}`);
    for (const g of v.gaps)
      lines.push(`gap: ${v.view} had no committed API sync from ${g.from} to ${g.to} (${g.days} days > ${v.windowDays}-day window)`);
    if (v.lastRun?.error) lines.push(`last API error (${v.view}): ${v.lastRun.error}`);
    if (v.drift.fieldsNew.length || v.drift.fieldsMissing.length) {
      lines.push(
        `drift (${v.view}, run ${v.drift.runId}): new fields [${nameList(v.drift.fieldsNew)}], missing fields [${nameList(v.drift.fieldsMissing)}]`,
      );
    }
  }
  lines.push(...findingLines(report));
  return lines.join('\n');
}
