/**
 * How `status` and `health` turn the state model into an exit code and text: problems exit 1 (4 when
 * the database is unreachable or needs `migrate`), warnings alone exit 0.
 */
import { EXIT, type ExitCode } from '../errors.js';
import type { Finding, StateReport } from '../pipeline/view-state.js';

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
