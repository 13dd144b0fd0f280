import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { VIEWS } from '../../src/registry.js';
import { runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { writeCsv } from '../support/import-harness.js';
import { sampleValue } from '../support/prometheus.js';
import { comment, ticket, timesheet } from '../support/records.js';
import { getMetrics, getText, startServe } from '../support/serve.js';

interface Finding {
  view: string | null;
  code: string;
  message: string;
}
interface StateDoc {
  status: 'ok' | 'problem';
  problems: Finding[];
  warnings: Finding[];
}

const codes = (findings: readonly Finding[]) => findings.map((f) => `${f.view ?? '-'}:${f.code}`).sort();
const doc = <T = StateDoc>(r: CliResult): T => {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`stdout is not one JSON document:\n${r.stdout}\n${r.stderr}`);
  }
};

for (const kind of DATABASE_KINDS) {
  describe(`one truth about each view: status, health, /healthz and /metrics agree (${kind} database)`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const env = (extra: Record<string, string> = {}) => ({ ...tdb.env, ...otc.env(), ...extra });
    const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: env(extra), cwd: tdb.cwd });

    /** /healthz and /metrics of a service started on this database (then stopped, so the CLI can open it). */
    async function serviceView(): Promise<{
      status: number;
      body: StateDoc & Record<string, unknown>;
      metrics: Awaited<ReturnType<typeof getMetrics>>;
    }> {
      const svc = await startServe(['--schedule', '0 0 1 1 *'], { env: env(), cwd: tdb.cwd });
      try {
        const health = await getText(`${svc.url}/healthz`);
        return {
          status: health.status,
          body: JSON.parse(health.body) as StateDoc & Record<string, unknown>,
          metrics: await getMetrics(svc.url),
        };
      } finally {
        assert.equal(await svc.stop(), 0, svc.stderr());
      }
    }

    beforeEach(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1)], comments: [comment(1, 1)], timesheets: [timesheet({ 'TS-Crm ID': 1 })] });
      tdb = await createTestDatabase(kind, {}, { migrated: true });
    });
    afterEach(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('an empty database right after migrate: health, status and /healthz all say problem (never synced)', async () => {
      assert.equal((await cli(['migrate'])).code, 0);
      const health = await cli(['health', '--json']);
      const status = await cli(['status', '--json']);
      assert.deepEqual([health.code, status.code], [1, 1], `${health.stdout}\n${status.stdout}`);
      const expected = ['comments:never_synced', 'tickets:never_synced', 'timesheets:never_synced'];
      for (const r of [health, status]) {
        assert.equal(doc(r).status, 'problem');
        assert.deepEqual(codes(doc(r).problems), expected);
      }
      const svc = await serviceView();
      assert.equal(svc.status, 503);
      assert.equal(svc.body.status, 'problem');
      assert.deepEqual(codes(svc.body.problems), expected);
      assert.deepEqual(svc.body.warnings, []);
      assert.equal(sampleValue(svc.metrics, 'otc_etl_view_problem', { view: 'tickets' }), 1);
    });

    test('an open breaker while every view is fresh: a breaker_open warning everywhere, exit 0 and 200', async () => {
      assert.equal((await cli(['sync'])).code, 0);
      otc.set('comments', { status: 503, body: 'maintenance' });
      // Three failed attempts (one request and two retries) open the breaker.
      assert.equal((await cli(['sync', 'comments'], { OTC_MAX_RETRIES: '2' })).code, 1);
      const health = await cli(['health', '--json']);
      const status = await cli(['status', '--json']);
      assert.deepEqual([health.code, status.code], [0, 0], `${health.stdout}\n${status.stdout}`);
      for (const r of [health, status]) {
        const d = doc(r);
        assert.deepEqual([d.status, d.problems], ['ok', []]);
        assert.deepEqual(codes(d.warnings), ['-:breaker_open', 'comments:last_run_failed']);
      }
      assert.equal(doc<{ breaker: { state: string } }>(health).breaker.state, 'open');
      assert.match(await cli(['status']).then((r) => r.stdout), /warning breaker_open: the OTC circuit breaker is open until/);
      const svc = await serviceView();
      assert.equal(svc.status, 200);
      assert.deepEqual(codes(svc.body.warnings), ['-:breaker_open', 'comments:last_run_failed']);
      assert.equal(sampleValue(svc.metrics, 'otc_etl_breaker_open'), 1);
      assert.equal(sampleValue(svc.metrics, 'otc_etl_warnings', { view: '', code: 'breaker_open' }), 1);
      assert.equal(sampleValue(svc.metrics, 'otc_etl_warnings', { view: 'comments', code: 'last_run_failed' }), 1);
      assert.equal(sampleValue(svc.metrics, 'otc_etl_view_problem', { view: 'comments' }), 0);
    });

    test('a failed import of a CSV with wrong headers never stands in for the API sync of its view', async () => {
      assert.equal((await cli(['sync'])).code, 0);
      await writeCsv(
        tdb.cwd,
        'wrong.csv',
        ['Ticket', 'TKT-Title'],
        [
          [1, 'a'],
          [2, 'b'],
          [3, 'c'],
        ],
      );
      const imported = await cli(['import', 'wrong.csv', '--view', 'tickets', '--json']);
      assert.equal(imported.code, 1, imported.stdout);
      const status = await cli(['status', '--json']);
      assert.equal(status.code, 0, status.stdout);
      const d = doc<
        StateDoc & {
          views: Array<{
            view: string;
            lastRun: { source: string; status: string };
            lastImportOrReprocess: { source: string; status: string };
            drift: { fieldsMissing: string[] };
          }>;
        }
      >(status);
      assert.deepEqual(d.problems, []);
      assert.deepEqual(codes(d.warnings), ['tickets:import_failed']);
      const tickets = d.views.find((v) => v.view === 'tickets')!;
      assert.deepEqual([tickets.lastRun.source, tickets.lastRun.status], ['api', 'success']);
      assert.deepEqual([tickets.lastImportOrReprocess.source, tickets.lastImportOrReprocess.status], ['wrong.csv', 'failed']);
      assert.deepEqual(tickets.drift.fieldsMissing, []);
      assert.doesNotMatch((await cli(['status'])).stdout, /missing fields/);
      assert.equal((await cli(['health'])).code, 0);
      const svc = await serviceView();
      assert.equal(svc.status, 200);
      assert.equal((svc.body.views as Record<string, { lastRun: string }>).tickets!.lastRun, 'success');
      assert.equal(sampleValue(svc.metrics, 'otc_etl_runs_total', { view: 'tickets', status: 'failed' }), 0, 'imports are not API syncs');
    });

    test('drift is loud: sync --json, a warning log line, etl_metadata, status, the page and the metric; it stops when the source settles', async () => {
      assert.equal((await cli(['sync'])).code, 0);
      const { 'TKTCT-Team': _team, ...withoutTeam } = comment(1, 1);
      otc.set('comments', [{ ...withoutTeam, 'TKTCT-Mood': 'calm' }]);
      const r = await cli(['sync', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const views = doc<{ views: Record<string, { fieldsNew: string[]; fieldsMissing: string[] }> }>(r).views;
      assert.deepEqual([views.comments!.fieldsNew, views.comments!.fieldsMissing], [['TKTCT-Mood'], ['TKTCT-Team']]);
      assert.deepEqual([views.tickets!.fieldsNew, views.tickets!.fieldsMissing], [[], []], 'arrays are always present');
      assert.match(r.stderr, /comments: the source sends new fields: TKTCT-Mood/);
      assert.match(r.stderr, /comments: the source stopped sending TKTCT-Team; their stored values are being kept as they were/);

      const db = await tdb.open();
      try {
        const [meta] = await rows<{ fields_new: string[]; fields_missing: string[] }>(
          db,
          `SELECT fields_new, fields_missing FROM servicedesk.etl_metadata WHERE view_name = 'comments' ORDER BY id DESC LIMIT 1`,
        );
        assert.deepEqual(meta, { fields_new: ['TKTCT-Mood'], fields_missing: ['TKTCT-Team'] });
        const [kept] = await rows<{ team: string }>(db, `SELECT team FROM servicedesk.comments WHERE comment_id = 1`);
        assert.equal(kept!.team, 'NOC', 'the vanished field keeps its stored value');
      } finally {
        await db.close();
      }
      const status = await cli(['status']);
      assert.equal(status.code, 0);
      assert.match(status.stdout, /drift \(comments, run [^)]+\): new fields \[TKTCT-Mood\], missing fields \[TKTCT-Team\]/);
      const out = join(tdb.cwd, 'page.html');
      assert.equal((await cli(['report', '--out', out])).code, 0);
      assert.match(readFileSync(out, 'utf8'), /<dd class="drift" data-kind="missing">TKTCT-Team/);
      const svc = await serviceView();
      assert.equal(sampleValue(svc.metrics, 'otc_etl_drift_fields', { view: 'comments', kind: 'new' }), 1);
      assert.equal(sampleValue(svc.metrics, 'otc_etl_drift_fields', { view: 'comments', kind: 'missing' }), 1);
      assert.equal(svc.status, 200, 'drift is a warning');
      assert.deepEqual(codes(svc.body.warnings), ['comments:drift_missing_fields', 'comments:drift_new_fields']);

      // The same body again: the new field was carried before, the missing one was not carried last time.
      const again = await cli(['sync', 'comments', '--json']);
      assert.deepEqual(doc<{ views: Record<string, unknown> }>(again).views.comments, {
        ...doc<{ views: Record<string, object> }>(again).views.comments,
        fieldsNew: [],
        fieldsMissing: [],
      });
      assert.doesNotMatch((await cli(['status'])).stdout, /drift \(comments/);
      assert.doesNotMatch(again.stderr, /new fields|stopped sending/);
    });

    test('v_data_freshness takes its windows from the registry and agrees with the state model', async () => {
      assert.equal((await cli(['sync', 'comments'])).code, 0);
      const db = await tdb.open();
      try {
        const windows = await rows<{ view_name: string; window_days: number }>(
          db,
          `SELECT view_name, window_days FROM servicedesk.view_windows ORDER BY ord`,
        );
        assert.deepEqual(
          windows.map((w) => [w.view_name, w.window_days]),
          VIEWS.map((v) => [v.name, v.windowDays]),
        );
        const fresh = await rows<{ view_name: string; is_stale: boolean }>(
          db,
          `SELECT view_name, is_stale FROM servicedesk.v_data_freshness`,
        );
        assert.deepEqual(
          fresh.map((f) => [f.view_name, f.is_stale]),
          [
            ['comments', false],
            ['timesheets', true],
            ['tickets', true],
          ],
        );
        // An import commits, but is not an API sync: it does not make a view fresh.
        await db.query(
          `INSERT INTO servicedesk.etl_metadata (run_id, view_name, source, load_status, load_start, load_end) VALUES ('i', 'tickets', 'x.csv', 'success', now(), now())`,
        );
        const [tickets] = await rows<{ is_stale: boolean }>(
          db,
          `SELECT is_stale FROM servicedesk.v_data_freshness WHERE view_name = 'tickets'`,
        );
        assert.equal(tickets!.is_stale, true);
      } finally {
        await db.close();
      }
      const status = doc<{ views: Array<{ view: string; fresh: boolean }> }>(await cli(['status', '--json']));
      assert.deepEqual(
        status.views.map((v) => [v.view, v.fresh]),
        [
          ['comments', true],
          ['timesheets', false],
          ['tickets', false],
        ],
      );
    });
  });

  describe(`the page counts a rejected record once however often it is rejected (${kind} database)`, () => {
    let tdb: TestDatabase;
    before(async () => {
      tdb = await createTestDatabase(kind, {}, { migrated: true });
    });
    after(async () => {
      await tdb.drop();
    });

    test('one bad cell imported twice and reprocessed is one record in Reject reasons', async () => {
      const cli = (...args: string[]) => runCli(args, { env: tdb.env, cwd: tdb.cwd });
      await writeCsv(
        tdb.cwd,
        'ts.csv',
        ['TS-User Username', 'TS-Date', 'TS-Time From', 'TS-Crm ID', 'TS-Hours'],
        [
          ['djewell', '07/01/2025', '09:00', 1, 'lots'],
          ['djewell', '07/01/2025', '10:00', 1, '1'],
        ],
      );
      assert.equal((await cli('import', 'ts.csv')).code, 0);
      assert.equal((await cli('import', 'ts.csv')).code, 0);
      assert.equal((await cli('reprocess', 'timesheets')).code, 0);
      const db = await tdb.open();
      try {
        const [n] = await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM servicedesk.load_rejects WHERE field = 'TS-Hours'`);
        assert.ok(n!.n >= 2, `the same cell was quarantined ${n!.n} times`);
      } finally {
        await db.close();
      }
      const out = join(tdb.cwd, 'page.html');
      assert.equal((await cli('report', '--out', out)).code, 0);
      const html = readFileSync(out, 'utf8');
      assert.match(
        html,
        /<tr class="reject" data-view="timesheets" data-kind="value"><td>timesheets<\/td><td>value stored as NULL<\/td><td>TS-Hours<\/td><td class="num">1<\/td>/,
      );
    });
  });
}
