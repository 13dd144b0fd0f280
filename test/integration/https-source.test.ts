/**
 * The source over https, as OTC is reached in production: a view is fetched through TLS and loaded when
 * the source's certificate is trusted, and refused with what to check when it is not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getView } from '../../src/registry.js';
import { runCliProcess } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { FIXTURE_PASSWORD, FIXTURE_USER } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { timesheet } from '../support/records.js';

const tls = (name: string) => fileURLToPath(new URL(`../../../test/support/tls/${name}`, import.meta.url));
const records = [timesheet(), timesheet({ 'TS-Time From': '13:00' })];

for (const kind of DATABASE_KINDS) {
  describe(`the source over https, on the ${kind} database`, () => {
    let server: Server;
    let refusedHandshakes = 0;
    let tdb: TestDatabase;
    let env: Record<string, string>;

    before(async () => {
      const expected = `Basic ${Buffer.from(`${FIXTURE_USER}:${FIXTURE_PASSWORD}`).toString('base64')}`;
      server = createServer({ cert: readFileSync(tls('source-cert.pem')), key: readFileSync(tls('source-key.pem')) }, (req, res) => {
        const view = new URL(req.url ?? '/', 'https://x').searchParams.get('id') === getView('timesheets').guid;
        if (req.headers.authorization !== expected || !view) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message: { data: records } }));
      });
      server.on('tlsClientError', () => refusedHandshakes++);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      env = {
        ...tdb.env,
        OTC_BASE_URL: `https://127.0.0.1:${(server.address() as AddressInfo).port}/OTC/Data/View/data`,
        OTC_USERNAME: FIXTURE_USER,
        OTC_PASSWORD: FIXTURE_PASSWORD,
        OTC_MIN_INTERVAL_MS: '0',
        OTC_BACKOFF_INITIAL_MS: '1',
        OTC_BACKOFF_MAX_MS: '5',
      };
    });
    after(async () => {
      await tdb.drop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('a view is fetched through TLS and loaded when the certificate is trusted', async () => {
      const r = await runCliProcess(['sync', 'timesheets', '--json'], {
        env: { ...env, NODE_EXTRA_CA_CERTS: tls('source-cert.pem') },
        cwd: tdb.cwd,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { views: { timesheets: { inserted: number } } }).views.timesheets.inserted, 2);
      const db = await tdb.open();
      try {
        const [n] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.timesheets');
        assert.equal(n!.n, 2);
      } finally {
        await db.close();
      }
    });

    test('a certificate nobody trusts fails the view, naming the source and the reason, without a retry', async () => {
      const r = await runCliProcess(['sync', 'timesheets', '--json'], { env, cwd: tdb.cwd });
      assert.equal(r.code, 1, r.stderr);
      const t = (JSON.parse(r.stdout) as { views: { timesheets: { status: string; error: string } } }).views.timesheets;
      assert.equal(t.status, 'failed');
      assert.match(t.error, /OTC at 127\.0\.0\.1:\d+ presented a TLS certificate .*\(DEPTH_ZERO_SELF_SIGNED_CERT\).*NODE_EXTRA_CA_CERTS/);
      assert.equal(refusedHandshakes, 1);
    });
  });
}
