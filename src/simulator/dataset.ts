/**
 * The simulator's source data: drafts per view, generated lazily and deterministically from
 * (seed, scale, now, step), rendered to records on demand, and advanced by `mutate` the way the real
 * source changes between two calls.
 */
import { ConfigError } from '../errors.js';
import { VIEW_NAMES, type ViewName } from '../registry.js';
import { advanceTicket, generateTickets, type TicketDraft } from './tickets.js';
import { draftComment, generateComments, type CommentContext, type CommentDraft } from './comments.js';
import { generateTimesheets, reviseTimesheet, type TimesheetDraft } from './timesheets.js';
import { renderTicket } from './ticket-fields.js';
import { renderComment } from './comments.js';
import { renderTimesheet } from './timesheet-fields.js';
import { peopleFor, type Person } from './people.js';
import { Random, streamSeed } from './random.js';
import { countsFor, multiplierOf, type Scale } from './scale.js';
import { MINUTE_MS, formatMonth } from './time-format.js';
import { STEP_MS, stepTickets } from './ticket-steps.js';

export interface DatasetOptions {
  readonly seed: number;
  readonly scale: Scale | number;
  readonly now: Date;
  /**
   * Whether mutations are stamped with the wall clock (a long-running `simulate`) rather than with
   * `now` plus one minute per mutation (deterministic, for tests).
   */
  readonly live?: boolean;
  /**
   * How many steps the tickets have moved since `now` (`simulate --step`), one hour apart; default 0.
   * Comments and timesheets do not depend on it.
   */
  readonly step?: number;
}

/** One view's records as they were when a request started: later mutations do not leak into it. */
export interface Snapshot {
  readonly count: number;
  record(index: number): Record<string, unknown>;
}

function snapshotOf<D>(drafts: readonly D[], render: (d: D) => Record<string, unknown>): Snapshot {
  return { count: drafts.length, record: (i) => render(drafts[i] as D) };
}

/**
 * How the simulator makes each view's records: one entry per view of the registry. A view missing here
 * is refused when a dataset is made, never answered with another view's records.
 */
const SIMULATED: Readonly<Record<ViewName, (data: Dataset) => Snapshot>> = {
  comments: (data) => snapshotOf(data.commentDrafts(), renderComment),
  timesheets: (data) => snapshotOf(data.timesheetDrafts(), renderTimesheet),
  tickets: (data) => snapshotOf(data.ticketDrafts(), renderTicket),
};

/** Throws, naming them, when the registry holds views the simulator cannot make. */
export function requireSimulatedViews(): void {
  const missing = VIEW_NAMES.filter((view) => !Object.hasOwn(SIMULATED, view));
  if (missing.length === 0) return;
  throw new ConfigError(
    `the simulator cannot make the ${missing.join(', ')} view: add its generator to SIMULATED in src/simulator/dataset.ts ` +
      '(docs/adding-a-view.md), or use a fixture server for it.',
  );
}

export class Dataset {
  private readonly nowMs: number;
  private readonly people: readonly Person[];
  private readonly staff: readonly Person[];
  private baseTickets?: TicketDraft[];
  private tickets?: TicketDraft[];
  private comments?: CommentDraft[];
  private timesheets?: TimesheetDraft[];
  private changeClockMs: number;
  private mutations = 0;

