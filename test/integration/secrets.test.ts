import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { FIXTURE_PASSWORD, startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { comment, ticket, timesheet } from '../support/records.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A login role with a password, named uniquely (roles are cluster-wide), owning the test database. */
async function createPasswordRole(tdb: TestDatabase, password: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `otc_secret_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  const database = new URL(tdb.env.DATABASE_URL!).pathname.slice(1);
  try {
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await admin.query(`ALTER DATABASE ${database} OWNER TO ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(tdb.env.DATABASE_URL!);
  url.username = name;
  url.password = password;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await client.query(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await client.end();
      }
    },
  };
}

function assertNowhere(secrets: readonly string[], where: string, text: string): void {
  for (const secret of secrets)
    assert.ok(
      !text.includes(secret),
      `a password appears in ${where}: …${text.slice(Math.max(0, text.indexOf(secret) - 80), text.indexOf(secret) + 20)}`,
    );
}

for (const kind of DATABASE_KINDS) {
  describe(`passwords on the ${kind} database`, () => {
    const otcPassword = `otc-pw-${randomBytes(6).toString('hex')}`;
    const dbPassword = `db-pw-${randomBytes(6).toString('hex')}`;
    let tdb: TestDatabase;
    let otc: FixtureServer;
    let env: Record<string, string>;
    let dropRole: () => Promise<void> = async () => undefined;

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1)], comments: [comment(1, 1)], timesheets: [timesheet()] });
      tdb = await createTestDatabase(kind);
      env = { ...tdb.env, ...otc.env(), OTC_PASSWORD: otcPassword };
      if (kind === 'server') {
        const role = await createPasswordRole(tdb, dbPassword);
        env.DATABASE_URL = role.url;
        dropRole = role.drop;
      }
    });
    after(async () => {
      await tdb.drop();
      await dropRole();
      await otc.close();
    });

    test('after a run that failed authentication, no password is in the output, the logs or the database', async () => {
      const secrets = [otcPassword, dbPassword, FIXTURE_PASSWORD, Buffer.from(`CloudTicket-Sync:${otcPassword}`).toString('base64')];
      const runs: CliResult[] = [
        await runCli(['sync', '--json', '--log-level', 'debug'], { env, cwd: tdb.cwd }),
        await runCli(['sync', 'tickets', '--log-format', 'json', '--log-level', 'debug'], { env, cwd: tdb.cwd }),
        await runCli(['status', '--json'], { env, cwd: tdb.cwd }),
        await runCli(['config', '--json'], { env, cwd: tdb.cwd }),
        await runCli(['config'], { env, cwd: tdb.cwd }),
      ];
      assert.equal(runs[0]!.code, 1, runs[0]!.stderr);
      const doc = JSON.parse(runs[0]!.stdout) as { views: Record<string, { status: string; error: string }> };
      assert.match(doc.views.tickets!.error, /401.*OTC_PASSWORD/);
      for (const [i, run] of runs.entries()) {
        assertNowhere(secrets, `stdout of run ${i}`, run.stdout);
        assertNowhere(secrets, `stderr of run ${i}`, run.stderr);
      }
      const shown = JSON.parse(runs[3]!.stdout) as { password: string; databasePassword: string | null; databaseUrl: string | null };
      assert.equal(shown.password, '***');
      if (kind === 'server') assert.equal(shown.databasePassword, '***');

      const db = await tdb.open();
      try {
        for (const table of ['etl_metadata', 'load_rejects', 'schema_migrations']) {
          const { rows } = await db.query<{ t: string }>(`SELECT t::text AS t FROM servicedesk.${table} t`);
          assertNowhere(secrets, table, rows.map((r) => r.t).join('\n'));
        }
      } finally {
        await db.close();
      }
    });

    test('a rejected record that echoes the password keeps it out of load_rejects, and the rest of the body loads', async () => {
      const basic = Buffer.from(`CloudTicket-Sync:${FIXTURE_PASSWORD}`).toString('base64');
      const echo = await startFixtureServer({
        tickets: [
          ticket(1),
          {
            'TKT-Ticket ID': 'not-an-id',
            'TKT-Title': `pw ${FIXTURE_PASSWORD} b64 ${basic}`,
            'TKT-Description': `"${FIXTURE_PASSWORD}"\\`,
          },
          ...Array.from({ length: 30 }, (_, i) => ticket(i + 2)),
        ],
        comments: [],
        timesheets: [],
      });
      const echoDb = await createTestDatabase(kind, {}, { migrated: true });
      try {
        const r = await runCli(['sync', 'tickets', '--json'], { env: { ...echoDb.env, ...echo.env() }, cwd: echoDb.cwd });
        assert.equal(r.code, 0, r.stderr);
        const counts = (JSON.parse(r.stdout) as { views: { tickets: { inserted: number; rejected: number } } }).views.tickets;
        assert.deepEqual([counts.inserted, counts.rejected], [31, 1]);
        const db = await echoDb.open();
        try {
          const { rows } = await db.query<{ raw: string; title: string }>(
            `SELECT raw_record::text AS raw, raw_record->>'TKT-Title' AS title FROM servicedesk.load_rejects WHERE kind = 'record'`,
          );
          assert.equal(rows.length, 1);
          assertNowhere([FIXTURE_PASSWORD, basic, FIXTURE_PASSWORD.slice(2, 10)], 'load_rejects.raw_record', rows[0]!.raw);
          assert.match(rows[0]!.title, /^pw \*\*\* b64 \*\*\*$/);
        } finally {
          await db.close();
        }
      } finally {
        await echoDb.drop();
        await echo.close();
      }
    });

    if (kind === 'server') {
      test('a database URL with its password as a parameter is not shown when the server cannot be reached', async () => {
        const r = await runCli(['sync', '--json'], {
          env: { ...env, DATABASE_URL: `postgres://someone@127.0.0.1:1/servicedesk?password=${dbPassword}&sslmode=disable` },
          cwd: tdb.cwd,
        });
        assert.equal(r.code, 4);
        assertNowhere([dbPassword], 'the unreachable-database error', r.stdout + r.stderr);
        assert.match((JSON.parse(r.stdout) as { error: string }).error, /cannot reach the database/);
      });
    }
  });
}

