/**
 * What `/healthz` answers: the state model's problems and warnings (view-state.ts). 200 without
 * problems — warnings included — and 503 with one, so a load balancer or uptime check follows the same
 * verdict as `otc-etl status` and `otc-etl health`.
 */
import type { StateReport } from '../pipeline/view-state.js';

export interface HealthzReply {
  readonly httpStatus: 200 | 503;
  readonly doc: Record<string, unknown>;
}

/** `{"status":"ok"|"problem","problems":[…],"warnings":[…], …}` with per-view details beside them. */
export function healthzOf(report: StateReport, extra: Record<string, unknown> = {}): HealthzReply {
  const doc = {
    status: report.status,
    problems: report.problems,
    warnings: report.warnings,
    ok: report.status === 'ok',
    database: report.database.reachable ? 'reachable' : 'unreachable',
    views: Object.fromEntries(
      report.views.map((v) => [
        v.view,
        {
          fresh: v.fresh,
          lastSuccess: v.lastSuccess,
          ageSeconds: v.ageSeconds,
          windowDays: v.windowDays,
          lastRun: v.lastRun?.status ?? null,
        },
      ]),
    ),
    breaker: report.source?.breaker.state ?? null,
    ...extra,
  };
  return { httpStatus: report.status === 'ok' ? 200 : 503, doc };
}
