import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getView, VIEW_NAMES } from '../../src/registry.js';
import { generateView } from '../../src/simulator/index.js';
import {
  NOW,
  PASSWORD,
  basicAuth,
  fetchRecords,
  fetchView,
  parseSourceInstant,
  viewUrl,
  withSimulator,
  type SourceRecord,
} from '../support/simulator-helpers.js';
import type { Simulator } from '../../src/simulator/index.js';

test('a request without credentials is refused with 401, and a wrong password gets the very same body', async () => {
  await withSimulator({}, async (sim) => {
    const missing = await fetch(viewUrl(sim, 'tickets'));
    const wrongPassword = await fetchView(sim, 'tickets', basicAuth(undefined, 'wrong'));
    const wrongUser = await fetchView(sim, 'tickets', basicAuth('someone-else', PASSWORD));
    assert.deepEqual([missing.status, wrongPassword.status, wrongUser.status], [401, 401, 401]);
    const bodies = await Promise.all([missing.text(), wrongPassword.text(), wrongUser.text()]);
    assert.equal(bodies[1], bodies[0]);
    assert.equal(bodies[2], bodies[0]);
    assert.doesNotMatch(bodies[0] ?? '', /password|user/i);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Basic/);
  });
});

test('an unknown view GUID answers 404, and so does any other path', async () => {
  await withSimulator({}, async (sim) => {
    const headers = { authorization: basicAuth() };
    const unknown = await fetch(`${sim.url}?id=00000000-0000-0000-0000-000000000000`, { headers });
    const noId = await fetch(sim.url, { headers });
    const otherPath = await fetch(new URL('/OTC/Data/View/other', sim.url), { headers });
    assert.deepEqual([unknown.status, noId.status, otherPath.status], [404, 404, 404]);
    await Promise.all([unknown.text(), noId.text(), otherPath.text()]);
  });
});

