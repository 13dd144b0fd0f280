import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { comment, ticket, timesheet } from '../support/records.js';

const ROLES_SQL = fileURLToPath(new URL('../../../docs/roles.sql', import.meta.url));

/** Runs docs/roles.sql with psql, as the administrator of the test database. */
function applyRolesSql(adminUrl: string, vars: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const args = [adminUrl, '-X', '-q', ...Object.entries(vars).flatMap(([k, v]) => ['-v', `${k}=${v}`]), '-f', ROLES_SQL];
  return new Promise((resolve, reject) => {
    const child = spawn('psql', args, { env: { PATH: process.env.PATH } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) => reject(new Error(`psql is needed to apply docs/roles.sql: ${error.message}`)));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Four entries over five days; the 13:00 one lies inside the window and can disappear from it. */
const TIMESHEETS = [
  timesheet({ 'TS-Date': '05/01/2025' }),
  timesheet({ 'TS-Date': '07/01/2025' }),
  timesheet({ 'TS-Date': '07/01/2025', 'TS-Time From': '13:00' }),
  timesheet({ 'TS-Date': '09/01/2025' }),
];

function urlAs(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  return u.toString();
}

/** The SQLSTATE a statement fails with as `role`, or 'ok'. */
async function sqlStateAs(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end();
  }
}

for (const kind of DATABASE_KINDS) {
  if (kind !== 'server') continue;
  describe('least-privilege roles on the server database', () => {
    // Roles are cluster-wide: unique names per run, dropped afterwards.
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
    const roles = { owner: `otc_owner_${suffix}`, loader: `otc_loader_${suffix}`, analyst: `otc_analyst_${suffix}` };
    let tdb: TestDatabase;
    let otc: FixtureServer;
    let adminUrl: string;

    before(async () => {
      // More than 1000 tickets, so the load also runs ANALYZE, which only the owner may do.
      const tickets = Array.from({ length: 1200 }, (_, i) => ticket(i + 1));
      otc = await startFixtureServer({ tickets, comments: [comment(1, 1), comment(2, 1)], timesheets: TIMESHEETS });
      tdb = await createTestDatabase(kind);
      adminUrl = tdb.env.DATABASE_URL!;
    });
    after(async () => {
      await tdb.drop();
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      try {
        for (const role of Object.values(roles)) await admin.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await admin.end();
      }
      await otc.close();
    });

    test('migrations run as the owner, syncs as the loader, and the analyst can only read', async () => {
      const first = await applyRolesSql(adminUrl, roles);
      assert.equal(first.code, 0, first.output);

      const migrate = await runCli(['migrate', '--json'], { env: { DATABASE_URL: urlAs(adminUrl, roles.owner) }, cwd: tdb.cwd });
      assert.equal(migrate.code, 0, migrate.stdout + migrate.stderr);
      const again = await applyRolesSql(adminUrl, roles);
      assert.equal(again.code, 0, again.output);

      const loaderEnv = { ...otc.env(), DATABASE_URL: urlAs(adminUrl, roles.loader), OTC_MIN_VOLUME_RATIO: '0' };
      const sync = await runCli(['sync', '--json'], { env: loaderEnv, cwd: tdb.cwd });
      assert.equal(sync.code, 0, sync.stdout + sync.stderr);
      const doc = JSON.parse(sync.stdout) as { views: Record<string, { status: string; inserted: number }> };
      assert.deepEqual(
        Object.values(doc.views).map((v) => v.status),
        ['success', 'success', 'success'],
      );
      assert.equal(doc.views.tickets!.inserted, 1200);

      // A timesheet gone from the source is moved to timesheets_removed: a DELETE and an INSERT, no DDL.
      otc.set(
        'timesheets',
        TIMESHEETS.filter((t) => t['TS-Time From'] !== '13:00'),
      );
      const removal = await runCli(['sync', 'timesheets', '--json'], { env: loaderEnv, cwd: tdb.cwd });
      assert.equal(removal.code, 0, removal.stdout + removal.stderr);
      assert.equal((JSON.parse(removal.stdout) as { views: { timesheets: { removed: number } } }).views.timesheets.removed, 1);

      // Another tool adds a column to timesheets: the side table must get it too, which only the owner may do.
      assert.equal(await sqlStateAs(adminUrl, 'ALTER TABLE servicedesk.timesheets ADD COLUMN support_tier text'), 'ok');
      otc.set(
        'timesheets',
        TIMESHEETS.filter((t) => t['TS-Date'] !== '07/01/2025'),
      );
      const refused = await runCli(['sync', 'timesheets', '--json'], { env: loaderEnv, cwd: tdb.cwd });
      assert.equal(refused.code, 1);
      const error = (JSON.parse(refused.stdout) as { views: { timesheets: { error: string } } }).views.timesheets.error;
      assert.match(error, /As the owner role, run: ALTER TABLE "servicedesk"."timesheets_removed" ADD COLUMN "support_tier" text/);
      assert.equal(await sqlStateAs(urlAs(adminUrl, roles.owner), error.slice(error.indexOf('ALTER TABLE'))), 'ok');
      const healed = await runCli(['sync', 'timesheets', '--json'], { env: loaderEnv, cwd: tdb.cwd });
      assert.equal(healed.code, 0, healed.stdout + healed.stderr);

      const loader = urlAs(adminUrl, roles.loader);
      const loaderCannot = {
        create: await sqlStateAs(loader, 'CREATE TABLE servicedesk.extra (a int)'),
        alter: await sqlStateAs(loader, 'ALTER TABLE servicedesk.tickets ADD COLUMN extra int'),
        drop: await sqlStateAs(loader, 'DROP TABLE servicedesk.comments'),
        truncate: await sqlStateAs(loader, 'TRUNCATE servicedesk.tickets'),
        migrations: await sqlStateAs(loader, `DELETE FROM servicedesk.schema_migrations`),
        publicSchema: await sqlStateAs(loader, 'CREATE TABLE public.extra (a int)'),
      };
      assert.deepEqual(Object.values(loaderCannot), Array(6).fill('42501'), JSON.stringify(loaderCannot));

      const analyst = urlAs(adminUrl, roles.analyst);
      assert.equal(
        await sqlStateAs(analyst, 'SELECT count(*) FROM servicedesk.tickets JOIN servicedesk.comments ON ticket_id = "TKT-Ticket ID"'),
        'ok',
      );
      assert.equal(await sqlStateAs(analyst, 'SELECT * FROM servicedesk.v_data_freshness'), 'ok');
      assert.equal(await sqlStateAs(analyst, 'SELECT * FROM servicedesk.etl_metadata'), 'ok');
      const analystCannot = [
        await sqlStateAs(analyst, `UPDATE servicedesk.tickets SET "TKT-Status" = 'Closed'`),
        await sqlStateAs(
          analyst,
          `INSERT INTO servicedesk.load_rejects (run_id, view_name, kind, reason) VALUES ('x', 'x', 'record', 'x')`,
        ),
        await sqlStateAs(analyst, 'DELETE FROM servicedesk.etl_metadata'),
        await sqlStateAs(analyst, 'CREATE TABLE servicedesk.mine (a int)'),
      ];
      assert.deepEqual(analystCannot, Array(4).fill('42501'));
    });

    test("re-running roles.sql never opens another tool's table to the loader, and tables migrate adds later are granted", async () => {
      // Another tool's table in the same schema, opened to the loader the way the old schema-wide grant did.
      assert.equal(await sqlStateAs(adminUrl, 'CREATE TABLE servicedesk.other_tool_notes (id int PRIMARY KEY, note text)'), 'ok');
      assert.equal(await sqlStateAs(adminUrl, `GRANT INSERT, UPDATE, DELETE ON servicedesk.other_tool_notes TO ${roles.loader}`), 'ok');
      // A table a later otc-etl version's migrate creates (as the owner).
      assert.equal(await sqlStateAs(urlAs(adminUrl, roles.owner), 'CREATE TABLE servicedesk.later_history (id int)'), 'ok');
      const rerun = await applyRolesSql(adminUrl, roles);
      assert.equal(rerun.code, 0, rerun.output);

      const loader = urlAs(adminUrl, roles.loader);
      const onOtherTool = [
        await sqlStateAs(loader, `INSERT INTO servicedesk.other_tool_notes VALUES (1, 'x')`),
        await sqlStateAs(loader, `UPDATE servicedesk.other_tool_notes SET note = 'y'`),
        await sqlStateAs(loader, 'DELETE FROM servicedesk.other_tool_notes'),
      ];
      assert.deepEqual(onOtherTool, Array(3).fill('42501'));
      assert.equal(await sqlStateAs(urlAs(adminUrl, roles.analyst), 'SELECT * FROM servicedesk.other_tool_notes'), '42501');
      assert.equal(await sqlStateAs(loader, 'INSERT INTO servicedesk.later_history VALUES (1)'), 'ok');
      assert.equal(await sqlStateAs(loader, 'DELETE FROM servicedesk.schema_migrations'), '42501');
      // The loader still syncs after the re-run.
      const sync = await runCli(['sync', 'comments', '--json'], {
        env: { ...otc.env(), DATABASE_URL: loader, OTC_MIN_VOLUME_RATIO: '0' },
        cwd: tdb.cwd,
      });
      assert.equal(sync.code, 0, sync.stdout + sync.stderr);
    });

    test('a sync as the loader on a database nobody has migrated says which role to use, without a stack trace', async () => {
      const fresh = await createTestDatabase(kind);
      try {
        const granted = await applyRolesSql(fresh.env.DATABASE_URL!, { ...roles, schema: 'elsewhere' });
        assert.equal(granted.code, 0, granted.output);
        const r = await runCli(['sync', '--json'], {
          env: { ...otc.env(), DATABASE_URL: urlAs(fresh.env.DATABASE_URL!, roles.loader), OTC_SCHEMA: 'elsewhere' },
          cwd: fresh.cwd,
        });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match((JSON.parse(r.stdout) as { error: string }).error, /42501.*lacks a privilege.*docs\/roles\.sql/);
        assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
      } finally {
        await fresh.drop();
      }
    });

    test('sslmode is passed to the server: verify-full against a server without TLS is refused (exit 4)', async () => {
      const url = new URL(adminUrl);
      url.searchParams.set('sslmode', 'verify-full');
      const r = await runCli(['status', '--json'], { env: { DATABASE_URL: url.toString() }, cwd: tdb.cwd });
      assert.equal(r.code, 4, r.stderr);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, /cannot reach the database.*SSL/);
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    });
  });
}
