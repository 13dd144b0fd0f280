/**
 * Simulated tickets: what the tickets view returns, i.e. tickets modified in the last ~10 days
 * (created any time before that). A draft holds the facts; `ticket-fields.ts` renders the record.
 */
import { type Random, weighted } from './random.js';
import type { Person } from './people.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, pickInstantStyle, type InstantStyle } from './time-format.js';
import { ACCOUNTS, DONE_STATUSES, SEVERITIES, TEAMS, TITLES, type Account, type Category, type Status } from './vocabulary.js';

export interface ReportMonths {
  readonly current: string;
  readonly previous: string;
}

export interface TicketDraft {
  readonly id: number;
  readonly parentId: number | null;
  readonly category: Category;
  readonly team: string;
  readonly status: Status;
  readonly severity: string;
  readonly createdMs: number;
  readonly modifiedMs: number;
  readonly responseMs: number | null;
  readonly resolvedMs: number | null;
  readonly closedMs: number | null;
  readonly dueMs: number;
  /** null: unassigned (` PendingAssignment`). */
  readonly assignee: Person | null;
  readonly creator: Person;
  readonly account: Account;
  readonly ci: string;
  readonly title: string;
  readonly style: InstantStyle;
  /** Random bits from which cosmetic fields are derived when rendering. */
  readonly noise: number;
  /** `YYYY-MM` of the reference time and the month before, for the "closed this/last month" columns. */
  readonly months: ReportMonths;
}

/** The source's view reaches back ~10 days by modification time; stay just inside it. */
const MODIFIED_WITHIN_MS = 9.9 * DAY_MS;
const TICKET_ID_ORIGIN_MS = Date.UTC(2015, 0, 1);
const TICKETS_PER_DAY = 1000;

/** Ticket ids grow with creation time, as in the real system, so old tickets have small ids. */
export function ticketIdAround(ms: number): number {
  return 100_000 + Math.floor(((ms - TICKET_ID_ORIGIN_MS) / DAY_MS) * TICKETS_PER_DAY);
}

export function isDone(status: Status): boolean {
  return DONE_STATUSES.includes(status);
}

const pickCategory = weighted<Category>([
  ['Alert', 35],
  ['Incident', 25],
  ['Service Request', 25],
  ['Change', 10],
  ['Problem', 5],
]);

const STATUS_WEIGHTS: Readonly<Record<Category, (unit: number) => Status>> = {
  Alert: weighted<Status>([
    ['Closed', 45],
    ['Resolved', 20],
    ['Open', 15],
    ['In Progress', 15],
    ['Pending', 5],
  ]),
  Incident: weighted<Status>([
    ['Incident Resolved', 25],
    ['Closed', 20],
    ['In Progress', 25],
    ['Open', 15],
    ['Pending', 15],
  ]),
  'Service Request': weighted<Status>([
    ['Resolved', 25],
    ['Closed', 25],
    ['In Progress', 25],
    ['Open', 15],
    ['Pending', 10],
  ]),
  Change: weighted<Status>([
    ['Closed', 35],
    ['In Progress', 25],
    ['Pending', 20],
    ['Open', 15],
    ['Resolved', 5],
  ]),
  Problem: weighted<Status>([
    ['Open', 30],
    ['In Progress', 35],
    ['Pending', 15],
    ['Resolved', 10],
    ['Closed', 10],
  ]),
};

/** Share of tickets left unassigned, by status: mostly new ones (about 10% overall). */
const UNASSIGNED_SHARE: Readonly<Record<Status, number>> = {
  Open: 0.45,
  Pending: 0.1,
  'In Progress': 0.03,
  'Incident Resolved': 0.02,
  Resolved: 0.02,
  Closed: 0.02,
};

const SLA_HOURS: readonly number[] = [4, 8, 24, 72];

/** How long a ticket has existed before its last change: mostly days, some months. */
function lifetimeMs(rng: Random): number {
  const u = rng.next();
  if (u < 0.6) return rng.between(0.2 * HOUR_MS, 2 * DAY_MS);
  if (u < 0.9) return rng.between(2 * DAY_MS, 30 * DAY_MS);
  return rng.between(30 * DAY_MS, 365 * DAY_MS);
}

