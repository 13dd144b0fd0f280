/**
 * The source over https, as OTC is reached in production: a view is fetched through TLS and loaded when
 * the source's certificate is trusted, and refused with what to check when it is not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCliProcess } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { timesheet } from '../support/records.js';

const tls = (name: string) => fileURLToPath(new URL(`../../../test/support/tls/${name}`, import.meta.url));

for (const kind of DATABASE_KINDS) {
  describe(`the source over https, on the ${kind} database`, () => {
    let otc: FixtureServer;
    let tdb: TestDatabase;

    before(async () => {
      const certificate = { cert: readFileSync(tls('source-cert.pem')), key: readFileSync(tls('source-key.pem')) };
      otc = await startFixtureServer({ timesheets: [timesheet(), timesheet({ 'TS-Time From': '13:00' })] }, certificate);
      tdb = await createTestDatabase(kind, {}, { migrated: true });
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('a view is fetched through TLS and loaded when the certificate is trusted', async () => {
      const env = { ...tdb.env, ...otc.env(), NODE_EXTRA_CA_CERTS: tls('source-cert.pem') };
      const r = await runCliProcess(['sync', 'timesheets', '--json'], { env, cwd: tdb.cwd });
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
      const before = otc.connections;
      const r = await runCliProcess(['sync', 'timesheets', '--json'], { env: { ...tdb.env, ...otc.env() }, cwd: tdb.cwd });
      assert.equal(r.code, 1, r.stderr);
      const t = (JSON.parse(r.stdout) as { views: { timesheets: { status: string; error: string } } }).views.timesheets;
      assert.equal(t.status, 'failed');
      assert.match(t.error, /OTC at 127\.0\.0\.1:\d+ presented a TLS certificate .*\(DEPTH_ZERO_SELF_SIGNED_CERT\).*NODE_EXTRA_CA_CERTS/);
      assert.equal(otc.connections - before, 1);
    });
  });
}