  constructor(private readonly opts: DatasetOptions) {
    requireSimulatedViews();
    this.nowMs = opts.now.getTime();
    if (!Number.isFinite(this.nowMs)) throw new RangeError('simulator `now` is not a valid date');
    this.people = peopleFor(multiplierOf(opts.scale));
    this.staff = this.people.filter((p) => !p.automation);
    const step = opts.step ?? 0;
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`simulator step must be a non-negative integer, got ${String(step)}`);
    // Mutations come after every step's changes.
    this.changeClockMs = this.nowMs + step * STEP_MS;
  }

  /** Generate every view now, so the first request is not slowed by generation. */
  prepare(): void {
    for (const view of VIEW_NAMES) this.snapshot(view);
  }

  snapshot(view: ViewName): Snapshot {
    // Mutations replace arrays instead of editing them, so holding the array is a consistent snapshot.
    if (!Object.hasOwn(SIMULATED, view)) throw new ConfigError(`the simulator has no view ${view}`);
    return SIMULATED[view](this);
  }

  /** How many times the data has been advanced by `mutate`: bodies of one version are the same. */
  get version(): number {
    return this.mutations;
  }

  /** An instant later than every cursor in the data (for records repeated with a newer version). */
  laterThanAll(): number {
    return this.changeClockMs + MINUTE_MS;
  }

  /**
   * Advance the data: `share` of tickets get a new status and of timesheets new hours, both with a
   * later modified time, and new comments are written (`share` of the comment count, at least one).
   */
  mutate(share: number): void {
    if (!(share >= 0 && share <= 1)) throw new RangeError(`mutate share must be within [0, 1], got ${share}`);
    const previousMs = this.changeClockMs;
    const stepped = previousMs + MINUTE_MS;
    this.changeClockMs = this.opts.live ? Math.max(stepped, Date.now()) : stepped;
    const changedMs = this.changeClockMs;
    const rng = new Random(streamSeed(this.opts.seed, `mutate:${++this.mutations}`));

    const tickets = this.ticketDrafts().slice();
    for (const i of sample(rng, tickets.length, share)) {
      tickets[i] = advanceTicket(tickets[i] as TicketDraft, changedMs, rng, this.staff);
    }
    const timesheets = this.timesheetDrafts().slice();
    for (const i of sample(rng, timesheets.length, share)) {
      timesheets[i] = reviseTimesheet(timesheets[i] as TimesheetDraft, changedMs, rng);
    }
    const comments = this.commentDrafts().slice();
    const added = share === 0 ? 0 : Math.max(1, Math.round(comments.length * share));
    const ctx = this.commentContext(rng, tickets);
    const freshFromMs = Math.max(previousMs, changedMs - 30 * MINUTE_MS);
    let id = comments.reduce((max, c) => Math.max(max, c.id), 0);
    const fresh = Array.from({ length: added }, () => draftComment(ctx, (id += rng.int(1, 3)), freshFromMs, changedMs));
    this.tickets = tickets;
    this.timesheets = timesheets;
    this.comments = [...comments, ...fresh.sort((a, b) => a.createdMs - b.createdMs)];
  }

  /** @internal for SIMULATED */
  ticketDrafts(): TicketDraft[] {
    if (this.tickets) return this.tickets;
    const step = this.opts.step ?? 0;
    const base = this.stepZeroTickets();
    this.tickets = step === 0 ? base : stepTickets(base, step, { seed: this.opts.seed, dayStartMs: this.nowMs, staff: this.staff });
    return this.tickets;
  }

  /** The tickets at step 0: comments and timesheets are made from these, so a step never changes them. */
  private stepZeroTickets(): TicketDraft[] {
    if (this.baseTickets) return this.baseTickets;
    const rng = new Random(streamSeed(this.opts.seed, 'tickets'));
    const month = new Date(this.nowMs);
    const previous = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1) - 20 * 24 * 3_600_000;
    const months = { current: formatMonth(this.nowMs), previous: formatMonth(previous) };
    this.baseTickets = generateTickets(rng, countsFor(this.opts.scale).tickets, this.nowMs, this.people, months);
    return this.baseTickets;
  }

  /** @internal for SIMULATED */
  commentDrafts(): CommentDraft[] {
    if (this.comments) return this.comments;
    const rng = new Random(streamSeed(this.opts.seed, 'comments'));
    const ctx = this.commentContext(rng, this.stepZeroTickets());
    this.comments = generateComments(ctx, countsFor(this.opts.scale).comments, this.nowMs);
    return this.comments;
  }

  /** @internal for SIMULATED */
  timesheetDrafts(): TimesheetDraft[] {
    if (this.timesheets) return this.timesheets;
    const rng = new Random(streamSeed(this.opts.seed, 'timesheets'));
    const ctx = { rng, tickets: this.stepZeroTickets(), workers: this.staff };
    this.timesheets = generateTimesheets(ctx, countsFor(this.opts.scale).timesheets, this.nowMs);
    return this.timesheets;
  }

  private commentContext(rng: Random, tickets: readonly TicketDraft[]): CommentContext {
    const bot = this.people.find((p) => p.automation) ?? (this.staff[0] as Person);
    return { rng, tickets, ticketIds: new Set(tickets.map((t) => t.id)), staff: this.staff, bot };
  }
}

/** `share` of the indexes 0..length-1, distinct, in random order (partial Fisher–Yates). */
function sample(rng: Random, length: number, share: number): number[] {
  const n = Math.round(length * share);
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  const picked: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = rng.int(i, length - 1);
    const chosen = order[j] as number;
    order[j] = order[i] as number;
    order[i] = chosen;
    picked.push(chosen);
  }
  return picked;
}
