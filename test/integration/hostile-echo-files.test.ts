/**
 * Round two, through the real CLI: a source that echoes the credentials back, the embedded files under a
 * permissive umask, spool files left by killed processes, and the warning about plain http.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliProcess } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { ticket } from '../support/records.js';

const USER = 'CloudTicket-Sync';
/** A quote, a backslash, a space and a percent: each escaping writes it differently. */
const PASSWORD = 'Secret-91827 and%more\\back"quote';

/** Every form of the password a scrubber must hide, and 8-character runs of the raw one. */
function secretForms(): string[] {
  const json = JSON.stringify(PASSWORD).slice(1, -1);
  const forms = [PASSWORD, json, encodeURIComponent(PASSWORD), Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];
  for (let i = 0; i + 8 <= PASSWORD.length; i++) forms.push(PASSWORD.slice(i, i + 8));
  return forms;
}

function assertNoSecret(where: string, text: string): void {
  for (const form of secretForms()) {
    const at = text.indexOf(form);
    assert.equal(at, -1, `${where} shows ${JSON.stringify(form)}: …${text.slice(Math.max(0, at - 60), at + 30)}`);
  }
}

/** A source that answers 200 with a text page quoting the request's Authorization header and the password. */
async function startEchoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    // The preview shows the first 120 characters: the password starts inside them and is cut mid-way.
    const body =
      `${'x'.repeat(100)}${PASSWORD}\nAuthorization: ${req.headers.authorization}\n` +
      `{"password":${JSON.stringify(PASSWORD)},"url":"https://h/?p=${encodeURIComponent(PASSWORD)}"}\n`;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/OTC/Data/View/data`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const kind of DATABASE_KINDS) {
  describe(`a source echoing the credentials, on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let echo: { url: string; close(): Promise<void> };
    before(async () => {
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      echo = await startEchoServer();
    });
    after(async () => {
      await echo.close();
      await tdb.drop();
    });

    test('no form of the password, nor the Authorization value, reaches output, logs or any stored text', async () => {
      const env = {
        ...tdb.env,
        OTC_BASE_URL: echo.url,
        OTC_USERNAME: USER,
        OTC_PASSWORD: PASSWORD,
        OTC_MIN_INTERVAL_MS: '0',
        OTC_VIEW_GAP_MS: '0',
        OTC_MAX_RETRIES: '0',
      };
      const runs = [
        await runCli(['sync', '--json', '--log-level', 'debug', '--log-format', 'json'], { env, cwd: tdb.cwd }),
        await runCli(['sync', 'tickets', '--log-level', 'debug'], { env, cwd: tdb.cwd }),
        await runCli(['status', '--json'], { env, cwd: tdb.cwd }),
        await runCli(['config', '--json'], { env, cwd: tdb.cwd }),
      ];
      assert.equal(runs[0]!.code, 1, runs[0]!.stderr);
      const doc = JSON.parse(runs[0]!.stdout) as { views: Record<string, { status: string; error: string }> };
      assert.match(doc.views.tickets!.error, /not a record list/);
      assert.match(doc.views.tickets!.error, /\*\*\*/, 'the hidden part is marked');
      for (const [i, run] of runs.entries()) {
        assertNoSecret(`stdout of run ${i}`, run.stdout);
        assertNoSecret(`stderr of run ${i}`, run.stderr);
      }
      const db = await tdb.open();
      try {
        for (const table of ['etl_metadata', 'load_rejects', 'source_state']) {
          const { rows } = await db.query<{ t: string }>(`SELECT t::text AS t FROM servicedesk.${table} t`);
          assertNoSecret(table, rows.map((r) => r.t).join('\n'));
        }
      } finally {
        await db.close();
      }
    });
  });
}

function modes(entries: Array<{ path: string; mode: number; dir: boolean }>): string[] {
  return entries.filter((e) => (e.mode & 0o077) !== 0).map((e) => `${e.path} ${(e.mode & 0o777).toString(8)}`);
}

