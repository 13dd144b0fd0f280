import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReportData, RunPoint } from '../../src/pipeline/report-data.js';
import { decideState } from '../../src/pipeline/view-state.js';
import { axisLabels, runChart } from '../../src/report/chart.js';
import { renderPage } from '../../src/report/page.js';
import { esc, shownError } from '../../src/report/page-text.js';
import { BodyProblem, sourceDataError } from '../../src/transform/body-errors.js';
import { DAY, NOW, runRow, stateFacts } from '../support/state-facts.js';

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
    unchanged: 9 - i,
    removed: 0,
    rejected: 0,
    ...overrides,
  };
}

describe('the run chart', () => {
  test('draws one bar and one duration point per run, with the run on each mark', () => {
    const svg = runChart('comments', [run(1), run(2), run(3, { status: 'failed', inserted: 0, updated: 0 })], 'Australia/Perth');
    assert.equal(svg.match(/<rect class="run-bar/g)?.length, 3);
    assert.equal(svg.match(/<circle class="run-duration"/g)?.length, 3);
    assert.match(svg, /data-run-id="run-3" data-status="failed"/);
    assert.equal(svg.match(/class="failed-band"/g)?.length, 1);
  });
  test('two runs a few seconds apart get two time labels that do not overlap', () => {
    const start = Date.parse('2025-01-07T01:00:05.000Z');
    const runs = [run(1, { start: new Date(start).toISOString() }), run(2, { start: new Date(start + 20_000).toISOString() })];
    const labels = axisLabels(runs, 88.8, 'Australia/Perth');
    const texts = labels.map((l) => /<text[^>]*>([^<]*)<\/text>/.exec(l)![1]);
    assert.deepEqual(texts, ['2025-01-07 09:00:05', '09:00:25'], 'seconds when both fall in one minute; the shared date once');
    const ys = labels.map((l) => Number(/ y="([\d.]+)"/.exec(l)![1]));
    assert.notEqual(ys[0], ys[1], 'the second label moves to its own line rather than over the first');
  });
  test('runs days apart keep their dates and share one line when there is room', () => {
    const runs = Array.from({ length: 30 }, (_, i) => run(i));
    const labels = axisLabels(runs, 29.6, 'UTC');
    assert.match(labels[0]!, />2025-01-01 00:00</);
    assert.match(labels[1]!, />2025-01-30 00:00</);
    assert.equal(/ y="([\d.]+)"/.exec(labels[0]!)![1], / y="([\d.]+)"/.exec(labels[1]!)![1]);
  });
  test('a bar says what the run did in words, and whether it was an import', () => {
    const svg = runChart('tickets', [run(1, { source: 'export.csv' })], 'UTC');
    assert.match(svg, /import of export\.csv success · 10 records read: 1 new, 1 updated, 8 unchanged/);
    assert.doesNotMatch(svg, /\(\+\d/);
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
  const gap = { from: '2024-11-01T00:00:00.000Z', to: '2024-11-20T00:00:00.000Z', days: 19 };
  const drifted = runRow('comments', 3_600_000, { fields_new: ['TKTCT-Mood'], fields_missing: ['TKTCT-Team'] });
  const state = decideState(
    stateFacts({
      comments: { orphans: 3, lastApiRun: drifted, lastCommittedApiRun: drifted, lastDriftRun: drifted },
      tickets: { lastCommittedApiRun: runRow('tickets', 20 * DAY), gaps: [gap] },
      timesheets: { orphans: 0 },
    }),
  );
  const data: ReportData = {
    generatedAt: new Date(NOW).toISOString(),
    timezone: 'Australia/Perth',
    state,
    runs: { comments: [run(1), run(2)], timesheets: [run(1)], tickets: [run(1, { status: 'failed' })] },
    failures: [
      {
        view: 'tickets',
        runId: 'run-1',
        source: 'api',
        status: 'failed',
        start: '2025-01-02T00:00:00.000Z',
        error: 'OTC answered 503 for view tickets <b>',
      },
    ],
    rejects: [
      {
        view: 'comments',
        kind: 'record',
        field: 'TKTCT-CommentID',
        count: 4,
        exampleKey: 'abc',
        exampleReason: 'key TKTCT-CommentID: expected an id, got "abc"',
      },
    ],
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
  test('lists the problems and warnings of the state model, and the overall verdict', () => {
    const html = renderPage(data);
    assert.match(html, /data-status="problem"/);
    assert.match(html, /<li class="problem" data-code="stale" data-view="tickets">/);
    assert.match(html, /<li class="warning" data-code="drift_missing_fields" data-view="comments">/);
  });
  test('shows drift on the view card until it stops', () => {
    const html = renderPage(data);
    assert.match(html, /<dd class="drift" data-kind="new">TKTCT-Mood/);
    assert.match(html, /<dd class="drift" data-kind="missing">TKTCT-Team \(stored values kept as they were\)/);
  });
  test('the last run is summarised in words, not symbols', () => {
    const html = renderPage(data);
    assert.match(html, /500 records read: 12 new, 3 updated, 485 unchanged/);
    assert.doesNotMatch(html, /\(\+\d+ ~\d+ =\d+ !\d+\)/);
  });
  test('explains orphans: the tickets window is short, and importing a ticket export is the remedy', () => {
    const html = renderPage(data);
    assert.match(html, /tickets view returns only tickets modified in the last 10 days/);
    assert.match(html, /otc-etl import/);
  });
});
