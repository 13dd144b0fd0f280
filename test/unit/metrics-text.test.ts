import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricsSnapshot } from '../../src/pipeline/metrics-data.js';
import { metricsText } from '../../src/report/prometheus.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';

describe('the Prometheus metrics text', () => {
  const empty: MetricsSnapshot = {
    views: (['comments', 'timesheets', 'tickets'] as const).map((v) => ({
      view: v,
      lastSuccessSeconds: null,
      lastRun: null,
      runs: { success: 0, partial: 0, failed: 0, cancelled: 0 },
      problem: true,
      drift: { new: 0, missing: 0 },
    })),
    source: { requests: [{ code: '200', count: 0 }], breakerOpen: false },
    warnings: [{ view: '', code: 'breaker_open', count: 0 }],
  };

  test('declares every documented family with HELP and TYPE even before the first run', () => {
    const exp = parseExposition(metricsText(empty));
    assert.deepEqual(
      [...exp.keys()],
      [
        'otc_etl_last_success_timestamp_seconds',
        'otc_etl_last_run_rows',
        'otc_etl_last_run_duration_seconds',
        'otc_etl_runs_total',
        'otc_etl_source_requests_total',
        'otc_etl_breaker_open',
        'otc_etl_drift_fields',
        'otc_etl_view_problem',
        'otc_etl_warnings',
      ],
    );
    assert.equal(exp.get('otc_etl_runs_total')!.type, 'counter');
    assert.equal(exp.get('otc_etl_runs_total')!.samples.length, 12);
    assert.equal(sampleValue(exp, 'otc_etl_last_success_timestamp_seconds', { view: 'tickets' }), 0);
    assert.equal(sampleValue(exp, 'otc_etl_breaker_open'), 0);
    assert.equal(sampleValue(exp, 'otc_etl_view_problem', { view: 'tickets' }), 1);
    assert.equal(sampleValue(exp, 'otc_etl_drift_fields', { view: 'tickets', kind: 'missing' }), 0);
    assert.equal(sampleValue(exp, 'otc_etl_warnings', { view: '', code: 'breaker_open' }), 0);
  });
  test('labels the last run rows by view and outcome', () => {
    const snapshot: MetricsSnapshot = {
      ...empty,
      views: empty.views.map((v) =>
        v.view === 'tickets'
          ? { ...v, lastRun: { durationSeconds: 1.5, rows: { inserted: 1, updated: 2, unchanged: 3, rejected: 4, duplicates: 5 } } }
          : v,
      ),
      source: {
        requests: [
          { code: '200', count: 3 },
          { code: '503', count: 1 },
        ],
        breakerOpen: true,
      },
    };
    const exp = parseExposition(metricsText(snapshot));
    assert.equal(sampleValue(exp, 'otc_etl_last_run_rows', { view: 'tickets', outcome: 'duplicates' }), 5);
    assert.equal(sampleValue(exp, 'otc_etl_last_run_duration_seconds', { view: 'tickets' }), 1.5);
    assert.equal(sampleValue(exp, 'otc_etl_source_requests_total', { code: '503' }), 1);
    assert.equal(sampleValue(exp, 'otc_etl_breaker_open'), 1);
  });
});
