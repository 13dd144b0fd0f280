import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce } from '../support/harness.js';
import { comment, ticket, timesheet } from '../support/records.js';

/** Seven consecutive days: day `n` (1..7) as OTC writes it (DD/MM/YYYY) and as stored (YYYY-MM-DD). */
interface Week {
  readonly slash: (n: number) => string;
  readonly iso: (n: number) => string;
}

function weekFrom(firstDayMs: number): Week {
  const iso = (n: number) => new Date(firstDayMs + (n - 1) * 86_400_000).toISOString().slice(0, 10);
  return { iso, slash: (n) => iso(n).split('-').reverse().join('/') };
}

/**
 * A load finds the rows missing from the payload among the stored rows it read before it began (the
 * window and a margin back from today); a payload reaching back further than those is checked in the
 * table itself. Both ways must find the same rows.
 */
const WEEKS: Record<string, Week> = {
  'dates the source serves today': weekFrom(Date.now() - 9 * 86_400_000),
  'dates older than the stored rows a load reads': weekFrom(Date.UTC(2025, 0, 1)),
};

for (const kind of DATABASE_KINDS)
  for (const [dates, day] of Object.entries(WEEKS)) {
    /** A week of timesheet entries, one a day, on ticket 1001. */
    const week = () => Array.from({ length: 7 }, (_, i) => timesheet({ 'TS-Date': day.slash(i + 1), 'TS-Hours': 2 }));
    const comments = () => Array.from({ length: 6 }, (_, i) => comment(500 + i, 1, { 'TKTCT-Created Time': `${day.slash(i + 1)} 10:00` }));

    describe(`edits, deletions and the volume guard on the ${kind} database, ${dates}`, () => {
      let tdb: TestDatabase;
      let db: Db;
      let otc: FixtureServer;

      before(async () => {
        otc = await startFixtureServer({ tickets: [ticket(1), ticket(2)], comments: comments(), timesheets: week() });
        tdb = await createTestDatabase(kind, {}, { migrated: true });
        db = await tdb.open();
        await syncOnce(db, tdb.config(otc.env()));
      });
      after(async () => {
        await db.close();
        await tdb.drop();
        await otc.close();
      });

      test('an edited timesheet entry (new start time) replaces the old one, so its hours count once', async () => {
        const edited = week();
        edited[3] = timesheet({
          'TS-Date': day.slash(4),
          'TS-Time From': '10:00',
          'TS-Hours': 2,
          'TS-Modified Time': `${day.slash(5)} 08:00`,
        });
        otc.set('timesheets', edited);
        // Every view: with a server database, the timesheets' stored rows are read while the comments load.
        const result = await syncOnce(db, tdb.config(otc.env()));
        const o = outcome(result, 'timesheets');
        assert.deepEqual([o.counts.inserted, o.counts.unchanged, o.counts.removed], [1, 6, 1]);
        assert.deepEqual([outcome(result, 'comments').counts.unchanged, outcome(result, 'tickets').counts.unchanged], [6, 2]);
        const [hours] = await rows<{ h: string; n: number }>(
          db,
          `SELECT sum("TS-Hours")::text AS h, count(*)::int AS n FROM servicedesk.timesheets WHERE "TS-Crm ID" = 1001`,
        );
        assert.deepEqual(hours, { h: '14', n: 7 });
        const removed = await rows<{ from: string; run: string; raw: string }>(
          db,
          `SELECT "TS-Time From" AS from, removed_run_id AS run, servicedesk.record_of(r)->>'TS-Hours' AS raw FROM servicedesk.timesheets_removed r`,
        );
        assert.deepEqual(removed, [{ from: '09:00', run: result.runId, raw: '2' }]);
      });

      test('a comment deleted upstream inside the window is moved to comments_removed', async () => {
        otc.set(
          'comments',
          comments().filter((c) => c['TKTCT-CommentID'] !== 503),
        );
        const result = await syncOnce(db, tdb.config(otc.env()), ['comments']);
        assert.equal(outcome(result, 'comments').counts.removed, 1);
        const [gone] = await rows<{ id: number }>(db, 'SELECT comment_id AS id FROM servicedesk.comments_removed');
        assert.equal(Number(gone!.id), 503);
        const [left] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.comments WHERE comment_id = 503');
        assert.equal(left!.n, 0);
      });

      test('the earliest day of the payload is outside the checked window, so entries there are never removed', async () => {
        otc.set(
          'timesheets',
          week()
            .slice(1)
            .concat([
              timesheet({ 'TS-Date': day.slash(4), 'TS-Time From': '10:00', 'TS-Hours': 2, 'TS-Modified Time': `${day.slash(5)} 08:00` }),
            ])
            .filter((r) => !(r['TS-Date'] === day.slash(4) && r['TS-Time From'] === '09:00')),
        );
        const result = await syncOnce(db, tdb.config(otc.env()), ['timesheets']);
        assert.equal(outcome(result, 'timesheets').counts.removed, 0);
        const [first] = await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM servicedesk.timesheets WHERE "TS-Date" = $1`, [
          day.iso(1),
        ]);
        assert.equal(first!.n, 1);
      });

      test('a truncated but valid payload is refused: nothing loaded, nothing removed', async () => {
        otc.set('timesheets', week().slice(0, 2));
        const result = await syncOnce(db, tdb.config(otc.env()), ['timesheets']);
        const o = outcome(result, 'timesheets');
        assert.equal(o.status, 'failed');
        assert.match(o.error ?? '', /OTC_MIN_VOLUME_RATIO.*--allow-shrink/);
        const [n] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.timesheets');
        assert.equal(n!.n, 7);
      });

      test('an empty payload for a view that had data is refused', async () => {
        otc.set('comments', []);
        const result = await syncOnce(db, tdb.config(otc.env()), ['comments']);
        assert.equal(outcome(result, 'comments').status, 'failed');
        assert.match(outcome(result, 'comments').error ?? '', /no records/);
      });

      test('a ticket missing from the tickets view is never treated as deleted', async () => {
        otc.set('tickets', [ticket(2)]);
        const config = tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });
        const result = await syncOnce(db, config, ['tickets']);
        assert.equal(outcome(result, 'tickets').counts.removed, 0);
        const [n] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.tickets');
        assert.equal(n!.n, 2);
      });
    });
  }
