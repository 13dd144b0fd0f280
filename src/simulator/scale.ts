/** How much data the simulator makes. */
import type { ViewName } from '../registry.js';

/** 'small': the demo (~600 tickets); 'full': a production-sized day (~9,000 tickets); a number multiplies full. */
export type Scale = 'small' | 'full';

const FULL_COUNTS: Readonly<Record<ViewName, number>> = { tickets: 9_000, comments: 8_000, timesheets: 150_000 };
const SMALL_COUNTS: Readonly<Record<ViewName, number>> = { tickets: 600, comments: 500, timesheets: 8_000 };

/** Records per view at a scale. */
export function countsFor(scale: Scale | number): Readonly<Record<ViewName, number>> {
  if (scale === 'small') return SMALL_COUNTS;
  const multiplier = multiplierOf(scale);
  const entries = Object.entries(FULL_COUNTS).map(([view, count]) => [view, Math.round(count * multiplier)]);
  return Object.fromEntries(entries) as Record<ViewName, number>;
}

/** The scale as a multiple of full (small counts as full for the size of the staff). */
export function multiplierOf(scale: Scale | number): number {
  if (scale === 'small' || scale === 'full') return 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`simulator scale must be 'small', 'full' or a positive number, got ${String(scale)}`);
  }
  return scale;
}
