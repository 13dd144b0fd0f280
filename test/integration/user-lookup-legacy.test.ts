/**
 * The user lookup beside what the previous loader left: a guess without evidence is kept as legacy and
 * never outranks evidence; and a dataset with many conflicting names does not make one enormous log line.
 * The real CLI, a real local OTC, both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { timesheet } from '../support/records.js';

const booked = (login: string, fullName: string, from = '08:00') =>
  timesheet({ 'TS-User Username': login, 'TS-User Full Name': fullName, 'TS-Time From': from });

/** 100 logins the timesheets give two full names each: every one of them ambiguous. */
const CONFLICTS = Array.from({ length: 100 }, (_, i) => [
  booked(`user${i}`, `Person ${i}`, '09:00'),
  booked(`user${i}`, `Persona ${i}`, '10:00'),
]).flat();

interface LookupRow {
  short_username: string;
  full_name: string | null;
  source: string;
  legacy: boolean;
}

for (const kind of DATABASE_KINDS) {
  describe(`legacy user_lookup rows on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const cli = (...args: string[]) => runCli(args, { env: { ...tdb.env, ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' }, cwd: tdb.cwd });
    const query = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => {
      const db = await tdb.open();
      try {
        return await rows<R>(db, sql, params);
      } finally {
        await db.close();
      }
    };

    before(async () => {
      otc = await startFixtureServer({ timesheets: [booked('mlee', 'Mina Lee'), booked('kleeman', 'Karen Kleeman'), ...CONFLICTS] });
      tdb = await createTestDatabase(kind);
      assert.equal((await cli('migrate')).code, 0);
      // The previous loader's last-name guess: 'lee' for Mina Lee, with nothing in the data behind it;
      // and a person's own decision, which nothing overwrites.
      await query(
        `INSERT INTO servicedesk.user_lookup (short_username, full_name, source, updated_at) VALUES
           ('lee', 'Mina Lee', 'timesheets', '2024-01-01T00:00:00Z'),
           ('karen', 'Karen Kleeman', 'manual', '2024-01-01T00:00:00Z')`,
      );
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('a guess without evidence is kept as legacy, reported, and the evidence wins: get_short_username(Mina Lee) is mlee', async () => {
      const sync = await cli('sync', '--log-format', 'json');
      assert.equal(sync.code, 0, sync.stderr);
      const [read] = await query<{ mina: string | null; lee: string | null; karen: string | null }>(
        `SELECT servicedesk.get_short_username('Mina Lee') AS mina, servicedesk.get_full_name('lee') AS lee,
                servicedesk.get_short_username('Karen Kleeman') AS karen`,
      );
      assert.deepEqual(read, { mina: 'mlee', lee: 'Mina Lee', karen: null });

      const stored = await query<LookupRow>(
        `SELECT short_username, full_name, source, legacy FROM servicedesk.user_lookup WHERE short_username IN ('lee', 'mlee', 'karen') ORDER BY 1`,
      );
      assert.deepEqual(stored, [
        { short_username: 'karen', full_name: 'Karen Kleeman', source: 'manual', legacy: false },
        { short_username: 'lee', full_name: 'Mina Lee', source: 'timesheets', legacy: true },
        { short_username: 'mlee', full_name: 'Mina Lee', source: 'timesheets', legacy: false },
      ]);
      const [manual] = await query<{ untouched: boolean }>(
        `SELECT updated_at = '2024-01-01T00:00:00Z' AS untouched FROM servicedesk.user_lookup WHERE short_username = 'karen'`,
      );
      assert.equal(manual!.untouched, true, 'a manual row is never written');

      const legacyLine = sync.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; msg: string; legacy?: string[] })
        .find((l) => /legacy rows without evidence/.test(l.msg));
      assert.equal(legacyLine?.level, 40);
      assert.deepEqual(legacyLine?.legacy, ['lee: Mina Lee (evidence: mlee)']);

      const users = JSON.parse((await cli('users', '--json')).stdout) as {
        legacy: unknown[];
        sharedFullNames: Array<{ fullName: string }>;
      };
      assert.deepEqual(users.legacy, [{ shortUsername: 'lee', fullName: 'Mina Lee', outrankedBy: ['mlee'] }]);
      assert.deepEqual(
        users.sharedFullNames.map((s) => s.fullName),
        ['Karen Kleeman'],
        'the manual row and the evidence still tie; the legacy guess does not',
      );
    });

    test('a log line lists a few dozen names at most and counts the rest', async () => {
      const r = await cli('users', '--log-format', 'json');
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter(Boolean);
      const ambiguous = lines
        .map((l) => JSON.parse(l) as { msg: string; count?: number; ambiguous?: string[] })
        .find((l) => /more than one full name/.test(l.msg));
      assert.equal(ambiguous?.count, 100);
      assert.equal(ambiguous?.ambiguous?.length, 31);
      assert.equal(ambiguous?.ambiguous?.at(-1), '… and 70 more');
      for (const line of lines) assert.ok(line.length < 4000, `a log line of ${line.length} characters`);
      assert.match(r.stdout, /^ambiguous: /m);
      assert.ok(r.stdout.split('\n').every((l) => l.length < 4000));
    });
  });
}
