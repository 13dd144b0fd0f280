/**
 * The protective client over a real socket (the simulator) and a real database. Its waits are played
 * out on an injected clock in this process (the sync built as the CLI builds it), and what the policy
 * decided is read from the waits it asked for and the request times stored with that clock. Through
 * the real CLI where another process or the command's output is the point.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { applyMigrations } from '../../src/load/migrate.js';
import { HOUR_MS } from '../../src/source/pacing.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { syncOnce } from '../support/harness.js';
import { json, statuses, withSetup, type HealthDoc, type Setup, type SyncDoc } from '../support/protection-setup.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { PASSWORD } from '../support/simulator-helpers.js';

/** The time between the starts of consecutive requests, as the clock that admitted them saw it. */
async function requestGaps(query: Setup['query']): Promise<number[]> {
  const rows = await query<{ at: number }>(
    `SELECT extract(epoch FROM requested_at) * 1000 AS at FROM servicedesk.source_requests ORDER BY id`,
  );
  return rows.slice(1).map((r, i) => Math.round(Number(r.at) - Number(rows[i]!.at)));
}

interface BreakerRow {
  breaker_state: string;
  half_open_successes?: number;
  opened_at: number | null;
  open_until: number | null;
}

async function breakerRow(query: Setup['query']): Promise<BreakerRow> {
  const [row] = await query<BreakerRow>(
    `SELECT breaker_state, half_open_successes, (extract(epoch FROM opened_at) * 1000)::float8 AS opened_at,
            (extract(epoch FROM open_until) * 1000)::float8 AS open_until FROM servicedesk.source_state`,
  );
  return row!;
}

