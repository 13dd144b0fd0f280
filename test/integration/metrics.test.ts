import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { getText, startServe } from '../support/serve.js';

const SPEC_FAMILIES: Record<string, { type: string; labels: string[] }> = {
  otc_etl_last_success_timestamp_seconds: { type: 'gauge', labels: ['view'] },
  otc_etl_last_run_rows: { type: 'gauge', labels: ['view', 'outcome'] },
  otc_etl_last_run_duration_seconds: { type: 'gauge', labels: ['view'] },
  otc_etl_runs_total: { type: 'counter', labels: ['view', 'status'] },
  otc_etl_source_requests_total: { type: 'counter', labels: ['code'] },
  otc_etl_breaker_open: { type: 'gauge', labels: [] },
  otc_etl_drift_fields: { type: 'gauge', labels: ['view', 'kind'] },
  otc_etl_view_problem: { type: 'gauge', labels: ['view'] },
  otc_etl_warnings: { type: 'gauge', labels: ['view', 'code'] },
};
const VIEWS = ['comments', 'timesheets', 'tickets'];

for (const kind of DATABASE_KINDS) {
  describe(`Prometheus metrics on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const env = () => ({ ...tdb.env, ...otc.env() });
    const metricsFile = () => join(tdb.cwd, 'otc_etl.prom');

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1), ticket(2)], comments: [comment(1, 1)], timesheets: [timesheet()] });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('sync --metrics-file writes exactly the metric families the README documents, with their labels', async () => {
      otc.set('timesheets', { status: 503, body: 'maintenance' });
      const first = await runCli(['sync', '--metrics-file', metricsFile()], { env: { ...env(), OTC_MAX_RETRIES: '0' }, cwd: tdb.cwd });
      assert.equal(first.code, 1, first.stderr);
      otc.set('timesheets', [timesheet()]);
      const r = await runCli(['sync', '--metrics-file', metricsFile()], { env: env(), cwd: tdb.cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!existsSync(`${metricsFile()}.tmp`), 'the temporary file was renamed away');

      const exp = parseExposition(readFileSync(metricsFile(), 'utf8'));
      assert.deepEqual([...exp.keys()].sort(), Object.keys(SPEC_FAMILIES).sort());
      for (const [name, spec] of Object.entries(SPEC_FAMILIES)) {
        const family = exp.get(name)!;
        assert.equal(family.type, spec.type, name);
        assert.ok(family.help.length > 0, `${name} has HELP`);
        assert.ok(family.samples.length > 0, `${name} has samples`);
        for (const s of family.samples) assert.deepEqual(Object.keys(s.labels).sort(), [...spec.labels].sort(), name);
      }
      const outcomes = new Set(exp.get('otc_etl_last_run_rows')!.samples.map((s) => s.labels.outcome));
      assert.deepEqual([...outcomes].sort(), ['duplicates', 'inserted', 'rejected', 'unchanged', 'updated']);
      for (const view of VIEWS) assert.ok(sampleValue(exp, 'otc_etl_last_success_timestamp_seconds', { view })! > 1.7e9, view);

      // The counters agree with etl_metadata.
      assert.equal(sampleValue(exp, 'otc_etl_runs_total', { view: 'timesheets', status: 'failed' }), 1);
      assert.equal(sampleValue(exp, 'otc_etl_runs_total', { view: 'timesheets', status: 'success' }), 1);
      assert.equal(sampleValue(exp, 'otc_etl_runs_total', { view: 'tickets', status: 'success' }), 2);
      assert.equal(sampleValue(exp, 'otc_etl_last_run_rows', { view: 'tickets', outcome: 'unchanged' }), 2);
      assert.equal(sampleValue(exp, 'otc_etl_source_requests_total', { code: '200' }), 5);
      assert.equal(sampleValue(exp, 'otc_etl_breaker_open'), 0);
      const db = await tdb.open();
      try {
        const [last] = await rows<{ at: number }>(
          db,
          `SELECT extract(epoch FROM max(load_end))::float8 AS at FROM servicedesk.etl_metadata
           WHERE view_name = 'tickets' AND load_status = 'success'`,
        );
        // The state model reads times to the millisecond.
        assert.ok(Math.abs(sampleValue(exp, 'otc_etl_last_success_timestamp_seconds', { view: 'tickets' })! - last!.at) < 0.001);
      } finally {
        await db.close();
      }
    });

    test('/metrics serves the same text as the metrics file, and /healthz is 200 when every view is fresh', async () => {
      const svc = await startServe(['--schedule', '0 0 1 1 *'], { env: env(), cwd: tdb.cwd });
      try {
        const served = await getText(`${svc.url}/metrics`);
        assert.equal(served.status, 200);
        assert.match(served.type, /^text\/plain; version=0\.0\.4/);
        assert.equal(served.body, readFileSync(metricsFile(), 'utf8'));
        const health = await getText(`${svc.url}/healthz`);
        assert.equal(health.status, 200, health.body);
        const doc = JSON.parse(health.body) as { status: string; problems: unknown[]; warnings: unknown[] };
        assert.deepEqual([doc.status, doc.problems], ['ok', []]);
        assert.ok(Array.isArray(doc.warnings));
      } finally {
        assert.equal(await svc.stop(), 0);
      }
    });

    test('a metrics file in a directory that does not exist is refused before the sync (exit 2)', async () => {
      const r = await runCli(['sync', '--metrics-file', join(tdb.cwd, 'missing', 'x.prom'), '--json'], { env: env(), cwd: tdb.cwd });
      assert.equal(r.code, 2);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, /--metrics-file/);
    });
  });
}
