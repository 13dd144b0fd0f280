/**
 * `otc-etl status`: per view the last committed API sync against its window, rows, the last API run,
 * the last import or reprocess (shown as such), newest cursor, gaps and drift; then the state model's
 * problems and warnings. Exit 0 without problems, 1 with one, 4 when the database needs `migrate`.
 */
import { DatabaseUnavailableError, MigrationRequiredError, type ExitCode } from '../../errors.js';
import { readState, unusableDatabaseState } from '../../pipeline/read-view-state.js';
import type { StateReport } from '../../pipeline/view-state.js';
import { withDb, type Runtime } from '../runtime.js';
import { stateExitCode, statusText } from '../state-output.js';

export async function statusCommand(rt: Runtime): Promise<ExitCode> {
  let report: StateReport;
  try {
    report = await withDb(rt, (db) => readState(db, rt.config), { brief: true });
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError || error instanceof MigrationRequiredError)) throw error;
    report = unusableDatabaseState(rt.config, error.message, { reachable: error instanceof MigrationRequiredError });
  }
  rt.print(report, () => statusText(report));
  return stateExitCode(report);
}
