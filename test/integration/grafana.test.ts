import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyMigrations } from '../../src/load/migrate.js';
import type { Db } from '../../src/load/db.js';
import { readMetrics } from '../../src/pipeline/metrics-data.js';
import { metricsText } from '../../src/report/prometheus.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { syncOnce } from '../support/harness.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { parseExposition, type Exposition } from '../support/prometheus.js';
import { comment, ticket, timesheet } from '../support/records.js';

interface Target {
  expr?: string;
  rawSql?: string;
  legendFormat?: string;
  datasource?: { uid?: string };
}
interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
}

const DASHBOARD = fileURLToPath(new URL('../../../docs/grafana/otc-etl.json', import.meta.url));
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const METRIC_NAME = /\botc_etl_[a-z0-9_]+\b/g;

describe('the Grafana dashboard (docs/grafana/otc-etl.json)', () => {
  test('every panel and query uses one of the dashboard’s own data source variables', () => {
    const variables = new Set(dashboard.templating.list.filter((v) => v.type === 'datasource').map((v) => `\${${v.name}}`));
    assert.ok(targets.length >= 10);
    for (const p of dashboard.panels) assert.ok(variables.has(p.datasource?.uid ?? ''), p.title);
    for (const t of targets) assert.ok(variables.has(t.datasource?.uid ?? ''), t.panel);
  });
  test('covers freshness, problems, warnings, rows per run, source requests by code and the breaker', () => {
    const exprs = targets.map((t) => t.expr ?? t.rawSql ?? '').join('\n');
    for (const needed of [
      'v_data_freshness',
      'otc_etl_last_success_timestamp_seconds',
      'otc_etl_view_problem',
      'otc_etl_warnings',
      'otc_etl_last_run_rows',
      'otc_etl_source_requests_total',
      'otc_etl_breaker_open',
    ]) {
      assert.ok(exprs.includes(needed), needed);
    }
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`the Grafana dashboard's queries name only what the product exports (${kind} database)`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    let db: Db;
    let exported: Exposition;

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1)], comments: [comment(1, 1)], timesheets: [timesheet()] });
      tdb = await createTestDatabase(kind, otc.env(), { migrated: true });
      db = await tdb.open();
      await applyMigrations(db, { schema: 'servicedesk', timezone: null });
      await syncOnce(db, tdb.config());
      // What /metrics and the metrics file serve, from the exporter itself.
      exported = parseExposition(metricsText(await readMetrics(db, tdb.config())));
    });
    after(async () => {
      await db?.close();
      await tdb?.drop();
      await otc?.close();
    });

    test('every PromQL query names exported metric families, and its legend only their labels', () => {
      for (const t of targets.filter((x) => x.expr !== undefined)) {
        const names = t.expr!.match(METRIC_NAME) ?? [];
        assert.ok(names.length > 0, `${t.panel}: ${t.expr} names no otc_etl metric`);
        for (const name of names) assert.ok(exported.has(name), `${t.panel}: ${name} is not exported`);
        const labels = new Set(names.flatMap((n) => exported.get(n)!.samples.flatMap((s) => Object.keys(s.labels))));
        // A family without samples yet (no request logged) tells no labels.
        if (names.every((n) => exported.get(n)!.samples.length === 0)) continue;
        for (const [, label] of (t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
          assert.ok(labels.has(label!), `${t.panel}: legend label ${label} is not a label of ${names.join(', ')}`);
        }
      }
    });

    test('every SQL query runs against a migrated database', async () => {
      const sql = targets.filter((t) => t.rawSql !== undefined);
      assert.ok(sql.some((t) => t.rawSql!.includes('v_data_freshness')));
      for (const t of sql) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, not a template literal
        const text = t.rawSql!.replaceAll('${schema}', 'servicedesk');
        const { rows } = await db.query(text);
        assert.ok(rows.length > 0, `${t.panel}: no rows`);
      }
    });
  });
}
