/**
 * Simulated timesheets: 18 months of time entries. Each person's day is a run of consecutive entries,
 * so the natural key (`TS-User Username`, `TS-Date`, `TS-Time From`, `TS-Crm ID`) is unique within a
 * payload by construction: start times strictly increase within a person's day.
 */
import { weighted, type Random } from './random.js';
import type { Person } from './people.js';
import { ticketIdAround, type TicketDraft } from './tickets.js';
import { DAY_MS, MINUTE_MS, perthDay, perthInstant, pickInstantStyle, weekday, type InstantStyle } from './time-format.js';
import { ACCOUNTS, ADMIN_TITLES, INTERNAL_ACCOUNT, TEAMS, TITLES, type Account } from './vocabulary.js';

/** What an entry was booked against: a ticket's title, queue and customer, or internal admin. */
export interface BookedTo {
  readonly title: string;
  readonly team: string;
  readonly account: Account;
}

export interface TimesheetDraft {
  readonly person: Person;
  /** Perth calendar day (days since 1970-01-01). */
  readonly day: number;
  /** Start, minutes after midnight. */
  readonly fromMin: number;
  /** Duration in quarter hours. */
  readonly quarters: number;
  /** The ticket booked to; null for admin time (empty `TS-Crm ID`). */
  readonly crmId: number | null;
  readonly bookedTo: BookedTo;
  readonly approved: boolean;
  readonly modifiedMs: number;
  readonly style: InstantStyle;
  readonly noise: number;
}

const WINDOW_DAYS = 547; // 18 months
const ADMIN_SHARE = 0.08;
const RECENT_DAYS = 30; // entries this recent are often booked to tickets still in the tickets view
const APPROVED_AFTER_DAYS = 14;
const LAST_START_MIN = 23 * 60 + 45;
const MAX_ENTRIES_PER_DAY = 90;

const drawQuarters = weighted<number>([
  [1, 25],
  [2, 30],
  [3, 10],
  [4, 20],
  [6, 8],
  [8, 5],
  [12, 2],
]);

export interface TimesheetContext {
  readonly rng: Random;
  /** Tickets of the tickets view, sorted by creation time. */
  readonly tickets: readonly TicketDraft[];
  readonly workers: readonly Person[];
}

/** How many entries each person books each day: exact total, uneven spread (weekends, leave, busy days). */
function entriesPerPersonDay(rng: Random, workers: readonly Person[], days: number, firstDay: number, total: number): Uint16Array {
  const weights = new Float64Array(days * workers.length);
  let sum = 0;
  for (let d = 0; d < days; d++) {
    const dow = weekday(firstDay + d);
    const dayFactor = (dow === 0 || dow === 6 ? 0.04 : 1) * rng.between(0.7, 1.3);
    for (let p = 0; p < workers.length; p++) {
      const onLeave = rng.chance(0.05);
      const w = onLeave ? 0 : dayFactor * (workers[p]?.workload ?? 1) * rng.between(0.6, 1.4);
      weights[d * workers.length + p] = w;
      sum += w;
    }
  }
  const counts = new Uint16Array(weights.length);
  let cumulative = 0;
  let assigned = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i] ?? 0;
    const upTo = sum === 0 ? 0 : Math.floor((total * cumulative) / sum);
    counts[i] = Math.min(upTo - assigned, MAX_ENTRIES_PER_DAY);
    assigned = upTo;
  }
  return counts;
}

function bookingPools(ctx: TimesheetContext): { viewRefs: BookedTo[]; olderRefs: BookedTo[]; adminRefs: BookedTo[] } {
  const { rng } = ctx;
  const olderRefs = Array.from({ length: 64 }, () => {
    const category = rng.pick(['Alert', 'Incident', 'Service Request', 'Change', 'Problem'] as const);
    const account = rng.pick(ACCOUNTS);
    const title = rng.pick(TITLES[category]).replace('{ci}', 'server').replace('{client}', account.client);
    return { title, team: rng.pick(TEAMS), account };
  });
  return {
    viewRefs: ctx.tickets.map((t) => ({ title: t.title, team: t.team, account: t.account })),
    olderRefs,
    adminRefs: ADMIN_TITLES.map((title) => ({ title, team: 'Internal', account: INTERNAL_ACCOUNT })),
  };
}

/** Number of listed tickets created before `ms` (tickets are sorted by creation time). */
function createdBefore(tickets: readonly TicketDraft[], ms: number): number {
  let lo = 0;
  let hi = tickets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tickets[mid]?.createdMs ?? Infinity) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function generateTimesheets(ctx: TimesheetContext, total: number, nowMs: number): TimesheetDraft[] {
  const { rng, workers, tickets } = ctx;
  const lastDay = perthDay(nowMs) - 1; // today's entries are not booked yet
  const firstDay = lastDay - WINDOW_DAYS + 1;
  const counts = entriesPerPersonDay(rng, workers, WINDOW_DAYS, firstDay, total);
  const pools = bookingPools(ctx);
  const drafts: TimesheetDraft[] = [];

  for (let d = 0; d < WINDOW_DAYS; d++) {
    const day = firstDay + d;
    const dayEndMs = perthInstant(day + 1, 0);
    const listed = lastDay - day < RECENT_DAYS ? createdBefore(tickets, dayEndMs) : 0;
    const approved = lastDay - day >= APPROVED_AFTER_DAYS;
    for (let p = 0; p < workers.length; p++) {
      const k = counts[d * workers.length + p] ?? 0;
      if (k === 0) continue;
      const person = workers[p] as Person;
      let t = Math.min(420 + 15 * rng.int(0, 8), LAST_START_MIN + 15 - 15 * k);
      for (let j = 0; j < k; j++) {
        // Leave room for the remaining entries (at least a quarter hour each) before midnight.
        const room = (24 * 60 - t) / 15 - (k - j - 1);
        const quarters = Math.max(1, Math.min(drawQuarters(rng.next()), room));
        const admin = rng.chance(ADMIN_SHARE);
        const fromView = !admin && listed > 0 && rng.chance(0.6);
        const ticketIndex = fromView ? rng.int(0, listed - 1) : -1;
        const endMs = perthInstant(day, t + quarters * 15);
        drafts.push({
          person,
          day,
          fromMin: t,
          quarters,
          crmId: admin
            ? null
            : fromView
              ? (tickets[ticketIndex] as TicketDraft).id
              : ticketIdAround(dayEndMs - rng.between(0, 20) * DAY_MS),
          bookedTo: admin ? rng.pick(pools.adminRefs) : fromView ? (pools.viewRefs[ticketIndex] as BookedTo) : rng.pick(pools.olderRefs),
          approved: approved && !rng.chance(0.03),
          modifiedMs: Math.floor(Math.min(nowMs - MINUTE_MS, endMs + rng.between(0, 3) * DAY_MS) / 1000) * 1000,
          style: pickInstantStyle(rng.next()),
          noise: rng.uint32(),
        });
        const slack = room - quarters;
        t += (quarters + (slack > 4 && rng.chance(0.3) ? rng.int(1, 2) : 0)) * 15;
      }
    }
  }
  return drafts;
}

/** The entry after its owner corrected the hours at `changedMs` (same key, so an update, not an insert). */
export function reviseTimesheet(d: TimesheetDraft, changedMs: number, rng: Random): TimesheetDraft {
  const delta = rng.pick([-2, -1, 1, 2, 4]);
  const quarters = d.quarters + delta >= 1 ? d.quarters + delta : d.quarters + 1;
  return { ...d, quarters, modifiedMs: Math.floor(changedMs / 1000) * 1000 };
}
