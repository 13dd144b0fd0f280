import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { listMigrations } from '../../src/load/migrate.js';
import { SCHEMA_MIGRATIONS_DDL } from '../../src/load/migration-lock.js';
import { readStoredRows } from '../../src/load/table-load.js';
import { columnsOf, getView, VIEWS } from '../../src/registry.js';
import { digestHalf, recordDigest } from '../../src/transform/record-hash.js';
import { runCli } from '../support/cli.js';
import { DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { reprocessOnce } from '../support/import-harness.js';
import { outcome, rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { comment, ticket, timesheet } from '../support/records.js';

/** Timesheets of one person over many days, enough rows for a table to span several pages. */
function manyTimesheets(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    timesheet({
      'TS-Date': `${(i % 28) + 1}/01/2025`,
      'TS-Time From': `${String(8 + Math.floor(i / 28)).padStart(2, '0')}:00`,
      'TS-Crm ID': i % 5 === 0 ? '' : 1000 + i,
      'TS-Title': `work on the thing number ${i}, described at some length as people do`,
      'TS-Description': `a description that repeats what the title says, ${i}`,
    }),
  );
}

/** Each row of a table as the columns the load owns, its `_raw`, lineage and hash, in key order. */
async function snapshot(db: Db, schema: string, table: string, key: readonly string[]) {
  const order = key.map((c) => `t."${c}"`).join(', ');
  type Snapshot = { cols: Record<string, unknown>; raw: Record<string, unknown>; first: string; last: string; hash: string | null };
  // In one zone, so instants compare equal whatever zone a session of the pool started in.
  return db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL TimeZone = 'UTC'`);
    return (
      await tx.query<Snapshot>(
        `SELECT to_jsonb(t) - '_key' - '_raw' - '_record_hash' - '_first_run_id' - '_last_run_id' AS cols,
            t._raw AS raw, t._first_run_id::text AS first, t._last_run_id::text AS last, t._record_hash::text AS hash
     FROM ${schema}.${table} t ORDER BY ${order}`,
      )
    ).rows;
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`each record stored once, on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });

    const fixture = useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s), {}, { migrated: true });

    test('the stored _raw of a typical record holds only the source values the columns do not give back as sent', async () => {
      otc.set('tickets', [ticket(1)]);
      otc.set('comments', [comment(10, 1)]);
      otc.set('timesheets', [timesheet()]);
      await syncOnce(db, config());
      const raw = async (table: string) => (await rows<{ raw: unknown }>(db, `SELECT _raw AS raw FROM servicedesk.${table}`))[0]!.raw;
      // "2,5" is stored as 2.5 and a wall-clock time as an instant; text, HH:MM, numbers, Yes/No and
      // day-first dates come back from their columns as sent.
      assert.deepEqual(await raw('timesheets'), { 'TS-Hours': '2,5', 'TS-Modified Time': '07/01/2025 12:00' });
      assert.deepEqual(await raw('tickets'), { 'TKT-Created Time': '02/01/2025 08:00', 'TKT-Modified Time': '07/01/2025 09:05' });
      // The user id arrives as text: the bigint column would give back a number, so the text is kept.
      assert.deepEqual(await raw('comments'), { 'TKTCT-UserID': '501', 'TKTCT-Created Time': '07/01/2025 10:00' });
    });

    test('a record with an unknown field, a parsed date, an empty value and a number as text rebuilds exactly', async () => {
      const sheet = timesheet({ 'TS-Billable': 'true', 'TS-Approved': 'Yes', 'TS-Date': '7/1/2025', 'TS-Time To': 1130, 'TS-Extra': [1] });
      otc.set('timesheets', [sheet]);
      await syncOnce(db, config(), ['timesheets']);
      const [s] = await rows<{ record: unknown }>(db, `SELECT record FROM servicedesk.timesheets_records WHERE "TS-Time From" = '09:00'`);
      assert.deepEqual(s!.record, sheet);
      const sent = ticket(2, {
        'TKT-New Field': { nested: [1, 'a', null] },
        'TKT-Due Date': '2025-01-09T02:00:00.000Z',
        'TKT-Closure Date': '09/01/2025 10:00',
        'TKT-Severity': '',
        'TKT-Platform': null,
        'TKT-Selcom Key': 4711,
        'TKT-Parent ID': '17',
      });
      otc.set('tickets', [sent]);
      await syncOnce(db, config(), ['tickets']);
      const [r] = await rows<{ record: unknown; raw: Record<string, unknown> }>(
        db,
        `SELECT r.record, t._raw AS raw FROM servicedesk.tickets_records r JOIN servicedesk.tickets t USING ("TKT-Ticket ID")
         WHERE "TKT-Ticket ID" = 2`,
      );
      assert.deepEqual(r!.record, sent);
      assert.equal('TKT-Due Date' in r!.raw, false, 'an ISO UTC instant is held by its column alone');
      assert.deepEqual(r!.raw['TKT-New Field'], { nested: [1, 'a', null] });
      const [unknown] = await rows<{ v: string }>(
        db,
        `SELECT _raw->>'TKT-New Field' AS v FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 2`,
      );
      assert.equal(unknown!.v, '{"nested": [1, "a", null]}');
    });

    test('a field the source stops sending keeps its value, and the record still counts as unchanged', async () => {
      const {
        'TKT-New Field': _gone,
        'TKT-Severity': _alsoGone,
        ...fewer
      } = ticket(2, {
        'TKT-Due Date': '2025-01-09T02:00:00.000Z',
        'TKT-Closure Date': '09/01/2025 10:00',
        'TKT-Platform': null,
        'TKT-Selcom Key': 4711,
        'TKT-Parent ID': '17',
      });
      otc.set('tickets', [fewer]);
      const result = await syncOnce(db, config(), ['tickets']);
      assert.deepEqual([outcome(result, 'tickets').counts.unchanged, outcome(result, 'tickets').counts.updated], [1, 0]);
      const [r] = await rows<{ record: Record<string, unknown> }>(
        db,
        `SELECT record FROM servicedesk.tickets_records WHERE "TKT-Ticket ID" = 2`,
      );
      assert.deepEqual(r!.record['TKT-New Field'], { nested: [1, 'a', null] });
      assert.equal(r!.record['TKT-Severity'], '');
    });

    test('a typed field sent again replaces or drops its source text in _raw', async () => {
      otc.set('tickets', [ticket(2, { 'TKT-Modified Time': '2025-01-10T01:00:00.000Z', 'TKT-Parent ID': 17, 'TKT-Severity': 'High' })]);
      const result = await syncOnce(db, config(), ['tickets']);
      assert.equal(outcome(result, 'tickets').counts.updated, 1);
      const [r] = await rows<{ raw: Record<string, unknown> }>(db, `SELECT _raw AS raw FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 2`);
      assert.equal('TKT-Modified Time' in r!.raw, false);
      assert.equal('TKT-Parent ID' in r!.raw, false);
      assert.equal('TKT-Severity' in r!.raw, false);
      assert.deepEqual(r!.raw['TKT-New Field'], { nested: [1, 'a', null] });
    });

    test('reprocess after a parser change re-derives the typed columns from the source values', async () => {
      otc.set('timesheets', [timesheet(), timesheet({ 'TS-Time From': '13:00', 'TS-Crm ID': '' })]);
      await syncOnce(db, config(), ['timesheets']);
      const typed = `SELECT "TS-Time From" AS f, "TS-Modified Time"::text AS m, "TS-Hours"::text AS h FROM servicedesk.timesheets ORDER BY 1`;
      const right = await rows(db, typed);
      // What a parser bug would have stored from "07/01/2025 12:00" and "2,5": a time a month off, wrong hours.
      await db.exec(`UPDATE servicedesk.timesheets SET "TS-Modified Time" = "TS-Modified Time" + interval '1 month', "TS-Hours" = 25`);
      const result = await reprocessOnce(db, config(), ['timesheets']);
      assert.equal(result.outcomes[0]!.counts.updated, 2);
      assert.deepEqual(await rows(db, typed), right);
      const again = await reprocessOnce(db, config(), ['timesheets']);
      assert.deepEqual([again.outcomes[0]!.counts.updated, again.outcomes[0]!.counts.unchanged], [0, 2]);
    });

    test('timesheets have no generated key column and one unique index, on the natural key', async () => {
      const columns = await rows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'servicedesk' AND column_name = '_key'`,
      );
      assert.equal(columns[0]!.n, 0);
      const unique = await rows<{ name: string }>(
        db,
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = 'servicedesk.timesheets'::regclass AND i.indisunique ORDER BY 1`,
      );
      assert.deepEqual(
        unique.map((u) => u.name),
        ['timesheets_unique_entry'],
      );
    });

    test('a load that changes a tenth of its payload refreshes the planner statistics, a smaller change leaves them', async () => {
      // Only the load's own ANALYZE may move the estimate here, not autovacuum's.
      if (tdb.kind === 'server') await db.exec('ALTER TABLE servicedesk.timesheets SET (autovacuum_enabled = false)');
      const estimate = async () => {
        const [r] = await rows<{ estimated: number; stored: number }>(
          db,
          `SELECT reltuples::int AS estimated, (SELECT count(*)::int FROM servicedesk.timesheets) AS stored
           FROM pg_class WHERE oid = 'servicedesk.timesheets'::regclass`,
        );
        return r!;
      };
      otc.set('timesheets', manyTimesheets(12_000));
      await syncOnce(db, config(), ['timesheets']);
      const first = await estimate();
      assert.equal(first.estimated, first.stored);
      // 1,100 new rows in a payload of 13,100: over a thousand, under a tenth.
      otc.set('timesheets', manyTimesheets(13_100));
      assert.equal(outcome(await syncOnce(db, config(), ['timesheets']), 'timesheets').counts.inserted, 1_100);
      assert.deepEqual(await estimate(), { estimated: first.estimated, stored: first.stored + 1_100 });
      // 1,500 new rows in a payload of 14,600: over a tenth.
      otc.set('timesheets', manyTimesheets(14_600));
      await syncOnce(db, config(), ['timesheets']);
      const last = await estimate();
      assert.equal(last.stored, first.stored + 2_600);
      assert.equal(last.estimated, last.stored);
    });

    test('an unchanged re-sync writes no tuple', async () => {
      otc.set('tickets', [ticket(1), ticket(3)]);
      otc.set('comments', [comment(10, 1), comment(11, 3)]);
      otc.set('timesheets', manyTimesheets(60));
      await syncOnce(db, config());
      // With the pool closed its sessions end, and a session's statistics are flushed when it ends.
      const writes = await fixture.whileClosed(() => tupleWrites(tdb));
      const versions = `SELECT (SELECT string_agg(ctid::text || xmin::text, ',' ORDER BY ctid) FROM servicedesk.tickets) AS t,
                               (SELECT string_agg(ctid::text || xmin::text, ',' ORDER BY ctid) FROM servicedesk.comments) AS c,
                               (SELECT string_agg(ctid::text || xmin::text, ',' ORDER BY ctid) FROM servicedesk.timesheets) AS s`;
      const before = await rows(db, versions);
      const result = await syncOnce(db, config());
      for (const o of result.outcomes) assert.equal(o.counts.inserted + o.counts.updated + o.counts.removed, 0, o.view);
      assert.deepEqual(await rows(db, versions), before);
      if (writes) assert.deepEqual(await fixture.whileClosed(() => tupleWrites(tdb)), writes);
    });

    test('a load finds each stored row by the hash of the record it was loaded from', async () => {
      const records = manyTimesheets(60);
      otc.set('timesheets', records);
      await syncOnce(db, config(), ['timesheets']);
      const digests = records.map((r) => recordDigest(JSON.stringify(r)));
      // Both halves of the hash come back signed as they are: some of these records have either half negative.
      assert.ok(digests.some((d) => digestHalf(d, 0) < 0) && digests.some((d) => digestHalf(d, 4) < 0));
      // The records' dates are in January 2025: the window is placed there. Read a few rows at a time
      // too, the last fetch partly full or empty.
      const readAt = Date.parse('2025-02-01T00:00:00Z');
      for (const rowsPerFetch of [7, 10, 100_000]) {
        const stored = await db.transaction((tx) => readStoredRows(tx, 'servicedesk', getView('timesheets'), readAt, rowsPerFetch));
        const found = new Set(digests.map((d) => stored.rowOf(d)));
        assert.equal(found.size, 60, `${rowsPerFetch} rows a fetch`);
        assert.ok(!found.has(-1));
        assert.equal(stored.rowOf(recordDigest(JSON.stringify({ ...records[0], 'TS-Title': 'edited' }))), -1);
      }
    });
  });

  describe(`migration 005 on an old-shape ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    const config = (extra: Record<string, string> = {}) => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0', ...extra });

    const fixture = useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s));

    test('converts the tables in place without losing a value, reports the space freed, and a re-sync finds nothing changed', async () => {
      otc.set('tickets', [ticket(1, { 'TKT-New Field': 'kept' }), ticket(2, { 'TKT-Due Date': 'not a date' })]);
      otc.set('comments', [comment(10, 1), comment(11, 2, { 'TKTCT-UserID': 502 })]);
      otc.set('timesheets', manyTimesheets(300));
      // Rows as the current load makes them, in a schema of their own ...
      await syncOnce(db, config({ OTC_SCHEMA: 'fresh' }));
      // ... copied into a schema built by migrations 001-004 in their old shape: the whole record in
      // _raw, the full SHA-1 as base64 text, run ids as text, the generated _key.
      await buildOldShape(db);
      const before = new Map<string, Awaited<ReturnType<typeof snapshot>>>();
      for (const v of VIEWS) before.set(v.table, await snapshot(db, 'servicedesk', v.table, v.key));
      assert.equal(before.get('timesheets')!.length, 300);

      const r = await fixture.whileClosed(() => runCli(['migrate', '--json', '--keep-timezone'], { env: tdb.env, cwd: tdb.cwd }));
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { applied: string[]; freedBytes: number };
      // Later migrations (006, the ticket history) follow it.
      assert.deepEqual(result.applied.slice(0, 1), ['005_record_once']);
      assert.ok(result.freedBytes > 0, `freed ${result.freedBytes} bytes`);

      for (const v of VIEWS) {
        const after = await snapshot(db, 'servicedesk', v.table, v.key);
        const records = await rows<{ record: unknown }>(
          db,
          `SELECT servicedesk.record_of(t) AS record FROM servicedesk.${v.table} t ORDER BY ${v.key.map((c) => `t."${c}"`).join(', ')}`,
        );
        const old = before.get(v.table)!;
        assert.equal(after.length, old.length, v.table);
        after.forEach((row, i) => {
          assert.deepEqual(row.cols, old[i]!.cols, `${v.table} columns`);
          assert.deepEqual(records[i]!.record, old[i]!.raw, `${v.table} record rebuilt`);
          assert.deepEqual([row.first, row.last], [old[i]!.first, old[i]!.last], `${v.table} lineage`);
          const oldHash = old[i]!.hash === null ? null : Buffer.from(old[i]!.hash!, 'base64').readBigInt64BE(0).toString();
          assert.equal(row.hash, oldHash, `${v.table} hash`);
          assert.ok(Object.keys(row.raw).length < Object.keys(old[i]!.raw).length, `${v.table} _raw smaller`);
        });
      }
      const [unknown] = await rows<{ v: string }>(
        db,
        `SELECT _raw->>'TKT-New Field' AS v FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 1`,
      );
      assert.equal(unknown!.v, 'kept');

      const resync = await syncOnce(db, config());
      for (const o of resync.outcomes) {
        assert.equal(o.counts.inserted + o.counts.updated + o.counts.removed, 0, `${o.view} after the migration`);
        assert.equal(o.counts.unchanged, o.counts.fetched, o.view);
      }
    });
  });
}

/** Builds `servicedesk` with migrations 001-004 and fills it, in the old shape, from the rows of `fresh`. */
async function buildOldShape(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec('CREATE SCHEMA servicedesk');
    await tx.exec('SET LOCAL search_path TO servicedesk, public');
    await tx.exec(SCHEMA_MIGRATIONS_DDL);
    for (const m of listMigrations().filter((m) => m.version <= 4)) {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    }
    for (const v of VIEWS) {
      const cols = columnsOf(v)
        .map((c) => `"${c}"`)
        .join(', ');
      await tx.exec(
        `INSERT INTO servicedesk.${v.table} (${cols}, _raw, _record_hash, _last_source, _first_run_id, _first_loaded_at, _last_run_id, _last_changed_at)
         SELECT ${cols}, fresh.record_of(f),
                encode(int8send(f._record_hash) || '\\x000000000000000000000000'::bytea, 'base64'),
                f._last_source, f._first_run_id::text, f._first_loaded_at, f._last_run_id::text, f._last_changed_at
         FROM fresh.${v.table} f`,
      );
    }
  });
}

/**
 * Tuples written to the three data tables so far, by the server's statistics (null on the embedded
 * database, which keeps none across sessions). Call with the database closed: once every other session
 * has ended, its statistics have been flushed.
 */
async function tupleWrites(tdb: TestDatabase): Promise<Record<string, number> | null> {
  if (tdb.kind !== 'server') return null;
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: tdb.env.DATABASE_URL });
  await client.connect();
  try {
    // Bounded: the pool's sessions are already closing; this waits for them to be gone, not on a policy.
    for (let attempt = 0; attempt < 200; attempt++) {
      const { rows: others } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      if (others[0]!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows: stats } = await client.query<{ relname: string; n: string }>(
      `SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS n FROM pg_stat_user_tables
       WHERE schemaname = 'servicedesk' AND relname IN ('tickets', 'comments', 'timesheets')`,
    );
    return Object.fromEntries(stats.map((s) => [s.relname, Number(s.n)]));
  } finally {
    await client.end();
  }
}
