/** `otc-etl reprocess [view…]`: re-derive the typed columns from stored `_raw`; exit 1 if a view failed. */
import type { ExitCode } from '../../errors.js';
import { withRunLock } from '../../pipeline/guard.js';
import { runReprocess } from '../../pipeline/reprocess.js';
import { withDb, type Runtime } from '../runtime.js';
import { parseViews } from '../flags.js';
import { exitCodeOf, outcomeJson, outcomesTable } from '../outcome-output.js';

export async function reprocessCommand(rt: Runtime, args: readonly string[], signal?: AbortSignal): Promise<ExitCode> {
  const views = parseViews(args);
  return withDb(rt, async (db) => {
    const deps = { db, config: rt.config, log: rt.log };
    const result = await withRunLock(deps, 'reprocess', { autoMigrate: true }, () => runReprocess(deps, { views, signal }));
    rt.print({ runId: result.runId, views: Object.fromEntries(result.outcomes.map((o) => [o.view, outcomeJson(o)])) }, () => {
      const errors = result.outcomes.filter((o) => o.error).map((o) => o.error!);
      return [`run ${result.runId}`, outcomesTable(result.outcomes), ...errors].join('\n');
    });
    return exitCodeOf(result.outcomes);
  });
}
