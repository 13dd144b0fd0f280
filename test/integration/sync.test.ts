import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { comment, ticket, timesheet } from '../support/records.js';

for (const kind of DATABASE_KINDS) {
  describe(`sync into the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    // These tests send deliberately small payloads; the volume guard has its own tests.
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });

    useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s), {}, { migrated: true });

    test('a first load inserts every record and the counts add up', async () => {
      otc.set('tickets', [ticket(1), ticket(2), ticket(3)]);
      otc.set('comments', [comment(10, 1), comment(11, 1, { 'TKTCT-VisibleCustomer': 'No' }), comment(12, 2)]);
      otc.set('timesheets', [timesheet(), timesheet({ 'TS-Crm ID': '', 'TS-Time From': '13:00' })]);
      const result = await syncOnce(db, config());
      assert.deepEqual(outcome(result, 'tickets').counts, {
        fetched: 3,
        inserted: 3,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
      });
      assert.equal(outcome(result, 'comments').counts.inserted, 3);
      assert.equal(outcome(result, 'timesheets').counts.inserted, 2);
      const meta = await rows<{ view_name: string; load_status: string; records_inserted: number }>(
        db,
        'SELECT view_name, load_status, records_inserted FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id',
        [result.runId],
      );
      assert.deepEqual(
        meta.map((m) => [m.view_name, m.load_status, Number(m.records_inserted)]),
        [
          ['comments', 'success', 3],
          ['timesheets', 'success', 2],
          ['tickets', 'success', 3],
        ],
      );
    });

    test('values are typed by the shared parser: day-first dates in OTC_TIMEZONE, comma decimals, booleans', async () => {
      const [ts] = await rows<Record<string, unknown>>(
        db,
        `SELECT "TS-Date"::text AS d, "TS-Hours"::text AS h, "TS-Billable" AS b, "TS-Crm ID" AS crm,
                to_char("TS-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS m
         FROM servicedesk.timesheets WHERE "TS-Time From" = '09:00'`,
      );
      assert.deepEqual(ts, { d: '2025-01-07', h: '2.5', b: true, crm: 1001, m: '2025-01-07 04:00' });
      const [t] = await rows<{ m: string }>(
        db,
        `SELECT to_char("TKT-Modified Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS m FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 1`,
      );
      assert.equal(t!.m, '2025-01-07 01:05');
    });

    test('an identical re-run reports every record unchanged and rewrites nothing', async () => {
      const before = await rows<{ x: string }>(
        db,
        `SELECT string_agg(xmin::text, ',' ORDER BY "TKT-Ticket ID") AS x FROM servicedesk.tickets`,
      );
      const result = await syncOnce(db, config());
      for (const view of ['tickets', 'comments', 'timesheets'] as const) {
        const c = outcome(result, view).counts;
        assert.equal(c.inserted + c.updated, 0, `${view} wrote rows`);
        assert.equal(c.unchanged, c.fetched);
      }
      const afterRun = await rows<{ x: string }>(
        db,
        `SELECT string_agg(xmin::text, ',' ORDER BY "TKT-Ticket ID") AS x FROM servicedesk.tickets`,
      );
      assert.equal(afterRun[0]!.x, before[0]!.x);
    });

    test('an empty TS-Crm ID is part of the key and does not duplicate on re-run', async () => {
      const [r] = await rows<{ n: number; admin: number }>(
        db,
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE "TS-Crm ID" IS NULL)::int AS admin FROM servicedesk.timesheets`,
      );
      assert.deepEqual(r, { n: 2, admin: 1 });
      const [dup] = await rows<{ d: number }>(
        db,
        `SELECT (COUNT(*) - COUNT(DISTINCT ("TS-User Username","TS-Date","TS-Time From","TS-Crm ID")))::int AS d FROM servicedesk.timesheets`,
      );
      assert.equal(dup!.d, 0);
    });

    test('a changed record is updated and its source record shows the new value', async () => {
      otc.set('tickets', [ticket(1, { 'TKT-Status': 'Closed', 'TKT-Modified Time': '08/01/2025 09:00' }), ticket(2), ticket(3)]);
      const result = await syncOnce(db, config(), ['tickets']);
      assert.deepEqual([outcome(result, 'tickets').counts.updated, outcome(result, 'tickets').counts.unchanged], [1, 2]);
      const [t] = await rows<{ s: string; raw: string; last: string }>(
        db,
        `SELECT "TKT-Status" AS s, servicedesk.record_of(t)->>'TKT-Status' AS raw, _last_run_id AS last FROM servicedesk.tickets t WHERE "TKT-Ticket ID" = 1`,
      );
      assert.deepEqual(t, { s: 'Closed', raw: 'Closed', last: result.runId });
    });

    test('a stale record never overwrites a newer stored one', async () => {
      otc.set('tickets', [ticket(1, { 'TKT-Status': 'Open', 'TKT-Modified Time': '07/01/2025 09:05' })]);
      const result = await syncOnce(db, config(), ['tickets']);
      assert.equal(outcome(result, 'tickets').counts.unchanged, 1);
      const [t] = await rows<{ s: string }>(db, `SELECT "TKT-Status" AS s FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 1`);
      assert.equal(t!.s, 'Closed');
    });

    test('a field absent from the payload keeps its stored value; a present empty one becomes NULL', async () => {
      const absent = ticket(2, { 'TKT-Modified Time': '09/01/2025 09:00', 'TKT-Title': '' });
      delete absent['TKT-Team'];
      otc.set('tickets', [absent]);
      await syncOnce(db, config(), ['tickets']);
      const [t] = await rows<{ team: string; title: string | null; raw_team: string }>(
        db,
        `SELECT "TKT-Team" AS team, "TKT-Title" AS title, servicedesk.record_of(t)->>'TKT-Team' AS raw_team FROM servicedesk.tickets t WHERE "TKT-Ticket ID" = 2`,
      );
      assert.deepEqual(t, { team: 'NOC', title: null, raw_team: 'NOC' });
    });

    test("a ticket's created time, once stored, is kept", async () => {
      otc.set('tickets', [ticket(3, { 'TKT-Created Time': '05/01/2025 08:00', 'TKT-Modified Time': '10/01/2025 09:00' })]);
      await syncOnce(db, config(), ['tickets']);
      const [t] = await rows<{ c: string }>(
        db,
        `SELECT to_char("TKT-Created Time" AT TIME ZONE 'Australia/Perth', 'DD/MM/YYYY HH24:MI') AS c FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 3`,
      );
      assert.equal(t!.c, '02/01/2025 08:00');
    });

    test('the same key twice in one payload: the later cursor wins and the copy counts as a duplicate', async () => {
      otc.set('timesheets', [
        timesheet({ 'TS-Hours': 3, 'TS-Modified Time': '07/01/2025 15:00' }),
        timesheet({ 'TS-Hours': 1, 'TS-Modified Time': '07/01/2025 13:00' }),
        timesheet({ 'TS-Crm ID': '', 'TS-Time From': '13:00' }),
      ]);
      const result = await syncOnce(db, config(), ['timesheets']);
      const c = outcome(result, 'timesheets').counts;
      assert.deepEqual([c.fetched, c.duplicates, c.updated, c.unchanged], [3, 1, 1, 1]);
      const [t] = await rows<{ h: string }>(db, `SELECT "TS-Hours"::text AS h FROM servicedesk.timesheets WHERE "TS-Crm ID" = 1001`);
      assert.equal(t!.h, '3');
    });

    test('a bad record is quarantined with its reason while the rest load, and bad values are kept as NULL', async () => {
      otc.set('comments', [
        comment(20, 1),
        comment(21, 1, { 'TKTCT-Created Time': '31/02/2025 10:00' }),
        { 'TKTCT-CommentID': 'not-a-number', 'TKTCT-Comment': 'x' },
        ...Array.from({ length: 30 }, (_, i) => comment(100 + i, 2)),
      ]);
      const result = await syncOnce(db, config(), ['comments']);
      const o = outcome(result, 'comments');
      assert.equal(o.status, 'partial');
      assert.deepEqual([o.counts.fetched, o.counts.rejected, o.counts.valueErrors, o.counts.inserted], [33, 1, 1, 32]);
      const rejects = await rows<{ kind: string; position: number; reason: string; raw: string }>(
        db,
        `SELECT kind, position, reason, raw_record->>'TKTCT-CommentID' AS raw FROM servicedesk.load_rejects WHERE run_id = $1 ORDER BY position`,
        [result.runId],
      );
      assert.deepEqual(
        rejects.map((r) => [r.kind, Number(r.position), r.raw]),
        [
          ['value', 2, '21'],
          ['record', 3, 'not-a-number'],
        ],
      );
      assert.match(rejects[1]!.reason, /TKTCT-CommentID/);
      const [c] = await rows<{ t: string | null; raw: string }>(
        db,
        `SELECT created_time AS t, _raw->>'TKTCT-Created Time' AS raw FROM servicedesk.comments WHERE comment_id = 21`,
      );
      assert.deepEqual(c, { t: null, raw: '31/02/2025 10:00' });
    });

    test('a view whose reject rate passes the threshold fails, rolls back, and is recorded with its error', async () => {
      otc.set('tickets', [ticket(50), { 'TKT-Title': 'no id' }, { 'TKT-Ticket ID': 'x' }]);
      otc.set('comments', [comment(20, 1)]);
      const result = await syncOnce(db, config(), ['tickets', 'comments']);
      const o = outcome(result, 'tickets');
      assert.equal(o.status, 'failed');
      assert.match(o.error ?? '', /OTC_MAX_REJECT_RATE/);
      assert.equal(o.counts.inserted, 0);
      assert.equal(outcome(result, 'comments').status, 'success');
      const [t] = await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 50`);
      assert.equal(t!.n, 0);
      const [m] = await rows<{ s: string; e: string; rej: number }>(
        db,
        `SELECT load_status AS s, error_message AS e, records_errors AS rej FROM servicedesk.etl_metadata WHERE run_id = $1 AND view_name = 'tickets'`,
        [result.runId],
      );
      assert.equal(m!.s, 'failed');
      assert.equal(Number(m!.rej), 2);
      const [r] = await rows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM servicedesk.load_rejects WHERE run_id = $1 AND view_name = 'tickets'`,
        [result.runId],
      );
      assert.equal(r!.n, 2, 'rejects are kept although the load rolled back');
    });

    test('columns other tools own are never written', async () => {
      await db.exec(`ALTER TABLE servicedesk.tickets ADD COLUMN support_tier text`);
      await db.exec(`UPDATE servicedesk.tickets SET support_tier = 'gold' WHERE "TKT-Ticket ID" = 2`);
      otc.set('tickets', [ticket(2, { 'TKT-Status': 'Pending', 'TKT-Modified Time': '11/01/2025 09:00' })]);
      await syncOnce(db, config(), ['tickets']);
      const [t] = await rows<{ tier: string; s: string }>(
        db,
        `SELECT support_tier AS tier, "TKT-Status" AS s FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 2`,
      );
      assert.deepEqual(t, { tier: 'gold', s: 'Pending' });
    });

    test('v_data_freshness has three rows and the FCR query counts API-loaded comments', async () => {
      const fresh = await rows<{ view_name: string; is_stale: boolean; total_records: number }>(
        db,
        'SELECT view_name, is_stale, total_records FROM servicedesk.v_data_freshness',
      );
      assert.deepEqual(
        fresh.map((f) => [f.view_name, f.is_stale]),
        [
          ['comments', false],
          ['timesheets', false],
          ['tickets', false],
        ],
      );
      assert.ok(fresh.every((f) => Number(f.total_records) > 0));
      const [fcr] = await rows<{ visible: number }>(
        db,
        `SELECT count(*)::int AS visible FROM servicedesk.comments WHERE ticket_id = 1 AND visible_to_customer = 'Yes'`,
      );
      assert.equal(fcr!.visible, 3);
      const orphans = await rows<{ source: string; count: number }>(db, 'SELECT source, count FROM servicedesk.v_orphaned_data');
      assert.deepEqual(
        orphans.map((o) => o.source),
        ['comments', 'timesheets'],
      );
    });
  });
}
