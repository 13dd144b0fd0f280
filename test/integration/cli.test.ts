import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { acquireRunLock } from '../../src/load/run-lock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { FIXTURE_PASSWORD, startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { comment, ticket, timesheet } from '../support/records.js';

for (const kind of DATABASE_KINDS) {
  describe(`the otc-etl command line on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const env = () => ({ ...tdb.env, ...otc.env() });
    const cli = (...args: string[]) => runCli(args, { env: env(), cwd: tdb.cwd });

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1), ticket(2)], comments: [comment(1, 1)], timesheets: [timesheet()] });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('sync --json prints exactly one JSON document with every view and exits 0', async () => {
      const r = await cli('sync', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { runId: string; views: Record<string, Record<string, unknown>> };
      assert.match(doc.runId, /^[0-9a-f-]{36}$/);
      assert.deepEqual(Object.keys(doc.views), ['comments', 'timesheets', 'tickets']);
      assert.deepEqual(doc.views.tickets, {
        status: 'success',
        fetched: 2,
        inserted: 2,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
        cursor: '2025-01-07T01:05:00.000Z',
        fieldsNew: [],
        fieldsMissing: [],
        error: null,
      });
    });

    test('sync of one view reports only that view', async () => {
      const r = await cli('sync', 'tickets', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { views: Record<string, { unchanged: number }> };
      assert.deepEqual(Object.keys(doc.views), ['tickets']);
      assert.equal(doc.views.tickets!.unchanged, 2);
    });

    test('a failing view is recorded with its error, the others load, and the exit code is 1', async () => {
      otc.set('timesheets', { status: 404, body: 'no' });
      const r = await cli('sync', '--json');
      otc.set('timesheets', [timesheet()]);
      assert.equal(r.code, 1);
      const doc = JSON.parse(r.stdout) as { views: Record<string, { status: string; error: string | null }> };
      assert.equal(doc.views.timesheets!.status, 'failed');
      assert.match(doc.views.timesheets!.error ?? '', /404.*GUID/);
      assert.equal(doc.views.tickets!.status, 'success');
      assert.equal(doc.views.comments!.status, 'success');
    });

    test('bad credentials fail fast with what to fix, and the password appears nowhere', async () => {
      const r = await runCli(['sync', 'tickets', '--json'], { env: { ...env(), OTC_PASSWORD: 'wrong-password-123' }, cwd: tdb.cwd });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /OTC_PASSWORD/);
      assert.ok(!r.stdout.includes('wrong-password-123') && !r.stderr.includes('wrong-password-123'));
      assert.ok(!r.stdout.includes(FIXTURE_PASSWORD));
    });

    test('status reports each view and exits 0 when all are fresh', async () => {
      assert.equal((await cli('sync')).code, 0);
      const r = await cli('status', '--json');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const doc = JSON.parse(r.stdout) as {
        status: string;
        problems: unknown[];
        views: Array<{ view: string; rows: number; fresh: boolean }>;
      };
      assert.deepEqual([doc.status, doc.problems], ['ok', []]);
      assert.deepEqual(
        doc.views.map((v) => [v.view, v.fresh]),
        [
          ['comments', true],
          ['timesheets', true],
          ['tickets', true],
        ],
      );
      assert.equal(doc.views.find((v) => v.view === 'tickets')!.rows, 2);
    });

    test('a second sync while one holds the lock is refused with exit code 3', async () => {
      const db = await tdb.open();
      try {
        const release = await acquireRunLock(db, 'servicedesk', 'test');
        try {
          const r = await cli('sync', '--json');
          assert.equal(r.code, 3, r.stdout + r.stderr);
          assert.match((JSON.parse(r.stdout) as { error: string }).error, /another|in use/);
        } finally {
          await release();
        }
      } finally {
        await db.close();
      }
    });

    test('an unknown view is a usage error (exit 2)', async () => {
      const r = await cli('sync', 'tickts');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown view tickts/);
    });

    test('a bad variable is a configuration error naming it (exit 2)', async () => {
      const r = await runCli(['sync', '--json'], { env: { ...env(), OTC_MAX_REJECT_RATE: 'lots' }, cwd: tdb.cwd });
      assert.equal(r.code, 2);
      assert.match(JSON.parse(r.stdout).error as string, /OTC_MAX_REJECT_RATE/);
    });
  });
}

describe('the command line without a usable database', () => {
  test('a usage error with --json still prints one JSON document and exits 2', async () => {
    for (const args of [
      ['status', '--bogus', '--json'],
      ['nosuchcommand', '--json'],
      ['report', '--json'],
      ['sync', '--log-format', 'xml', '--json'],
    ]) {
      const r = await runCli(args, { env: {}, cwd: process.cwd() });
      assert.equal(r.code, 2, args.join(' '));
      const doc = JSON.parse(r.stdout) as { error: string; exitCode: number };
      assert.equal(doc.exitCode, 2);
      assert.ok(doc.error.length > 0, args.join(' '));
    }
  });

  test('an unreachable server exits 4 with a clear message and no stack trace', async () => {
    const r = await runCli(['sync'], {
      env: { DATABASE_URL: 'postgres://otc:hunter2secret@127.0.0.1:1/servicedesk', OTC_PASSWORD: 'x' },
      cwd: process.cwd(),
    });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /cannot reach the database/);
    assert.ok(!r.stderr.includes('hunter2secret'));
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  test('--version prints the version and exits 0', async () => {
    const r = await runCli(['--version'], { env: {}, cwd: process.cwd() });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });

  test('sync refuses a schema left by the previous loader (exit 4) and points at migrate', async () => {
    const tdb = await createTestDatabase(DATABASE_KINDS[DATABASE_KINDS.length - 1]!);
    try {
      const db = await tdb.open();
      await db.exec(`CREATE SCHEMA servicedesk; CREATE TABLE servicedesk.tickets ("TKT-Ticket ID" text)`);
      await db.close();
      const r = await runCli(['sync'], { env: { ...tdb.env, OTC_PASSWORD: 'x' }, cwd: tdb.cwd });
      assert.equal(r.code, 4);
      assert.match(r.stderr, /otc-etl migrate/);
    } finally {
      await tdb.drop();
    }
  });
});
