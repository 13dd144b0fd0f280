import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { applyMigrations } from '../../src/load/migrate.js';
import { launchChromium } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { dailyRuns, seedRuns } from '../support/seeded-runs.js';
import { startServe, type Service } from '../support/serve.js';

// Runs inside the page (evaluate); the project compiles without the DOM library.
declare function getComputedStyle(element: unknown): { borderLeftColor: string; fill: string };

const MARKER = 'wombat-7f3a-private-comment-text';
const FAILURE = 'OTC answered 503 for view comments (overloaded or in maintenance).';

/** Opens `url` with scripts disabled, recording every request the page makes. */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; requests: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const response = await page.goto(url);
  assert.ok(response === null || response.ok(), `${url} answered ${response?.status()}`);
  return { page, requests, close: () => context.close() };
}

describe('the status page in a real browser (chromium, scripts disabled)', () => {
  let tdb: TestDatabase;
  let browser: Browser;
  let svc: Service;
  let reportFile: string;

  before(async () => {
    browser = await launchChromium();
    tdb = await createTestDatabase('embedded');
    const db = await tdb.open();
    try {
      await applyMigrations(db, { schema: 'servicedesk', timezone: 'Australia/Perth' });
      await seedRuns(db, 'servicedesk', [
        // comments: 12 daily runs up to 2 hours ago, the 6th failed → fresh (green).
        ...dailyRuns('comments', 12, 2, { 5: { status: 'failed', error: FAILURE, runId: 'failed-comments-run' } }),
        // timesheets: 8 runs, the last 300 days ago → over half of its 548-day window (amber).
        ...dailyRuns('timesheets', 8, 300 * 24),
        // tickets: 15 runs, a 16-day hole, 20 more ending 12 days ago (one cancelled) → stale (red), with a gap.
        ...dailyRuns('tickets', 15, 47 * 24),
        ...dailyRuns('tickets', 20, 12 * 24, { 10: { status: 'cancelled', error: 'cancelled: the service received SIGTERM' } }),
      ]);
      await db.query(`INSERT INTO servicedesk.comments (comment_id, ticket_id, comment_text) VALUES (1, 42, $1)`, [MARKER]);
      // Two tickets' histories: 501 (NOC) Open 10 days ago, Pending from 8 to 5 days ago, In Progress since;
      // 502 (Network) Open 20 days ago, Closed 3 days ago.
      await db.exec(`INSERT INTO servicedesk.ticket_history ("TKT-Ticket ID", "TKT-Status", "TKT-Team", "TKT-Created Time", valid_from, valid_to, source)
        VALUES (501, 'Open', 'NOC', now() - interval '10 days', now() - interval '10 days', now() - interval '8 days', 'api'),
               (501, 'Pending', 'NOC', now() - interval '10 days', now() - interval '8 days', now() - interval '5 days', 'api'),
               (501, 'In Progress', 'NOC', now() - interval '10 days', now() - interval '5 days', NULL, 'api'),
               (502, 'Open', 'Network', now() - interval '20 days', now() - interval '20 days', now() - interval '3 days', 'api'),
               (502, 'Closed', 'Network', now() - interval '20 days', now() - interval '3 days', NULL, 'api')`);
      await db.query(
        `INSERT INTO servicedesk.load_rejects (run_id, view_name, position, record_key, kind, field, reason, raw_record)
         VALUES ('seed-comments-11', 'comments', 3, NULL, 'record', 'TKTCT-CommentID', 'key TKTCT-CommentID is missing or empty', $1::jsonb)`,
        [JSON.stringify({ 'TKTCT-Comment': MARKER })],
      );
    } finally {
      await db.close();
    }
    reportFile = join(tdb.cwd, 'status.html');
    const r = await runCli(['report', '--out', reportFile], { env: tdb.env, cwd: tdb.cwd });
    assert.equal(r.code, 0, r.stderr);
    svc = await startServe(['--schedule', '0 0 1 1 *'], { env: { ...tdb.env, OTC_PASSWORD: 'not-used' }, cwd: tdb.cwd });
  });

  after(async () => {
    await svc?.stop();
    await browser?.close();
    await tdb?.drop();
  });

  for (const where of ['the report file', 'the served page'] as const) {
    test(`${where} renders the freshness of each view, one bar and one point per run, and the failed run`, async () => {
      const url = where === 'the report file' ? pathToFileURL(reportFile).href : `${svc.url}/`;
      const { page, requests, close } = await openPage(browser, url);
      try {
        assert.equal(await page.locator('h1').textContent(), 'otc-etl status');
        assert.deepEqual(requests, [url], 'self-contained: no request but the page itself');

        const freshness = await page
          .locator('section.card')
          .evaluateAll((cards) =>
            cards.map((c) => [c.getAttribute('data-view'), c.getAttribute('data-freshness'), getComputedStyle(c).borderLeftColor]),
          );
        assert.deepEqual(freshness, [
          ['comments', 'green', 'rgb(46, 125, 50)'],
          ['timesheets', 'amber', 'rgb(217, 119, 6)'],
          ['tickets', 'red', 'rgb(198, 40, 40)'],
        ]);

        for (const [view, runs] of [
          ['comments', 12],
          ['timesheets', 8],
          ['tickets', 30],
        ] as const) {
          const chart = page.locator(`svg.run-chart[data-view="${view}"]`);
          assert.ok(((await chart.boundingBox())?.width ?? 0) > 300, `${view} chart is drawn`);
          assert.equal(await chart.locator('rect.run-bar').count(), runs, `${view} bars`);
          assert.equal(await chart.locator('circle.run-duration').count(), runs, `${view} duration points`);
        }

        const failedBar = page.locator('svg.run-chart[data-view="comments"] rect.run-bar[data-status="failed"]');
        assert.equal(await failedBar.count(), 1);
        assert.equal(await failedBar.getAttribute('data-run-id'), 'failed-comments-run');
        const box = await failedBar.boundingBox();
        assert.ok(box !== null && box.height > 0 && box.width > 0, 'the failed run has a visible bar');
        assert.equal(await failedBar.evaluate((el) => getComputedStyle(el).fill), 'rgb(198, 40, 40)');
        assert.equal(await page.locator('svg.run-chart[data-view="comments"] rect.failed-band').count(), 1);

        const failureRow = page.locator('#failures tr.failure[data-run-id="failed-comments-run"]');
        assert.ok(await failureRow.isVisible());
        assert.match((await failureRow.textContent()) ?? '', /OTC answered 503 for view comments/);
        assert.equal(await page.locator('#failures tr.failure').count(), 2, 'the failure and the cancellation');

        assert.ok(await page.locator('#gaps li.gap[data-view="tickets"]').first().isVisible());
        assert.match((await page.locator('#rejects tr.reject').textContent()) ?? '', /key TKTCT-CommentID is missing or empty/);
        assert.ok(!(await page.content()).includes(MARKER), 'no record contents on the page');

        const backlog = page.locator('svg.backlog-chart');
        assert.ok(((await backlog.boundingBox())?.width ?? 0) > 300, 'the backlog chart is drawn');
        assert.equal(await backlog.getAttribute('data-days'), '90');
        const lines = await backlog
          .locator('polyline.backlog-line')
          .evaluateAll((els) => els.map((e) => [e.getAttribute('data-team'), e.getAttribute('data-last'), e.getAttribute('data-peak')]));
        assert.deepEqual(lines, [
          ['Network', '0', '1'],
          ['NOC', '1', '1'],
        ]);
        const stays = await page
          .locator('#time-in-status tr.stay')
          .evaluateAll((rows) =>
            rows.map((r) => [
              r.getAttribute('data-status'),
              r.getAttribute('data-stays'),
              r.getAttribute('data-median-hours'),
              r.getAttribute('data-p90-hours'),
            ]),
          );
        // Open: 48 h (501) and 408 h (502): median 228, 90th percentile 48 + 0.9 × 360 = 372. Pending: 72 h.
        assert.deepEqual(stays, [
          ['Open', '2', '228', '372'],
          ['Pending', '1', '72', '72'],
        ]);
        assert.ok(await page.locator('#time-in-status svg.stay-bars').first().isVisible());

        const shots = process.env.OTC_SCREENSHOT_DIR;
        if (shots) await page.screenshot({ path: join(shots, `status-page-${where.replace(/\W+/g, '-')}.png`), fullPage: true });
      } finally {
        await close();
      }
    });
  }
});