async function walk(root: string): Promise<Array<{ path: string; mode: number; dir: boolean }>> {
  const info = await stat(root);
  const out = [{ path: root, mode: info.mode, dir: info.isDirectory() }];
  if (!info.isDirectory()) return out;
  for (const name of await readdir(root)) out.push(...(await walk(join(root, name))));
  return out;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

describe('files otc-etl leaves on disk', () => {
  let otc: FixtureServer;
  let tdb: TestDatabase;
  let spoolRoot: string;
  const umask = process.umask();
  before(async () => {
    otc = await startFixtureServer({ tickets: [ticket(1)] });
    tdb = await createTestDatabase('embedded', {}, { migrated: true });
    spoolRoot = await mkdtemp(join(tmpdir(), 'otc-etl-test-spools-'));
    // Children inherit it: the most permissive umask there is.
    process.umask(0o000);
  });
  after(async () => {
    process.umask(umask);
    await otc.close();
    await tdb.drop();
    await rm(spoolRoot, { recursive: true, force: true });
  });

  test('under umask 000 every directory of the embedded database is 0700 and every file 0600', async () => {
    const r = await runCli(['sync', 'tickets', '--json'], { env: { ...tdb.env, ...otc.env(), TMPDIR: spoolRoot }, cwd: tdb.cwd });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const entries = await walk(tdb.env.OTC_DATA_DIR!);
    assert.ok(entries.length > 100, `only ${entries.length} entries`);
    assert.deepEqual(modes(entries), []);
    assert.ok(entries.filter((e) => e.dir).every((e) => (e.mode & 0o700) === 0o700));
  });

  test("spools of dead processes are removed at the next start; a live process's spool is kept", async () => {
    const dead = join(spoolRoot, `otc-etl-${await deadPid()}-AbC123`);
    const live = join(spoolRoot, `otc-etl-${process.pid}-XyZ789`);
    for (const dir of [dead, live]) {
      await mkdir(dir);
      await writeFile(join(dir, 'tickets.json'), '{"message":{"data":[');
    }
    // A process sweeps the spools once, as it starts its first download: a new process shows it.
    const r = await runCliProcess(['sync', 'tickets', '--json'], { env: { ...tdb.env, ...otc.env(), TMPDIR: spoolRoot }, cwd: tdb.cwd });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const left = await readdir(spoolRoot);
    assert.ok(!left.includes(`otc-etl-${dead.split('-').at(-2)}-AbC123`), `left: ${left.join(', ')}`);
    assert.ok(left.includes(`otc-etl-${process.pid}-XyZ789`), `left: ${left.join(', ')}`);
    // The run's own spool is gone too.
    assert.deepEqual(
      left.filter((name) => name.startsWith('otc-etl-')),
      [`otc-etl-${process.pid}-XyZ789`],
    );
  });

  test('a body past OTC_MAX_BODY_BYTES leaves no spool behind', async () => {
    otc.set('tickets', { status: 200, body: 'x'.repeat(50_000) });
    const r = await runCli(['sync', 'tickets', '--json'], {
      env: { ...tdb.env, ...otc.env(), TMPDIR: spoolRoot, OTC_MAX_BODY_BYTES: '10000' },
      cwd: tdb.cwd,
    });
    assert.equal(r.code, 1);
    assert.match((JSON.parse(r.stdout) as { views: { tickets: { error: string } } }).views.tickets.error, /OTC_MAX_BODY_BYTES=10000/);
    // Only the live process's spool of the test before (the CLI runs in this process: its spool has this pid too).
    const left = (await readdir(spoolRoot)).filter((name) => name.startsWith('otc-etl-') && name !== `otc-etl-${process.pid}-XyZ789`);
    assert.deepEqual(left, []);
  });

  test('a plain http:// base URL with a password is warned about in config and at the start of a sync', async () => {
    const env = { ...tdb.env, ...otc.env(), TMPDIR: spoolRoot };
    const shown = await runCli(['config', '--json'], { env, cwd: tdb.cwd });
    const warnings = (JSON.parse(shown.stdout) as { warnings: string[] }).warnings;
    assert.ok(
      warnings.some((w) => /plain http:\/\/.*OTC_PASSWORD.*unencrypted/.test(w)),
      warnings.join('\n'),
    );
    otc.set('tickets', [ticket(1)]);
    const sync = await runCli(['sync', 'tickets'], { env, cwd: tdb.cwd });
    assert.match(sync.stderr, /plain http:\/\//);
    const https = await runCli(['config', '--json'], { env: { ...env, OTC_BASE_URL: 'https://otc.example/data' }, cwd: tdb.cwd });
    assert.ok(!(JSON.parse(https.stdout) as { warnings: string[] }).warnings.some((w) => /plain http/.test(w)));
  });
});
