import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { applyMigrations } from '../../src/load/migrate.js';
import { silentLogger } from '../../src/log.js';
import { withRunLock } from '../../src/pipeline/guard.js';
import { refreshUsers } from '../../src/pipeline/refresh-users.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows, syncOnce } from '../support/harness.js';
import { USER_COMMENTS, USER_TICKETS, USER_TIMESHEETS } from '../support/user-records.js';

interface LookupRow {
  short_username: string;
  full_name: string | null;
  user_id: number | null;
  source: string;
  ambiguous_full_names: string[] | null;
}

for (const kind of DATABASE_KINDS) {
  describe(`the user lookup on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });
    const lookup = async (short: string) =>
      (await rows<LookupRow>(db, 'SELECT * FROM servicedesk.user_lookup WHERE short_username = $1', [short]))[0];
    const refresh = () => {
      const deps = { db, config: config(), log: silentLogger };
      return withRunLock(deps, 'users', { autoMigrate: false }, () => refreshUsers(deps));
    };

    before(async () => {
      otc = await startFixtureServer({ tickets: USER_TICKETS, comments: USER_COMMENTS, timesheets: USER_TIMESHEETS });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      db = await tdb.open();
      await applyMigrations(db, { schema: 'servicedesk', timezone: null });
      // What the previous loader left: a manual mapping that differs from the evidence, a wrong guess
      // by last-name substring (`lee` is inside `kleeman`), a right one, and one nothing supports now.
      await db.query(
        `INSERT INTO servicedesk.user_lookup (short_username, full_name, source, updated_at) VALUES
           ('mobrien', 'Michael O''Brien', 'manual', '2024-01-01T00:00:00Z'),
           ('lee', 'Karen Kleeman', 'comments', '2024-01-01T00:00:00Z'),
           ('dsmith', 'Dana Smith', 'timesheets', '2024-01-01T00:00:00Z'),
           ('olduser', 'Old User', 'timesheets', '2024-01-01T00:00:00Z')`,
      );
    });
    after(async () => {
      await db.close();
      await tdb.drop();
      await otc.close();
    });

    test('a full sync ends by rebuilding the user lookup and reports what changed', async () => {
      const result = await syncOnce(db, config());
      assert.ok(result.outcomes.every((o) => o.status === 'success'));
      assert.equal(result.userLookup?.status, 'success');
      assert.ok(result.userLookup.status === 'success');
      const r = result.userLookup.result;
      assert.deepEqual(
        { added: r.added, updated: r.updated, unchanged: r.unchanged, manual: r.manual, failed: r.failed },
        { added: 6, updated: 1, unchanged: 2, manual: 1, failed: [] },
      );
      assert.deepEqual(r.ambiguous, [{ shortUsername: 'jdoe', fullNames: ['Jane Doe', 'Jane Roe'] }]);
      assert.deepEqual(r.sharedFullNames, [{ fullName: 'Chris Smith', shortUsernames: ['csmith', 'csmith2'] }]);
      const [{ n }] = (await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.user_lookup')) as [{ n: number }];
      assert.equal(n, r.added + r.updated + r.unchanged + r.manual);
    });

    test('short logins that are substrings of others are never confused (lee inside kleeman)', async () => {
      const lee = await lookup('lee');
      assert.deepEqual([lee?.full_name, lee?.user_id, lee?.source, lee?.ambiguous_full_names], ['Lee Matthews', 1023, 'timesheets', null]);
      const kleeman = await lookup('kleeman');
      assert.deepEqual([kleeman?.full_name, kleeman?.user_id], ['Karen Kleeman', 1024]);
    });

    test('the wrong mapping left by the old substring guess is corrected by the evidence', async () => {
      const [lee] = await rows<{ changed: boolean }>(
        db,
        `SELECT updated_at > '2024-01-01T00:00:00Z' AS changed FROM servicedesk.user_lookup WHERE short_username = 'lee'`,
      );
      assert.equal(lee?.changed, true);
    });

    test('a manual mapping that differs from the evidence is kept as it was', async () => {
      const [mobrien] = await rows<{ full_name: string; user_id: number | null; source: string; untouched: boolean }>(
        db,
        `SELECT full_name, user_id, source, updated_at = '2024-01-01T00:00:00Z' AS untouched
         FROM servicedesk.user_lookup WHERE short_username = 'mobrien'`,
      );
      assert.deepEqual(mobrien, { full_name: "Michael O'Brien", user_id: null, source: 'manual', untouched: true });
    });

    test('a login linked to a ticket only through its user id gets the ticket’s full name', async () => {
      const pwalsh = await lookup('pwalsh');
      assert.deepEqual([pwalsh?.full_name, pwalsh?.user_id, pwalsh?.source], ['Paddy Walsh', 1071, 'tickets']);
      // ` PendingAssignment` is not a name, even where the source kept a user id on it.
      const nocomment = await lookup('nocomment');
      assert.deepEqual([nocomment?.full_name, nocomment?.user_id, nocomment?.source], [null, 1600, 'comments']);
    });

    test('one username with two full names is ambiguous: no name is picked', async () => {
      const jdoe = await lookup('jdoe');
      assert.deepEqual([jdoe?.full_name, jdoe?.user_id, jdoe?.ambiguous_full_names], [null, 1700, ['Jane Doe', 'Jane Roe']]);
    });

    test('get_full_name and get_short_username read the lookup back, from any search_path', async () => {
      const names = ['lee', 'kleeman', 'csmith', 'csmith2', 'dsmith', 'mobrien', 'jdoe', 'nocomment', 'pwalsh', 'nobody', 'smith'];
      const fulls = [
        'Lee Matthews',
        'Karen Kleeman',
        'Chris Smith',
        'Dana Smith',
        "Michael O'Brien",
        "Mick O'Brien",
        'Jane Doe',
        'Jane Roe',
        'Paddy Walsh',
        'Smith',
        'Lee',
      ];
      const read = await db.transaction(async (tx) => {
        await tx.query('SET LOCAL search_path TO public');
        const short = await tx.query<{ k: string; v: string | null }>(
          'SELECT k, servicedesk.get_full_name(k) AS v FROM unnest($1::text[]) AS k',
          [names],
        );
        const full = await tx.query<{ k: string; v: string | null }>(
          'SELECT k, servicedesk.get_short_username(k) AS v FROM unnest($1::text[]) AS k',
          [fulls],
        );
        return { short: Object.fromEntries(short.rows.map((r) => [r.k, r.v])), full: Object.fromEntries(full.rows.map((r) => [r.k, r.v])) };
      });
      assert.deepEqual(read.short, {
        lee: 'Lee Matthews',
        kleeman: 'Karen Kleeman',
        csmith: 'Chris Smith',
        csmith2: 'Chris Smith',
        dsmith: 'Dana Smith',
        mobrien: "Michael O'Brien",
        jdoe: null,
        nocomment: null,
        pwalsh: 'Paddy Walsh',
        nobody: null,
        smith: null,
      });
      assert.deepEqual(read.full, {
        'Lee Matthews': 'lee',
        'Karen Kleeman': 'kleeman',
        // Two people called Chris Smith: which one is meant cannot be told from the name.
        'Chris Smith': null,
        // Two people sharing a last name are two people.
        'Dana Smith': 'dsmith',
        "Michael O'Brien": 'mobrien',
        "Mick O'Brien": null,
        'Jane Doe': null,
        'Jane Roe': null,
        'Paddy Walsh': 'pwalsh',
        Smith: null,
        Lee: null,
      });
    });

    test('refreshing again on the same evidence changes nothing', async () => {
      const r = await refresh();
      assert.deepEqual([r.added, r.updated, r.unchanged, r.manual], [0, 0, 9, 1]);
      assert.equal(r.ambiguous.length, 1);
    });

    test('syncing only some views leaves the user lookup alone', async () => {
      const result = await syncOnce(db, config(), ['comments', 'tickets']);
      assert.equal(result.userLookup, undefined);
    });

    test('a row the database refuses is reported and the rest of the refresh still lands', async () => {
      // Another tool's rule on the table trips on one login only.
      await db.exec(
        `ALTER TABLE servicedesk.user_lookup ADD CONSTRAINT lowercase_login CHECK (short_username = lower(short_username)) NOT VALID`,
      );
      try {
        otc.set('timesheets', [
          ...USER_TIMESHEETS,
          { ...USER_TIMESHEETS[0], 'TS-User Username': 'JSmith', 'TS-User Full Name': 'John Smith' },
          { ...USER_TIMESHEETS[0], 'TS-User Username': 'newbie', 'TS-User Full Name': 'Nina Newbie' },
        ]);
        await syncOnce(db, config(), ['timesheets']);
        const r = await refresh();
        assert.deepEqual([r.added, r.updated, r.unchanged, r.manual], [1, 0, 9, 1]);
        assert.equal(r.failed.length, 1);
        assert.equal(r.failed[0]?.shortUsername, 'JSmith');
        assert.match(r.failed[0]?.error ?? '', /lowercase_login.*SQLSTATE 23514/);
        assert.equal((await lookup('newbie'))?.full_name, 'Nina Newbie');
        assert.equal(await lookup('JSmith'), undefined);
      } finally {
        await db.exec('ALTER TABLE servicedesk.user_lookup DROP CONSTRAINT lowercase_login');
      }
    });

    test('a failed refresh is logged but never fails the views of the sync', async () => {
      await db.exec('ALTER TABLE servicedesk.user_lookup RENAME TO user_lookup_away');
      try {
        const result = await syncOnce(db, config());
        assert.ok(
          result.outcomes.every((o) => o.status === 'success'),
          JSON.stringify(result.outcomes),
        );
        assert.equal(result.userLookup?.status, 'failed');
        assert.ok(result.userLookup.status === 'failed');
        assert.match(result.userLookup.error, /user_lookup/);
      } finally {
        await db.exec('ALTER TABLE servicedesk.user_lookup_away RENAME TO user_lookup');
      }
      const [meta] = await rows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM servicedesk.etl_metadata WHERE load_status NOT IN ('success', 'partial')`,
      );
      assert.equal(meta?.n, 0);
    });
  });

  describe(`otc-etl users on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const cli = (...args: string[]) => runCli(args, { env: { ...tdb.env, ...otc.env() }, cwd: tdb.cwd });

    before(async () => {
      otc = await startFixtureServer({ tickets: USER_TICKETS, comments: USER_COMMENTS, timesheets: USER_TIMESHEETS });
      tdb = await createTestDatabase(kind);
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('users on a database that was never migrated asks for migrate with exit code 4', async () => {
      const r = await cli('users', '--json');
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, /otc-etl migrate/);
    });

    test('sync --json keeps its document shape while the user lookup is refreshed in its log', async () => {
      const r = await cli('sync', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys(JSON.parse(r.stdout) as object), ['runId', 'views']);
      assert.match(r.stderr, /user lookup refreshed.*added=9/);
    });

    test('users --json prints the counts and the ambiguous usernames and exits 0', async () => {
      const r = await cli('users', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.deepEqual(doc, {
        added: 0,
        updated: 0,
        unchanged: 9,
        manual: 0,
        ambiguous: [{ shortUsername: 'jdoe', fullNames: ['Jane Doe', 'Jane Roe'] }],
        sharedFullNames: [{ fullName: 'Chris Smith', shortUsernames: ['csmith', 'csmith2'] }],
        failed: [],
        legacy: [],
      });
    });

    test('users without --json prints a readable summary', async () => {
      const r = await cli('users');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^user lookup: 0 added, 0 updated, 9 unchanged, 0 manual kept, 1 ambiguous$/m);
      assert.match(r.stdout, /jdoe: Jane Doe \| Jane Roe/);
      assert.match(r.stdout, /Chris Smith: csmith, csmith2/);
    });
  });
}
