/** What `/healthz` decides: healthy when the database answers and no view is past its window. */
import type { ViewStatus } from '../pipeline/status.js';

export interface Health {
  readonly ok: boolean;
  /** Why not, one sentence per problem; empty when ok. */
  readonly reasons: readonly string[];
}

export function healthOf(views: readonly ViewStatus[]): Health {
  const reasons = views
    .filter((v) => v.isStale)
    .map((v) =>
      v.lastSuccess === null
        ? `${v.view} has never been synced successfully`
        : `${v.view} has had no successful sync within its ${v.windowDays}-day window (last ${v.lastSuccess})`,
    );
  return { ok: reasons.length === 0, reasons };
}

/** The per-view part of the health document. */
export function viewsHealth(views: readonly ViewStatus[]): Record<string, unknown> {
  return Object.fromEntries(
    views.map((v) => [v.view, { lastSuccess: v.lastSuccess, ageSeconds: v.ageSeconds, windowDays: v.windowDays, stale: v.isStale, lastRun: v.lastRun?.status ?? null }]),
  );
}
