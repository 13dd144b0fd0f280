/**
 * What the user reads when something is wrong: each message as the real CLI prints it, against a real
 * local OTC (the fixture server or the simulator) and both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, startCliInProcess, waitFor } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { json, withSetup, type SyncDoc } from '../support/protection-setup.js';
import { comment, ticket, timesheet } from '../support/records.js';

const ISO_UTC = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

/** Successful loads of comments recorded in etl_metadata (with a server database, beside a running CLI). */
async function commentsLoaded(tdb: TestDatabase): Promise<number> {
  const db = await tdb.open();
  try {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM servicedesk.etl_metadata WHERE view_name = 'comments' AND load_status = 'success'`,
    );
    return rows[0]!.n;
  } finally {
    await db.close();
  }
}

describe('DATABASE_URL that is not a connection string', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase('embedded');
  });
  after(() => tdb.drop());
  const cli = (args: string[], env: Record<string, string>) => runCli(args, { env, cwd: tdb.cwd });

  test('is a configuration error (exit 2) naming the variable and echoing the value without its password', async () => {
    const r = await cli(['status'], { DATABASE_URL: 'postgres//oops' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /DATABASE_URL: .*"postgres\/\/oops"/);
    assert.doesNotMatch(r.stderr, /ENOTFOUND|getaddrinfo/);

    const secret = await cli(['status', '--json'], { DATABASE_URL: 'postgres//bob:s3cret-pw@db.internal/servicedesk' });
    assert.equal(secret.code, 2);
    const doc = JSON.parse(secret.stdout) as { error: string; exitCode: number };
    assert.equal(doc.exitCode, 2);
    assert.match(doc.error, /DATABASE_URL: .*"postgres\/\/bob:\*\*\*@db\.internal\/servicedesk"/);
    assert.ok(!`${secret.stdout}${secret.stderr}`.includes('s3cret-pw'), 'the password is never echoed');
  });

  test('a key=value string with a keyword the driver does not honour names it (exit 2), password hidden', async () => {
    const r = await cli(['status'], { DATABASE_URL: "host=db.internal dbname=servicedesk password='p w' connect_timeout=10" });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /DATABASE_URL: uses connect_timeout, which otc-etl does not support/);
    assert.ok(!r.stderr.includes('p w'));
  });

  test('a refused connection names the host and port the user wrote (exit 4)', async () => {
    const r = await cli(['status'], { DATABASE_URL: 'postgres://etl:pw-for-test@localhost:1/servicedesk' });
    assert.equal(r.code, 4, r.stderr);
    // `status` reports it as its problem (stdout); other commands as their error (stderr).
    assert.match(`${r.stdout}${r.stderr}`, /cannot reach the database at localhost:1\/servicedesk: .*ECONNREFUSED/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('pw-for-test'));
    const migrate = await cli(['migrate'], { DATABASE_URL: 'postgres://etl:pw-for-test@localhost:1/servicedesk' });
    assert.equal(migrate.code, 4);
    assert.match(migrate.stderr, /cannot reach the database at localhost:1\/servicedesk: .*ECONNREFUSED/);
  });
});

if (DATABASE_KINDS.includes('server')) {
  describe('DATABASE_URL as a libpq key=value string', () => {
    test('connects like the URL it means: migrate, sync and status work', async () => {
      const tdb = await createTestDatabase('server');
      const otc = await startFixtureServer({ comments: [comment(1, 1)] });
      try {
        const url = new URL(tdb.env.DATABASE_URL!);
        const database = url.pathname.slice(1);
        const keywords = `host=${url.hostname} port=${url.port || 5432} user='${decodeURIComponent(url.username)}' dbname = ${database} application_name=otc-etl-kv`;
        const env = { ...otc.env(), DATABASE_URL: keywords };
        assert.equal((await runCli(['migrate'], { env, cwd: tdb.cwd })).code, 0);
        const sync = await runCli(['sync', 'comments', '--json'], { env, cwd: tdb.cwd });
        assert.equal(sync.code, 0, sync.stderr);
        // Read back through the plain URL: the rows landed in that database.
        const db = await tdb.open();
        try {
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM servicedesk.comments');
          assert.equal(rows[0]!.n, 1);
        } finally {
          await db.close();
        }
      } finally {
        await otc.close();
        await tdb.drop();
      }
    });
  });
}

describe('the source unreachable', () => {
  test('a refused connection to OTC names its host and port', async () => {
    const tdb = await createTestDatabase('embedded');
    try {
      const r = await runCli(['sync', 'comments', '--json'], {
        env: {
          ...tdb.env,
          OTC_PASSWORD: 'x',
          OTC_BASE_URL: 'http://127.0.0.1:1/OTC/Data/View/data',
          OTC_MAX_RETRIES: '0',
          OTC_MIN_INTERVAL_MS: '0',
        },
        cwd: tdb.cwd,
      });
      assert.equal(r.code, 1);
      assert.match(
        json<SyncDoc>(r).views.comments!.error ?? '',
        /OTC at 127\.0\.0\.1:1 refused the connection for view comments \(ECONNREFUSED\)/,
      );
    } finally {
      await tdb.drop();
    }
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`messages on the ${kind} database`, () => {
    test('a body cut short says so in words, and the view is named once', async () => {
      await withSetup(kind, { views: { timesheets: 'cutoff' } }, async ({ cli, query }) => {
        const r = await cli(['sync', 'timesheets'], { OTC_MAX_RETRIES: '0' });
        assert.equal(r.code, 1);
        const [row] = await query<{ error_message: string }>(
          `SELECT error_message FROM servicedesk.etl_metadata WHERE view_name = 'timesheets'`,
        );
        assert.match(
          row!.error_message,
          /^the body of view timesheets was cut short after \d+ bytes: OTC at 127\.0\.0\.1:\d+ closed the connection/,
        );
        assert.doesNotMatch(`${row!.error_message}${r.stdout}${r.stderr}`, /UND_ERR/);
        const errorLine = r.stdout.split('\n').find((l) => /cut short/.test(l))!;
        assert.equal(errorLine.match(/timesheets/g)?.length, 1, errorLine);
      });
    });

    test('a refused load prints its error once, without "tickets: tickets:"', async () => {
      const tdb = await createTestDatabase(kind, {}, { migrated: true });
      const otc = await startFixtureServer({ tickets: [ticket(1), ticket(2)] });
      try {
        const env = { ...tdb.env, ...otc.env() };
        assert.equal((await runCli(['sync', 'tickets'], { env, cwd: tdb.cwd })).code, 0);
        otc.set('tickets', []);
        const r = await runCli(['sync', 'tickets'], { env, cwd: tdb.cwd });
        assert.equal(r.code, 1);
        assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /tickets: tickets/);
        const errorLine = r.stdout.split('\n').find((l) => /sent no records/.test(l))!;
        assert.equal(errorLine.match(/tickets/g)?.length, 1, errorLine);
        const logLine = r.stderr.split('\n').find((l) => /sent no records/.test(l))!;
        assert.equal(
          logLine.split(' err=')[0]!.match(/\btickets\b/g)?.length ?? 0,
          1,
          `one view=tickets field before the error: ${logLine}`,
        );
      } finally {
        await otc.close();
        await tdb.drop();
      }
    });

    test('migrate --dry-run says it would set the TimeZone only when it is not set already', async () => {
      const tdb = await createTestDatabase(kind);
      try {
        const cli = (args: string[]) => runCli(args, { env: { ...tdb.env, OTC_TIMEZONE: 'Australia/Perth' }, cwd: tdb.cwd });
        const fresh = await cli(['migrate', '--dry-run']);
        assert.equal(fresh.code, 0, fresh.stderr);
        assert.match(fresh.stdout, /would set the database TimeZone to Australia\/Perth/);
        assert.equal((await cli(['migrate'])).code, 0);
        const again = await cli(['migrate', '--dry-run']);
        assert.equal(again.code, 0, again.stderr);
        assert.doesNotMatch(again.stdout, /would set/);
        assert.match(again.stdout, /database TimeZone is already Australia\/Perth/);
      } finally {
        await tdb.drop();
      }
    });

    test('log lines carry the full UTC date-time, and a cancelled sync is logged at warn, never error', async () => {
      const tdb = await createTestDatabase(kind, {}, { migrated: true });
      const otc = await startFixtureServer({ comments: [comment(1, 1)], timesheets: [timesheet()], tickets: [ticket(1)] });
      try {
        const env = { ...tdb.env, ...otc.env() };
        const text = await runCli(['sync', 'comments'], { env, cwd: tdb.cwd });
        assert.equal(text.code, 0, text.stderr);
        for (const line of text.stderr.trim().split('\n')) assert.match(line, new RegExp(`^${ISO_UTC} (info|warn)`), line);

        // Timesheets' request is never answered, which holds the sync after comments: stop it there.
        const timesheetsAsked = new Promise<void>((resolve) => {
          otc.onRequest = (view) => {
            if (view !== 'timesheets') return;
            resolve();
            return new Promise<void>(() => undefined);
          };
        });
        const run = startCliInProcess(['sync', '--log-format', 'json'], { env, cwd: tdb.cwd });
        await timesheetsAsked;
        // With a server database timesheets is asked for while comments still loads: let that load end
        // (the second success of comments, after the run above).
        if (kind === 'server') await waitFor('comments to load', async () => (await commentsLoaded(tdb)) === 2);
        run.signal('SIGINT');
        const r = await run.result;
        assert.equal(r.code, 1);
        const lines = r.stderr
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { level: number; time: string; msg: string; view?: string });
        for (const l of lines) assert.match(l.time, new RegExp(`^${ISO_UTC}$`));
        const cancelled = lines.filter((l) => l.msg === 'load cancelled, rolled back');
        assert.deepEqual(
          cancelled.map((l) => [l.view, l.level]),
          [
            ['timesheets', 40],
            ['tickets', 40],
          ],
        );
        assert.deepEqual(
          lines.filter((l) => l.level >= 50).map((l) => l.msg),
          [],
          'nothing at error level',
        );
      } finally {
        await otc.close();
        await tdb.drop();
      }
    });
  });
}
