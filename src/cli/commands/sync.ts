/** `otc-etl sync [view…]`: fetch and load the views, report counts, exit 1 if any view failed. */
import { randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, EXIT, type ExitCode } from '../../errors.js';
import { isViewName, VIEW_NAMES, type ViewName } from '../../registry.js';
import { withRunLock } from '../../pipeline/guard.js';
import type { ViewOutcome } from '../../pipeline/load-view.js';
import { runSync } from '../../pipeline/sync.js';
import { otcSource } from '../../pipeline/source.js';
import { table } from '../format.js';
import { writeMetricsFile } from '../output-files.js';
import { terminalProgress } from '../progress.js';
import { withDb, type Runtime } from '../runtime.js';
import { withStopSignals } from '../signals.js';
import { userLookupSummary } from './users.js';

/** Refuses a metrics file whose directory cannot be written before the run, not after it. */
async function checkMetricsFile(path: string | undefined): Promise<void> {
  if (path === undefined) return;
  try {
    await access(dirname(path), constants.W_OK);
  } catch {
    throw new ConfigError(`--metrics-file ${path}: its directory does not exist or is not writable.`);
  }
}

export function parseViews(args: readonly string[]): ViewName[] | undefined {
  if (args.length === 0) return undefined;
  const unknown = args.filter((a) => !isViewName(a));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown view ${unknown.join(', ')}: choose from ${VIEW_NAMES.join(', ')}.`);
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
    fieldsNew: o.fieldsNew,
    fieldsMissing: o.fieldsMissing,
    error: o.error,
  };
}

/** Column headers of a view's counts in text output (sync, reprocess, import). */
export const OUTCOME_HEADERS = ['view', 'status', 'fetched', 'inserted', 'updated', 'unchanged', 'rejected', 'duplicates', 'value errors', 'removed'];

/** One view's counts as table cells, in OUTCOME_HEADERS order. */
export function outcomeCells(o: ViewOutcome): Array<string | number> {
  const c = o.counts;
  return [o.view, o.status, c.fetched, c.inserted, c.updated, c.unchanged, c.rejected, c.duplicates, c.valueErrors, c.removed];
}

export function outcomesTable(outcomes: readonly ViewOutcome[]): string {
  return table(OUTCOME_HEADERS, outcomes.map(outcomeCells));
}

export function exitCodeOf(outcomes: readonly ViewOutcome[]): ExitCode {
  return outcomes.some((o) => o.status === 'failed' || o.status === 'cancelled') ? EXIT.failed : EXIT.ok;
}

export async function syncCommand(
  rt: Runtime,
  args: readonly string[],
  flags: { allowShrink?: boolean; metricsFile?: string; logFormat?: string } = {},
  signal?: AbortSignal,
): Promise<ExitCode> {
  // Run as `otc-etl sync`, SIGINT/SIGTERM cancel the run; a caller with its own signal (serve) decides itself.
  if (!signal) return withStopSignals(rt.log, (stop) => syncCommand(rt, args, flags, stop));
  const views = parseViews(args);
  // Built before the database is opened: a missing password is a configuration error (exit 2).
  const openSource = otcSource(rt.config, { log: rt.log });
  await checkMetricsFile(flags.metricsFile);
  const progress = terminalProgress(process.stderr, { logFormat: flags.logFormat });
  // Chosen here so the lines logged before the run starts (lock, cleanup) carry it too.
  const runId = randomUUID();
  const log = rt.log.child({ runId });
  return withDb(rt.config, async (db) => {
    const result = await withRunLock({ db, config: rt.config, log }, 'sync', { autoMigrate: true }, () =>
      runSync(
        { db, config: rt.config, log: rt.log, source: openSource(db) },
        { views, signal, allowShrink: flags.allowShrink, runId, progress },
      ),
    );
    let exitCode = exitCodeOf(result.outcomes);
    if (flags.metricsFile !== undefined) {
      try {
        await writeMetricsFile(db, rt.config, flags.metricsFile);
      } catch (error) {
        // The data is loaded; only the file is missing. Say so, and let the exit code show it.
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'metrics file not written');
        exitCode = EXIT.failed;
      }
    }
    rt.print(
      { runId: result.runId, views: Object.fromEntries(result.outcomes.map((o) => [o.view, outcomeJson(o)])) },
      () => {
        const errors = result.outcomes.filter((o) => o.error).map((o) => o.error!);
        const users = result.userLookup;
        const usersLine = !users ? [] : users.status === 'success' ? [userLookupSummary(users.result)] : [`user lookup: failed: ${users.error}`];
        return [`run ${result.runId}`, outcomesTable(result.outcomes), ...errors, ...usersLine].join('\n');
      },
    );
    return exitCode;
  });
}
