/** A view's freshness against its window, as a traffic light with the reason in words. */
import type { ViewStatus } from '../pipeline/status.js';

export type FreshnessLevel = 'green' | 'amber' | 'red';

export interface Freshness {
  readonly level: FreshnessLevel;
  readonly reason: string;
}

const DAY_S = 86_400;

/** `45s`, `12m`, `5.5h`, `3.2d`. */
function days(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / DAY_S).toFixed(1)}d`;
}

/**
 * red: no successful API sync within the window (records that left the window are lost for good);
 * amber: still inside the window, but the last run failed or more than half of the window is used up;
 * green: otherwise.
 */
export function freshnessOf(view: ViewStatus): Freshness {
  const windowS = view.windowDays * DAY_S;
  if (view.lastSuccess === null || view.ageSeconds === null) {
    return { level: 'red', reason: 'never synced successfully' };
  }
  if (view.isStale) {
    return { level: 'red', reason: `no successful sync for ${days(view.ageSeconds)}, longer than the ${view.windowDays}-day window: data is being lost` };
  }
  const last = view.lastRun?.status;
  if (last === 'failed' || last === 'cancelled') {
    return { level: 'amber', reason: `the last run ${last}; last success ${days(view.ageSeconds)} ago` };
  }
  if (view.ageSeconds > windowS / 2) {
    return { level: 'amber', reason: `last success ${days(view.ageSeconds)} ago, over half of the ${view.windowDays}-day window` };
  }
  return { level: 'green', reason: `last success ${days(view.ageSeconds)} ago, within the ${view.windowDays}-day window` };
}
