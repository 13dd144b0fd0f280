/** The adoption plan or result as text: what `migrate --dry-run` shows on a legacy schema. */
import type { AdoptionReport } from '../load/adopt-legacy.js';
import { describeStep } from '../load/adopt/adoption-steps.js';
import { table } from './format.js';

export function adoptionText(report: AdoptionReport): string {
  const tables = Object.keys(report.tables);
  const would = report.dryRun ? 'would be ' : '';
  const locks = report.dryRun
    ? `it would hold ACCESS EXCLUSIVE locks on ${tables.join(', ')} until it commits, so the analysts’ queries on them ` +
      `wait (or the adoption gives up after the lock timeout and changes nothing).`
    : `it held ACCESS EXCLUSIVE locks on ${tables.join(', ')} until it committed.`;
  const lines = [
    `${report.dryRun ? 'Plan for adopting' : 'Adopted'} the previous loader's schema (run ${report.runId}): one transaction with ` +
      `lock_timeout ${report.lockTimeout}; ${locks}`,
    `Naive timestamps are read as ${report.timezone} wall-clock time.`,
    '',
    table(
      ['table', 'rows before', 'moved aside', 'rows after'],
      tables.map((t) => [t, report.tables[t]!.rowsBefore, report.tables[t]!.moved, report.tables[t]!.rowsAfter]),
    ),
    '',
    `timesheet duplicates ${would}moved to timesheets_duplicates_removed: ${report.timesheetDuplicatesMoved}`,
    `values that cannot be converted (NULL; originals kept in _raw and load_rejects): ${report.unconvertibleValues}`,
    `migrations ${would}recorded as applied: ${report.migrationsRecorded.join(', ')}`,
    '',
    'steps:',
    ...report.steps.map((s) => `  - ${describeStep(s)}`),
  ];
  if (report.blockers.length > 0) {
    lines.push('', 'cannot adopt until these are resolved:', ...report.blockers.map((b) => `  ! ${b}`));
  }
  return lines.join('\n');
}
