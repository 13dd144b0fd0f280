/** `otc-etl sync [view…]`: fetch and load the views, report counts, exit 1 if any view failed. */
import { randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, EXIT, type ExitCode } from '../../errors.js';
import { withRunLock } from '../../pipeline/guard.js';
import { runSync } from '../../pipeline/sync.js';
import { otcSource } from '../../pipeline/source.js';
import { writeMetricsFile } from '../output-files.js';
import { terminalProgress } from '../progress.js';
import { withDb, type Runtime } from '../runtime.js';
import { withStopSignals } from '../signals.js';
import { parseViews } from '../flags.js';
import { exitCodeOf, outcomeJson, outcomesTable } from '../outcome-output.js';
import { userLookupSummary } from '../user-lookup-text.js';

/** Refuses a metrics file whose directory cannot be written before the run, not after it. */
async function checkMetricsFile(cwd: string, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  try {
    await access(dirname(resolve(cwd, path)), constants.W_OK);
  } catch {
    throw new ConfigError(`--metrics-file ${path}: its directory does not exist or is not writable.`);
  }
}

export async function syncCommand(
  rt: Runtime,
  args: readonly string[],
  flags: { allowShrink?: boolean; metricsFile?: string; logFormat?: string } = {},
  signal?: AbortSignal,
): Promise<ExitCode> {
  // Run as `otc-etl sync`, SIGINT/SIGTERM cancel the run; a caller with its own signal (serve) decides itself.
  if (!signal) return withStopSignals(rt, (stop) => syncCommand(rt, args, flags, stop));
  const views = parseViews(args);
  // Built before the database is opened: a missing password is a configuration error (exit 2).
  const openSource = otcSource(rt.config, { log: rt.log });
  await checkMetricsFile(rt.io.cwd, flags.metricsFile);
  const progress = terminalProgress(rt.io.stderr, { logFormat: flags.logFormat });
  // Chosen here so the lines logged before the run starts (lock, cleanup) carry it too.
  const runId = randomUUID();
  const log = rt.log.child({ runId });
  return withDb(rt, async (db) => {
    const result = await withRunLock({ db, config: rt.config, log }, 'sync', { autoMigrate: true }, () =>
      runSync(
        { db, config: rt.config, log: rt.log, source: openSource(db) },
        { views, signal, allowShrink: flags.allowShrink, runId, progress },
      ),
    );
    let exitCode = exitCodeOf(result.outcomes);
    if (flags.metricsFile !== undefined) {
      try {
        await writeMetricsFile(db, rt.config, rt.io.cwd, flags.metricsFile);
      } catch (error) {
        // The data is loaded; only the file is missing. Say so, and let the exit code show it.
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'metrics file not written');
        exitCode = EXIT.failed;
      }
    }
    rt.print({ runId: result.runId, views: Object.fromEntries(result.outcomes.map((o) => [o.view, outcomeJson(o)])) }, () => {
      const errors = result.outcomes.filter((o) => o.error).map((o) => o.error!);
      const users = result.userLookup;
      const usersLine = !users
        ? []
        : users.status === 'success'
          ? [userLookupSummary(users.result)]
          : [`user lookup: failed: ${users.error}`];
      return [`run ${result.runId}`, outcomesTable(result.outcomes), ...errors, ...usersLine].join('\n');
    });
    return exitCode;
  });
}
