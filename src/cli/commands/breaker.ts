/**
 * `otc-etl breaker [--reset]`: the circuit breaker and the request budget; `--reset` closes the breaker
 * (logged). Exit 0 either way: an open breaker is a warning, and `health`/`status` judge the views.
 */
import { EXIT, LockHeldError, type ExitCode } from '../../errors.js';
import { inspectSchema, requireCurrent } from '../../load/migrate.js';
import { readBreaker, resetBreaker, type BreakerReport } from '../../pipeline/breaker-control.js';
import { withDb, type Runtime } from '../runtime.js';

export function breakerText(b: BreakerReport): string {
  const lines: string[] = [];
  if (b.state === 'open') {
    lines.push(
      `breaker: open since ${b.openedAt} after ${b.failures} consecutive failed requests; no request is sent to OTC until ${b.reopensAt}`,
    );
  } else if (b.state === 'half-open') {
    lines.push('breaker: half-open: the cooldown is over and the next request is the trial');
  } else {
    lines.push(`breaker: closed (${b.failures} consecutive failed requests)`);
  }
  if (b.lastError) lines.push(`last error: ${b.lastError}`);
  const r = b.requests;
  lines.push(`requests: ${r.lastHour} of ${r.budget} in the last hour (OTC_MAX_REQUESTS_PER_HOUR); last ${r.lastRequestAt ?? 'never'}`);
  return lines.join('\n');
}

export async function breakerCommand(rt: Runtime, flags: { reset?: boolean }): Promise<ExitCode> {
  try {
    return await withDb(
      rt,
      async (db) => {
        requireCurrent(await inspectSchema(db, rt.config.schema), rt.config.schema);
        if (!flags.reset) {
          const report = await readBreaker(db, rt.config);
          rt.print({ ...report, reset: null }, () => breakerText(report));
          return EXIT.ok;
        }
        const { before, after } = await resetBreaker(db, rt.config, rt.log, 'otc-etl breaker --reset');
        rt.print({ ...after, reset: { was: before } }, () => `breaker reset (it was ${before.state})\n${breakerText(after)}`);
        return EXIT.ok;
      },
      { brief: true },
    );
  } catch (error) {
    if (!(error instanceof LockHeldError) || !flags.reset) throw error;
    // A running service holds the embedded database: it resets the breaker itself when asked.
    throw new LockHeldError(`${error.message} A running \`otc-etl serve\` resets the breaker on POST /breaker/reset.`, { cause: error });
  }
}
