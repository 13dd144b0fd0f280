import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { startSimulator } from '../../src/simulator/index.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, openTestDb, type TestDatabase } from '../support/databases.js';
import { outcome, rows, syncOnce } from '../support/harness.js';
import { closeSharedEmbedded } from '../support/shared-embedded.js';
import { PASSWORD } from '../support/simulator-helpers.js';

interface DemoJson {
  history: { step: number; versions: number; tickets: number; moved: number };
}

describe('npm start three times', () => {
  let cwd: string;
  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'otc-etl-demo-'));
  });
  after(async () => {
    await closeSharedEmbedded(join(cwd, '.otc-etl-demo'));
    await rm(cwd, { recursive: true, force: true });
  });

  test('each demo run moves the simulator one step on, and the ticket history grows while comments and timesheets stay put', async () => {
    const runs: DemoJson[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['demo', '--json'], { env: {}, cwd });
      assert.equal(r.code, 0, r.stderr);
      runs.push(JSON.parse(r.stdout) as DemoJson);
    }
    assert.deepEqual(
      runs.map((r) => r.history.step),
      [0, 1, 2],
    );
    const db = await openTestDb(loadConfig({ env: { OTC_DATA_DIR: join(cwd, '.otc-etl-demo') }, cwd }));
    const counts = await rows<{ view: string; inserted: number; removed: number }>(
      db,
      `SELECT view_name AS view, records_inserted::int AS inserted, records_removed::int AS removed
       FROM servicedesk.etl_metadata WHERE view_name <> 'tickets' ORDER BY load_start`,
    ).finally(() => db.close());
    assert.equal(counts.length, 6);
    const [first, second, third] = runs.map((r) => r.history);
    assert.equal(first!.versions, first!.tickets, 'the first sync sees one version of each ticket');
    assert.ok(second!.versions > first!.versions && third!.versions > second!.versions, 'each run adds versions');
    assert.ok(third!.moved > second!.moved && second!.moved > 0, 'more tickets are seen to change');
    // A restart of the simulator serves the same comments and timesheets: nothing new, nothing removed.
    for (const later of counts.slice(2)) assert.deepEqual([later.inserted, later.removed], [0, 0], later.view);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`syncing the simulator step by step (${kind} database)`, () => {
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

    test('tickets_as_of(now()) is the tickets table after each step, and an earlier instant gives the earlier versions', async () => {
      const typed = `"TKT-Ticket ID", "TKT-Status", "TKT-Team", "TKT-Assigned To User", "TKT-Modified Time", "TKT-Created Time"`;
      const snapshots: string[] = [];
      for (const step of [0, 1, 2]) {
        const sim = await startSimulator({ password: PASSWORD, step });
        try {
          const config = tdb.config({ OTC_BASE_URL: sim.url, OTC_PASSWORD: PASSWORD, OTC_MIN_INTERVAL_MS: '0', OTC_VIEW_GAP_MS: '0' });
          const result = await syncOnce(db, config, ['tickets']);
          assert.equal(outcome(result, 'tickets').status, 'success');
        } finally {
          await sim.close();
        }
        const [times] = await rows<{ now: string }>(db, 'SELECT now()::text AS now');
        snapshots.push(times!.now);
        const differ = await rows(
          db,
          `(SELECT ${typed} FROM servicedesk.tickets EXCEPT SELECT ${typed} FROM servicedesk.tickets_as_of(now()))
           UNION ALL
           (SELECT ${typed} FROM servicedesk.tickets_as_of(now()) EXCEPT SELECT ${typed} FROM servicedesk.tickets)`,
        );
        assert.deepEqual(differ, [], `step ${step}: tickets_as_of(now()) matches tickets`);
      }
      // As of a moment before the last sync's changes took force, the tickets that step moved show their
      // previous status.
      const [moved] = await rows<{ n: number; back: number }>(
        db,
        `SELECT count(*)::int AS n,
                count(*) FILTER (WHERE a."TKT-Modified Time" < t."TKT-Modified Time")::int AS back
         FROM servicedesk.tickets t
         JOIN servicedesk.tickets_as_of((SELECT max(valid_from) FROM servicedesk.ticket_history) - interval '1 microsecond') a
           USING ("TKT-Ticket ID")
         WHERE t."TKT-Modified Time" = (SELECT max(valid_from) FROM servicedesk.ticket_history)`,
      );
      assert.ok(moved!.n > 0 && moved!.back === moved!.n, JSON.stringify(moved));
    });
  });
}