for (const kind of DATABASE_KINDS) {
  describe(`the protective OTC client on the ${kind} database`, () => {
    test('views are requested one at a time and OTC_VIEW_GAP_MS apart, the pause asked of the clock', async () => {
      await withSetup(kind, {}, async ({ sim, sync, query }) => {
        const clock = new FakeClock();
        const result = await sync(undefined, { clock, env: { OTC_VIEW_GAP_MS: '30000' } });
        assert.ok(
          result.outcomes.every((o) => o.status === 'success'),
          JSON.stringify(result.outcomes),
        );
        assert.deepEqual(statuses(sim), [
          ['comments', 200],
          ['timesheets', 200],
          ['tickets', 200],
        ]);
        assert.deepEqual(clock.sleeps, [30_000, 30_000], 'one pause before each view after the first, and no other wait');
        assert.deepEqual(await requestGaps(query), [30_000, 30_000]);
      });
    });

    test(`${kind === 'server' ? 'with a server database the next body downloads while a view loads' : 'the embedded database fetches each body when its load starts'}`, async () => {
      const otc = await startFixtureServer({ comments: [comment(1, 1)], timesheets: [timesheet()], tickets: [ticket(1)] });
      const tdb = await createTestDatabase(kind, {}, { migrated: true });
      const db = await tdb.open();
      // With a server database comments' rows cannot be written while another session holds this lock,
      // so its load cannot end before timesheets is asked for — unless that request waits for it.
      const holder = kind === 'server' ? new pg.Client({ connectionString: tdb.env.DATABASE_URL }) : null;
      try {
        await applyMigrations(db, { schema: 'servicedesk', timezone: null });
        if (holder) {
          await holder.connect();
          await holder.query('BEGIN');
          await holder.query('LOCK TABLE servicedesk.comments IN SHARE MODE');
        }
        const finished: string[] = [];
        let finishedWhenAsked: string[] | null = null;
        otc.onRequest = async (view) => {
          if (view !== 'timesheets') return;
          finishedWhenAsked = [...finished];
          await holder?.query('COMMIT');
        };
        const progress = {
          downloaded: () => undefined,
          read: () => undefined,
          finished: (o: { view: string }) => void finished.push(o.view),
        };
        // Past the lock timeout comments fails instead, and the assertion below says why.
        const config = tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0', OTC_DB_LOCK_TIMEOUT_MS: '20000' });
        const result = await syncOnce(db, config, ['comments', 'timesheets'], { progress });
        assert.deepEqual(
          finishedWhenAsked,
          kind === 'server' ? [] : ['comments'],
          'views whose load had ended when timesheets was asked for',
        );
        assert.deepEqual(
          result.outcomes.map((o) => [o.view, o.status]),
          [
            ['comments', 'success'],
            ['timesheets', 'success'],
          ],
        );
      } finally {
        await holder?.end();
        await db.close();
        await tdb.drop();
        await otc.close();
      }
    });

    test('a burst of 503s is retried after the doubling backoff and the view then loads', async () => {
      await withSetup(kind, { failNext: { status: 503, count: 2 } }, async ({ sim, sync, query }) => {
        const clock = new FakeClock();
        const env = { OTC_BACKOFF_INITIAL_MS: '10000', OTC_BACKOFF_MAX_MS: '300000' };
        const result = await sync(['comments'], { clock, env });
        assert.equal(result.outcomes[0]!.status, 'success');
        assert.deepEqual(statuses(sim), [
          ['comments', 503],
          ['comments', 503],
          ['comments', 200],
        ]);
        assert.deepEqual(clock.sleeps, [10_000, 20_000]);
        const requests = await query<{ code: string }>('SELECT code FROM servicedesk.source_requests ORDER BY id');
        assert.deepEqual(
          requests.map((q) => q.code),
          ['503', '503', '200'],
        );
        assert.deepEqual(await requestGaps(query), [10_000, 20_000]);
        const [state] = await query<{ breaker_state: string; consecutive_failures: number }>(
          'SELECT breaker_state, consecutive_failures FROM servicedesk.source_state',
        );
        assert.deepEqual(state, { breaker_state: 'closed', consecutive_failures: 0 });
      });
    });

    test('sustained failure opens the breaker, and a second process sees it open without sending a request', async () => {
      await withSetup(kind, { failNext: { status: 503, count: 1000 } }, async ({ sim, cli, cliProcess }) => {
        const env = { OTC_MAX_RETRIES: '5', OTC_BREAKER_THRESHOLD: '3', OTC_BREAKER_COOLDOWN_MS: '600000' };
        const first = await cli(['sync', '--json'], env);
        assert.equal(first.code, 1);
        assert.equal(sim.requests.length, 3, 'the third failure opened it: no fourth attempt, not even a retry');
        for (const [name, view] of Object.entries(json<SyncDoc>(first).views)) {
          assert.equal(view.status, 'failed');
          assert.match(view.error ?? '', /circuit breaker is open after 3 consecutive failed requests .*503/);
          assert.equal((view.error ?? '').split(name).length - 1, 1, `${name} is named once: ${view.error}`);
        }

        const second = await cliProcess(['sync', '--json'], env);
        assert.equal(second.code, 1);
        assert.equal(sim.requests.length, 3, 'the second process sent nothing');
        assert.match(json<SyncDoc>(second).views.tickets!.error ?? '', /no request is sent to OTC until/);

        const health = await cli(['health', '--probe', '--json'], env);
        assert.equal(health.code, 1);
        const h = json<HealthDoc>(health);
        assert.equal(h.status, 'problem', 'no view was ever synced');
        assert.ok(h.warnings.some((w) => w.code === 'breaker_open'));
        assert.equal(h.breaker.state, 'open');
        assert.ok(h.breaker.cooldownRemainingSeconds > 500, `${h.breaker.cooldownRemainingSeconds}`);
        assert.match(h.breaker.lastError ?? '', /503/);
        assert.equal(h.requests.lastHour, 3);
        assert.equal(h.probe?.outcome, 'not_sent');
        assert.match(h.probe?.message ?? '', /circuit breaker is open/);
        assert.equal(sim.requests.length, 3, 'the probe sent nothing either');
      });
    });

    test('after the cooldown the next run tries again, and two successes close the breaker', async () => {
      await withSetup(kind, { failNext: { status: 502, count: 3 } }, async ({ sim, sync, query }) => {
        const clock = new FakeClock();
        const env = { OTC_MAX_RETRIES: '5', OTC_BREAKER_COOLDOWN_MS: '600000' };
        const failed = await sync(['comments'], { clock, env });
        assert.equal(failed.outcomes[0]!.status, 'failed');
        assert.equal(sim.requests.length, 3);
        const opened = await breakerRow(query);
        assert.equal(opened.breaker_state, 'open');
        assert.equal(opened.open_until! - opened.opened_at!, 600_000, 'open for the cooldown, on the clock that opened it');

        clock.advance(opened.open_until! - clock.now() - 1);
        const early = await sync(['comments'], { clock, env });
        assert.match(early.outcomes[0]!.error ?? '', /circuit breaker is open/);
        assert.equal(sim.requests.length, 3, 'a millisecond before the end of the cooldown nothing is sent');

        clock.advance(1);
        const r = await sync(['comments', 'tickets'], { clock, env });
        assert.deepEqual(
          r.outcomes.map((o) => o.status),
          ['success', 'success'],
        );
        assert.deepEqual(statuses(sim).slice(3), [
          ['comments', 200],
          ['tickets', 200],
        ]);
        assert.equal((await breakerRow(query)).breaker_state, 'closed');
      });
    });

    test('one success after the cooldown leaves the breaker half-open, and a failure then opens it again', async () => {
      await withSetup(kind, { failNext: { status: 502, count: 3 } }, async ({ sim, sync, query }) => {
        const clock = new FakeClock();
        const env = { OTC_MAX_RETRIES: '5', OTC_BREAKER_COOLDOWN_MS: '600000' };
        await sync(['comments'], { clock, env });
        const opened = await breakerRow(query);
        clock.advance(opened.open_until! - clock.now());
        await sync(['comments'], { clock, env });
        assert.deepEqual(await breakerRow(query), {
          breaker_state: 'half-open',
          half_open_successes: 1,
          opened_at: null,
          open_until: null,
        });
        sim.setFaults({ failNext: { status: 503, count: 1 } });
        const r = await sync(['tickets'], { clock, env });
        assert.match(r.outcomes[0]!.error ?? '', /503/);
        assert.deepEqual(
          statuses(sim).slice(3),
          [
            ['comments', 200],
            ['tickets', 503],
          ],
          'no retry once the trial failed',
        );
        const reopened = await breakerRow(query);
        assert.equal(reopened.breaker_state, 'open');
        assert.ok(reopened.opened_at! >= opened.open_until!, 'opened again at the failed trial');
        assert.equal(reopened.open_until! - reopened.opened_at!, 600_000, 'for a full cooldown');
      });
    });

    test('bad credentials fail fast with one request for the whole sync, say what to fix, and the password appears nowhere', async () => {
      const wrong = 'wrong-password-for-the-401-test';
      await withSetup(kind, {}, async ({ sim, cli, query }) => {
        // A pause between views this long would time the test out: a sync that cannot log in waits for none.
        const r = await cli(['sync', '--json', '--log-level', 'debug'], {
          OTC_PASSWORD: wrong,
          OTC_MAX_RETRIES: '3',
          OTC_VIEW_GAP_MS: '600000',
        });
        assert.equal(r.code, 1);
        assert.deepEqual(statuses(sim), [['comments', 401]]);
        for (const view of Object.values(json<SyncDoc>(r).views)) {
          assert.match(view.error ?? '', /rejected the credentials .*\(401\): check OTC_USERNAME and OTC_PASSWORD/);
        }
        const stored = await query<{ t: string }>(
          `SELECT (SELECT json_agg(m)::text FROM servicedesk.etl_metadata m) || (SELECT json_agg(s)::text FROM servicedesk.source_state s)
                  || (SELECT json_agg(q)::text FROM servicedesk.source_requests q) AS t`,
        );
        for (const secret of [wrong, PASSWORD]) {
          assert.ok(!r.stdout.includes(secret), 'stdout');
          assert.ok(!r.stderr.includes(secret), 'stderr');
          assert.ok(!stored[0]!.t.includes(secret), 'database');
        }
        const base64 = Buffer.from(`CloudTicket-Sync:${wrong}`).toString('base64');
        assert.ok(!r.stderr.includes(base64) && !stored[0]!.t.includes(base64), 'no Authorization header');
      });
    });

    test('a 429 waits for the Retry-After the source gave before the next request, at most OTC_RETRY_AFTER_MAX_MS', async () => {
      await withSetup(kind, { failNext: { status: 429, count: 1, retryAfterSeconds: 2 } }, async ({ sim, sync, query }) => {
        const clock = new FakeClock();
        const r = await sync(['comments'], { clock });
        assert.equal(r.outcomes[0]!.status, 'success');
        assert.deepEqual(statuses(sim), [
          ['comments', 429],
          ['comments', 200],
        ]);
        assert.deepEqual(clock.sleeps, [2_000], 'the Retry-After, not the 1 ms backoff');
        assert.deepEqual(await requestGaps(query), [2_000]);

        sim.setFaults({ failNext: { status: 429, count: 1, retryAfterSeconds: 3600 } });
        await sync(['comments'], { clock, env: { OTC_RETRY_AFTER_MAX_MS: '120000' } });
        assert.deepEqual(clock.sleeps, [2_000, 120_000]);
      });
    });

    test('the minimum interval holds between the requests of separate clients, which share only the database', async () => {
      await withSetup(kind, {}, async ({ sim, sync, query }) => {
        const clock = new FakeClock();
        const env = { OTC_MIN_INTERVAL_MS: '5000' };
        // Each sync builds its own client, as each process does.
        await sync(['comments'], { clock, env });
        assert.deepEqual(clock.sleeps, [], 'the first request goes at once');
        clock.advance(1_500);
        await sync(['comments'], { clock, env });
        assert.deepEqual(clock.sleeps, [3_500], 'the second waits out the rest of the interval since the first started');
        assert.equal(sim.requests.length, 2);
        assert.deepEqual(await requestGaps(query), [5_000]);
      });
    });

    test('a spent hourly budget makes the next request wait until the oldest leaves the rolling hour', async () => {
      await withSetup(kind, {}, async ({ sync, query }) => {
        const clock = new FakeClock();
        const env = { OTC_MAX_REQUESTS_PER_HOUR: '2' };
        await sync(['comments', 'timesheets'], { clock, env });
        assert.deepEqual(clock.sleeps, []);
        clock.advance(60_000);
        await sync(['tickets'], { clock, env });
        assert.deepEqual(clock.sleeps, [HOUR_MS - 60_000]);
        assert.deepEqual(await requestGaps(query), [0, HOUR_MS]);
      });
    });

    test('a malformed body and a cut-off body fail their views with the error recorded, and the other view loads', async () => {
      await withSetup(kind, { views: { tickets: 'malformed', timesheets: 'cutoff' } }, async ({ cli, query }) => {
        const r = await cli(['sync', '--json'], { OTC_MAX_RETRIES: '1' });
        assert.equal(r.code, 1);
        const views = json<SyncDoc>(r).views;
        assert.equal(views.comments!.status, 'success');
        assert.equal(views.comments!.fetched, 500);
        const meta = await query<{ view_name: string; load_status: string; error_message: string | null }>(
          'SELECT view_name, load_status, error_message FROM servicedesk.etl_metadata ORDER BY id',
        );
        assert.deepEqual(
          meta.map((m) => [m.view_name, m.load_status]),
          [
            ['comments', 'success'],
            ['timesheets', 'failed'],
            ['tickets', 'failed'],
          ],
        );
        assert.match(meta[1]!.error_message ?? '', /body of view timesheets was cut short after \d+ bytes.*Gave up after 2 attempts/);
        assert.match(meta[2]!.error_message ?? '', /tickets view's body is not valid JSON/);
        const [counts] = await query<{ comments: number; tickets: number; timesheets: number }>(
          `SELECT (SELECT count(*)::int FROM servicedesk.comments) AS comments, (SELECT count(*)::int FROM servicedesk.tickets) AS tickets,
                  (SELECT count(*)::int FROM servicedesk.timesheets) AS timesheets`,
        );
        assert.deepEqual(counts, { comments: 500, tickets: 0, timesheets: 0 });
      });
    });

    test('an unknown new field lands in _raw and in the drift report without breaking the load', async () => {
      await withSetup(kind, { views: { tickets: 'new-field' } }, async ({ cli, query }) => {
        const r = await cli(['sync', 'tickets', '--json']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(json<SyncDoc>(r).views.tickets!.status, 'success');
        const [raw] = await query<{ n: number; value: string }>(
          `SELECT count(*)::int AS n, min(_raw->>'TKT-New Field') AS value FROM servicedesk.tickets WHERE _raw ? 'TKT-New Field'`,
        );
        assert.deepEqual(raw, { n: 600, value: 'simulated new value' });
        const columns = await query('SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2', [
          'tickets',
          'TKT-New Field',
        ]);
        assert.equal(columns.length, 0, 'loaded nowhere but _raw');
        const [meta] = await query<{ fields_new: string[]; fields_missing: string[] }>(
          `SELECT fields_new, fields_missing FROM servicedesk.etl_metadata WHERE view_name = 'tickets'`,
        );
        assert.deepEqual(meta, { fields_new: ['TKT-New Field'], fields_missing: [] });
        const status = json<{ views: Array<{ view: string; drift: { fieldsNew: string[] } }> }>(await cli(['status', '--json']));
        assert.deepEqual(status.views.find((v) => v.view === 'tickets')!.drift.fieldsNew, ['TKT-New Field']);
      });
    });
  });
}

describe('the source password', () => {
  test('is required where the source is built: without it sync, serve and health --probe exit 2 before opening any database', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'otc-etl-test-'));
    try {
      // A database that cannot be reached: had it been opened first, the exit code would be 4.
      const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
      for (const args of [['sync'], ['serve', '--port', '0'], ['health', '--probe']]) {
        const r = await runCli(args, { env, cwd });
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, 'otc-etl: OTC_PASSWORD is not set: put the OTC service account password in the environment or in .env.\n');
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
