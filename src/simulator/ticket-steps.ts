/**
 * The simulator's steps (`simulate --step N`): the tickets as a service desk would have moved them N
 * times since the reference time (the local midnight starting yesterday). Step k is stamped k hours
 * after it, so the first 24 steps never lie in the future, and each step draws from its own seeded stream, so step N is the same whenever it is asked
 * for: a restart serves the same bodies, and the next step carries on from the previous one.
 */
import { Random, streamSeed, weighted } from './random.js';
import type { Person } from './people.js';
import { HOUR_MS } from './time-format.js';
import { isDone, type TicketDraft } from './tickets.js';
import { TEAMS, type Status } from './vocabulary.js';

/** Time between two steps. */
export const STEP_MS = HOUR_MS;
/** Share of the tickets someone works on in one step. */
const WORKED_SHARE = 0.12;
/** Share of the tickets opened in one step (new tickets keep the backlog moving). */
const OPENED_SHARE = 0.01;

/** Where a ticket goes next, the way a service desk works: forwards mostly, back now and then. */
const NEXT: Readonly<Record<Status, (unit: number) => Status | null>> = {
  Open: weighted<Status | null>([
    ['In Progress', 70],
    ['Pending', 20],
    ['Closed', 5],
    [null, 5],
  ]),
  'In Progress': weighted<Status | null>([
    ['Pending', 35],
    ['Resolved', 35],
    ['Closed', 15],
    [null, 15],
  ]),
  Pending: weighted<Status | null>([
    ['In Progress', 45],
    ['Resolved', 25],
    [null, 30],
  ]),
  Resolved: weighted<Status | null>([
    ['Closed', 85],
    ['In Progress', 15],
  ]),
  'Incident Resolved': weighted<Status | null>([
    ['Closed', 85],
    ['In Progress', 15],
  ]),
  // The odd reopen.
  Closed: weighted<Status | null>([
    ['In Progress', 4],
    [null, 96],
  ]),
};

/** The tickets after `steps` steps from `tickets` (the data of the day's start, step 0). */
export function stepTickets(
  tickets: readonly TicketDraft[],
  steps: number,
  options: { seed: number; dayStartMs: number; staff: readonly Person[] },
): TicketDraft[] {
  let current = tickets.slice();
  for (let step = 1; step <= steps; step++) {
    const rng = new Random(streamSeed(options.seed, `step:${step}`));
    const atMs = options.dayStartMs + step * STEP_MS;
    current = current.map((t) => (rng.chance(WORKED_SHARE) ? workOn(t, atMs, rng, options.staff) : t));
    current.push(...openTickets(current, atMs, rng, Math.max(1, Math.round(tickets.length * OPENED_SHARE))));
  }
  return current;
}

/** One touch by the desk: a new status (Resolved on an incident is Incident Resolved), maybe a reassignment. */
function workOn(d: TicketDraft, atMs: number, rng: Random, staff: readonly Person[]): TicketDraft {
  const next = NEXT[d.status](rng.next());
  const reassigned = rng.chance(0.15);
  if (next === null && !reassigned) return d;
  const status: Status = next === null ? d.status : next === 'Resolved' && d.category === 'Incident' ? 'Incident Resolved' : next;
  const assignee = reassigned || (d.assignee === null && status !== 'Open') ? rng.pick(staff) : d.assignee;
  const team = reassigned && rng.chance(0.3) ? rng.pick(TEAMS) : d.team;
  const done = isDone(status);
  return {
    ...d,
    status,
    team,
    assignee,
    modifiedMs: atMs,
    responseMs: d.responseMs ?? atMs,
    resolvedMs: done ? (d.resolvedMs ?? atMs) : null,
    closedMs: status === 'Closed' ? atMs : null,
  };
}

/** New tickets raised at `atMs`: copies of existing ones' shape (category, account) with new ids. */
function openTickets(tickets: readonly TicketDraft[], atMs: number, rng: Random, count: number): TicketDraft[] {
  let id = tickets.reduce((max, t) => Math.max(max, t.id), 0);
  return Array.from({ length: count }, () => {
    const like = rng.pick(tickets);
    id += rng.int(1, 3);
    return {
      ...like,
      id,
      parentId: null,
      status: 'Open' as const,
      createdMs: atMs,
      modifiedMs: atMs,
      responseMs: null,
      resolvedMs: null,
      closedMs: null,
      dueMs: atMs + (like.dueMs - like.createdMs),
      assignee: null,
      noise: rng.uint32(),
    };
  });
}
