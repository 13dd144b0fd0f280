import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { applyMigrations } from '../../src/load/migrate.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { fileOutcome, importOnce, writeJson } from '../support/import-harness.js';
import { LEGACY_ROWS, legacySchemaSql } from '../support/legacy-fixture.js';
import { ticket } from '../support/records.js';

const UTC = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')`;

interface Version {
  status: string;
  from: string;
  to: string | null;
  source: string;
}

async function versions(db: Db, id: number): Promise<Version[]> {
  return rows<Version>(
    db,
    `SELECT "TKT-Status" AS status, ${UTC('valid_from')} AS from, ${UTC('valid_to')} AS to, source
     FROM servicedesk.ticket_history WHERE "TKT-Ticket ID" = $1 ORDER BY valid_from`,
    [id],
  );
}

for (const kind of DATABASE_KINDS) {
  describe(`ticket history on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    let dir: string;
    const config = (extra: Record<string, string> = {}) => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0', ...extra });

    useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s), {}, { migrated: true });
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'otc-etl-history-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test('each change a sync sees adds a version, the previous one ends where it starts, and an identical re-sync adds nothing', async () => {
      // 07/01/2025 09:05 Perth is 01:05 UTC.
      otc.set('tickets', [ticket(7001), ticket(7002)]);
      await syncOnce(db, config(), ['tickets']);
      assert.deepEqual(await versions(db, 7001), [{ status: 'Open', from: '2025-01-07 01:05', to: null, source: 'api' }]);

      otc.set('tickets', [ticket(7001, { 'TKT-Status': 'In Progress', 'TKT-Modified Time': '08/01/2025 10:00' }), ticket(7002)]);
      const second = await syncOnce(db, config(), ['tickets']);
      assert.equal(outcome(second, 'tickets').counts.updated, 1);
      assert.deepEqual(await versions(db, 7001), [
        { status: 'Open', from: '2025-01-07 01:05', to: '2025-01-08 02:00', source: 'api' },
        { status: 'In Progress', from: '2025-01-08 02:00', to: null, source: 'api' },
      ]);
      assert.equal((await versions(db, 7002)).length, 1);

      const before = await rows(db, 'SELECT * FROM servicedesk.ticket_history ORDER BY 1, valid_from');
      const third = await syncOnce(db, config(), ['tickets']);
      assert.equal(outcome(third, 'tickets').counts.unchanged, 2);
      assert.deepEqual(await rows(db, 'SELECT * FROM servicedesk.ticket_history ORDER BY 1, valid_from'), before);
    });

    test('new content with the same modified time replaces that version instead of adding one', async () => {
      otc.set('tickets', [
        ticket(7001, { 'TKT-Status': 'In Progress', 'TKT-Modified Time': '08/01/2025 10:00', 'TKT-Team': 'Cloud - Infrastructure' }),
        ticket(7002),
      ]);
      await syncOnce(db, config(), ['tickets']);
      const stored = await rows(
        db,
        `SELECT "TKT-Team" AS team, ${UTC('valid_from')} AS from FROM servicedesk.ticket_history WHERE "TKT-Ticket ID" = 7001 ORDER BY valid_from`,
      );
      assert.deepEqual(stored, [
        { team: 'NOC', from: '2025-01-07 01:05' },
        { team: 'Cloud - Infrastructure', from: '2025-01-08 02:00' },
      ]);
    });

    test('an old export imported late is placed in its position in the chain and leaves tickets alone', async () => {
      const ticketBefore = await rows(db, 'SELECT * FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 7001');
      // An export taken on 7 January in the afternoon: the ticket was Pending then.
      const path = await writeJson(dir, 'tickets-2025-01-07.json', [
        ticket(7001, { 'TKT-Status': 'Pending', 'TKT-Modified Time': '07/01/2025 15:00', 'TKT-Assigned To User': 'Ali Khan' }),
      ]);
      const result = await importOnce(db, config(), [path]);
      assert.equal(fileOutcome(result).counts.unchanged, 1);
      assert.equal(fileOutcome(result).counts.updated, 0);
      assert.deepEqual(await versions(db, 7001), [
        { status: 'Open', from: '2025-01-07 01:05', to: '2025-01-07 07:00', source: 'api' },
        { status: 'Pending', from: '2025-01-07 07:00', to: '2025-01-08 02:00', source: 'tickets-2025-01-07.json' },
        { status: 'In Progress', from: '2025-01-08 02:00', to: null, source: 'api' },
      ]);
      const [late] = await rows(
        db,
        `SELECT "TKT-Assigned To User" AS who, "TKT-Team" AS team FROM servicedesk.ticket_history WHERE "TKT-Status" = 'Pending'`,
      );
      assert.deepEqual(late, { who: 'Ali Khan', team: 'NOC' });
      // The stale guard on tickets holds: not a value, not the lineage, changed.
      assert.deepEqual(await rows(db, 'SELECT * FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 7001'), ticketBefore);

      // The same export again is nothing new.
      const again = await importOnce(db, config(), [path]);
      assert.equal(fileOutcome(again).counts.unchanged, 1);
      assert.equal((await versions(db, 7001)).length, 3);
    });

    test('an older version sent by the API is kept in the chain too, and tickets keeps the newer one', async () => {
      otc.set('tickets', [ticket(7002, { 'TKT-Status': 'Pending', 'TKT-Modified Time': '09/01/2025 08:00' })]);
      await syncOnce(db, config(), ['tickets']);
      otc.set('tickets', [ticket(7002, { 'TKT-Status': 'In Progress', 'TKT-Modified Time': '08/01/2025 08:00' })]);
      const stale = await syncOnce(db, config(), ['tickets']);
      assert.equal(outcome(stale, 'tickets').counts.unchanged, 1);
      const [current] = await rows(db, `SELECT "TKT-Status" AS status FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 7002`);
      assert.deepEqual(current, { status: 'Pending' });
      assert.deepEqual(
        (await versions(db, 7002)).map((v) => [v.status, v.from, v.to]),
        [
          ['Open', '2025-01-07 01:05', '2025-01-08 00:00'],
          ['In Progress', '2025-01-08 00:00', '2025-01-09 00:00'],
          ['Pending', '2025-01-09 00:00', null],
        ],
      );
    });

    test('OTC_HISTORY_DAYS prunes superseded versions at the end of a sync and keeps every current one', async () => {
      const counts = async () =>
        rows<{ all: number; current: number }>(
          db,
          'SELECT count(*)::int AS all, count(*) FILTER (WHERE valid_to IS NULL)::int AS current FROM servicedesk.ticket_history',
        );
      const [before] = await counts();
      otc.set('tickets', [ticket(7002, { 'TKT-Status': 'Pending', 'TKT-Modified Time': '09/01/2025 08:00' })]);
      await syncOnce(db, config({ OTC_HISTORY_DAYS: '0' }), ['tickets']);
      assert.deepEqual(await counts(), [before]);
      await syncOnce(db, config({ OTC_HISTORY_DAYS: '30' }), ['tickets']);
      // Every superseded version ended in January 2025, long before 30 days ago.
      assert.deepEqual(await counts(), [{ all: before!.current, current: before!.current }]);
    });

    test('a sync records OTC_TIMEZONE for backlog_daily when it changed since migrate', async () => {
      const zone = async () =>
        (await rows<{ value: string }>(db, `SELECT value FROM servicedesk.etl_settings WHERE name = 'timezone'`))[0]?.value;
      assert.equal(await zone(), 'Australia/Perth');
      otc.set('tickets', []);
      await syncOnce(db, config({ OTC_TIMEZONE: 'Australia/Sydney', OTC_MIN_VOLUME_RATIO: '0' }), ['comments']);
      assert.equal(await zone(), 'Australia/Sydney');
    });
  });

  describe(`ticket history SQL objects on a hand-built chain (${kind} database)`, () => {
    let tdb: TestDatabase;
    let db: Db;

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = await tdb.open();
      await applyMigrations(db, { schema: 'servicedesk', timezone: 'Australia/Perth' });
      // Three tickets, times in Perth (UTC+8). Ticket 1 enters Pending and changes assignee inside it,
      // closes exactly at a local midnight; ticket 2 is first seen a day and a half after its creation,
      // is resolved and reopened; ticket 3 is created exactly at a local midnight.
      const chain: Array<[number, string, string, string, string, string, string | null]> = [
        [1, '2025-03-01 10:00', 'Open', 'A', 'Xena', '2025-03-01 10:00', '2025-03-02 09:00'],
        [1, '2025-03-01 10:00', 'Pending', 'A', 'Xena', '2025-03-02 09:00', '2025-03-02 15:00'],
        [1, '2025-03-01 10:00', 'Pending', 'A', 'Yuri', '2025-03-02 15:00', '2025-03-04 00:00'],
        [1, '2025-03-01 10:00', 'Closed', 'A', 'Yuri', '2025-03-04 00:00', null],
        [2, '2025-03-01 23:30', 'In Progress', 'B', 'Zoe', '2025-03-03 08:00', '2025-03-03 20:00'],
        [2, '2025-03-01 23:30', 'Incident Resolved', 'B', 'Zoe', '2025-03-03 20:00', '2025-03-05 11:00'],
        [2, '2025-03-01 23:30', 'In Progress', 'B', 'Zoe', '2025-03-05 11:00', null],
        [3, '2025-03-03 00:00', 'Open', 'A', 'Xena', '2025-03-03 00:00', null],
      ];
      for (const [id, created, status, team, who, from, to] of chain) {
        await db.query(
          `INSERT INTO servicedesk.ticket_history ("TKT-Ticket ID", "TKT-Created Time", "TKT-Status", "TKT-Team",
             "TKT-Assigned To User", "TKT-Modified Time", valid_from, valid_to, source)
           VALUES ($1, ($2 || '+08')::timestamptz, $3, $4, $5, ($6 || '+08')::timestamptz, ($6 || '+08')::timestamptz,
                   ($7 || '+08')::timestamptz, 'hand')`,
          [id, created, status, team, who, from, to],
        );
      }
    });
    after(async () => {
      await db.close();
      await tdb.drop();
    });

    /** Runs `sql` in a session whose TimeZone is not OTC_TIMEZONE. */
    const inNewYork = <R>(sql: string, params: unknown[] = []) =>
      db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL TimeZone = 'America/New_York'`);
        return (await tx.query<R>(sql, params)).rows;
      });
    const asOf = (at: string) =>
      inNewYork<{ id: number; status: string; who: string }>(
        `SELECT "TKT-Ticket ID" AS id, "TKT-Status" AS status, "TKT-Assigned To User" AS who
         FROM servicedesk.tickets_as_of(($1 || '+08')::timestamptz) ORDER BY 1`,
        [at],
      );

    test('tickets_as_of leaves out tickets not created yet and gives a version from exactly its valid_from', async () => {
      assert.deepEqual(await asOf('2025-03-01 09:59:59'), []);
      assert.deepEqual(await asOf('2025-03-01 10:00'), [{ id: 1, status: 'Open', who: 'Xena' }]);
      // Ticket 2 was first seen on 3 March; from its creation on, that first version stands for it.
      assert.deepEqual(await asOf('2025-03-01 23:29:59.999999'), [{ id: 1, status: 'Open', who: 'Xena' }]);
      assert.deepEqual(await asOf('2025-03-01 23:30'), [
        { id: 1, status: 'Open', who: 'Xena' },
        { id: 2, status: 'In Progress', who: 'Zoe' },
      ]);
      assert.deepEqual((await asOf('2025-03-02 08:59:59.999999'))[0], { id: 1, status: 'Open', who: 'Xena' });
      assert.deepEqual((await asOf('2025-03-02 09:00'))[0], { id: 1, status: 'Pending', who: 'Xena' });
      assert.deepEqual(await asOf('2025-03-04 00:00'), [
        { id: 1, status: 'Closed', who: 'Yuri' },
        { id: 2, status: 'Incident Resolved', who: 'Zoe' },
        { id: 3, status: 'Open', who: 'Xena' },
      ]);
    });

    test('tickets_as_of has the columns of tickets, in their order and types', async () => {
      const columns = (fn: string) =>
        rows<{ name: string; type: string }>(
          db,
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
           FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attname NOT LIKE '\\_%' ORDER BY a.attnum`,
          [fn],
        );
      const fromFunction = await rows<{ name: string; type: string }>(
        db,
        `SELECT unnest(p.proargnames[2:]) AS name, format_type(unnest(p.proallargtypes[2:]), NULL) AS type
         FROM pg_proc p WHERE p.proname = 'tickets_as_of'`,
      );
      assert.deepEqual(fromFunction, await columns('servicedesk.tickets'));
    });

    test('v_ticket_status_intervals joins consecutive versions of one status and measures each stay', async () => {
      const intervals = await inNewYork(
        `SELECT ticket_id AS id, status, team, assigned_to AS who,
                to_char(entered_at AT TIME ZONE 'Australia/Perth', 'MM-DD HH24:MI') AS entered,
                to_char(left_at AT TIME ZONE 'Australia/Perth', 'MM-DD HH24:MI') AS left,
                CASE WHEN left_at IS NOT NULL THEN extract(epoch FROM duration)::int / 60 END AS minutes
         FROM servicedesk.v_ticket_status_intervals ORDER BY ticket_id, entered_at`,
      );
      assert.deepEqual(intervals, [
        { id: 1, status: 'Open', team: 'A', who: 'Xena', entered: '03-01 10:00', left: '03-02 09:00', minutes: 23 * 60 },
        { id: 1, status: 'Pending', team: 'A', who: 'Xena', entered: '03-02 09:00', left: '03-04 00:00', minutes: 39 * 60 },
        { id: 1, status: 'Closed', team: 'A', who: 'Yuri', entered: '03-04 00:00', left: null, minutes: null },
        { id: 2, status: 'In Progress', team: 'B', who: 'Zoe', entered: '03-01 23:30', left: '03-03 20:00', minutes: 44 * 60 + 30 },
        { id: 2, status: 'Incident Resolved', team: 'B', who: 'Zoe', entered: '03-03 20:00', left: '03-05 11:00', minutes: 39 * 60 },
        { id: 2, status: 'In Progress', team: 'B', who: 'Zoe', entered: '03-05 11:00', left: null, minutes: null },
        { id: 3, status: 'Open', team: 'A', who: 'Xena', entered: '03-03 00:00', left: null, minutes: null },
      ]);
    });

    test('backlog_daily counts the open tickets at the end of each day in OTC_TIMEZONE, whatever the session zone', async () => {
      const backlog = await inNewYork<{ day: string; team: string; open: string }>(
        `SELECT day::text AS day, team, open_tickets::text AS open FROM servicedesk.backlog_daily('2025-03-01', '2025-03-05')`,
      );
      assert.deepEqual(backlog, [
        { day: '2025-03-01', team: 'A', open: '1' },
        { day: '2025-03-01', team: 'B', open: '1' },
        // Ticket 3 is created exactly at the end of 2 March (the local midnight), so that day counts it.
        { day: '2025-03-02', team: 'A', open: '2' },
        { day: '2025-03-02', team: 'B', open: '1' },
        // Ticket 1 closes exactly at the end of 3 March; ticket 2 is resolved that evening.
        { day: '2025-03-03', team: 'A', open: '1' },
        { day: '2025-03-04', team: 'A', open: '1' },
        { day: '2025-03-05', team: 'A', open: '1' },
        { day: '2025-03-05', team: 'B', open: '1' },
      ]);
      const inside = await inNewYork<{ day: string; team: string; open: string }>(
        `SELECT day::text AS day, team, open_tickets::text AS open FROM servicedesk.backlog_daily('2025-03-02', '2025-03-02')`,
      );
      assert.deepEqual(inside, [
        { day: '2025-03-02', team: 'A', open: '2' },
        { day: '2025-03-02', team: 'B', open: '1' },
      ]);
    });

    test('backlog_daily follows the zone migrate recorded from OTC_TIMEZONE', async () => {
      // In UTC, the end of 1 March is 2 March 08:00 Perth: ticket 1 is still Open then, and ticket 2 exists.
      await applyMigrations(db, { schema: 'servicedesk', timezone: null, adoptTimezone: 'UTC' });
      try {
        const utc = await inNewYork<{ day: string; team: string; open: string }>(
          `SELECT day::text AS day, team, open_tickets::text AS open FROM servicedesk.backlog_daily('2025-03-03', '2025-03-03')`,
        );
        // End of 3 March UTC = 4 March 08:00 Perth: ticket 1 closed, ticket 2 resolved, ticket 3 open.
        assert.deepEqual(utc, [{ day: '2025-03-03', team: 'A', open: '1' }]);
        const [early] = await inNewYork<{ open: string }>(
          `SELECT open_tickets::text AS open FROM servicedesk.backlog_daily('2025-03-01', '2025-03-01') WHERE team = 'A'`,
        );
        assert.deepEqual(early, { open: '1' });
        const [mid] = await inNewYork<{ open: string }>(
          `SELECT open_tickets::text AS open FROM servicedesk.backlog_daily('2025-03-02', '2025-03-02') WHERE team = 'A'`,
        );
        // End of 2 March UTC = 3 March 08:00 Perth: tickets 1 (Pending) and 3 (created at midnight) open.
        assert.deepEqual(mid, { open: '2' });
      } finally {
        await applyMigrations(db, { schema: 'servicedesk', timezone: null, adoptTimezone: 'Australia/Perth' });
      }
    });
  });

  describe(`two versions of a ticket in one payload (${kind} database)`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let dir: string;
    before(async () => {
      tdb = await createTestDatabase(kind);
      db = await tdb.open();
      dir = await mkdtemp(join(tmpdir(), 'otc-etl-history-'));
    });
    after(async () => {
      await db.close();
      await tdb.drop();
      await rm(dir, { recursive: true, force: true });
    });

    test('an export holding two versions of a ticket, imported into an empty database, keeps both in the history', async () => {
      // Enough tickets between the two copies that the first is copied straight into the empty table
      // before the second arrives (a later batch).
      const between = Array.from({ length: 3000 }, (_, i) => ticket(20_000 + i));
      const path = await writeJson(dir, 'two-days.json', [
        ticket(8001, { 'TKT-Status': 'Open' }),
        ticket(8002, { 'TKT-Status': 'Pending' }),
        ...between,
        ticket(8001, { 'TKT-Status': 'In Progress', 'TKT-Modified Time': '08/01/2025 10:00' }),
      ]);
      const result = await importOnce(db, tdb.config(), [path]);
      assert.equal(fileOutcome(result).counts.duplicates, 1);
      const stored = await rows(
        db,
        `SELECT "TKT-Ticket ID" AS id, "TKT-Status" AS status FROM servicedesk.tickets WHERE "TKT-Ticket ID" < 9000 ORDER BY 1`,
      );
      assert.deepEqual(stored, [
        { id: 8001, status: 'In Progress' },
        { id: 8002, status: 'Pending' },
      ]);
      const [counted] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.ticket_history');
      assert.equal(counted!.n, 3000 + 2 + 1);
      assert.deepEqual(
        (await versions(db, 8001)).map((v) => [v.status, v.from, v.to]),
        [
          ['Open', '2025-01-07 01:05', '2025-01-08 02:00'],
          ['In Progress', '2025-01-08 02:00', null],
        ],
      );
      assert.equal((await versions(db, 8002)).length, 1);
    });
  });

  describe(`migrate seeds the ticket history (${kind} database)`, () => {
    test('adopting the legacy schema gives every ticket its current version', async () => {
      const tdb = await createTestDatabase(kind);
      const db = await tdb.open();
      try {
        await db.exec(legacySchemaSql());
        await applyMigrations(db, { schema: 'servicedesk', timezone: 'Australia/Perth' });
        const seeded = await rows<{ n: number; current: number; same: number }>(
          db,
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE h.valid_to IS NULL AND h.source = 'migrate')::int AS current,
                  count(*) FILTER (WHERE h.valid_from = coalesce(t."TKT-Modified Time", t._first_loaded_at, t._last_changed_at, h.valid_from)
                                     AND h."TKT-Status" IS NOT DISTINCT FROM t."TKT-Status")::int AS same
           FROM servicedesk.ticket_history h JOIN servicedesk.tickets t USING ("TKT-Ticket ID")`,
        );
        assert.deepEqual(seeded, [{ n: LEGACY_ROWS.tickets, current: LEGACY_ROWS.tickets, same: LEGACY_ROWS.tickets }]);
      } finally {
        await db.close();
        await tdb.drop();
      }
    });

    test('a database migrated before the history existed gets one version per stored ticket', async () => {
      const tdb = await createTestDatabase(kind);
      const db = await tdb.open();
      try {
        await applyMigrations(db, { schema: 'servicedesk', timezone: 'Australia/Perth' });
        await db.exec(`
          SET search_path TO servicedesk;
          DROP FUNCTION backlog_daily(date, date); DROP FUNCTION tickets_as_of(timestamptz);
          DROP VIEW v_ticket_status_intervals; DROP VIEW v_ticket_versions; DROP TABLE ticket_history; DROP TABLE etl_settings;
          DELETE FROM schema_migrations WHERE version = 6;
          INSERT INTO tickets ("TKT-Ticket ID", "TKT-Status", "TKT-Modified Time", _first_loaded_at)
          VALUES (1, 'Open', '2025-01-07 09:05+08', now()), (2, 'Closed', NULL, '2025-02-01 00:00+08');
          SET search_path TO DEFAULT;`);
        await applyMigrations(db, { schema: 'servicedesk', timezone: 'Australia/Perth' });
        const seeded = await rows(
          db,
          `SELECT "TKT-Ticket ID" AS id, "TKT-Status" AS status, ${UTC('valid_from')} AS from, valid_to AS to, source
           FROM servicedesk.ticket_history ORDER BY 1`,
        );
        assert.deepEqual(seeded, [
          { id: 1, status: 'Open', from: '2025-01-07 01:05', to: null, source: 'migrate' },
          { id: 2, status: 'Closed', from: '2025-01-31 16:00', to: null, source: 'migrate' },
        ]);
      } finally {
        await db.close();
        await tdb.drop();
      }
    });
  });
}
