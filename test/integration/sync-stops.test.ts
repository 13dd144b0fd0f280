/**
 * What a sync does when the source cannot be asked any more (a 401 or 403, or an open breaker), and how
 * it spends the pause between views: a real local OTC, a real database, the real protective client; the
 * pause itself is an injected sleep, so nothing here waits for real.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import type { Logger } from '../../src/log.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import { rows, syncOnce, useFixtureDatabase, type FixtureDatabase, type SyncOnceOptions } from '../support/harness.js';
import { comment, ticket, timesheet } from '../support/records.js';

interface MetaRow {
  view_name: string;
  load_status: string;
  error_message: string | null;
}

/** A logger whose lines the test can read. */
function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info', base: undefined }, sink), lines };
}

async function runsOf(db: Db, runId: string): Promise<MetaRow[]> {
  return rows<MetaRow>(db, 'SELECT view_name, load_status, error_message FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id', [
    runId,
  ]);
}

const totalHits = (hits: Record<string, number>) => Object.values(hits).reduce((a, b) => a + b, 0);

for (const kind of DATABASE_KINDS) {
  describe(`a sync that cannot ask the source any more, on the ${kind} database`, () => {
    let setup: FixtureDatabase;
    useFixtureDatabase(
      kind,
      (s) => (setup = s),
      { comments: [comment(1, 1)], timesheets: [timesheet()], tickets: [ticket(1)] },
      { migrated: true },
    );
    const config = (extra: Record<string, string> = {}) => setup.tdb.config({ ...setup.otc.env(), OTC_MIN_VOLUME_RATIO: '0', ...extra });
    const sync = (c: Config, options: SyncOnceOptions = {}) => syncOnce(setup.db, c, undefined, options);
    const resetHits = () => {
      for (const key of Object.keys(setup.otc.hits)) delete setup.otc.hits[key];
    };

    test('a 401 fails every remaining view at once: one request, no pause, each view failed with that message', async () => {
      resetHits();
      const clock = new FakeClock();
      const result = await sync(config({ OTC_PASSWORD: 'not-the-password', OTC_VIEW_GAP_MS: '30000', OTC_MAX_RETRIES: '3' }), { clock });
      assert.deepEqual(setup.otc.hits, { comments: 1 }, 'one bad login, not one per view');
      assert.deepEqual(clock.sleeps, [], 'no retry, and no pause before views that will not be requested');
      assert.deepEqual(
        result.outcomes.map((o) => [o.view, o.status]),
        [
          ['comments', 'failed'],
          ['timesheets', 'failed'],
          ['tickets', 'failed'],
        ],
      );
      for (const o of result.outcomes)
        assert.match(o.error ?? '', /rejected the credentials .*\(401\): check OTC_USERNAME and OTC_PASSWORD/);
      assert.match(result.outcomes[1]!.error ?? '', /^timesheets was not requested: /);

      const stored = await runsOf(setup.db, result.runId);
      assert.deepEqual(
        stored.map((r) => [r.view_name, r.load_status]),
        [
          ['comments', 'failed'],
          ['timesheets', 'failed'],
          ['tickets', 'failed'],
        ],
      );
      assert.deepEqual(
        stored.map((r) => r.error_message),
        result.outcomes.map((o) => o.error),
      );
      const [state] = await rows<{ breaker_state: string }>(setup.db, 'SELECT breaker_state FROM servicedesk.source_state');
      assert.equal(state!.breaker_state, 'closed', 'one bad login does not open the breaker');
    });

    test('a 403 on the second view: the first loads, the third is failed at once without a request', async () => {
      resetHits();
      setup.otc.set('timesheets', { status: 403, body: 'forbidden' });
      try {
        const result = await sync(config());
        assert.deepEqual(setup.otc.hits, { comments: 1, timesheets: 1 });
        assert.deepEqual(
          result.outcomes.map((o) => [o.view, o.status]),
          [
            ['comments', 'success'],
            ['timesheets', 'failed'],
            ['tickets', 'failed'],
          ],
        );
        assert.match(result.outcomes[2]!.error ?? '', /^tickets was not requested: OTC refused access to view timesheets \(403\)/);
        const stored = await runsOf(setup.db, result.runId);
        assert.equal(stored[2]!.error_message, result.outcomes[2]!.error);
      } finally {
        setup.otc.set('timesheets', [timesheet()]);
      }
    });

    test('an open breaker fails every view at once, without a request or a pause, with an absolute time', async () => {
      resetHits();
      await setup.db.query(
        `UPDATE servicedesk.source_state SET breaker_state = 'open', consecutive_failures = 3, opened_at = now(),
           open_until = now() + interval '10 minutes', last_error = 'OTC answered 503 for view tickets (overloaded or in maintenance).'`,
      );
      const clock = new FakeClock();
      try {
        const result = await sync(config({ OTC_VIEW_GAP_MS: '30000' }), { clock });
        assert.equal(totalHits(setup.otc.hits), 0);
        assert.deepEqual(clock.sleeps, []);
        const stored = await runsOf(setup.db, result.runId);
        assert.deepEqual(
          stored.map((r) => r.load_status),
          ['failed', 'failed', 'failed'],
        );
        for (const [i, r] of stored.entries()) {
          assert.match(r.error_message ?? '', /circuit breaker is open after 3 consecutive failed requests/);
          assert.match(r.error_message ?? '', /until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
          assert.doesNotMatch(r.error_message ?? '', /from now/);
          assert.equal((r.error_message ?? '').split(r.view_name).length - 1, 1, `row ${i} names its view once`);
        }
      } finally {
        await setup.db.query(
          `UPDATE servicedesk.source_state SET breaker_state = 'closed', consecutive_failures = 0, opened_at = NULL, open_until = NULL`,
        );
      }
    });

    test("the pause between views is logged at info and over before the next view's run starts", async () => {
      resetHits();
      const { log, lines } = capturingLogger();
      const seen: Array<{ ms: number; nextRunStarted: boolean }> = [];
      const names = ['comments', 'timesheets', 'tickets'];
      const fake = new FakeClock();
      const running = async (view: string) =>
        (await rows(setup.db, `SELECT 1 FROM servicedesk.etl_metadata WHERE view_name = $1 AND load_status = 'running'`, [view])).length >
        0;
      const clock = {
        now: () => fake.now(),
        sleep: async (ms: number, signal?: AbortSignal) => {
          // With a server database the pause starts while the view before it loads: let that load end first.
          for (let i = 0; i < 500 && (await running(names[seen.length]!)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
          seen.push({ ms, nextRunStarted: await running(names[seen.length + 1]!) });
          await fake.sleep(ms, signal);
        },
      };
      const result = await sync(config({ OTC_VIEW_GAP_MS: '30000' }), { log, clock });
      assert.ok(
        result.outcomes.every((o) => o.status === 'success'),
        JSON.stringify(result.outcomes),
      );
      assert.deepEqual(seen, [
        { ms: 30000, nextRunStarted: false },
        { ms: 30000, nextRunStarted: false },
      ]);
      const gapLines = lines.filter((l) => /OTC_VIEW_GAP_MS/.test(String(l.msg)));
      assert.deepEqual(
        gapLines.map((l) => [l.level, l.view, l.waitMs]),
        [
          [30, 'timesheets', 30000],
          [30, 'tickets', 30000],
        ],
      );
      assert.match(String(gapLines[0]!.msg), /waiting 30 s before requesting timesheets/);
    });
  });
}
