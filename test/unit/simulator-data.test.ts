import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateView, peopleFor } from '../../src/simulator/index.js';

const NOW = new Date('2025-03-15T03:00:00Z');
const DAY_MS = 86_400_000;
const OPTS = { seed: 1, scale: 'small', now: NOW } as const;
const tickets = generateView('tickets', OPTS);
const comments = generateView('comments', OPTS);
const timesheets = generateView('timesheets', OPTS);

/** Day-first or ISO; naive values are Perth time (UTC+8). */
function instant(value: unknown): number {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(value));
  if (m) return Date.UTC(+m[3]!, +m[2]! - 1, +m[1]!, +m[4]!, +m[5]!, +(m[6] ?? 0)) - 8 * 3_600_000;
  const text = String(value);
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text.replace(' ', 'T')}+08:00`);
}

function share<T>(items: T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length / items.length;
}

test('tickets were modified in the ten days before now and created before they were modified', () => {
  for (const t of tickets) {
    const modified = instant(t['TKT-Modified Time']);
    assert.ok(modified <= NOW.getTime() && modified > NOW.getTime() - 10 * DAY_MS, String(t['TKT-Modified Time']));
    assert.ok(instant(t['TKT-Created Time']) <= modified);
  }
});

test('ticket dates mix day-first strings, with days past the 12th, and ISO strings', () => {
  const created = tickets.map((t) => String(t['TKT-Created Time']));
  assert.ok(created.some((v) => /^(1[3-9]|2\d|3[01])\/\d{2}\/\d{4} /.test(v)));
  assert.ok(created.some((v) => /^\d{4}-\d{2}-\d{2}T/.test(v)));
  assert.ok(created.every((v) => Number.isFinite(instant(v))));
});

test('about one ticket in ten is unassigned, spelled with a leading space and a null user id', () => {
  const unassigned = tickets.filter((t) => t['TKT-Assigned To User'] === ' PendingAssignment');
  assert.ok(unassigned.length / tickets.length > 0.06 && unassigned.length / tickets.length < 0.15);
  assert.ok(unassigned.every((t) => t['TKT-Assigned To Userid'] === null));
});

test('tickets use the source’s categories, queues and statuses, and only changes carry change fields', () => {
  const values = (field: string) => new Set(tickets.map((t) => t[field]));
  assert.deepEqual([...values('TKT-Category')].sort(), ['Alert', 'Change', 'Incident', 'Problem', 'Service Request']);
  assert.deepEqual([...values('TKT-Status')].sort(), ['Closed', 'In Progress', 'Incident Resolved', 'Open', 'Pending', 'Resolved']);
  for (const team of ['Cloud - Infrastructure', 'NOC', 'Service Desk', 'Network', 'Security']) assert.ok(values('TKT-Team').has(team));
  for (const t of tickets) {
    const isChange = t['TKT-Category'] === 'Change';
    assert.equal(t['Chg-Planned Start Date'] !== '', isChange);
    assert.equal(t['Chg-Type'] !== '', isChange);
  }
  assert.equal(new Set(tickets.map((t) => t['TKT-Ticket ID'])).size, tickets.length, 'ticket ids are unique');
});

test('comments were written in the last ten days, some on tickets that have left the tickets view', () => {
  const listed = new Set(tickets.map((t) => t['TKT-Ticket ID']));
  for (const c of comments) {
    const created = instant(c['TKTCT-Created Time']);
    assert.ok(created <= NOW.getTime() && created > NOW.getTime() - 10 * DAY_MS);
    assert.ok(['Yes', 'No'].includes(String(c['TKTCT-VisibleCustomer'])));
    assert.ok(['comments', 'worknotes'].includes(String(c['TKTCT-Type'])));
  }
  const orphans = share(comments, (c) => !listed.has(c['TKTCT-TicketID']));
  assert.ok(orphans > 0.05 && orphans < 0.3, `orphan share ${orphans}`);
  assert.ok(comments.some((c) => typeof c['TKTCT-UserID'] === 'number'));
  assert.ok(comments.some((c) => typeof c['TKTCT-UserID'] === 'string' && /^\d+$/.test(c['TKTCT-UserID'])));
  assert.ok(share(comments, (c) => c['TKTCT-Username'] === 'brian') > 0.2, 'brian writes many comments');
  assert.ok(!timesheets.some((t) => t['TS-User Username'] === 'brian'), 'the automation account books no time');
});

/** The natural key as the product normalises it: day-first date, HH:MM, ticket id as text. */
function naturalKey(t: Record<string, unknown>): string {
  const [d, m, y] = String(t['TS-Date']).split('/');
  const from = t['TS-Time From'];
  const clock =
    typeof from === 'number'
      ? `${String(Math.floor(from / 100)).padStart(2, '0')}:${String(from % 100).padStart(2, '0')}`
      : String(from).padStart(5, '0');
  return [t['TS-User Username'], `${y}-${m?.padStart(2, '0')}-${d?.padStart(2, '0')}`, clock, String(t['TS-Crm ID'])].join('|');
}

test('timesheet natural keys are unique within a payload, also after normalising their shapes', () => {
  assert.equal(new Set(timesheets.map(naturalKey)).size, timesheets.length);
  assert.equal(new Set(generateView('timesheets', { ...OPTS, scale: 'full' }).map(naturalKey)).size, 150_000);
});

test('timesheets mix the value shapes the parser must handle', () => {
  const from = timesheets.map((t) => t['TS-Time From']);
  assert.ok(share(from, (v) => typeof v === 'string' && /^\d{2}:\d{2}$/.test(v)) > 0.7, 'mostly 09:00');
  assert.ok(
    from.some((v) => typeof v === 'number'),
    'some 900',
  );
  assert.ok(
    from.some((v) => typeof v === 'string' && /^\d:\d{2}$/.test(v)),
    'some 9:00',
  );
  const hours = timesheets.map((t) => t['TS-Hours']);
  assert.ok(hours.some((v) => typeof v === 'number') && hours.some((v) => typeof v === 'string' && v.includes(',')));
  const admin = share(timesheets, (t) => t['TS-Crm ID'] === '');
  assert.ok(admin > 0.05 && admin < 0.11, `admin share ${admin}`);
  const bools = new Set(timesheets.flatMap((t) => [t['TS-Billable'], t['TS-Approved']]));
  assert.deepEqual([...bools].sort(), ['No', 'Yes', 'false', 'true']);
  const oldest = NOW.getTime() - 548 * DAY_MS;
  for (const t of timesheets) {
    const [d, m, y] = String(t['TS-Date']).split('/').map(Number);
    const day = Date.UTC(y!, m! - 1, d);
    assert.ok(day >= oldest && day < NOW.getTime(), String(t['TS-Date']));
  }
});

test('a numeric scale multiplies full, and anything else is refused', () => {
  assert.equal(generateView('tickets', { ...OPTS, scale: 0.1 }).length, 900);
  assert.equal(generateView('comments', { ...OPTS, scale: 0.1 }).length, 800);
  assert.throws(() => generateView('tickets', { ...OPTS, scale: -1 }), RangeError);
  assert.throws(() => generateView('tickets', { ...OPTS, scale: 'huge' as 'full' }), RangeError);
});

test('above full scale the staff grows, and every login stays unique', () => {
  assert.equal(peopleFor(1).length, 40);
  const grown = peopleFor(4);
  assert.equal(grown.length, 160);
  assert.equal(new Set(grown.map((p) => p.login)).size, 160);
  assert.equal(new Set(grown.map((p) => p.userId)).size, 160);
});
