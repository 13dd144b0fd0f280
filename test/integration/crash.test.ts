import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Db } from '../../src/load/db.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startHangingSource } from '../support/hanging-source.js';
import { rows } from '../support/harness.js';
import { fetchView, NOW, PASSWORD } from '../support/simulator-helpers.js';

/** Large enough that loading timesheets takes seconds (15,000 records in three batches). */
const SCALE = 0.1;

/** Everything the load decides (typed columns, `_raw`, the record hash), without run ids and load times. */
const CONTENT_SQL = `
  SELECT count(*)::int AS n,
         md5(coalesce(string_agg((to_jsonb(t) - '_first_run_id' - '_first_loaded_at' - '_last_run_id'
                                  - '_last_changed_at' - '_last_source')::text, ','
                             ORDER BY t."TS-User Username", t."TS-Date", t."TS-Time From", t."TS-Crm ID"), '')) AS sum
  FROM servicedesk.timesheets t`;

interface Content {
  n: number;
  sum: string;
}

async function contentOf(tdb: TestDatabase): Promise<Content> {
  const db = await tdb.open();
  try {
    return (await rows<Content>(db, CONTENT_SQL))[0]!;
  } finally {
    await db.close();
  }
}

async function withDb<T>(tdb: TestDatabase, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await tdb.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A direct connection to the server test database, beside the CLI's own. */
async function serverQuery<R>(tdb: TestDatabase, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: tdb.env.DATABASE_URL, application_name: 'otc-etl-test' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/** The CLI's backends still connected (a killed client's backend goes away a moment later). */
const OTC_BACKENDS = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'otc-etl'`;

/** The size of the largest file in the spool directories of process `pid` under `root`. */
async function spooledBytes(root: string, pid: number): Promise<number> {
  let largest = 0;
  for (const dir of (await readdir(root)).filter((name) => name.startsWith(`otc-etl-${pid}-`))) {
    for (const file of await readdir(join(root, dir)).catch(() => [])) {
      const info = await stat(join(root, dir, file)).catch(() => null);
      largest = Math.max(largest, info?.size ?? 0);
    }
  }
  return largest;
}

/**
 * Resolves once the CLI holds the whole timesheets body on disk (`bytes`, in the spool under the TMPDIR
 * it was given): the download is over and the view's load, which takes seconds, is under way.
 */
async function waitForLoading(cli: RunningCli, spoolRoot: string, bytes: number): Promise<void> {
  let ended = false;
  void cli.result.then(() => (ended = true));
  await waitFor('the whole timesheets body on disk', async () => {
    if (ended) throw new Error(`the sync ended before it could be interrupted: ${cli.stderr()}`);
    return (await spooledBytes(spoolRoot, cli.child.pid!)) >= bytes;
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`crashes and signals during a sync on the ${kind} database`, () => {
    let sim: Simulator;
    let tdb: TestDatabase;
    let env: () => Record<string, string>;

    before(async () => {
      sim = await startSimulator({ password: PASSWORD, now: NOW, scale: SCALE });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      // Spools go to the test's own directory, where waitForLoading looks for them.
      env = () => ({
        ...tdb.env,
        OTC_BASE_URL: sim.url,
        OTC_PASSWORD: PASSWORD,
        OTC_MIN_INTERVAL_MS: '0',
        OTC_VIEW_GAP_MS: '0',
        TMPDIR: tdb.cwd,
      });
      const first = await runCli(['sync', 'timesheets'], { env: env(), cwd: tdb.cwd });
      assert.equal(first.code, 0, first.stderr);
      assert.ok((await contentOf(tdb)).n > 10_000);
    });

    /** The stored state, then a change at the source: a complete load would now change many rows. */
    async function changeSource(): Promise<Content> {
      const previous = await contentOf(tdb);
      sim.mutate(0.3);
      return previous;
    }

    /**
     * Changes the source, starts `sync timesheets` with `args` and resolves once its load is under way;
     * returns the state stored before. The size of the body the CLI waits for is asked for before it
     * starts: this process also serves that body, and serving it twice at once is not what these tests
     * are about.
     */
    async function loadUnderWay(args: string[]): Promise<{ previous: Content; cli: RunningCli }> {
      const previous = await changeSource();
      const bytes = (await (await fetchView(sim, 'timesheets')).arrayBuffer()).byteLength;
      const cli = await startCli(args, { env: env(), cwd: tdb.cwd });
      await waitForLoading(cli, tdb.cwd, bytes);
      return { previous, cli };
    }
    after(async () => {
      await tdb.drop();
      await sim.close();
    });

    test('SIGTERM in the middle of loading a view rolls it back, records it cancelled and exits 1', async () => {
      const { previous, cli } = await loadUnderWay(['sync', 'timesheets', '--json']);
      cli.child.kill('SIGTERM');
      const r = await cli.result;
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout) as {
        runId: string;
        views: { timesheets: { status: string; inserted: number; updated: number; error: string } };
      };
      assert.equal(doc.views.timesheets.status, 'cancelled');
      assert.deepEqual([doc.views.timesheets.inserted, doc.views.timesheets.updated], [0, 0]);
      assert.match(doc.views.timesheets.error, /SIGTERM/);
      assert.deepEqual(await contentOf(tdb), previous, 'the previous complete state, untouched');
      const meta = await withDb(tdb, (db) =>
        rows<{ load_status: string }>(db, 'SELECT load_status FROM servicedesk.etl_metadata WHERE run_id = $1', [doc.runId]),
      );
      assert.deepEqual(meta, [{ load_status: 'cancelled' }]);
    });

    test('a sync killed in the middle of a load leaves the previous state; the next run marks it failed and loads the new state', async () => {
      const { previous, cli } = await loadUnderWay(['sync', 'timesheets']);
      cli.child.kill('SIGKILL');
      assert.equal((await cli.result).signal, 'SIGKILL');
      if (kind === 'server') {
        // The server rolls back when it notices the dead connection, and the session's advisory lock goes with it.
        await waitFor('the killed backend to go', async () => (await serverQuery<{ n: number }>(tdb, OTC_BACKENDS))[0]!.n === 0);
        const [locks] = await serverQuery<{ n: number }>(
          tdb,
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
           WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
        );
        assert.equal(locks!.n, 0);
      }
      // The embedded database opens again (the dead process's lock file is taken over) with the last committed state.
      assert.deepEqual(await contentOf(tdb), previous, 'never a mix of the old and new state');
      const running = await withDb(tdb, (db) =>
        rows<{ run_id: string }>(
          db,
          `SELECT run_id FROM servicedesk.etl_metadata WHERE view_name = 'timesheets' AND load_status = 'running'`,
        ),
      );
      assert.equal(running.length, 1, 'the kill landed while the view was loading');

      const next = await runCli(['sync', 'timesheets', '--json'], { env: env(), cwd: tdb.cwd });
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stderr, /marked loads left running by a dead process as failed/);
      const [killed] = await withDb(tdb, (db) =>
        rows<{ load_status: string; error_message: string }>(
          db,
          'SELECT load_status, error_message FROM servicedesk.etl_metadata WHERE run_id = $1',
          [running[0]!.run_id],
        ),
      );
      assert.equal(killed!.load_status, 'failed');
      assert.match(killed!.error_message, /interrupted/);

      // The new complete state: the same as a clean load of the same source data into a fresh database.
      const reference = await createTestDatabase(kind, {}, { migrated: true });
      try {
        const clean = await runCli(['sync', 'timesheets'], { env: { ...env(), ...reference.env }, cwd: reference.cwd });
        assert.equal(clean.code, 0, clean.stderr);
        const expected = await contentOf(reference);
        assert.notDeepEqual(expected, previous);
        assert.deepEqual(await contentOf(tdb), expected);
      } finally {
        await reference.drop();
      }
    });

    test('SIGINT while the source has not answered yet drops the request, records the view cancelled and exits 1', async () => {
      const hanging = await startHangingSource();
      try {
        const cli = await startCli(['sync', 'tickets', '--json'], { env: { ...env(), OTC_BASE_URL: hanging.url }, cwd: tdb.cwd });
        await hanging.requested;
        cli.child.kill('SIGINT');
        const r = await cli.result;
        await hanging.abandoned;
        assert.equal(r.code, 1, r.stderr);
        const doc = JSON.parse(r.stdout) as { runId: string; views: { tickets: { status: string; error: string } } };
        assert.equal(doc.views.tickets.status, 'cancelled');
        assert.match(doc.views.tickets.error, /SIGINT/);
        const meta = await withDb(tdb, (db) =>
          rows<{ load_status: string }>(db, 'SELECT load_status FROM servicedesk.etl_metadata WHERE run_id = $1', [doc.runId]),
        );
        assert.deepEqual(meta, [{ load_status: 'cancelled' }]);
      } finally {
        await hanging.close();
      }
    });

    if (kind === 'embedded') {
      test("a second process is refused while the first has the embedded database open, and a killed process's lock is taken over", async () => {
        const hanging = await startHangingSource();
        try {
          const first = await startCli(['sync', 'tickets'], { env: { ...env(), OTC_BASE_URL: hanging.url }, cwd: tdb.cwd });
          await hanging.requested;
          const refused = await runCli(['status', '--json'], { env: env(), cwd: tdb.cwd });
          assert.equal(refused.code, 3, refused.stderr);
          assert.match((JSON.parse(refused.stdout) as { error: string }).error, new RegExp(`in use by process ${first.child.pid}`));
          first.child.kill('SIGKILL');
          await first.result;
          const lock = JSON.parse(await readFile(join(tdb.env.OTC_DATA_DIR!, 'otc-etl.lock'), 'utf8')) as { pid: number };
          assert.equal(lock.pid, first.child.pid, 'the dead process left its lock behind');
          const after = await runCli(['sync', 'timesheets', '--json'], { env: env(), cwd: tdb.cwd });
          assert.equal(after.code, 0, after.stderr);
          assert.match(after.stderr, /marked loads left running by a dead process as failed/);
        } finally {
          await hanging.close();
        }
      });
    }

    if (kind === 'server') {
      test('SIGINT cancels a statement that is waiting on the server, so the sync stops at once', async () => {
        const blocker = new pg.Client({ connectionString: tdb.env.DATABASE_URL, application_name: 'otc-etl-test' });
        await blocker.connect();
        try {
          // An analyst's long transaction holding the table: the load's first read of it waits.
          await blocker.query('BEGIN');
          await blocker.query('LOCK TABLE servicedesk.timesheets IN ACCESS EXCLUSIVE MODE');
          const cli = await startCli(['sync', 'timesheets', '--json'], { env: env(), cwd: tdb.cwd });
          await waitFor('the load to wait on the lock', async () => {
            const [r] = await serverQuery<{ n: number }>(
              tdb,
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'otc-etl' AND wait_event_type = 'Lock'`,
            );
            return r!.n > 0;
          });
          cli.child.kill('SIGINT');
          const r = await cli.result;
          assert.equal(r.code, 1, r.stderr);
          assert.equal((JSON.parse(r.stdout) as { views: { timesheets: { status: string } } }).views.timesheets.status, 'cancelled');
        } finally {
          await blocker.query('ROLLBACK');
          await blocker.end();
        }
      });

      test('a connection dropped in the middle of a load fails that view cleanly, the other views load, and the next run succeeds', async () => {
        const previous = await changeSource();
        const cli = await startCli(['sync', 'timesheets', 'tickets', '--json'], { env: env(), cwd: tdb.cwd });
        // The connection whose transaction has written to the view's staging table goes, as soon as there is one.
        let terminated = 0;
        await waitFor('the load to stage timesheets', async () => {
          const [r] = await serverQuery<{ n: number }>(
            tdb,
            `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'otc-etl' AND backend_xid IS NOT NULL AND query ILIKE '%otc_stage%'`,
          );
          terminated = r!.n;
          return terminated > 0;
        });
        assert.equal(terminated, 1);
        const r = await cli.result;
        assert.equal(r.code, 1, r.stderr);
        assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace: ${r.stderr}`);
        const doc = JSON.parse(r.stdout) as { runId: string; views: Record<string, { status: string; error: string | null }> };
        assert.equal(doc.views.timesheets!.status, 'failed');
        assert.match(doc.views.timesheets!.error ?? '', /connection to the database was lost/);
        assert.equal(doc.views.tickets!.status, 'success');
        const meta = await serverQuery<{ view_name: string; load_status: string }>(
          tdb,
          'SELECT view_name, load_status FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id',
          [doc.runId],
        );
        assert.deepEqual(
          meta.map((m) => [m.view_name, m.load_status]),
          [
            ['timesheets', 'failed'],
            ['tickets', 'success'],
          ],
        );
        assert.deepEqual(await contentOf(tdb), previous);

        const next = await runCli(['sync', 'timesheets', '--json'], { env: env(), cwd: tdb.cwd });
        assert.equal(next.code, 0, next.stderr);
        assert.equal((JSON.parse(next.stdout) as { views: { timesheets: { status: string } } }).views.timesheets.status, 'success');
      });
    }
  });
}
