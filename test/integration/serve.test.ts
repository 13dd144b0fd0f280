import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { acquireRunLock } from '../../src/load/run-lock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { FIXTURE_PASSWORD, startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { sampleValue } from '../support/prometheus.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { getMetrics, getText, startServeProcess, waitFor } from '../support/serve.js';

const EVERY_SECOND = '* * * * * *';

function runs(metrics: Awaited<ReturnType<typeof getMetrics>>, view: string, status: string): number {
  return sampleValue(metrics, 'otc_etl_runs_total', { view, status }) ?? 0;
}

async function countRuns(tdb: TestDatabase, view: string, status: string): Promise<number> {
  const db = await tdb.open();
  try {
    const [r] = await rows<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM servicedesk.etl_metadata WHERE view_name = $1 AND load_status = $2`,
      [view, status],
    );
    return r!.n;
  } finally {
    await db.close();
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`otc-etl serve on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const env = (extra: Record<string, string> = {}) => ({ ...tdb.env, ...otc.env(), ...extra });

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1)], comments: [comment(1, 1)], timesheets: [timesheet()] });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('syncs on its schedule, keeps going after a failed view, and exits 0 on SIGTERM', async () => {
      otc.set('tickets', { status: 404, body: 'no such view' });
      const svc = await startServeProcess(['--schedule', EVERY_SECOND, '--log-format', 'json'], { env: env(), cwd: tdb.cwd });
      let code: number | null;
      try {
        const metrics = await waitFor(async () => {
          const m = await getMetrics(svc.url);
          return runs(m, 'tickets', 'failed') >= 2 ? m : null;
        });
        assert.ok(runs(metrics, 'comments', 'success') >= 2, 'the other views load at every tick');

        const health = await getText(`${svc.url}/healthz`);
        assert.equal(health.status, 503);
        const doc = JSON.parse(health.body) as { status: string; problems: Array<{ view: string | null; code: string; message: string }> };
        assert.equal(doc.status, 'problem');
        assert.deepEqual(
          doc.problems.map((p) => [p.view, p.code]),
          [['tickets', 'never_synced']],
        );
        assert.match(doc.problems[0]!.message, /tickets has never had a committed API sync/);

        const page = await getText(`${svc.url}/`);
        assert.equal(page.status, 200);
        assert.match(page.type, /^text\/html/);
        assert.match(page.body, /otc-etl status/);

        assert.equal((await getText(`${svc.url}/healthz`, { method: 'POST' })).status, 405);
        const missing = await getText(`${svc.url}/admin`);
        assert.equal(missing.status, 404);
        assert.doesNotMatch(missing.body, /\n\s+at /, 'no stack trace');
      } finally {
        code = await svc.stop('SIGTERM');
      }
      otc.set('tickets', [ticket(1)]);
      assert.equal(code, 0, svc.stderr());

      const lines = svc
        .stderr()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const started = lines.filter((l) => l.msg === 'scheduled sync starting');
      assert.ok(started.length >= 2);
      const runId = started[0]!.runId as string;
      const ofRun = lines.filter((l) => l.runId === runId).map((l) => l.msg);
      assert.ok(ofRun.includes('sync started') && ofRun.includes('scheduled sync finished'), ofRun.join(' | '));
      assert.ok(
        ofRun.some((m) => typeof m === 'string' && m.startsWith('tickets: ')),
        'the view lines carry the run id',
      );
      assert.ok(!svc.stderr().includes(FIXTURE_PASSWORD) && !svc.stdout().includes(FIXTURE_PASSWORD));
      assert.ok(!svc.stderr().includes('comment 1'), 'no record text in the logs');
    });

    test('SIGINT during a sync cancels the view in progress, records it cancelled, and exits 0', async () => {
      const before = await countRuns(tdb, 'comments', 'success');
      // A long pause between views keeps the sync in progress after comments has loaded.
      const svc = await startServeProcess(['--schedule', EVERY_SECOND], { env: env({ OTC_VIEW_GAP_MS: '600000' }), cwd: tdb.cwd });
      let code: number | null;
      try {
        await waitFor(async () => (runs(await getMetrics(svc.url), 'comments', 'success') > before ? true : null));
      } finally {
        code = await svc.stop('SIGINT');
      }
      assert.equal(code, 0, svc.stderr());
      const db = await tdb.open();
      try {
        const last = await rows<{ view_name: string; load_status: string; error_message: string | null }>(
          db,
          `SELECT view_name, load_status, error_message FROM servicedesk.etl_metadata
           WHERE run_id = (SELECT run_id FROM servicedesk.etl_metadata ORDER BY id DESC LIMIT 1) ORDER BY id`,
        );
        assert.deepEqual(
          last.map((r) => [r.view_name, r.load_status]),
          [
            ['comments', 'success'],
            ['timesheets', 'cancelled'],
            ['tickets', 'cancelled'],
          ],
        );
        assert.match(last[1]!.error_message ?? '', /SIGINT/);
        const running = await rows(db, `SELECT 1 FROM servicedesk.etl_metadata WHERE load_status = 'running'`);
        assert.equal(running.length, 0);
      } finally {
        await db.close();
      }
    });

    if (kind === 'embedded') {
      test('while serve holds the embedded database, status is refused (exit 3) with a pointer to the service', async () => {
        const svc = await startServeProcess(['--schedule', '0 0 1 1 *'], { env: env(), cwd: tdb.cwd });
        try {
          const r = await runCli(['status'], { env: env(), cwd: tdb.cwd });
          assert.equal(r.code, 3);
          assert.match(r.stderr, /running service/);
          const health = JSON.parse((await getText(`${svc.url}/healthz`)).body) as { database: string };
          assert.equal(health.database, 'reachable', 'the service answers for the database instead');
        } finally {
          assert.equal(await svc.stop(), 0);
        }
      });
    }

    if (kind === 'server') {
      test('a tick held off by another process holding the lock is logged and the sync runs at a later tick', async () => {
        const db = await tdb.open();
        const release = await acquireRunLock(db, 'servicedesk', 'test');
        const svc = await startServeProcess(['--schedule', EVERY_SECOND], { env: env(), cwd: tdb.cwd });
        let code: number | null;
        try {
          await waitFor(async () => {
            const healthz = JSON.parse((await getText(`${svc.url}/healthz`)).body) as { service: { lastTick: { outcome: string } | null } };
            return healthz.service.lastTick?.outcome === 'locked' ? true : null;
          });
          const before = runs(await getMetrics(svc.url), 'comments', 'success');
          await release();
          await waitFor(async () => (runs(await getMetrics(svc.url), 'comments', 'success') > before ? true : null));
        } finally {
          code = await svc.stop();
          await db.close();
        }
        assert.equal(code, 0, svc.stderr());
        assert.match(svc.stderr(), /sync held off by another process; trying again at the next tick/);
      });
    }
  });
}

describe('otc-etl serve refuses bad flags', () => {
  test('a schedule that is not a cron expression is a usage error (exit 2)', async () => {
    const tdb = await createTestDatabase('embedded');
    try {
      const r = await runCli(['serve', '--schedule', 'at dawn', '--json'], { env: { ...tdb.env, OTC_PASSWORD: 'x' }, cwd: tdb.cwd });
      assert.equal(r.code, 2);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, /not a cron expression/);
    } finally {
      await tdb.drop();
    }
  });
});
