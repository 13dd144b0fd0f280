import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { seedRuns } from '../support/seeded-runs.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { getText, startServe } from '../support/serve.js';

for (const kind of DATABASE_KINDS) {
  describe(`the status page on the ${kind} database`, () => {
    // Record contents that must never reach the page: a comment's text, a description, a rejected record.
    const MARKER = `quokka${randomBytes(6).toString('hex')}`;
    let tdb: TestDatabase;
    let otc: FixtureServer;
    let html: string;
    const env = () => ({ ...tdb.env, ...otc.env(), OTC_MAX_REJECT_RATE: '0.9' });
    const cli = (...args: string[]) => runCli(args, { env: env(), cwd: tdb.cwd });

    before(async () => {
      otc = await startFixtureServer({
        tickets: [ticket(1, { 'TKT-Description': `${MARKER} description` })],
        comments: [
          comment(1, 1, { 'TKTCT-Comment': `${MARKER} stored comment` }),
          comment(2, 999, { 'TKTCT-Comment': `${MARKER} orphan comment` }),
          { ...comment(3, 1, { 'TKTCT-Comment': `${MARKER} rejected comment` }), 'TKTCT-CommentID': 'not-a-number' },
        ],
        timesheets: [timesheet()],
      });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      assert.equal((await cli('sync')).code, 0);
      // A failure whose error would quote the body, and so the marker.
      otc.set('timesheets', { status: 200, body: JSON.stringify({ unexpected: `${MARKER} body` }) });
      assert.equal((await cli('sync', 'timesheets')).code, 1);
      otc.set('timesheets', { status: 404, body: 'no' });
      assert.equal((await cli('sync', 'timesheets')).code, 1);
      const db = await tdb.open();
      try {
        // Two old successes of tickets 20 days apart: a coverage gap longer than its 10-day window.
        await seedRuns(db, 'servicedesk', [
          { view: 'tickets', hoursAgo: 40 * 24, status: 'success', inserted: 5 },
          { view: 'tickets', hoursAgo: 20 * 24, status: 'success', updated: 3 },
        ]);
        // The stored error's body preview hides text values, so the marker cannot leak from it; the page
        // still leaves previews out, in case a preview ever shows more.
        const [stored] = await rows<{ n: number }>(
          db,
          `SELECT count(*)::int AS n FROM servicedesk.etl_metadata WHERE error_message LIKE '%The body starts%'`,
        );
        assert.equal(stored!.n, 1, 'the failure was recorded with a body preview');
      } finally {
        await db.close();
      }
      const out = join(tdb.cwd, 'status.html');
      const r = await cli('report', '--out', out, '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { out: string }).out, out);
      html = readFileSync(out, 'utf8');
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('report --out writes one self-contained HTML file', () => {
      assert.match(html, /^<!DOCTYPE html>/);
      assert.doesNotMatch(html, /<script|<link|<img|src="http|href="http|@import|url\(/i);
    });

    test('a relative --out or --metrics-file is taken from the directory the command runs in', async () => {
      const r = await cli('report', '--out', 'relative.html', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { out: string }).out, 'relative.html');
      assert.match(readFileSync(join(tdb.cwd, 'relative.html'), 'utf8'), /^<!DOCTYPE html>/);
      assert.equal((await cli('sync', 'tickets', '--metrics-file', 'otc.prom')).code, 0);
      assert.match(readFileSync(join(tdb.cwd, 'otc.prom'), 'utf8'), /^# HELP otc_etl_/m);
    });

    test('no record contents reach the page: no comment text, description, rejected record or body preview', () => {
      assert.ok(!html.includes(MARKER));
    });

    test('shows each view’s freshness against its window', () => {
      assert.match(html, /data-view="comments" data-freshness="green"/);
      assert.match(html, /data-view="timesheets" data-freshness="amber"/);
      assert.match(html, /data-view="tickets" data-freshness="green"/);
    });

    test('lists the failed runs with their errors', () => {
      assert.match(html, /OTC does not know view timesheets \(404\)/);
      assert.match(html, /body is not a record list/);
      assert.equal(html.match(/<tr class="failure" data-view="timesheets"/g)?.length, 2);
    });

    test('summarises reject reasons with a count, an example key and reason', () => {
      assert.match(
        html,
        /<tr class="reject" data-view="comments" data-kind="record"><td>comments<\/td><td>record not stored<\/td><td>TKTCT-CommentID<\/td><td class="num">1<\/td>/,
      );
      assert.match(html, /key TKTCT-CommentID/);
    });

    test('shows orphan counts from v_orphaned_data', () => {
      assert.match(html, /<tr data-source="comments"><td>comments<\/td><td class="num">1<\/td>/);
      assert.match(html, /<tr data-source="timesheets"><td>timesheets<\/td><td class="num">1<\/td>/);
    });

    test('shows a coverage gap longer than the window', () => {
      assert.match(html, /<li class="gap" data-view="tickets">tickets: no committed API sync from .* \(20 days, window 10 days\)/);
    });

    test('the served page at / is the same kind of page, also without record contents', async () => {
      const svc = await startServe(['--schedule', '0 0 1 1 *'], { env: env(), cwd: tdb.cwd });
      try {
        const page = await getText(`${svc.url}/`);
        assert.equal(page.status, 200);
        assert.ok(!page.body.includes(MARKER));
        assert.match(page.body, /OTC does not know view timesheets \(404\)/);
        assert.match(page.body, /http-equiv="refresh"/);
      } finally {
        assert.equal(await svc.stop(), 0);
      }
    });
  });
}
