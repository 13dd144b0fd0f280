/**
 * `otc-etl health [--probe]`: exit 0 healthy; 1 a problem (breaker open, probe degraded or unhealthy);
 * 4 the database is unreachable or needs `otc-etl migrate`.
 */
import { DatabaseUnavailableError, EXIT, MigrationRequiredError, type ExitCode } from '../../errors.js';
import { checkHealth, databaseProblemReport, type HealthReport } from '../../pipeline/health.js';
import { requirePassword } from '../../source/plain-source.js';
import { duration, table } from '../format.js';
import { withDb, type Runtime } from '../runtime.js';

export function healthText(r: HealthReport): string {
  const lines = [`health: ${r.status}`];
  const d = r.database;
  lines.push(`database: ${d.reachable ? `reachable (${d.label})` : 'unreachable'}, migrations ${d.migrations ?? 'unknown'}`);
  if (r.breaker) {
    const b = r.breaker;
    const detail = b.state === 'open' ? `, ${duration(b.cooldownRemainingSeconds)} of cooldown left (until ${b.openUntil})` : `, ${b.consecutiveFailures} consecutive failures`;
    lines.push(`breaker: ${b.state}${detail}`);
    if (b.lastError) lines.push(`last source error: ${b.lastError}`);
  }
  if (r.requests) lines.push(`requests: ${r.requests.lastHour} of ${r.requests.maxPerHour} in the last hour (last ${r.requests.lastRequestAt ?? 'never'})`);
  if (r.views.length > 0) {
    lines.push(table(['view', 'last success', 'age', 'fresh'], r.views.map((v) => [v.view, v.lastSuccess ?? 'never', v.lastSuccess ? duration(v.ageSeconds) : '-', v.isStale ? 'STALE' : 'ok'])));
  }
  if (r.probe) lines.push(`probe (${r.probe.view}): ${r.probe.status}: ${r.probe.message}`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  return lines.join('\n');
}

function exitCodeOf(r: HealthReport): ExitCode {
  if (!r.database.reachable || r.database.migrations !== 'current') return EXIT.database;
  return r.status === 'healthy' ? EXIT.ok : EXIT.failed;
}

export async function healthCommand(rt: Runtime, flags: { probe?: boolean }): Promise<ExitCode> {
  // The probe calls the source: without a password it is a configuration error (exit 2), not unhealthy.
  if (flags.probe) requirePassword(rt.config);
  let report: HealthReport;
  try {
    report = await withDb(rt.config, (db) => checkHealth(db, rt.config, rt.log, { probe: flags.probe === true }));
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError || error instanceof MigrationRequiredError)) throw error;
    report = databaseProblemReport(rt.config, error.message, { reachable: error instanceof MigrationRequiredError });
  }
  rt.print(report, () => healthText(report));
  return exitCodeOf(report);
}