/** A host name such as `PILB-SQL07`: the customer, the role, a number. */
function configurationItem(rng: Random, account: Account): string {
  const customer = account.client
    .replace(/[^A-Za-z]/g, '')
    .slice(0, 4)
    .toUpperCase();
  const role = rng.pick(['SQL', 'WEB', 'APP', 'FS', 'DC', 'SW', 'FW']);
  return `${customer}-${role}${String(rng.int(1, 40)).padStart(2, '0')}`;
}

const seconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

export function generateTickets(rng: Random, count: number, nowMs: number, people: readonly Person[], months: ReportMonths): TicketDraft[] {
  const staff = people.filter((p) => !p.automation);
  const bot = people.find((p) => p.automation) ?? rng.pick(staff);
  const spans = Array.from({ length: count }, () => {
    const modifiedMs = seconds(nowMs - rng.between(0, MODIFIED_WITHIN_MS));
    return { modifiedMs, createdMs: seconds(modifiedMs - lifetimeMs(rng)) };
  }).sort((a, b) => a.createdMs - b.createdMs);

  const drafts: TicketDraft[] = [];
  let lastId = 0;
  for (const { createdMs, modifiedMs } of spans) {
    // Monotonic in creation time, hence unique.
    const id = Math.max(lastId + 1, ticketIdAround(createdMs) + rng.int(0, 3));
    lastId = id;
    const category = pickCategory(rng.next());
    const status = STATUS_WEIGHTS[category](rng.next());
    const severityIndex = category === 'Alert' ? rng.int(1, 3) : rng.int(0, 3);
    const assignee = rng.chance(UNASSIGNED_SHARE[status]) ? null : rng.pick(staff);
    const responseMs =
      assignee === null && status === 'Open' ? null : seconds(Math.min(modifiedMs, createdMs + rng.between(2, 240) * MINUTE_MS));
    const resolvedMs = isDone(status)
      ? seconds(Math.max(responseMs ?? createdMs, createdMs + (modifiedMs - createdMs) * rng.between(0.3, 1)))
      : null;
    const account = rng.pick(ACCOUNTS);
    const ci = configurationItem(rng, account);
    drafts.push({
      id,
      parentId: drafts.length > 0 && rng.chance(0.04) ? rng.pick(drafts).id : null,
      category,
      team: category === 'Alert' && rng.chance(0.6) ? 'NOC' : rng.pick(TEAMS),
      status,
      severity: SEVERITIES[severityIndex] ?? 'P3 - Medium',
      createdMs,
      modifiedMs,
      responseMs,
      resolvedMs,
      closedMs: status === 'Closed' ? modifiedMs : null,
      dueMs: createdMs + (SLA_HOURS[severityIndex] ?? 24) * HOUR_MS,
      assignee,
      creator: category === 'Alert' ? bot : rng.pick(staff),
      account,
      ci,
      title: rng.pick(TITLES[category]).replace('{ci}', ci).replace('{client}', account.client),
      style: pickInstantStyle(rng.next()),
      noise: rng.uint32(),
      months,
    });
  }
  return drafts;
}

const NEXT_STATUS: Readonly<Record<Status, readonly Status[]>> = {
  Open: ['In Progress', 'Pending'],
  'In Progress': ['Pending', 'Resolved', 'Closed'],
  Pending: ['In Progress', 'Resolved'],
  'Incident Resolved': ['Closed', 'In Progress'],
  Resolved: ['Closed', 'In Progress'],
  Closed: ['In Progress'], // reopened
};

/** The ticket after someone worked on it at `changedMs`: a new status, and the dates that go with it. */
export function advanceTicket(d: TicketDraft, changedMs: number, rng: Random, staff: readonly Person[]): TicketDraft {
  const picked = rng.pick(NEXT_STATUS[d.status]);
  const status: Status = picked === 'Resolved' && d.category === 'Incident' ? 'Incident Resolved' : picked;
  const modifiedMs = seconds(changedMs);
  const done = isDone(status);
  return {
    ...d,
    status,
    modifiedMs,
    assignee: d.assignee ?? (status === 'Pending' ? null : rng.pick(staff)),
    responseMs: d.responseMs ?? modifiedMs,
    resolvedMs: done ? (d.resolvedMs ?? modifiedMs) : null,
    closedMs: status === 'Closed' ? modifiedMs : null,
  };
}
