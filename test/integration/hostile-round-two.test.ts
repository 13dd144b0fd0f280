/**
 * The findings of the second attack on the product, each as what a user would check afterwards: one bad
 * record never ends a run, lock waits end, implausible values stay out of cursors, ambiguous bodies are
 * refused, compressed bodies are read.
 */
import assert from 'node:assert/strict';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { Db } from '../../src/load/db.js';
import { openDb } from '../../src/load/open-db.js';
import { DATABASE_KINDS } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { closeSharedEmbedded } from '../support/shared-embedded.js';
import type { TestDatabase } from '../support/databases.js';
import { comment, ticket, timesheet } from '../support/records.js';

const envelope = (elements: readonly string[]) => Buffer.from(`{"message":{"data":[${elements.join(',')}]}}`);
const json = (body: Buffer) => ({ status: 200, body, headers: { 'content-type': 'application/json' } });

interface Reject {
  position: number;
  record_key: string | null;
  kind: string;
  reason: string;
  raw_text: string | null;
  has_json: boolean;
}

async function rejectsOf(db: Db, runId: string): Promise<Reject[]> {
  return rows<Reject>(
    db,
    `SELECT position::int AS position, record_key, kind, reason, raw_text, raw_record IS NOT NULL AS has_json
     FROM servicedesk.load_rejects WHERE run_id = $1 ORDER BY position`,
    [runId],
  );
}

function assertCountsAddUp(c: {
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  duplicates: number;
}): void {
  assert.equal(c.fetched, c.inserted + c.updated + c.unchanged + c.rejected + c.duplicates, JSON.stringify(c));
}

