import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReportData, RunPoint } from '../../src/pipeline/report-data.js';
import type { ViewStatus } from '../../src/pipeline/status.js';
import { runChart } from '../../src/report/chart.js';
import { freshnessOf } from '../../src/report/freshness.js';
import { renderPage } from '../../src/report/page.js';
import { esc, shownError } from '../../src/report/text.js';
import { BodyProblem, sourceDataError } from '../../src/transform/body-errors.js';

const DAY = 86_400;

function view(overrides: Partial<ViewStatus> = {}): ViewStatus {
  return {
    view: 'tickets',
    windowDays: 10,
    lastSuccess: '2025-01-07T01:00:00.000Z',
    ageSeconds: 3600,
    isStale: false,
    rows: 10,
    newestCursor: null,
    lastRun: null,
    gaps: [],
    ...overrides,
  };
}

function run(i: number, overrides: Partial<RunPoint> = {}): RunPoint {
  return {
    runId: `run-${i}`,
    source: 'api',
    status: 'success',
    start: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
    durationSeconds: 2 + i,
    fetched: 10,
    inserted: i,
    updated: 1,
    removed: 0,
    rejected: 0,
    ...overrides,
  };
}

describe('freshness against the window', () => {
  test('a view synced recently with a good last run is green', () => {
    assert.equal(freshnessOf(view()).level, 'green');
  });
  test('a view never synced is red', () => {
    assert.equal(freshnessOf(view({ lastSuccess: null, ageSeconds: null, isStale: true })).level, 'red');
  });
  test('a view past its window is red and says data is being lost', () => {
    const f = freshnessOf(view({ ageSeconds: 12 * DAY, isStale: true }));
    assert.equal(f.level, 'red');
    assert.match(f.reason, /data is being lost/);
  });
  test('a view whose last run failed is amber while still inside its window', () => {
    const lastRun = { ...({} as NonNullable<ViewStatus['lastRun']>), status: 'failed' };
    assert.equal(freshnessOf(view({ lastRun })).level, 'amber');
  });
  test('a view that used up more than half its window is amber', () => {
    assert.equal(freshnessOf(view({ ageSeconds: 6 * DAY })).level, 'amber');
  });
});

describe('the run chart', () => {
  test('draws one bar and one duration point per run, with the run on each mark', () => {
    const svg = runChart('comments', [run(1), run(2), run(3, { status: 'failed', inserted: 0, updated: 0 })], 'Australia/Perth');
    assert.equal(svg.match(/<rect class="run-bar/g)?.length, 3);
    assert.equal(svg.match(/<circle class="run-duration"/g)?.length, 3);
    assert.match(svg, /data-run-id="run-3" data-status="failed"/);
    assert.equal(svg.match(/class="failed-band"/g)?.length, 1);
  });
  test('with no runs says so instead of drawing marks', () => {
    const svg = runChart('tickets', [], 'Australia/Perth');
    assert.match(svg, /no runs yet/);
    assert.doesNotMatch(svg, /run-bar/);
  });
  test('escapes what it writes into attributes and titles', () => {
    const svg = runChart('x"><script>', [run(1, { runId: '"><img src=x onerror=alert(1)>' })], 'UTC');
    assert.doesNotMatch(svg, /<script>|<img/);
    assert.match(svg, /&quot;&gt;&lt;img/);
  });
});

describe('text on the page', () => {
  test('esc escapes the five HTML-special characters', () => {
    assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
  test("an error's body preview, which can hold record text, is not shown", () => {
    const preview = '{"message":{"data":[{"TKTCT-Comment":"private words about a customer"';
    const error = sourceDataError(new BodyProblem('cut-off', 512, 'inside a record'), 'comments', preview);
    assert.match(error.message, /private words/, 'the message carries the preview');
    const shown = shownError(error.message);
    assert.doesNotMatch(shown, /private words/);
    assert.match(shown, /cut off/);
  });
  test('a long error is cut to a bounded length', () => {
    assert.ok(shownError('x'.repeat(5000)).length <= 400);
  });
});

describe('the status page', () => {
  const data: ReportData = {
    generatedAt: '2025-01-07T02:00:00.000Z',
    timezone: 'Australia/Perth',
    views: [view({ view: 'comments' }), view({ view: 'timesheets', windowDays: 548 }), view({ view: 'tickets', isStale: true, ageSeconds: 20 * DAY, gaps: [{ from: '2024-11-01T00:00:00.000Z', to: '2024-11-20T00:00:00.000Z', days: 19 }] })],
    runs: { comments: [run(1), run(2)], timesheets: [run(1)], tickets: [run(1, { status: 'failed' })] },
    running: [],
    failures: [{ view: 'tickets', runId: 'run-1', source: 'api', status: 'failed', start: '2025-01-02T00:00:00.000Z', error: 'OTC answered 503 for view tickets <b>' }],
    rejects: [{ view: 'comments', kind: 'record', field: 'TKTCT-CommentID', count: 4, exampleKey: 'abc', exampleReason: 'key TKTCT-CommentID: expected an id, got "abc"' }],
    orphans: [{ source: 'comments', count: 3 }, { source: 'timesheets', count: 0 }],
  };

  test('is one HTML document without scripts or external references', () => {
    const html = renderPage(data);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script|<link|src="http|href="http|@import|url\(/i);
  });
  test('shows the failure with its error escaped, the reject reason, orphans and the gap', () => {
    const html = renderPage(data);
    assert.match(html, /OTC answered 503 for view tickets &lt;b&gt;/);
    assert.match(html, /key TKTCT-CommentID: expected an id, got &quot;abc&quot;/);
    assert.match(html, /<tr data-source="comments"><td>comments<\/td><td class="num">3<\/td>/);
    assert.match(html, /<li class="gap" data-view="tickets">/);
  });
});
