import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { applyMigrations, listMigrations } from '../../src/load/migrate.js';
import { SQL_TYPES, VIEWS } from '../../src/registry.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce } from '../support/harness.js';
import { LEGACY_ROWS, legacySchemaSql } from '../support/legacy-fixture.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { dumpSchema, tableShapes, type SchemaDump } from '../support/schema-dump.js';

const PG_TYPE_NAMES: Record<string, string> = {
  bigint: 'bigint',
  text: 'text',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  boolean: 'boolean',
  numeric: 'numeric',
};

interface MigrateDoc {
  state: string;
  applied?: string[];
  pending?: string[];
  adoption: null | {
    dryRun: boolean;
    runId: string;
    timesheetDuplicatesMoved: number;
    unconvertibleValues: number;
    tables: Record<string, { rowsBefore: number; rowsAfter: number; moved: number }>;
    steps: Array<Record<string, unknown>>;
    blockers: string[];
    lockedTables: string[];
  };
}

const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')`;

for (const kind of DATABASE_KINDS) {
  describe(`adopting the previous loader's schema on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db | null = null;
    let legacy: SchemaDump;
    let adoptionRunId = '';
    const cli = (...args: string[]) => runCli(args, { env: tdb.env, cwd: tdb.cwd });
    /** The embedded database is opened by one process at a time: close ours before the CLI runs. */
    const closeDb = async () => {
      await db?.close();
      db = null;
    };
    const openDb = async () => (db ??= await tdb.open());

    before(async () => {
      tdb = await createTestDatabase(kind);
      const d = await openDb();
      await d.exec(legacySchemaSql());
      legacy = await dumpSchema(d);
      await closeDb();
    });
    after(async () => {
      await closeDb();
      await tdb.drop();
    });

    test('migrate --dry-run prints every step of the plan and changes nothing', async () => {
      const human = await cli('migrate', '--dry-run');
      assert.equal(human.code, 0, human.stderr);
      for (const line of [
        'ACCESS EXCLUSIVE locks on comments, etl_metadata, tickets, timesheets, user_lookup',
        'timesheets: move 5 duplicate row(s) to timesheets_duplicates_removed (kept: the copy with the latest "TS-Modified Time", then the one stored last (highest ctid))',
        'tickets: convert "TKT-Created Time" timestamp without time zone → timestamp with time zone',
        'tickets: add column "TKT-Is Template" text',
        'timesheets: add constraint timesheets_unique_entry UNIQUE NULLS NOT DISTINCT',
        'user_lookup: drop constraint user_lookup_full_name_key UNIQUE (full_name)',
        'etl_metadata: add column "id" bigserial',
        'schema_migrations: record 001_core, 002_removed as applied',
      ]) {
        assert.ok(human.stdout.includes(line), `plan lacks: ${line}\n${human.stdout}`);
      }
      const json = await cli('migrate', '--dry-run', '--json');
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout) as MigrateDoc;
      assert.equal(doc.state, 'legacy');
      assert.equal(doc.adoption?.dryRun, true);
      assert.equal(doc.adoption?.timesheetDuplicatesMoved, 5);
      assert.deepEqual(doc.adoption?.blockers, []);
      assert.ok(
        doc.adoption?.steps.some(
          (s) =>
            s.action === 'convert-column' && s.column === 'TS-Hours' && s.from === 'text' && s.to === 'numeric' && s.unconvertible === 1,
        ),
      );
      assert.deepEqual(await dumpSchema(await openDb()), legacy);
      await closeDb();
    });

    test('migrate converts the schema in place, moves the duplicates aside and reports the counts', async () => {
      const r = await cli('migrate', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as MigrateDoc;
      assert.equal(doc.state, 'legacy');
      assert.ok(!doc.applied?.includes('001_core'), 'adopted migrations are recorded, not run');
      const adoption = doc.adoption!;
      adoptionRunId = adoption.runId;
      assert.equal(adoption.timesheetDuplicatesMoved, 5);
      assert.equal(adoption.unconvertibleValues, 2);
      assert.deepEqual(adoption.tables.timesheets, { rowsBefore: 11, rowsAfter: 6, moved: 5 });
      assert.deepEqual(adoption.tables.comments, { rowsBefore: 9, rowsAfter: 7, moved: 2 });
      assert.deepEqual(adoption.tables.tickets, { rowsBefore: 5, rowsAfter: 5, moved: 0 });
      assert.deepEqual(adoption.lockedTables, ['comments', 'etl_metadata', 'tickets', 'timesheets', 'user_lookup']);

      const d = await openDb();
      const recorded = await rows<{ version: number; checksum: string }>(
        d,
        'SELECT version, checksum FROM servicedesk.schema_migrations ORDER BY 1',
      );
      // 001 and 002 are recorded by the adoption; the later ones are then applied as usual.
      const shipped = listMigrations();
      assert.deepEqual(
        recorded.map((m) => [Number(m.version), m.checksum]),
        shipped.map((m) => [m.version, m.checksum]),
      );
    });

    test('no ticket, comment or timesheet row is lost: rows before = rows after + rows moved aside', async () => {
      const d = await openDb();
      for (const table of ['tickets', 'comments', 'timesheets'] as const) {
        const [side] = await rows<{ exists: boolean }>(d, `SELECT to_regclass($1) IS NOT NULL AS exists`, [
          `servicedesk.${table}_duplicates_removed`,
        ]);
        const count = async (t: string) => Number((await rows<{ n: number }>(d, `SELECT count(*)::int AS n FROM servicedesk.${t}`))[0]!.n);
        const moved = side!.exists ? await count(`${table}_duplicates_removed`) : 0;
        assert.equal((await count(table)) + moved, LEGACY_ROWS[table], table);
      }
      const moved = await rows<{ user: string | null; hours: string; reason: string; at: boolean }>(
        d,
        `SELECT "TS-User Username" AS user, "TS-Hours" AS hours, moved_reason AS reason, moved_at IS NOT NULL AS at
         FROM servicedesk.timesheets_duplicates_removed ORDER BY 1, 2`,
      );
      assert.equal(moved.length, 5);
      assert.ok(moved.every((m) => m.reason === 'duplicate' && m.at));
    });

    test('which copy of a duplicate stays is deterministic: latest TS-Modified Time, then the one stored last', async () => {
      const kept = await rows<{ k: string; hours: string | null }>(
        await openDb(),
        `SELECT coalesce("TS-User Username", '-') || ' ' || "TS-Date" || ' ' || "TS-Time From" || ' ' || coalesce("TS-Crm ID"::text, '-') AS k,
                "TS-Hours"::text AS hours
         FROM servicedesk.timesheets ORDER BY 1`,
      );
      assert.deepEqual(kept, [
        { k: '- 2025-01-09 08:00 1002', hours: '1' },
        { k: 'djewell 2025-01-07 09:00 1001', hours: '3' },
        { k: 'djewell 2025-01-08 13:00 -', hours: '1.75' },
        { k: 'kleeman 2025-01-09 09:00 1003', hours: '1' },
        { k: 'kleeman 2025-01-10 10:00 1003', hours: null },
        { k: 'lee 2025-01-13 14:00 9999', hours: '0.75' },
      ]);
    });

    test('timesheets_unique_entry exists and treats empty key parts as equal', async () => {
      const d = await openDb();
      const [c] = await rows<{ def: string }>(
        d,
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'timesheets_unique_entry'
         AND conrelid = 'servicedesk.timesheets'::regclass`,
      );
      assert.equal(c!.def, 'UNIQUE NULLS NOT DISTINCT ("TS-User Username", "TS-Date", "TS-Time From", "TS-Crm ID")');
      await assert.rejects(
        d.exec(
          `INSERT INTO servicedesk.timesheets ("TS-User Username", "TS-Date", "TS-Time From") VALUES ('djewell', '2025-01-08', '13:00')`,
        ),
        (e: { code?: string }) => e.code === '23505',
      );
    });

    test('every registry field has its product type, with _raw, lineage and the analysts’ indexes', async () => {
      const d = await openDb();
      for (const view of VIEWS) {
        const cols = await rows<{ column_name: string; data_type: string }>(
          d,
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'servicedesk' AND table_name = $1`,
          [view.table],
        );
        const types = new Map(cols.map((c) => [c.column_name, c.data_type]));
        for (const field of view.fields)
          assert.equal(types.get(field.column), PG_TYPE_NAMES[SQL_TYPES[field.type]], `${view.table}.${field.column}`);
        for (const extra of [
          '_raw',
          '_record_hash',
          '_last_source',
          '_first_run_id',
          '_first_loaded_at',
          '_last_run_id',
          '_last_changed_at',
        ]) {
          assert.ok(types.has(extra), `${view.table}.${extra}`);
        }
      }
      const defs = (await rows<{ d: string }>(d, `SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'servicedesk'`))
        .map((i) => i.d)
        .join('\n');
      for (const view of VIEWS)
        for (const column of view.indexed) assert.ok(defs.includes(`("${column}")`) || defs.includes(`(${column})`), column);
    });

    test('the adopted tables have exactly the shape a fresh migration gives, plus what other tools added', async () => {
      const d = await openDb();
      await applyMigrations(d, { schema: 'fresh_servicedesk', timezone: null });
      const fresh = await tableShapes(d, 'fresh_servicedesk');
      const adopted = await tableShapes(d, 'servicedesk');
      const sorted = (list: string[]) => [...list].sort();
      const extras = /^(support_tier|assigned_pod) |^CREATE INDEX (idx_tickets_pod|comments_ticket_idx) /;
      for (const [table, shape] of Object.entries(fresh)) {
        const ours = adopted[table]!;
        // A sequence default names its own schema's sequence.
        const seq = (c: string) => c.replace(/nextval\('(?:\w+\.)?(\w+)'/, "nextval('$1'");
        assert.deepEqual(sorted(ours.columns.filter((c) => !extras.test(c)).map(seq)), sorted(shape.columns.map(seq)), `${table} columns`);
        assert.deepEqual(sorted(ours.constraints), sorted(shape.constraints), `${table} constraints`);
        assert.deepEqual(sorted(ours.indexes.filter((i) => !extras.test(i))), sorted(shape.indexes), `${table} indexes`);
      }
      await d.exec('DROP SCHEMA fresh_servicedesk CASCADE');
    });

    test('naive timestamps are read as Australia/Perth wall-clock time, text ones too (ISO, day-first, AM/PM)', async () => {
      const d = await openDb();
      const tickets = await rows<{ id: number; created: string; modified: string }>(
        d,
        `SELECT "TKT-Ticket ID" AS id, ${utc('"TKT-Created Time"')} AS created, ${utc('"TKT-Modified Time"')} AS modified
         FROM servicedesk.tickets ORDER BY 1`,
      );
      assert.deepEqual(
        tickets.map((t) => [Number(t.id), t.created, t.modified]),
        [
          [1001, '2025-01-02 00:00', '2025-01-07 01:05'],
          [1002, '2025-01-03 01:30', '2025-01-08 02:15'],
          [1003, '2025-01-04 02:00', '2025-01-08 03:00'],
          [1004, '2025-01-05 03:00', '2025-01-08 05:30'],
          [1005, '2025-01-06 04:00', '2025-01-09 00:00'],
        ],
      );
      const [c] = await rows<{ t: string }>(d, `SELECT ${utc('created_time')} AS t FROM servicedesk.comments WHERE comment_id = 5001`);
      assert.equal(c!.t, '2025-01-07 01:10');
      const [m] = await rows<{ t: string }>(
        d,
        `SELECT ${utc('last_load_time')} AS t FROM servicedesk.etl_metadata WHERE view_name = 'comments'`,
      );
      assert.equal(m!.t, '2025-01-12 22:00');
    });

    test('ids, booleans and decimals are converted; a value that cannot be is NULL with its original kept', async () => {
      const d = await openDb();
      const comments = await rows<{ id: number; visible: boolean; ticket: number }>(
        d,
        'SELECT comment_id AS id, visible_to_customer AS visible, ticket_id AS ticket FROM servicedesk.comments ORDER BY 1',
      );
      assert.deepEqual(
        comments.map((c) => [Number(c.id), c.visible, Number(c.ticket)]),
        [
          [5001, true, 1001],
          [5002, false, 1001],
          [5003, true, 1003],
          [5004, true, 1003],
          [5005, false, 1005],
          [5006, false, 1002],
          [5009, true, 9999],
        ],
      );
      const [t] = await rows<{ due: string | null; raw: string; userid: number | null }>(
        d,
        `SELECT "TKT-Due Date" AS due, _raw->>'TKT-Due Date' AS raw, "TKT-Assigned To Userid" AS userid
         FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 1002`,
      );
      assert.deepEqual(t, { due: null, raw: 'next tuesday', userid: null });
      const rejects = await rows<{ view_name: string; field: string; kind: string; run_id: string; record_key: string }>(
        d,
        'SELECT view_name, field, kind, run_id, record_key FROM servicedesk.load_rejects ORDER BY field',
      );
      assert.deepEqual(rejects, [
        { view_name: 'tickets', field: 'TKT-Due Date', kind: 'value', run_id: adoptionRunId, record_key: '1002' },
        {
          view_name: 'timesheets',
          field: 'TS-Hours',
          kind: 'value',
          run_id: adoptionRunId,
          record_key: 'kleeman | 10/01/2025 | 10:00 | 1003.0',
        },
      ]);
      // The legacy values are the source record: text the column holds as it was, the rest in _raw.
      const [raw] = await rows<{ raw: Record<string, unknown>; record: Record<string, unknown> }>(
        d,
        `SELECT _raw AS raw, servicedesk.record_of(t) AS record FROM servicedesk.comments t WHERE comment_id = 5003`,
      );
      assert.equal(raw!.raw['TKTCT-VisibleCustomer'], 'true');
      assert.equal('TKTCT-Comment' in raw!.raw, false);
      assert.equal(raw!.record['TKTCT-Comment'], 'Fixed the tunnel');
    });

    test('columns owned by other tools keep their values', async () => {
      const tiers = await rows<{ id: number; tier: string | null; pod: string | null }>(
        await openDb(),
        'SELECT "TKT-Ticket ID" AS id, support_tier AS tier, assigned_pod AS pod FROM servicedesk.tickets ORDER BY 1',
      );
      assert.deepEqual(
        tiers.map((t) => [Number(t.id), t.tier, t.pod]),
        [
          [1001, 'gold', 'pod-a'],
          [1002, 'silver', null],
          [1003, 'gold', 'pod-b'],
          [1004, null, 'pod-a'],
          [1005, 'bronze', 'pod-c'],
        ],
      );
    });

    test('etl_metadata keeps the old rows with the full column set; user_lookup keeps manual rows, full_name is no longer unique', async () => {
      const d = await openDb();
      const meta = await rows<{ id: number; run_id: string; view_name: string; load_status: string; source: string }>(
        d,
        'SELECT id, run_id, view_name, load_status, source FROM servicedesk.etl_metadata ORDER BY id',
      );
      assert.deepEqual(
        meta.map((m) => [Number(m.id), m.run_id, m.view_name, m.load_status, m.source]),
        [
          [1, 'legacy', 'tickets', 'failed', 'api'],
          [2, 'legacy', 'tickets', 'failed', 'api'],
          [3, 'legacy', 'comments', 'success', 'api'],
          [4, 'legacy', 'timesheets', 'success', 'api'],
          [5, 'legacy', 'tickets', 'success', 'api'],
        ],
      );
      const users = await rows<{ short_username: string; full_name: string; source: string }>(
        d,
        'SELECT short_username, full_name, source FROM servicedesk.user_lookup ORDER BY 1',
      );
      assert.deepEqual(users, [
        { short_username: 'brian', full_name: 'Automation', source: 'manual' },
        { short_username: 'djewell', full_name: 'Dana Jewell', source: 'manual' },
        { short_username: 'kleeman', full_name: 'K. Leeman', source: 'manual' },
        { short_username: 'lee', full_name: 'Pat Lee', source: 'timesheets' },
      ]);
      await d.exec(
        `INSERT INTO servicedesk.user_lookup (short_username, full_name, source) VALUES ('djewell2', 'Dana Jewell', 'timesheets')`,
      );
      await d.exec(`DELETE FROM servicedesk.user_lookup WHERE short_username = 'djewell2'`);
    });

    test('the analysts’ queries still run: FCR, hours per ticket, unassigned backlog, freshness, duplicates check', async () => {
      const d = await openDb();
      const [fcr] = await rows<{ fcr: string }>(
        d,
        `SELECT round(100.0 * count(*) FILTER (WHERE coalesce(v.n, 0) <= 1) / count(*), 1)::text AS fcr
         FROM servicedesk.tickets t
         LEFT JOIN (SELECT ticket_id, count(*) AS n FROM servicedesk.comments WHERE visible_to_customer = 'Yes' GROUP BY ticket_id) v
           ON v.ticket_id = t."TKT-Ticket ID"
         WHERE t."TKT-Status" IN ('Closed', 'Incident Resolved')`,
      );
      assert.equal(fcr!.fcr, '66.7');
      const hours = await rows<{ id: number; h: string }>(
        d,
        `SELECT t."TKT-Ticket ID" AS id, sum(s."TS-Hours")::text AS h
         FROM servicedesk.tickets t JOIN servicedesk.timesheets s ON s."TS-Crm ID" = t."TKT-Ticket ID" GROUP BY 1 ORDER BY 1`,
      );
      assert.deepEqual(
        hours.map((h) => [Number(h.id), h.h]),
        [
          [1001, '3'],
          [1002, '1'],
          [1003, '1'],
        ],
      );
      const [backlog] = await rows<{ n: number }>(
        d,
        `SELECT count(*)::int AS n FROM servicedesk.tickets
         WHERE "TKT-Assigned To User" LIKE '%PendingAssignment%' AND "TKT-Status" NOT IN ('Closed', 'Incident Resolved')`,
      );
      assert.equal(backlog!.n, 2);
      const fresh = await rows<{ view_name: string; last: string; total: number }>(
        d,
        `SELECT view_name, ${utc('last_loaded')} AS last, total_records::int AS total FROM servicedesk.v_data_freshness`,
      );
      assert.deepEqual(
        fresh.map((f) => [f.view_name, f.last, f.total]),
        [
          ['comments', '2025-01-12 22:00', 7],
          ['timesheets', '2025-01-12 22:00', 6],
          ['tickets', '2025-01-12 22:01', 5],
        ],
      );
      const [dups] = await rows<{ n: number }>(
        d,
        `SELECT (COUNT(*) - COUNT(DISTINCT ("TS-User Username","TS-Date","TS-Time From","TS-Crm ID")))::int AS n FROM servicedesk.timesheets`,
      );
      assert.equal(dups!.n, 0);
      const orphans = await rows<{ source: string; count: number }>(
        d,
        'SELECT source, count::int AS count FROM servicedesk.v_orphaned_data',
      );
      assert.deepEqual(orphans, [
        { source: 'comments', count: 1 },
        { source: 'timesheets', count: 1 },
      ]);
    });

    test('an analysts’ view over converted columns is recreated with its grants and comment', async () => {
      const d = await openDb();
      const visible = await rows<{ ticket_id: number; visible: number }>(
        d,
        'SELECT ticket_id, visible::int AS visible FROM servicedesk.analyst_visible_comments ORDER BY 1',
      );
      assert.deepEqual(
        visible.map((v) => [Number(v.ticket_id), v.visible]),
        [
          [1001, 1],
          [1003, 2],
          [9999, 1],
        ],
      );
      const [meta] = await rows<{ comment: string; public_select: boolean }>(
        d,
        `SELECT obj_description('servicedesk.analyst_visible_comments'::regclass, 'pg_class') AS comment,
                has_table_privilege('public', 'servicedesk.analyst_visible_comments', 'SELECT') AS public_select`,
      );
      assert.deepEqual(meta, { comment: 'customer-visible comments per ticket', public_select: true });
    });

    test('a sync after adoption works and updates the adopted rows, leaving other tools’ columns alone', async () => {
      const otc: FixtureServer = await startFixtureServer({
        tickets: [ticket(1001, { 'TKT-Status': 'Closed', 'TKT-Modified Time': '14/01/2025 09:00' }), ticket(1006)],
        comments: [
          comment(5001, 1001, { 'TKTCT-Comment': 'Looking into it (edited)', 'TKTCT-Created Time': '07/01/2025 09:10' }),
          comment(5010, 1006, { 'TKTCT-Created Time': '07/01/2025 11:00' }),
        ],
        timesheets: [
          timesheet({ 'TS-Hours': '3,5', 'TS-Modified Time': '14/01/2025 12:00' }),
          timesheet({ 'TS-Time From': '13:00', 'TS-Time To': '14:00', 'TS-Hours': '1', 'TS-Crm ID': 1006 }),
        ],
      });
      try {
        const d = await openDb();
        const result = await syncOnce(d, tdb.config(otc.env()));
        for (const view of ['comments', 'timesheets', 'tickets'] as const) {
          const o = outcome(result, view);
          assert.equal(o.status, 'success', `${view}: ${o.error}`);
          assert.deepEqual([o.counts.inserted, o.counts.updated, o.counts.removed], [1, 1, 0], view);
        }
        const [t] = await rows<{ modified: string; tier: string; pod: string; first: string; last: string; due: string }>(
          d,
          `SELECT ${utc('"TKT-Modified Time"')} AS modified, support_tier AS tier, assigned_pod AS pod,
                  _first_run_id AS first, _last_run_id AS last, _raw->>'TKT-Due Date' AS due
           FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 1001`,
        );
        assert.deepEqual(t, {
          modified: '2025-01-14 01:00',
          tier: 'gold',
          pod: 'pod-a',
          first: adoptionRunId,
          last: result.runId,
          due: '2025-01-10 17:00:00',
        });
        const [s] = await rows<{ hours: string; n: number }>(
          d,
          `SELECT (SELECT "TS-Hours"::text FROM servicedesk.timesheets WHERE "TS-Crm ID" = 1001) AS hours,
                  (SELECT count(*)::int FROM servicedesk.timesheets) AS n`,
        );
        assert.deepEqual(s, { hours: '3.5', n: 7 });
      } finally {
        await otc.close();
      }
    });

    test('migrate again changes nothing', async () => {
      const before = await dumpSchema(await openDb());
      await closeDb();
      const r = await cli('migrate', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as MigrateDoc;
      assert.equal(doc.state, 'current');
      assert.deepEqual(doc.applied, []);
      assert.equal(doc.adoption, null);
      assert.deepEqual(await dumpSchema(await openDb()), before);
    });
  });
}
