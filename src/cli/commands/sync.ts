/** `otc-etl sync [view…]`: fetch and load the views, report counts, exit 1 if any view failed. */
import { ConfigError, EXIT, type ExitCode } from '../../errors.js';
import { isViewName, type ViewName } from '../../registry.js';
import { withRunLock } from '../../pipeline/guard.js';
import type { ViewOutcome } from '../../pipeline/load-view.js';
import { runSync } from '../../pipeline/sync.js';
import { createPlainSource } from '../../source/plain-source.js';
import { table } from '../format.js';
import { withDb, type Runtime } from '../runtime.js';
import { withStopSignals } from '../signals.js';

export function parseViews(args: readonly string[]): ViewName[] | undefined {
  if (args.length === 0) return undefined;
  const unknown = args.filter((a) => !isViewName(a));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown view ${unknown.join(', ')}: choose from comments, timesheets, tickets.`);
  }
  return args as ViewName[];
}

export function outcomeJson(o: ViewOutcome): Record<string, unknown> {
  return {
    status: o.status,
    fetched: o.counts.fetched,
    inserted: o.counts.inserted,
    updated: o.counts.updated,
    unchanged: o.counts.unchanged,
    rejected: o.counts.rejected,
    duplicates: o.counts.duplicates,
    valueErrors: o.counts.valueErrors,
    removed: o.counts.removed,
    cursor: o.cursor,
    error: o.error,
  };
}

export function outcomesTable(outcomes: readonly ViewOutcome[]): string {
  return table(
    ['view', 'status', 'fetched', 'inserted', 'updated', 'unchanged', 'rejected', 'duplicates', 'value errors', 'removed'],
    outcomes.map((o) => [
      o.view,
      o.status,
      o.counts.fetched,
      o.counts.inserted,
      o.counts.updated,
      o.counts.unchanged,
      o.counts.rejected,
      o.counts.duplicates,
      o.counts.valueErrors,
      o.counts.removed,
    ]),
  );
}

export function exitCodeOf(outcomes: readonly ViewOutcome[]): ExitCode {
  return outcomes.some((o) => o.status === 'failed' || o.status === 'cancelled') ? EXIT.failed : EXIT.ok;
}

export async function syncCommand(
  rt: Runtime,
  args: readonly string[],
  flags: { allowShrink?: boolean } = {},
  signal?: AbortSignal,
): Promise<ExitCode> {
  // Run as `otc-etl sync`, SIGINT/SIGTERM cancel the run; a caller with its own signal (serve) decides itself.
  if (!signal) return withStopSignals(rt.log, (stop) => syncCommand(rt, args, flags, stop));
  const views = parseViews(args);
  const source = createPlainSource(rt.config);
  return withDb(rt.config, async (db) => {
    const result = await withRunLock({ db, config: rt.config, log: rt.log }, 'sync', { autoMigrate: true }, () =>
      runSync({ db, config: rt.config, log: rt.log, source }, { views, signal, allowShrink: flags.allowShrink }),
    );
    rt.print(
      { runId: result.runId, views: Object.fromEntries(result.outcomes.map((o) => [o.view, outcomeJson(o)])) },
      () => {
        const errors = result.outcomes.filter((o) => o.error).map((o) => `${o.view}: ${o.error}`);
        return [`run ${result.runId}`, outcomesTable(result.outcomes), ...errors].join('\n');
      },
    );
    return exitCodeOf(result.outcomes);
  });
}
