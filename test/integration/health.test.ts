import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS } from '../support/databases.js';
import { json, statuses, withSetup, type HealthDoc } from '../support/protection-setup.js';

for (const kind of DATABASE_KINDS) {
  describe(`otc-etl health on the ${kind} database`, () => {
    test('health reports the database, breaker, budget and last syncs, and its probe calls the source once', async () => {
      await withSetup(kind, {}, async ({ sim, cli }) => {
        assert.equal((await cli(['sync', '--json'])).code, 0);
        const plain = await cli(['health', '--json']);
        assert.equal(plain.code, 0, plain.stdout);
        const h = json<HealthDoc>(plain);
        assert.deepEqual([h.status, h.problems], ['ok', []]);
        assert.deepEqual([h.breaker.state, h.requests.lastHour, h.requests.maxPerHour], ['closed', 3, 100]);
        assert.ok(h.views.every((v) => v.lastSuccess !== null));
        assert.equal(sim.requests.length, 3, 'health alone sends nothing');

        const probed = await cli(['health', '--probe', '--json']);
        assert.equal(probed.code, 0, probed.stdout);
        assert.equal(json<HealthDoc>(probed).probe?.outcome, 'ok');
        assert.equal(json<HealthDoc>(probed).requests.lastHour, 4, 'the probe counts against the budget');
        assert.deepEqual(statuses(sim).at(-1), ['comments', 200]);
      });
    });

    test('health after syncing one view names the two never synced as problems (exit 1)', async () => {
      await withSetup(kind, {}, async ({ cli }) => {
        assert.equal((await cli(['sync', 'comments', '--json'])).code, 0);
        const r = await cli(['health', '--json']);
        assert.equal(r.code, 1, r.stdout);
        const h = json<HealthDoc>(r);
        assert.equal(h.status, 'problem');
        assert.deepEqual(
          h.problems.map((p) => [p.view, p.code]),
          [
            ['timesheets', 'never_synced'],
            ['tickets', 'never_synced'],
          ],
        );
      });
    });

    test('a probe with bad credentials is unhealthy (exit 1) after one request', async () => {
      await withSetup(kind, {}, async ({ sim, cli }) => {
        assert.equal((await cli(['migrate', '--json'])).code, 0);
        const r = await cli(['health', '--probe', '--json'], { OTC_PASSWORD: 'not-the-password' });
        assert.equal(r.code, 1);
        const h = json<HealthDoc>(r);
        assert.equal(h.status, 'problem');
        assert.ok(
          h.problems.some((p) => p.view === null && p.code === 'probe_failed'),
          JSON.stringify(h.problems),
        );
        assert.equal(h.probe?.httpStatus, 401);
        assert.match(h.probe?.message ?? '', /OTC_PASSWORD/);
        assert.equal(sim.requests.length, 1);
      });
    });

    test('health on a database that was never migrated exits 4 and says to run migrate', async () => {
      const tdb = await createTestDatabase(kind);
      try {
        const r = await runCli(['health', '--json'], { env: tdb.env, cwd: tdb.cwd });
        assert.equal(r.code, 4);
        const h = json<HealthDoc>(r);
        assert.equal(h.status, 'problem');
        assert.equal(h.problems[0]?.code, 'migrations_pending');
        assert.match(h.problems[0]?.message ?? '', /otc-etl migrate/);
        const status = await runCli(['status', '--json'], { env: tdb.env, cwd: tdb.cwd });
        assert.equal(status.code, 4);
        assert.deepEqual(json<HealthDoc>(status).problems, h.problems, 'status says the same');
      } finally {
        await tdb.drop();
      }
    });
  });
}

describe('health without a database', () => {
  test('an unreachable server exits 4 with one JSON document and no password', async () => {
    const r = await runCli(['health', '--json'], {
      env: { DATABASE_URL: 'postgres://otc:s3cret-db-pw@127.0.0.1:1/servicedesk' },
      cwd: process.cwd(),
    });
    assert.equal(r.code, 4);
    const h = json<{ status: string; problems: Array<{ code: string }>; database: { reachable: boolean } }>(r);
    assert.deepEqual([h.status, h.database.reachable, h.problems[0]?.code], ['problem', false, 'database_unreachable']);
    assert.ok(!r.stdout.includes('s3cret-db-pw') && !r.stderr.includes('s3cret-db-pw'));
  });
});
