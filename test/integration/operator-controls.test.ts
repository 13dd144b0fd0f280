/**
 * What an operator does without SQL: look at and reset the circuit breaker (`otc-etl breaker`, and
 * `POST /breaker/reset` on a running service), and start a sync now (`serve --run-now`, `POST /sync`).
 * The real CLI and the real service, a real local OTC, both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { acquireRunLock } from '../../src/load/run-lock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { sampleValue } from '../support/prometheus.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { getMetrics, getText, startServe, startServeProcess, waitFor } from '../support/serve.js';

const NEVER = '0 0 1 1 *';
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface BreakerDoc {
  state: string;
  failures: number;
  openedAt: string | null;
  reopensAt: string | null;
  lastError: string | null;
  requests: { lastHour: number; budget: number; lastRequestAt: string | null };
  reset: null | { was: { state: string } };
}

const OPEN_BREAKER = `UPDATE servicedesk.source_state SET breaker_state = 'open', consecutive_failures = 3,
  opened_at = now() - interval '1 minute', open_until = now() + interval '9 minutes',
  last_error = 'OTC answered 503 for view tickets (overloaded or in maintenance).'`;

for (const kind of DATABASE_KINDS) {
  describe(`operator controls on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const env = (extra: Record<string, string> = {}) => ({ ...tdb.env, ...otc.env(), OTC_MIN_VOLUME_RATIO: '0', ...extra });
    const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: env(extra), cwd: tdb.cwd });
    const query = async <R>(sql: string): Promise<R[]> => {
      const db = await tdb.open();
      try {
        return await rows<R>(db, sql);
      } finally {
        await db.close();
      }
    };
    const successes = async (url: string, view: string) =>
      sampleValue(await getMetrics(url), 'otc_etl_runs_total', { view, status: 'success' }) ?? 0;

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1)], comments: [comment(1, 1)], timesheets: [timesheet()] });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      assert.equal((await cli(['migrate'])).code, 0);
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('`breaker` shows an open breaker with absolute UTC times and the budget; `--reset` closes it and logs it', async () => {
      await query(OPEN_BREAKER);
      const shown = await cli(['breaker', '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      const open = JSON.parse(shown.stdout) as BreakerDoc;
      assert.equal(open.state, 'open');
      assert.equal(open.failures, 3);
      assert.match(open.openedAt ?? '', ISO_UTC);
      assert.match(open.reopensAt ?? '', ISO_UTC);
      assert.ok(Date.parse(open.reopensAt!) > Date.parse(open.openedAt!));
      assert.match(open.lastError ?? '', /503/);
      assert.deepEqual({ ...open.requests, lastRequestAt: null }, { lastHour: 0, budget: 100, lastRequestAt: null });
      assert.equal(open.reset, null);

      const text = await cli(['breaker']);
      assert.match(
        text.stdout,
        new RegExp(`open since ${open.openedAt!.replace(/\./g, '\\.')} .* until ${open.reopensAt!.replace(/\./g, '\\.')}`),
      );
      assert.match(text.stdout, /requests: 0 of 100 in the last hour/);

      const reset = await cli(['breaker', '--reset', '--json']);
      assert.equal(reset.code, 0, reset.stderr);
      const closed = JSON.parse(reset.stdout) as BreakerDoc;
      assert.equal(closed.state, 'closed');
      assert.equal(closed.reset?.was.state, 'open');
      assert.match(reset.stderr, /circuit breaker reset by otc-etl breaker --reset/);
      const [state] = await query<{ breaker_state: string; open_until: string | null }>(
        'SELECT breaker_state, open_until FROM servicedesk.source_state',
      );
      assert.deepEqual(state, { breaker_state: 'closed', open_until: null });

      // Closed, the next sync reaches the source again.
      const sync = await cli(['sync', 'comments', '--json']);
      assert.equal(sync.code, 0, sync.stderr);
      assert.equal((JSON.parse((await cli(['breaker', '--json'])).stdout) as BreakerDoc).requests.lastHour, 1);
    });

    test('serve --run-now syncs at start, binds 127.0.0.1, and POST /sync starts another (409 while one runs)', async () => {
      // A long pause between views keeps each sync running after comments has loaded.
      const svc = await startServe(['--schedule', NEVER, '--run-now'], { env: env({ OTC_VIEW_GAP_MS: '600000' }), cwd: tdb.cwd });
      try {
        assert.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        await waitFor(async () => ((await successes(svc.url, 'comments')) > 0 ? true : null));
        const busy = await getText(`${svc.url}/sync`, { method: 'POST' });
        assert.equal(busy.status, 409, busy.body);
        assert.match(busy.body, /already running/);
        assert.match(svc.stderr(), /sync starting \(serve --run-now\)/);
      } finally {
        assert.equal(await svc.stop('SIGTERM'), 0, svc.stderr());
      }

      const next = await startServe(['--schedule', NEVER], { env: env(), cwd: tdb.cwd });
      try {
        const before = await successes(next.url, 'tickets');
        const started = await getText(`${next.url}/sync`, { method: 'POST' });
        assert.equal(started.status, 202, started.body);
        const runId = (JSON.parse(started.body) as { runId: string }).runId;
        await waitFor(async () => ((await successes(next.url, 'tickets')) > before ? true : null));
        // The service's own word that this run is over: its last tick on /healthz.
        const lastTick = async () =>
          (JSON.parse((await getText(`${next.url}/healthz`)).body) as { service: { lastTick: { runId: string } | null } }).service.lastTick;
        await waitFor(async () => ((await lastTick())?.runId === runId ? true : null));
        const ofRun = next
          .stderr()
          .split('\n')
          .filter((line) => line.includes(runId));
        assert.ok(
          ofRun.some((line) => line.includes('sync starting (POST /sync)')),
          ofRun.join('\n'),
        );
        assert.ok(
          ofRun.some((line) => line.includes('sync finished (POST /sync)')),
          ofRun.join('\n'),
        );
        assert.ok(!ofRun.some((line) => line.includes('scheduled sync')), ofRun.join('\n'));
      } finally {
        assert.equal(await next.stop('SIGTERM'), 0, next.stderr());
      }
      const runs = await query<{ n: number }>(
        `SELECT count(DISTINCT run_id)::int AS n FROM servicedesk.etl_metadata WHERE view_name = 'tickets' AND load_status = 'success'`,
      );
      assert.ok(runs[0]!.n >= 1);
    });

    test('POST /breaker/reset closes the breaker the service holds; other methods and paths are refused plainly', async () => {
      await query(OPEN_BREAKER);
      const svc = await startServe(['--schedule', NEVER], { env: env(), cwd: tdb.cwd });
      try {
        const reset = await getText(`${svc.url}/breaker/reset`, { method: 'POST' });
        assert.equal(reset.status, 200, reset.body);
        const doc = JSON.parse(reset.body) as BreakerDoc;
        assert.deepEqual([doc.state, doc.reset?.was.state], ['closed', 'open']);
        assert.match(svc.stderr(), /circuit breaker reset by POST \/breaker\/reset/);

        const get = await fetch(`${svc.url}/sync`);
        assert.equal(get.status, 405);
        assert.equal(get.headers.get('allow'), 'POST');
        assert.equal((await getText(`${svc.url}/breaker/reset`)).status, 405);
        assert.equal((await getText(`${svc.url}/`, { method: 'POST' })).status, 405);
        assert.equal((await getText(`${svc.url}/sync/now`, { method: 'POST' })).status, 404);
        const foreign = await getText(`${svc.url}/sync`, { method: 'POST', headers: { origin: 'https://elsewhere.example' } });
        assert.equal(foreign.status, 403, 'a web page elsewhere cannot make the service sync');
      } finally {
        assert.equal(await svc.stop('SIGTERM'), 0, svc.stderr());
      }
      const [state] = await query<{ breaker_state: string }>('SELECT breaker_state FROM servicedesk.source_state');
      assert.equal(state!.breaker_state, 'closed');
    });

    if (kind === 'server') {
      test('POST /sync answers 409 while another process runs a sync against the database', async () => {
        const db = await tdb.open();
        const release = await acquireRunLock(db, 'servicedesk', 'test');
        const svc = await startServe(['--schedule', NEVER], { env: env(), cwd: tdb.cwd });
        try {
          const busy = await getText(`${svc.url}/sync`, { method: 'POST' });
          assert.equal(busy.status, 409, busy.body);
          assert.match(busy.body, /another otc-etl sync, import or migrate is running/);
          await release();
          assert.equal((await getText(`${svc.url}/sync`, { method: 'POST' })).status, 202);
        } finally {
          assert.equal(await svc.stop('SIGTERM'), 0, svc.stderr());
          await db.close();
        }
      });
    }

    if (kind === 'embedded') {
      test('while the service holds the embedded database, `breaker --reset` says to ask the service (exit 3)', async () => {
        // The service's own process holds the directory: what another process is refused.
        const svc = await startServeProcess(['--schedule', NEVER], { env: env(), cwd: tdb.cwd });
        try {
          const r = await cli(['breaker', '--reset']);
          assert.equal(r.code, 3);
          assert.match(r.stderr, /POST \/breaker\/reset/);
        } finally {
          assert.equal(await svc.stop('SIGTERM'), 0);
        }
      });
    }
  });
}
