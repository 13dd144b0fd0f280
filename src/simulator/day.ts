/**
 * The simulator's reference time: the local midnight that starts the day before the current one in
 * OTC_TIMEZONE. Its data is a function of the day rather than of the instant it starts, so a restart
 * the same day serves the same records; and starting a day back leaves room for a day of hourly steps
 * (`--step`) before a modified time would lie in the future.
 */
import { Zone } from '../transform/timezone.js';
import { DAY_MS } from './time-format.js';

/** The instant of the local midnight that starts `at`'s day in `zoneName`. */
export function startOfLocalDay(at: Date, zoneName: string): Date {
  const zone = new Zone(zoneName);
  const wallMs = at.getTime() + zone.offsetAt(at.getTime());
  return new Date(zone.toUtc(Math.floor(wallMs / DAY_MS) * DAY_MS));
}

/** The local midnight that starts the day before `at`'s day in `zoneName`. */
export function referenceTime(at: Date, zoneName: string): Date {
  const today = startOfLocalDay(at, zoneName);
  return startOfLocalDay(new Date(today.getTime() - 1), zoneName);
}
