import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows, syncOnce } from '../support/harness.js';
import { fileOutcome, importOnce, reprocessOnce, writeJson } from '../support/import-harness.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { writeXlsxExport } from '../support/xlsx-export.js';

const ZERO = { fetched: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, duplicates: 0, valueErrors: 0, removed: 0 };

for (const kind of DATABASE_KINDS) {
  describe(`reprocess on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    let dir: string;
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });
    const hours = async () =>
      (await rows<{ h: string | null }>(db, `SELECT "TS-Hours"::text AS h FROM servicedesk.timesheets ORDER BY "TS-Time From"`)).map(
        (r) => r.h,
      );

    before(async () => {
      otc = await startFixtureServer({
        tickets: [ticket(1), ticket(2)],
        comments: [comment(10, 1), comment(11, 2, { 'TKTCT-VisibleCustomer': 'No' })],
        timesheets: [
          timesheet(),
          timesheet({ 'TS-Time From': '13:00', 'TS-Time To': '14:15', 'TS-Hours': '1,25' }),
          timesheet({ 'TS-Time From': '15:00', 'TS-Time To': '16:00', 'TS-Hours': '1', 'TS-Crm ID': '' }),
        ],
      });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      db = await tdb.open();
      dir = await mkdtemp(join(tmpdir(), 'otc-etl-reprocess-'));
      await syncOnce(db, config());
    });
    after(async () => {
      await db.close();
      await tdb.drop();
      await otc.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('reprocess re-derives a typed column corrupted by SQL and reports those rows updated', async () => {
      await db.exec(`UPDATE servicedesk.timesheets SET "TS-Hours" = NULL`);
      await db.exec(`UPDATE servicedesk.tickets SET "TKT-Created Time" = NULL WHERE "TKT-Ticket ID" = 2`);
      const result = await reprocessOnce(db, config());
      const counts = Object.fromEntries(result.outcomes.map((o) => [o.view, o.counts]));
      assert.deepEqual(counts, {
        comments: { ...ZERO, fetched: 2, unchanged: 2 },
        timesheets: { ...ZERO, fetched: 3, updated: 3 },
        tickets: { ...ZERO, fetched: 2, updated: 1, unchanged: 1 },
      });
      assert.deepEqual(await hours(), ['2.5', '1.25', '1']);
      const [t] = await rows(
        db,
        `SELECT to_char("TKT-Created Time" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS c FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 2`,
      );
      assert.deepEqual(t, { c: '2025-01-02 00:00' });
      const meta = await rows(
        db,
        `SELECT view_name, source, load_status, records_updated::int AS updated FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id`,
        [result.runId],
      );
      assert.deepEqual(meta, [
        { view_name: 'comments', source: 'reprocess', load_status: 'success', updated: 0 },
        { view_name: 'timesheets', source: 'reprocess', load_status: 'success', updated: 3 },
        { view_name: 'tickets', source: 'reprocess', load_status: 'success', updated: 1 },
      ]);
    });

    test('a second reprocess reports every row unchanged', async () => {
      const result = await reprocessOnce(db, config());
      for (const o of result.outcomes) {
        assert.equal(o.status, 'success');
        assert.equal(o.counts.unchanged, o.counts.fetched, `${o.view} changed rows`);
      }
    });

    test('reprocess of one view leaves the others alone, and a following sync still finds nothing changed', async () => {
      const result = await reprocessOnce(db, config(), ['timesheets']);
      assert.deepEqual(
        result.outcomes.map((o) => o.view),
        ['timesheets'],
      );
      const sync = await syncOnce(db, config());
      for (const o of sync.outcomes) assert.equal(o.counts.inserted + o.counts.updated + o.counts.removed, 0, `${o.view} changed`);
    });

    test('reprocess rewrites an API comment from its source record and it stays protected from imports', async () => {
      // A column whose source text `_raw` keeps (a day-first wall-clock time): a parser bug would show there.
      await db.exec(`UPDATE servicedesk.comments SET created_time = now() WHERE comment_id = 10`);
      const result = await reprocessOnce(db, config(), ['comments']);
      assert.equal(result.outcomes[0]!.counts.updated, 1);
      const read = async () =>
        (
          await rows(
            db,
            `SELECT comment_text, visible_to_customer, to_char(created_time AT TIME ZONE 'Australia/Perth', 'DD/MM/YYYY HH24:MI') AS created,
                    _last_source FROM servicedesk.comments WHERE comment_id = 10`,
          )
        )[0];
      const restored = { comment_text: 'comment 10', visible_to_customer: true, created: '07/01/2025 10:00', _last_source: 'api' };
      assert.deepEqual(await read(), restored);
      const file = await writeJson(dir, 'comments.json', [comment(10, 1, { 'TKTCT-Comment': 'from an export' })]);
      assert.equal(fileOutcome(await importOnce(db, config(), [file])).counts.unchanged, 1);
      assert.deepEqual(await read(), restored);
    });

    test('reprocess reads serial dates an XLSX import left in _raw the way the import did, also from a 1904 workbook', async () => {
      const path = join(dir, 'old-mac.xlsx');
      // 2024-11-05 in the 1904 system, as a plain number in the date column.
      const serial1904 = 45601 - 1462;
      await writeXlsxExport(
        path,
        [timesheet({ 'TS-Date': serial1904, 'TS-Time From': 0.375, 'TS-Crm ID': 77, 'TS-Modified Time': serial1904 + 0.5 })],
        { date1904: true },
      );
      assert.equal(fileOutcome(await importOnce(db, config(), [path])).counts.inserted, 1);
      const read = async () =>
        (await rows(db, `SELECT "TS-Date"::text AS d, "TS-Time From" AS f FROM servicedesk.timesheets WHERE "TS-Crm ID" = 77`))[0];
      assert.deepEqual(await read(), { d: '2024-11-05', f: '09:00' });
      const result = await reprocessOnce(db, config(), ['timesheets']);
      assert.deepEqual(result.outcomes[0]!.counts, { ...ZERO, fetched: 4, unchanged: 4 });
      assert.deepEqual(await read(), { d: '2024-11-05', f: '09:00' });
    });

    test('a row whose _raw reprocess now rejects keeps its row, is quarantined, and nothing moves to _removed', async () => {
      await db.exec(
        `UPDATE servicedesk.timesheets SET _raw = jsonb_set(_raw, '{TS-Crm ID}', '"not a ticket"') WHERE "TS-Time From" = '13:00'`,
      );
      const result = await reprocessOnce(db, tdb.config({ ...otc.env(), OTC_MAX_REJECT_RATE: '0.5' }), ['timesheets']);
      assert.equal(result.outcomes[0]!.status, 'partial');
      assert.deepEqual(result.outcomes[0]!.counts, { ...ZERO, fetched: 4, unchanged: 3, rejected: 1 });
      const rejects = await rows(db, 'SELECT kind, source, field FROM servicedesk.load_rejects WHERE run_id = $1', [result.runId]);
      assert.deepEqual(rejects, [{ kind: 'record', source: 'reprocess', field: 'TS-Crm ID' }]);
      const [n] = await rows<{ n: number; removed: number }>(
        db,
        'SELECT (SELECT count(*) FROM servicedesk.timesheets)::int AS n, (SELECT count(*) FROM servicedesk.timesheets_removed)::int AS removed',
      );
      assert.deepEqual(n, { n: 4, removed: 0 });
    });

    test('a reprocess that would give a stored row a new key changes nothing and fails the view', async () => {
      await db.exec(`UPDATE servicedesk.timesheets SET _raw = jsonb_set(_raw, '{TS-Time From}', '"16:30"') WHERE "TS-Time From" = '15:00'`);
      // The row the test before left unreadable is still there: allow for its reject.
      const result = await reprocessOnce(db, tdb.config({ ...otc.env(), OTC_MAX_REJECT_RATE: '0.5' }), ['timesheets']);
      assert.equal(result.outcomes[0]!.status, 'failed');
      assert.match(result.outcomes[0]!.error ?? '', /different key/);
      const times = await rows<{ f: string }>(db, `SELECT "TS-Time From" AS f FROM servicedesk.timesheets ORDER BY 1`);
      assert.deepEqual(
        times.map((t) => t.f),
        ['09:00', '09:00', '13:00', '15:00'],
      );
    });
  });
}