describe('configuration files and code', () => {
  test('a .env readable by other users triggers a warning, a 0600 one does not', async () => {
    const tdb = await createTestDatabase('embedded');
    try {
      const envFile = join(tdb.cwd, '.env');
      await writeFile(envFile, `OTC_PASSWORD=from-dotenv-${randomBytes(4).toString('hex')}\nOTC_DATA_DIR=${tdb.env.OTC_DATA_DIR}\n`);
      await chmod(envFile, 0o644);
      const loose = await runCli(['config', '--json'], { env: {}, cwd: tdb.cwd });
      assert.equal(loose.code, 0, loose.stderr);
      assert.match(loose.stderr, /\.env is readable by other users; run: chmod 600/);
      await chmod(envFile, 0o600);
      const tight = await runCli(['config', '--json'], { env: {}, cwd: tdb.cwd });
      assert.doesNotMatch(tight.stderr, /readable by other users/);
      assert.equal((JSON.parse(tight.stdout) as { password: string }).password, '***', 'the password from .env is used and hidden');
    } finally {
      await tdb.drop();
    }
  });

  test('no password is written into the code, the migrations or the docs', async () => {
    const offenders: string[] = [];
    const patterns = [
      /password\s*(?:=|:(?!'))\s*['"`][^'"`\s*$:{}]+['"`]/i, // password: 'literal' (psql's :'variable' is fine)
      /PASSWORD[A-Z_]*['"]?\s*[:,]?\s*z\.[^\n]*\.default\(/, // a schema default for a password variable
      /[a-z]+:\/\/[^/\s:@'"`]+:(?!\*\*\*)[^@\s/'"`$]+@/i, // credentials inside a URL
      /PASSWORD\s+'[^']+'/i, // CREATE ROLE … PASSWORD 'literal'
    ];
    for (const dir of ['src', 'bin', 'migrations', 'docs']) {
      for (const file of await listFiles(join(ROOT, dir))) {
        const text = await readFile(file, 'utf8');
        for (const pattern of patterns) {
          const match = pattern.exec(text);
          if (match) offenders.push(`${file.slice(ROOT.length)}: ${match[0]}`);
        }
      }
    }
    for (const file of ['README.md', '.env.example']) {
      const text = await readFile(join(ROOT, file), 'utf8').catch(() => '');
      for (const pattern of patterns) if (pattern.test(text)) offenders.push(`${file}: ${pattern.exec(text)![0]}`);
    }
    assert.deepEqual(offenders, []);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (['.ts', '.js', '.sql', '.md', '.json'].includes(extname(entry.name))) files.push(path);
  }
  return files;
}
