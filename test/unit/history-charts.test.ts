import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistorySummary } from '../../src/pipeline/history-data.js';
import { backlogChart, historySection, timeInStatusTable } from '../../src/report/history-charts.js';

const summary = (over: Partial<HistorySummary> = {}): HistorySummary => ({
  days: 3,
  fromDay: '2025-03-01',
  toDay: '2025-03-03',
  backlog: [
    { day: '2025-03-01', team: 'NOC', open: 4 },
    { day: '2025-03-03', team: 'NOC', open: 2 },
    { day: '2025-03-02', team: '<b>Ops & "Co"</b>', open: 1 },
    { day: '2025-03-02', team: null, open: 7 },
  ],
  timeInStatus: [{ status: 'Pending', stays: 3, medianHours: 5.25, p90Hours: 30 }],
  versions: 12,
  tickets: 5,
  ...over,
});

describe('the ticket history on the status page', () => {
  test('the backlog chart has one line per team over every day, zero where a team had no open ticket', () => {
    const svg = backlogChart(summary());
    assert.match(svg, /data-days="3" data-teams="3"/);
    const lines = [
      ...svg.matchAll(/<polyline class="backlog-line" data-team="([^"]*)" data-last="(\d+)" data-peak="(\d+)" points="([^"]*)"/g),
    ];
    assert.deepEqual(
      lines.map((m) => [m[1], m[2], m[3], m[4]!.split(' ').length]),
      [
        ['(no team)', '0', '7', 3],
        ['NOC', '2', '4', 3],
        ['&lt;b&gt;Ops &amp; &quot;Co&quot;&lt;/b&gt;', '0', '1', 3],
      ],
    );
    assert.ok(!svg.includes('<b>'), 'team names are escaped');
  });

  test('with nothing open the chart says so, and without finished stays the table says why', () => {
    assert.match(backlogChart(summary({ backlog: [] })), /no open tickets in the ticket history/);
    assert.match(timeInStatusTable(summary({ timeInStatus: [] })), /needs at least two syncs/);
  });

  test('the time-in-status table gives stays, median and 90th percentile hours per status', () => {
    const html = historySection(summary());
    assert.match(html, /<tr class="stay" data-status="Pending" data-stays="3" data-median-hours="5.3" data-p90-hours="30">/);
    assert.match(html, /<td class="num">5.3<\/td><td class="num">30<\/td>/);
    assert.match(html, /12 versions of 5 tickets/);
  });
});