for (const kind of DATABASE_KINDS) {
  describe(`hostile input, round two, on the ${kind} database`, () => {
    let otc: FixtureServer;
    let tdb: TestDatabase;
    let db: Db;
    const fixture = useFixtureDatabase(kind, (setup) => ({ otc, tdb, db } = setup), {}, { migrated: true });
    // Each test sends a payload of its own size: the volume guard has its own tests.
    const config = (extra: Record<string, string> = {}) =>
      tdb.config({ ...otc.env(), OTC_MAX_REJECT_RATE: '0.5', OTC_MIN_VOLUME_RATIO: '0', ...extra });

    test('a record past OTC_MAX_RECORD_BYTES is rejected alone with its size, key and first 4 KiB; the other views still load', async () => {
      const huge = JSON.stringify(comment(2, 7, { 'TKTCT-Comment': 'é'.repeat(200_000) }));
      otc.set('comments', json(envelope([JSON.stringify(comment(1, 7)), huge, JSON.stringify(comment(3, 7))])));
      otc.set('tickets', [ticket(7)]);
      const result = await syncOnce(db, config({ OTC_MAX_RECORD_BYTES: '65536' }), ['comments', 'tickets']);
      const comments = outcome(result, 'comments');
      assert.equal(comments.status, 'partial', comments.error ?? '');
      assert.deepEqual([comments.counts.fetched, comments.counts.inserted, comments.counts.rejected], [3, 2, 1]);
      assertCountsAddUp(comments.counts);
      assert.equal(outcome(result, 'tickets').status, 'success');
      const [reject] = await rejectsOf(db, result.runId);
      assert.equal(reject!.position, 2);
      assert.equal(reject!.kind, 'record');
      assert.equal(reject!.record_key, '2');
      assert.match(reject!.reason, /\d+ bytes, more than OTC_MAX_RECORD_BYTES=65536/);
      assert.ok(reject!.raw_text!.length < 4300, `kept ${reject!.raw_text!.length} characters`);
      assert.match(reject!.raw_text!, /"TKTCT-CommentID":2/);
      const stored = await rows<{ id: number }>(db, 'SELECT comment_id::int AS id FROM servicedesk.comments ORDER BY 1');
      assert.deepEqual(
        stored.map((r) => r.id),
        [1, 3],
      );
    });

    test('a record with a byte that is not UTF-8 is rejected alone, its bytes kept escaped; the rest loads', async () => {
      const body = envelope([
        JSON.stringify(ticket(11)),
        JSON.stringify(ticket(12, { 'TKT-Title': 'caf_ printer' })),
        JSON.stringify(ticket(13)),
      ]);
      body[body.indexOf('caf_') + 3] = 0xe9;
      otc.set('tickets', json(body));
      const result = await syncOnce(db, config(), ['tickets']);
      const tickets = outcome(result, 'tickets');
      assert.equal(tickets.status, 'partial', tickets.error ?? '');
      assert.deepEqual([tickets.counts.fetched, tickets.counts.rejected], [3, 1]);
      assertCountsAddUp(tickets.counts);
      const [reject] = await rejectsOf(db, result.runId);
      assert.deepEqual([reject!.position, reject!.kind, reject!.record_key, reject!.has_json], [2, 'record', '12', false]);
      assert.match(reject!.reason, /not UTF-8/);
      assert.match(reject!.raw_text!, /caf\\xe9 printer/);
      const stored = await rows<{ id: number }>(
        db,
        'SELECT "TKT-Ticket ID"::int AS id FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (11, 12, 13) ORDER BY 1',
      );
      assert.deepEqual(
        stored.map((r) => r.id),
        [11, 13],
      );
    });

    test('a field named twice with different values, or a key id that is not positive, rejects that record; an assignee id 0 stays', async () => {
      otc.set(
        'tickets',
        json(
          envelope([
            '{"TKT-Ticket ID":21,"TKT-Title":"first","TKT-Title":"second"}',
            '{"TKT-Ticket ID":22,"TKT-Title":"same","TKT-Title":"same"}',
            JSON.stringify(ticket(23, { 'TKT-Ticket ID': '-5' })),
            JSON.stringify(ticket(24, { 'TKT-Ticket ID': 0 })),
            JSON.stringify(ticket(25, { 'TKT-Assigned To Userid': 0 })),
          ]),
        ),
      );
      const result = await syncOnce(db, config({ OTC_MAX_REJECT_RATE: '1' }), ['tickets']);
      const tickets = outcome(result, 'tickets');
      assert.deepEqual([tickets.status, tickets.counts.fetched, tickets.counts.rejected], ['partial', 5, 3]);
      assertCountsAddUp(tickets.counts);
      const rejects = await rejectsOf(db, result.runId);
      assert.deepEqual(
        rejects.map((r) => [r.position, r.kind]),
        [
          [1, 'record'],
          [3, 'record'],
          [4, 'record'],
        ],
      );
      assert.match(rejects[0]!.reason, /"TKT-Title" is named twice with different values/);
      assert.equal(rejects[0]!.record_key, '21');
      assert.match(rejects[1]!.reason, /positive id, got -5/);
      const stored = await rows<{ id: number; title: string; assignee: number | null }>(
        db,
        'SELECT "TKT-Ticket ID"::int AS id, "TKT-Title" AS title, "TKT-Assigned To Userid"::int AS assignee FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (21, 22, 25) ORDER BY 1',
      );
      assert.deepEqual(stored, [
        { id: 22, title: 'same', assignee: null },
        { id: 25, title: 'Ticket 25', assignee: 0 },
      ]);
    });

    test('a modified time years ahead is a value error: never the cursor nor latest_data_date, and later real updates still land', async () => {
      otc.set('tickets', [ticket(31, { 'TKT-Modified Time': '01/01/2100 00:00', 'TKT-Created Time': '2100-01-01' })]);
      const first = await syncOnce(db, config(), ['tickets']);
      const ahead = outcome(first, 'tickets');
      assert.equal(ahead.counts.valueErrors, 2);
      assert.ok(ahead.cursor === null || !ahead.cursor.startsWith('2100'), `cursor ${ahead.cursor}`);
      const reasons = (await rejectsOf(db, first.runId)).map((r) => `${r.kind} ${r.reason}`);
      assert.ok(
        reasons.every((r) => /^value .*more than a day in the future/.test(r)),
        reasons.join('\n'),
      );
      const [fresh] = await rows<{ latest: string | null }>(
        db,
        `SELECT latest_data_date::text AS latest FROM servicedesk.v_data_freshness WHERE view_name = 'tickets'`,
      );
      assert.ok(!String(fresh!.latest).startsWith('2100'), `latest_data_date ${fresh!.latest}`);

      otc.set('tickets', [ticket(31, { 'TKT-Modified Time': '02/01/2025 10:00', 'TKT-Status': 'Closed' })]);
      await syncOnce(db, config(), ['tickets']);
      const [row] = await rows<{ status: string }>(db, 'SELECT "TKT-Status" AS status FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 31');
      assert.equal(row!.status, 'Closed');
    });

    test('an envelope with two record lists fails the view as a data error and loads nothing', async () => {
      otc.set(
        'comments',
        json(Buffer.from(`{"data":[${JSON.stringify(comment(41, 7))}],"message":{"data":[${JSON.stringify(comment(42, 7))}]}}`)),
      );
      const result = await syncOnce(db, config(), ['comments']);
      const comments = outcome(result, 'comments');
      assert.equal(comments.status, 'failed');
      assert.match(comments.error!, /more than one record list/);
      assert.deepEqual(await rows(db, 'SELECT 1 FROM servicedesk.comments WHERE comment_id IN (41, 42)'), []);
    });

    test('gzip, deflate and brotli bodies are decoded, and a body past OTC_MAX_BODY_BYTES (decoded) fails cleanly', async () => {
      const body = envelope(
        Array.from({ length: 40 }, (_, i) =>
          JSON.stringify(timesheet({ 'TS-Date': `${(i % 28) + 1}/02/2025`, 'TS-Time From': `${10 + (i % 9)}:00` })),
        ),
      );
      const encodings: Array<[string, Buffer]> = [
        ['gzip', gzipSync(body)],
        ['br', brotliCompressSync(body)],
      ];
      for (const [encoding, encoded] of encodings) {
        otc.set('timesheets', {
          status: 200,
          body: encoded,
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        });
        const result = await syncOnce(db, config({ OTC_MIN_VOLUME_RATIO: '0' }), ['timesheets']);
        const timesheets = outcome(result, 'timesheets');
        assert.equal(timesheets.status, 'success', `${encoding}: ${timesheets.error}`);
        assert.equal(timesheets.counts.fetched, 40);
      }
      // The compressed body is far below the cap, its decoded bytes are not.
      otc.set('timesheets', { status: 200, body: gzipSync(body), headers: { 'content-encoding': 'gzip' } });
      const capped = await syncOnce(db, config({ OTC_MAX_BODY_BYTES: String(body.length - 1), OTC_MIN_VOLUME_RATIO: '0' }), ['timesheets']);
      const timesheets = outcome(capped, 'timesheets');
      assert.equal(timesheets.status, 'failed');
      assert.match(timesheets.error!, new RegExp(`more than OTC_MAX_BODY_BYTES=${body.length - 1} bytes \\(decoded\\)`));
      assert.equal(timesheets.counts.inserted + timesheets.counts.updated, 0);
    });

    test("OTC_DB_LOCK_TIMEOUT_MS is the lock_timeout of the run's connections", async () => {
      const { openDb } = await import('../../src/load/open-db.js');
      await fixture.whileClosed(async () => {
        // The product's own open, so the embedded database this file shares is closed first.
        if (tdb.env.OTC_DATA_DIR) await closeSharedEmbedded(tdb.env.OTC_DATA_DIR);
        const bounded = await openDb(tdb.config({ OTC_DB_LOCK_TIMEOUT_MS: '1234' }));
        try {
          const [setting] = await rows<{ lock_timeout: string }>(bounded, 'SHOW lock_timeout');
          assert.equal(setting!.lock_timeout, '1234ms');
          await bounded.transaction(async (tx) => {
            const { rows: inTx } = await tx.query<{ lock_timeout: string }>('SHOW lock_timeout');
            assert.equal(inTx[0]!.lock_timeout, '1234ms');
          });
        } finally {
          await bounded.close();
        }
      });
    });

    if (kind === 'server') {
      test('a table locked by another session fails the view with "lock timeout", the table and the holder, instead of waiting forever', async () => {
        otc.set('tickets', [ticket(51)]);
        await syncOnce(db, config(), ['tickets']);
        const holder = new pg.Client({ connectionString: tdb.env.DATABASE_URL });
        await holder.connect();
        try {
          const { rows: me } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await holder.query('BEGIN');
          await holder.query('LOCK servicedesk.tickets IN ACCESS EXCLUSIVE MODE');
          otc.set('tickets', [ticket(51, { 'TKT-Status': 'Closed', 'TKT-Modified Time': '08/01/2025 09:00' })]);
          // The run's connections get their lock_timeout when they open: a pool of their own, as a new run has.
          const short = config({ OTC_DB_LOCK_TIMEOUT_MS: '300' });
          const shortDb = await openDb(short);
          const result = await syncOnce(shortDb, short, ['tickets']).finally(() => shortDb.close());
          const tickets = outcome(result, 'tickets');
          assert.equal(tickets.status, 'failed');
          assert.match(tickets.error!, /lock timeout/);
          assert.match(tickets.error!, /servicedesk\.tickets/);
          assert.match(tickets.error!, new RegExp(`session pid ${me[0]!.pid} \\(AccessExclusiveLock, its transaction open since \\d{4}-`));
          const [meta] = await rows<{ load_status: string; error_message: string }>(
            db,
            'SELECT load_status, error_message FROM servicedesk.etl_metadata WHERE run_id = $1',
            [result.runId],
          );
          assert.equal(meta!.load_status, 'failed');
          assert.match(meta!.error_message, /lock timeout/);
        } finally {
          await holder.query('ROLLBACK').catch(() => undefined);
          await holder.end();
        }
      });
    }
  });
}