test('a method other than GET answers 405', async () => {
  await withSimulator({}, async (sim) => {
    const res = await fetch(viewUrl(sim, 'tickets'), { method: 'POST', headers: { authorization: basicAuth() } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
    await res.text();
  });
});

test('each view answers the usual envelope with its small-scale record count', async () => {
  await withSimulator({ scale: 'small' }, async (sim) => {
    const expected = { tickets: 600, comments: 500, timesheets: 8000 };
    for (const view of VIEW_NAMES) {
      const records = await fetchRecords(sim, view);
      assert.equal(records.length, expected[view], view);
    }
  });
});

test('every record carries exactly the registry fields of its view, in registry order', async () => {
  await withSimulator({}, async (sim) => {
    for (const view of VIEW_NAMES) {
      const fields = getView(view).fields.map((f) => f.api);
      const records = await fetchRecords(sim, view);
      for (const record of records) assert.deepEqual(Object.keys(record), fields);
    }
  });
});

test('the same seed and reference time give byte-identical bodies, another seed different data', async () => {
  const bodies = async (seed: number): Promise<string[]> => {
    let texts: string[] = [];
    await withSimulator({ seed }, async (sim) => {
      texts = await Promise.all(VIEW_NAMES.map(async (v) => (await fetchView(sim, v)).text()));
    });
    return texts;
  };
  const [first, again, other] = [await bodies(7), await bodies(7), await bodies(8)];
  assert.deepEqual(again, first);
  for (let i = 0; i < first.length; i++) assert.notEqual(other[i], first[i]);
});

test('the served records are exactly what generateView returns', async () => {
  await withSimulator({ seed: 3 }, async (sim) => {
    for (const view of VIEW_NAMES) {
      assert.deepEqual(await fetchRecords(sim, view), generateView(view, { seed: 3, scale: 'small', now: NOW }));
    }
  });
});

test('renderOnce serves the bodies a rendering simulator serves, before and after a mutate, and still serves faults', async () => {
  const bodies = (sim: Simulator) => Promise.all(VIEW_NAMES.map(async (v) => (await fetchView(sim, v)).text()));
  await withSimulator({ seed: 5 }, async (rendering) => {
    await withSimulator({ seed: 5, renderOnce: true }, async (once) => {
      const before = await bodies(once);
      assert.deepEqual(before, await bodies(rendering));
      rendering.mutate(0.1);
      once.mutate(0.1);
      const after = await bodies(once);
      assert.deepEqual(after, await bodies(rendering));
      for (let i = 0; i < after.length; i++) assert.notEqual(after[i], before[i], VIEW_NAMES[i]);
      once.setFaults({ views: { tickets: 'empty' } });
      assert.deepEqual(await fetchRecords(once, 'tickets'), []);
    });
  });
});

test('a person has one login, full name and user id across all three views', async () => {
  await withSimulator({}, async (sim) => {
    const [tickets, comments, timesheets] = await Promise.all([
      fetchRecords(sim, 'tickets'),
      fetchRecords(sim, 'comments'),
      fetchRecords(sim, 'timesheets'),
    ]);
    const nameByLogin = mapping(
      timesheets,
      (r) => r['TS-User Username'],
      (r) => r['TS-User Full Name'],
    );
    // The comment user id arrives as a number or a numeric string.
    const idByLogin = mapping(
      comments,
      (r) => r['TKTCT-Username'],
      (r) => Number(r['TKTCT-UserID']),
    );
    const assigned = tickets.filter((t) => t['TKT-Assigned To Userid'] !== null);
    const nameById = mapping(
      assigned,
      (r) => r['TKT-Assigned To Userid'],
      (r) => r['TKT-Assigned To User'],
    );
    let joined = 0;
    for (const [login, id] of idByLogin) {
      const viaTickets = nameById.get(id);
      const viaTimesheets = nameByLogin.get(login);
      if (viaTickets === undefined || viaTimesheets === undefined) continue;
      assert.equal(viaTickets, viaTimesheets, `${login} has one full name`);
      joined += 1;
    }
    assert.ok(joined >= 20, `most people appear in all three views (${joined})`);
    // The awkward cases the user lookup must survive are all present.
    for (const login of ['lee', 'kleeman', 'djewell', 'snguyen', 'tnguyen']) assert.ok(nameByLogin.has(login), login);
    const smiths = [...nameByLogin].filter(([, name]) => name === 'Chris Smith');
    assert.equal(smiths.length, 2, 'two people share the full name Chris Smith');
  });
});

/** key → value over records, asserting that each key always maps to the same value. */
function mapping(records: SourceRecord[], keyOf: (r: SourceRecord) => unknown, valueOfRecord: (r: SourceRecord) => unknown) {
  const map = new Map<unknown, unknown>();
  for (const r of records) {
    const [key, value] = [keyOf(r), valueOfRecord(r)];
    assert.ok(!map.has(key) || map.get(key) === value, `${String(key)} maps to one value`);
    map.set(key, value);
  }
  return map;
}

test('mutate moves tickets on and revises timesheet hours with later modified times, and adds comments', async () => {
  await withSimulator({}, async (sim) => {
    const before = await Promise.all(VIEW_NAMES.map((v) => fetchRecords(sim, v)));
    sim.mutate(0.1);
    const after = await Promise.all(VIEW_NAMES.map((v) => fetchRecords(sim, v)));
    const [commentsBefore, timesheetsBefore, ticketsBefore] = before as [SourceRecord[], SourceRecord[], SourceRecord[]];
    const [commentsAfter, timesheetsAfter, ticketsAfter] = after as [SourceRecord[], SourceRecord[], SourceRecord[]];

    assert.equal(ticketsAfter.length, ticketsBefore.length);
    const changedTickets = ticketsAfter.filter((t, i) => t['TKT-Modified Time'] !== ticketsBefore[i]?.['TKT-Modified Time']);
    assert.equal(changedTickets.length, 60);
    for (const t of changedTickets) {
      const old = ticketsBefore.find((b) => b['TKT-Ticket ID'] === t['TKT-Ticket ID']);
      assert.ok(old, 'same ticket id');
      assert.notEqual(t['TKT-Status'], old['TKT-Status']);
      assert.ok(parseSourceInstant(t['TKT-Modified Time']) > parseSourceInstant(old['TKT-Modified Time']));
    }

    assert.equal(timesheetsAfter.length, timesheetsBefore.length);
    const revised = timesheetsAfter.filter((t, i) => t['TS-Hours'] !== timesheetsBefore[i]?.['TS-Hours']);
    assert.equal(revised.length, 800);
    const newest = Math.max(...timesheetsBefore.map((t) => parseSourceInstant(t['TS-Modified Time'])));
    for (const t of revised) assert.ok(parseSourceInstant(t['TS-Modified Time']) > newest);

    const oldIds = new Set(commentsBefore.map((c) => c['TKTCT-CommentID']));
    const added = commentsAfter.filter((c) => !oldIds.has(c['TKTCT-CommentID']));
    assert.equal(added.length, 50);
    assert.equal(commentsAfter.length, commentsBefore.length + 50);
  });
});

test('every request is recorded with its view and status', async () => {
  await withSimulator({}, async (sim) => {
    await (await fetchView(sim, 'comments')).text();
    await (await fetchView(sim, 'tickets', basicAuth(undefined, 'nope'))).text();
    await (await fetch(`${sim.url}?id=unknown`, { headers: { authorization: basicAuth() } })).text();
    assert.deepEqual(
      sim.requests.map((r) => [r.view, r.status]),
      [
        ['comments', 200],
        ['tickets', 401],
        [null, 404],
      ],
    );
    assert.ok(sim.requests.every((r) => typeof r.at === 'number' && r.at > 0));
  });
});

test('a client that disconnects mid-body does not stop the next request from being answered', async () => {
  await withSimulator({ scale: 0.2 }, async (sim) => {
    const abort = new AbortController();
    const res = await fetch(viewUrl(sim, 'timesheets'), {
      headers: { authorization: basicAuth() },
      signal: abort.signal,
    });
    assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'the body is streamed, not sent in one piece');
    const reader = res.body?.getReader();
    await reader?.read();
    abort.abort();
    await assert.rejects(async () => reader?.read());
    assert.equal((await fetchRecords(sim, 'comments')).length, 1600);
  });
});
