import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { errorMessage } from '../../src/pipeline/error-text.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { ticket } from '../support/records.js';

const SECRET = 'Customer Jane Citizen, card 4111';

async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected the statement to fail');
}

for (const kind of DATABASE_KINDS) {
  describe(`private data in errors on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;

    before(async () => {
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      db = await tdb.open();
    });
    after(async () => {
      await db.close();
      await tdb.drop();
    });

    test('a database error that would quote a value is reported by its SQLSTATE and column only', async () => {
      const cast = errorMessage(await failure(() => db.query('SELECT $1::bigint', [SECRET])));
      assert.ok(!cast.includes('Jane'), cast);
      assert.match(cast, /SQLSTATE 22P02/);

      const copy = errorMessage(
        await failure(() =>
          db.transaction(async (tx) => {
            await tx.exec('CREATE TEMP TABLE otc_probe ("TS-Hours" numeric) ON COMMIT DROP');
            const copy = tx.beginCopy('otc_probe', ['TS-Hours']);
            await copy.write(`${SECRET}\n`);
            await copy.finish();
          }),
        ),
      );
      assert.ok(!copy.includes('Jane'), copy);
      assert.match(copy, /column "TS-Hours".*SQLSTATE 22P02/);
    });

    test('a database error about objects keeps its message, which says what to fix', async () => {
      const missing = errorMessage(await failure(() => db.query('SELECT * FROM servicedesk.no_such_table')));
      assert.match(missing, /no_such_table.*SQLSTATE 42P01/);
    });
  });
}

/** Backdated history: each row `[view, source, status, days ago]`; rejects `[view, days ago]`. */
async function seedHistory(db: Db, runs: Array<[string, string, string, number]>, rejects: Array<[string, number]>): Promise<void> {
  for (const [view, source, status, days] of runs) {
    await db.query(
      `INSERT INTO servicedesk.etl_metadata (run_id, view_name, source, load_status, load_start, load_end, error_message)
       VALUES ($1, $2, $3, $4, now() - make_interval(days => $5), now() - make_interval(days => $5), $6)`,
      [`old-${view}-${source}-${status}-${days}`, view, source, status, days, `seeded ${days}`],
    );
  }
  for (const [view, days] of rejects) {
    await db.query(
      `INSERT INTO servicedesk.load_rejects (run_id, view_name, kind, reason, raw_record, created_at)
       VALUES ('old', $1, 'record', $2, '{"TKT-Title":"customer text"}', now() - make_interval(days => $3))`,
      [view, `seeded ${days}`, days],
    );
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`history retention on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;

    useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s), { tickets: [ticket(1)] }, { migrated: true });

    test('a sync deletes rejects and runs older than OTC_RETENTION_DAYS but keeps the latest success of each view', async () => {
      const config = tdb.config({ ...otc.env(), OTC_RETENTION_DAYS: '400', OTC_MIN_VOLUME_RATIO: '0' });
      await syncOnce(db, config, ['tickets']);
      await seedHistory(
        db,
        [
          ['comments', 'api', 'success', 900], // the only success of comments: freshness needs it
          ['comments', 'api', 'partial', 950],
          ['comments', 'api', 'failed', 500],
          ['timesheets', 'export.xlsx', 'success', 800], // the only success of timesheets, from an import
          ['tickets', 'api', 'success', 700], // superseded by the sync above
          ['tickets', 'api', 'failed', 399],
        ],
        [
          ['tickets', 401],
          ['tickets', 10],
        ],
      );
      await syncOnce(db, config, ['tickets']);
      const kept = await rows<{ error_message: string }>(
        db,
        `SELECT error_message FROM servicedesk.etl_metadata WHERE error_message LIKE 'seeded%' ORDER BY 1`,
      );
      assert.deepEqual(
        kept.map((r) => r.error_message),
        ['seeded 399', 'seeded 800', 'seeded 900'],
      );
      const rejects = await rows<{ reason: string }>(db, `SELECT reason FROM servicedesk.load_rejects WHERE run_id = 'old'`);
      assert.deepEqual(
        rejects.map((r) => r.reason),
        ['seeded 10'],
      );
      const [fresh] = await rows<{ last_loaded: Date | null }>(
        db,
        `SELECT last_loaded FROM servicedesk.v_data_freshness WHERE view_name = 'comments'`,
      );
      assert.ok(fresh!.last_loaded !== null, 'comments still shows when it last loaded');
    });

    test('OTC_RETENTION_DAYS=0 keeps everything', async () => {
      await seedHistory(db, [['tickets', 'api', 'failed', 5000]], [['tickets', 5000]]);
      await syncOnce(db, tdb.config({ ...otc.env(), OTC_RETENTION_DAYS: '0', OTC_MIN_VOLUME_RATIO: '0' }), ['tickets']);
      const [r] = await rows<{ runs: number; rejects: number }>(
        db,
        `SELECT (SELECT count(*)::int FROM servicedesk.etl_metadata WHERE error_message = 'seeded 5000') AS runs,
                (SELECT count(*)::int FROM servicedesk.load_rejects WHERE reason = 'seeded 5000') AS rejects`,
      );
      assert.deepEqual(r, { runs: 1, rejects: 1 });
    });
  });
}
