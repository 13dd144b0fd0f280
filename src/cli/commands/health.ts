/**
 * `otc-etl health [--probe]`: the state model's problems and warnings, with the database, breaker and
 * request budget. Exit 0 without problems (warnings included), 1 with a problem, 4 when the database is
 * unreachable or needs `otc-etl migrate`.
 */
import { DatabaseUnavailableError, MigrationRequiredError, type ExitCode } from '../../errors.js';
import { checkHealth, databaseProblemReport, probeSource, type HealthReport } from '../../pipeline/health-check.js';
import { duration, table } from '../format.js';
import { withDb, type Runtime } from '../runtime.js';
import { findingLines, stateExitCode } from '../state-output.js';

export function healthText(r: HealthReport): string {
  const lines = [`health: ${r.status}`];
  const d = r.database;
  lines.push(`database: ${d.reachable ? `reachable (${d.label ?? d.schema})` : 'unreachable'}, migrations ${d.migrations ?? 'unknown'}`);
  if (r.breaker) {
    const b = r.breaker;
    const detail =
      b.state === 'open'
        ? `, ${duration(b.cooldownRemainingSeconds)} of cooldown left (until ${b.openUntil})`
        : `, ${b.consecutiveFailures} consecutive failures`;
    lines.push(`breaker: ${b.state}${detail}`);
    if (b.lastError) lines.push(`last source error: ${b.lastError}`);
  }
  if (r.requests)
    lines.push(
      `requests: ${r.requests.lastHour} of ${r.requests.maxPerHour} in the last hour (last ${r.requests.lastRequestAt ?? 'never'})`,
    );
  if (r.views.length > 0) {
    lines.push(
      table(
        ['view', 'last committed API sync', 'age', 'window', 'fresh'],
        r.views.map((v) => [
          v.view,
          v.lastSuccess ?? 'never',
          v.lastSuccess ? duration(v.ageSeconds) : '-',
          `${v.windowDays}d`,
          v.fresh ? 'ok' : 'NO',
        ]),
      ),
    );
  }
  if (r.probe) lines.push(`probe (${r.probe.view}): ${r.probe.outcome}: ${r.probe.message}`);
  lines.push(...findingLines(r));
  return lines.join('\n');
}

export async function healthCommand(rt: Runtime, flags: { probe?: boolean }): Promise<ExitCode> {
  // The probe calls the source: without a password it is a configuration error (exit 2), not a problem.
  const probe = flags.probe ? await probeSource(rt.config, rt.log) : undefined;
  let report: HealthReport;
  try {
    report = await withDb(rt, (db) => checkHealth(db, rt.config, { probe }), { brief: true });
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError || error instanceof MigrationRequiredError)) throw error;
    report = databaseProblemReport(rt.config, error.message, { reachable: error instanceof MigrationRequiredError });
  }
  rt.print(report, () => healthText(report));
  return stateExitCode(report);
}
