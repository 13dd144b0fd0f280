/**
 * The shortcuts of the load path give the same rows and counts as the merge they bypass: a table that
 * is empty when the load starts is filled by COPY straight in (until a key repeats), a record identical
 * to its stored row is recognised without parsing its values, and a body is read while it downloads.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { getView } from '../../src/registry.js';
import { runCli } from '../support/cli.js';
import { DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { FIXTURE_PASSWORD, FIXTURE_USER, type FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { ticket, timesheet } from '../support/records.js';

/**
 * A timesheet from three days ago: within the range whose stored hashes a sync reads, so an identical
 * record is recognised as known.
 */
function recent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const day = new Date(Date.now() - 3 * 86_400_000);
  const dmy = `${String(day.getUTCDate()).padStart(2, '0')}/${String(day.getUTCMonth() + 1).padStart(2, '0')}/${day.getUTCFullYear()}`;
  return timesheet({ 'TS-Date': dmy, 'TS-Modified Time': `${dmy} 12:00`, ...overrides });
}

for (const kind of DATABASE_KINDS) {
  describe(`load paths on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });

    const fixture = useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s), {}, { migrated: true });
    // Each test starts from empty tables (the first sync of the file creates them).
    beforeEach(async () => {
      await db.exec(`DO $$ BEGIN
        IF to_regclass('servicedesk.timesheets') IS NOT NULL THEN TRUNCATE servicedesk.timesheets, servicedesk.tickets; END IF;
      END $$`);
    });

    const hours = async () =>
      rows<{ from: string; h: string | null; title: string | null; raw_title: string | null }>(
        db,
        `SELECT "TS-Time From" AS from, "TS-Hours"::text AS h, "TS-Title" AS title, servicedesk.record_of(t)->>'TS-Title' AS raw_title
         FROM servicedesk.timesheets t ORDER BY "TS-Time From"`,
      );

    test('into an empty table, a repeated key is decided as by the merge: later cursor, then later position', async () => {
      const { 'TS-Title': _omitted, ...untitled } = timesheet({ 'TS-Time From': '13:00', 'TS-Hours': 4 });
      otc.set('timesheets', [
        timesheet({ 'TS-Hours': 3, 'TS-Modified Time': '07/01/2025 15:00' }),
        timesheet({ 'TS-Time From': '13:00', 'TS-Hours': 1 }),
        timesheet({ 'TS-Time From': '15:00' }),
        // Older cursor: loses to the first copy.
        timesheet({ 'TS-Hours': 1, 'TS-Modified Time': '07/01/2025 13:00' }),
        // Same cursor, later position: wins whole, so the title it lacks is not taken from the earlier copy.
        untitled,
      ]);
      const result = await syncOnce(db, config(), ['timesheets']);
      const c = outcome(result, 'timesheets').counts;
      assert.deepEqual([c.fetched, c.inserted, c.updated, c.unchanged, c.duplicates], [5, 3, 0, 0, 2]);
      assert.deepEqual(await hours(), [
        { from: '09:00', h: '3', title: 'work', raw_title: 'work' },
        { from: '13:00', h: '4', title: null, raw_title: null },
        { from: '15:00', h: '2.5', title: 'work', raw_title: 'work' },
      ]);
      const lineage = await rows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM servicedesk.timesheets
         WHERE _first_run_id = $1 AND _last_run_id = $1 AND _last_source = 'api' AND _record_hash IS NOT NULL
           AND _first_loaded_at IS NOT NULL AND _last_changed_at IS NOT NULL`,
        [result.runId],
      );
      assert.equal(lineage[0]!.n, 3);
      const again = outcome(await syncOnce(db, config(), ['timesheets']), 'timesheets').counts;
      assert.deepEqual([again.inserted, again.updated, again.unchanged, again.duplicates], [0, 0, 3, 2]);
    });

    test('a record identical to its stored row still reports a value it could not store, on every run', async () => {
      // Tickets have no window, so every stored ticket's hash is read and the second run recognises both.
      otc.set('tickets', [ticket(1), ticket(2, { 'TKT-Assigned To Userid': 'not a number' })]);
      for (let run = 1; run <= 2; run++) {
        const result = await syncOnce(db, config(), ['tickets']);
        const o = outcome(result, 'tickets');
        assert.deepEqual([o.counts.valueErrors, o.counts.inserted + o.counts.unchanged], [1, 2], `run ${run}`);
        const rejects = await rows<{ position: number; kind: string }>(
          db,
          'SELECT position, kind FROM servicedesk.load_rejects WHERE run_id = $1',
          [result.runId],
        );
        assert.deepEqual(
          rejects.map((r) => [Number(r.position), r.kind]),
          [[2, 'value']],
          `run ${run}`,
        );
      }
    });

    test('an unchanged record after a changed copy of its key in the same payload wins as the later copy', async () => {
      otc.set('timesheets', [recent()]);
      await syncOnce(db, config(), ['timesheets']);
      otc.set('timesheets', [recent({ 'TS-Hours': 7 }), recent()]);
      const c = outcome(await syncOnce(db, config(), ['timesheets']), 'timesheets').counts;
      assert.deepEqual([c.fetched, c.updated, c.unchanged, c.duplicates], [2, 0, 1, 1]);
      assert.equal((await hours())[0]!.h, '2.5');
    });

    test('a changed record after an unchanged copy of its key wins as the later copy', async () => {
      otc.set('timesheets', [recent()]);
      await syncOnce(db, config(), ['timesheets']);
      otc.set('timesheets', [recent(), recent({ 'TS-Hours': 7 })]);
      const c = outcome(await syncOnce(db, config(), ['timesheets']), 'timesheets').counts;
      assert.deepEqual([c.fetched, c.updated, c.unchanged, c.duplicates], [2, 1, 0, 1]);
      assert.equal((await hours())[0]!.h, '7');
    });

    test('a record recognised as its stored row reports the stored cursor to the millisecond', async () => {
      // The stored rows' cursors are read back as epoch milliseconds; the newest must come out as it went in.
      const at = (ms: string) => `${new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)}T12:00:00.${ms}`;
      otc.set('timesheets', [
        recent({ 'TS-Time From': '08:00', 'TS-Modified Time': at('007') }),
        recent({ 'TS-Time From': '10:00', 'TS-Modified Time': at('999') }),
      ]);
      const first = outcome(await syncOnce(db, config(), ['timesheets']), 'timesheets');
      assert.match(first.cursor ?? '', /:00\.999Z$/);
      const again = outcome(await syncOnce(db, config(), ['timesheets']), 'timesheets');
      assert.deepEqual([again.counts.unchanged, again.cursor], [2, first.cursor]);
    });

    test('a body cut off mid-way is read again from the start on the retry: nothing counted twice', async () => {
      const records = Array.from({ length: 6000 }, (_, i) => timesheet({ 'TS-Crm ID': 5000 + i }));
      const body = Buffer.from(JSON.stringify({ message: { data: records } }));
      let requests = 0;
      // The first answer sends two thirds of the body (more than a batch, so the early read takes some of
      // it) and drops the connection once those bytes are on their way; the retry gets the whole body.
      const server = createServer((req, res) => {
        requests++;
        if (new URL(req.url ?? '/', 'http://x').searchParams.get('id') !== getView('timesheets').guid) {
          res.writeHead(200).end('{"message":{"data":[]}}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        if (requests > 1) {
          res.end(body);
          return;
        }
        res.write(body.subarray(0, Math.floor((body.length * 2) / 3)), () => res.destroy());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/OTC/Data/View/data`;
        const env = {
          ...tdb.env,
          OTC_BASE_URL: url,
          OTC_USERNAME: FIXTURE_USER,
          OTC_PASSWORD: FIXTURE_PASSWORD,
          OTC_MIN_INTERVAL_MS: '0',
          OTC_BACKOFF_INITIAL_MS: '1',
          OTC_BACKOFF_MAX_MS: '5',
        };
        const r = await fixture.whileClosed(() => runCli(['sync', 'timesheets', '--json'], { env, cwd: tdb.cwd }));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(requests, 2);
        const doc = JSON.parse(r.stdout) as {
          runId: string;
          views: { timesheets: { fetched: number; inserted: number; duplicates: number } };
        };
        const t = doc.views.timesheets;
        assert.deepEqual([t.fetched, t.inserted, t.duplicates], [6000, 6000, 0]);
        const [stored] = await rows<{ n: number; fetched: number }>(
          db,
          `SELECT (SELECT count(*)::int FROM servicedesk.timesheets) AS n,
                  (SELECT records_fetched::int FROM servicedesk.etl_metadata WHERE run_id = $1) AS fetched`,
          [doc.runId],
        );
        assert.deepEqual(stored, { n: 6000, fetched: 6000 });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
}
