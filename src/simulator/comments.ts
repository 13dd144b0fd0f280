/**
 * Simulated comments: what the comments view returns, i.e. comments written in the last 10 days.
 * Most belong to tickets in the tickets view; some belong to older tickets that have left it, which
 * is how orphans appear in the copy.
 */
import { getView } from '../registry.js';
import { bits, pickBy, type Random } from './random.js';
import type { Person } from './people.js';
import { compileRender, type Filler, type Render } from './record-plan.js';
import { ticketIdAround, type TicketDraft } from './tickets.js';
import { DAY_MS, MINUTE_MS, formatInstant, pickInstantStyle, type InstantStyle } from './time-format.js';
import { AUTOMATION_TEXTS, COMMENT_TEXTS, TEAMS } from './vocabulary.js';

export interface CommentDraft {
  readonly id: number;
  readonly ticketId: number;
  readonly team: string;
  readonly author: Person;
  readonly createdMs: number;
  readonly type: 'comments' | 'worknotes';
  readonly visible: boolean;
  readonly style: InstantStyle;
  readonly noise: number;
}

/** Stay a minute inside the source's 10-day window, so a comment cannot fall out of it mid-test. */
const WINDOW_MS = 10 * DAY_MS - MINUTE_MS;
const AUTOMATION_SHARE = 0.3;
const OLDER_TICKET_SHARE = 0.15;

export interface CommentContext {
  readonly rng: Random;
  readonly tickets: readonly TicketDraft[];
  readonly ticketIds: ReadonlySet<number>;
  readonly staff: readonly Person[];
  readonly bot: Person;
}

const seconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** A ticket id from months ago that is not in the tickets view. */
function olderTicketId(ctx: CommentContext, nowMs: number): number {
  let id = ticketIdAround(nowMs - ctx.rng.between(15, 400) * DAY_MS);
  while (ctx.ticketIds.has(id)) id -= 1;
  return id;
}

/** One comment written between `fromMs` and `toMs` (clamped to its ticket's life). */
export function draftComment(ctx: CommentContext, id: number, fromMs: number, toMs: number): CommentDraft {
  const { rng } = ctx;
  const ticket = ctx.tickets.length > 0 && !rng.chance(OLDER_TICKET_SHARE) ? rng.pick(ctx.tickets) : null;
  // A comment on a listed ticket is written while the ticket exists and no later than its last change.
  const lo = ticket ? Math.max(ticket.createdMs, fromMs) : fromMs;
  const hi = ticket ? Math.max(lo, Math.min(ticket.modifiedMs, toMs)) : toMs;
  const automated = rng.chance(AUTOMATION_SHARE);
  const author = automated ? ctx.bot : ticket?.assignee && rng.chance(0.6) ? ticket.assignee : rng.pick(ctx.staff);
  const type = rng.chance(automated ? 0.5 : 0.55) ? 'comments' : 'worknotes';
  return {
    id,
    ticketId: ticket ? ticket.id : olderTicketId(ctx, toMs),
    team: ticket ? ticket.team : rng.pick(TEAMS),
    author,
    createdMs: seconds(rng.between(lo, hi)),
    type,
    visible: type === 'comments' ? rng.chance(0.85) : rng.chance(0.03),
    style: pickInstantStyle(rng.next()),
    noise: rng.uint32(),
  };
}

export function generateComments(ctx: CommentContext, count: number, nowMs: number): CommentDraft[] {
  const drafts = Array.from({ length: count }, () => draftComment(ctx, 0, nowMs - WINDOW_MS, nowMs));
  drafts.sort((a, b) => a.createdMs - b.createdMs);
  // Ids grow with creation time, as the source's sequence does.
  let id = 2_000_000 + Math.floor((nowMs - Date.UTC(2015, 0, 1)) / (10 * MINUTE_MS));
  return drafts.map((d) => ({ ...d, id: (id += ctx.rng.int(1, 3)) }));
}

const FILLERS: Record<string, Filler<CommentDraft>> = {
  'TKTCT-CommentID': (d) => d.id,
  'TKTCT-TicketID': (d) => d.ticketId,
  'TKTCT-Comment': (d) =>
    d.author.automation
      ? pickBy(AUTOMATION_TEXTS, d.noise)
      : pickBy(COMMENT_TEXTS, d.noise).replace('{n}', String(700_000 + bits(d.noise, 8, 16))),
  // The source sends the user id sometimes as a number, sometimes as a numeric string.
  'TKTCT-UserID': (d) => (bits(d.noise, 4, 2) === 0 ? String(d.author.userId) : d.author.userId),
  'TKTCT-Username': (d) => d.author.login,
  'TKTCT-OwnerType': (d) => (d.author.automation ? 'System' : 'Agent'),
  'TKTCT-Created Time': (d) => formatInstant(d.createdMs, d.style),
  'TKTCT-VisibleCustomer': (d) => (d.visible ? 'Yes' : 'No'),
  'TKTCT-Type': (d) => d.type,
  'TKTCT-Team': (d) => d.team,
};

export const renderComment: Render<CommentDraft> = compileRender(getView('comments'), FILLERS);
