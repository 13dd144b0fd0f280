/**
 * The protective client over a real socket (the simulator) and a real database, mostly through the real
 * CLI so that "another process" means another process.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.js';
import { json, statuses, withSetup, type HealthDoc, type SyncDoc } from '../support/protection-setup.js';
import { PASSWORD } from '../support/simulator-helpers.js';

for (const kind of DATABASE_KINDS) {
  describe(`the protective OTC client on the ${kind} database`, () => {
    test('views are requested one at a time and OTC_VIEW_GAP_MS apart; with a server database the next body downloads while a view loads', async () => {
      await withSetup(kind, {}, async ({ sim, cli, query }) => {
        const gapped = await cli(['sync', '--json'], { OTC_VIEW_GAP_MS: '300' });
        assert.equal(gapped.code, 0, gapped.stderr);
        assert.deepEqual(statuses(sim), [['comments', 200], ['timesheets', 200], ['tickets', 200]]);
        for (let i = 1; i < 3; i++) {
          const gap = sim.requests[i]!.at - sim.requests[i - 1]!.at;
          assert.ok(gap >= 290, `request ${i + 1} came ${gap} ms after the one before`);
        }

        const seen = sim.requests.length;
        const r = await cli(['sync', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const [comments] = await query<{ ended: number }>(
          `SELECT extract(epoch FROM load_end) * 1000 AS ended FROM servicedesk.etl_metadata
           WHERE run_id = $1 AND view_name = 'comments'`,
          [json<SyncDoc>(r).runId],
        );
        const timesheetsAsked = sim.requests[seen + 1]!.at;
        if (kind === 'server') assert.ok(timesheetsAsked < Number(comments!.ended), 'timesheets was asked for while comments loaded');
        else assert.ok(timesheetsAsked >= Number(comments!.ended), 'the embedded database fetches each body when its load starts');
      });
    });

    test('a burst of 503s is retried with backoff and the view then loads', async () => {
      await withSetup(kind, { failNext: { status: 503, count: 2 } }, async ({ sim, cli, query }) => {
        const r = await cli(['sync', 'comments', '--json']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(json<SyncDoc>(r).views.comments!.status, 'success');
        assert.deepEqual(statuses(sim), [['comments', 503], ['comments', 503], ['comments', 200]]);
        const requests = await query<{ code: string }>('SELECT code FROM servicedesk.source_requests ORDER BY id');
        assert.deepEqual(requests.map((q) => q.code), ['503', '503', '200']);
        const [state] = await query<{ breaker_state: string; consecutive_failures: number }>(
          'SELECT breaker_state, consecutive_failures FROM servicedesk.source_state',
        );
        assert.deepEqual(state, { breaker_state: 'closed', consecutive_failures: 0 });
      });
    });

    test('sustained failure opens the breaker, and a second process sees it open without sending a request', async () => {
      await withSetup(kind, { failNext: { status: 503, count: 1000 } }, async ({ sim, cli }) => {
        const env = { OTC_MAX_RETRIES: '5', OTC_BREAKER_THRESHOLD: '3', OTC_BREAKER_COOLDOWN_MS: '600000' };
        const first = await cli(['sync', '--json'], env);
        assert.equal(first.code, 1);
        assert.equal(sim.requests.length, 3, 'the third failure opened it: no fourth attempt, not even a retry');
        for (const [name, view] of Object.entries(json<SyncDoc>(first).views)) {
          assert.equal(view.status, 'failed');
          assert.match(view.error ?? '', /circuit breaker is open after 3 consecutive failed requests .*503/);
          assert.equal((view.error ?? '').split(name).length - 1, 1, `${name} is named once: ${view.error}`);
        }

        const second = await cli(['sync', '--json'], env);
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
      await withSetup(kind, { failNext: { status: 502, count: 3 } }, async ({ sim, cli, query }) => {
        const env = { OTC_MAX_RETRIES: '5' };
        assert.equal((await cli(['sync', 'comments', '--json'], env)).code, 1);
        assert.equal(sim.requests.length, 3);
        // The breaker lives in the database, so the cooldown passes by moving its opening back past the
        // default 10 minutes rather than by waiting.
        const moved = await query(`UPDATE servicedesk.source_state SET opened_at = opened_at - interval '11 minutes', open_until = open_until - interval '11 minutes' WHERE open_until IS NOT NULL RETURNING 1`);
        assert.equal(moved.length, 1, 'the breaker was open');
        const r = await cli(['sync', 'comments', 'tickets', '--json'], env);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(statuses(sim).slice(3), [['comments', 200], ['tickets', 200]]);
        const h = json<HealthDoc>(await cli(['health', '--json'], env));
        assert.equal(h.breaker.state, 'closed');
      });
    });

    test('bad credentials fail fast with one request for the whole sync, say what to fix, and the password appears nowhere', async () => {
      const wrong = 'wrong-password-for-the-401-test';
      await withSetup(kind, {}, async ({ sim, cli, query }) => {
        // A pause between views this long would time the test out: a sync that cannot log in waits for none.
        const r = await cli(['sync', '--json', '--log-level', 'debug'], { OTC_PASSWORD: wrong, OTC_MAX_RETRIES: '3', OTC_VIEW_GAP_MS: '600000' });
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

    test('a 429 waits for the Retry-After the source gave before the next request', async () => {
      await withSetup(kind, { failNext: { status: 429, count: 1, retryAfterSeconds: 1 } }, async ({ sim, cli }) => {
        const r = await cli(['sync', 'comments', '--json']);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(statuses(sim), [['comments', 429], ['comments', 200]]);
        const gap = sim.requests[1]!.at - sim.requests[0]!.at;
        assert.ok(gap >= 1000, `the retry came ${gap} ms after the 429`);
      });
    });

    test('the minimum interval holds between the requests of separate processes', async () => {
      await withSetup(kind, {}, async ({ sim, cli }) => {
        const env = { OTC_MIN_INTERVAL_MS: '1500' };
        assert.equal((await cli(['sync', 'comments', '--json'], env)).code, 0);
        assert.equal((await cli(['sync', 'comments', '--json'], env)).code, 0);
        assert.equal(sim.requests.length, 2);
        const gap = sim.requests[1]!.at - sim.requests[0]!.at;
        assert.ok(gap >= 1400, `the second process asked ${gap} ms after the first`);
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
        assert.deepEqual(meta.map((m) => [m.view_name, m.load_status]), [['comments', 'success'], ['timesheets', 'failed'], ['tickets', 'failed']]);
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
        const columns = await query('SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2', ['tickets', 'TKT-New Field']);
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
