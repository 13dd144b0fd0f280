/**
 * Adding a view is one registry entry and one migration: a toy fourth view, registered here and given
 * its table by the test (the part a migration file plays), is migrated, synced from a fixture OTC,
 * rebuilt by its `_records` view, rejected record by record and listed by `status`, with nothing else
 * in the product changed for it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseViews } from '../../src/cli/flags.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import type { Runtime } from '../../src/cli/runtime.js';
import { loadConfig } from '../../src/config.js';
import { MigrationRequiredError } from '../../src/errors.js';
import type { Db } from '../../src/load/db.js';
import { applyMigrations } from '../../src/load/migrate.js';
import { silentLogger } from '../../src/log.js';
import type { StateReport } from '../../src/pipeline/view-state.js';
import { allViewsText, registerView, viewNamesText } from '../../src/registry.js';
import { startSimulator } from '../../src/simulator/index.js';
import { DATABASE_KINDS, openTestDb, type TestDatabase } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { outcome, rows, syncOnce, useFixtureDatabase } from '../support/harness.js';

// A view registered while running has a name the compiler cannot know: the test uses ASSETS.name.
const ASSETS = registerView({
  name: 'assets',
  sourceName: 'PowerBi-Assets',
  guid: '0b9a6f4e-2c1d-4e8f-9a7b-5d3c2e1f0a99',
  windowDays: 30,
  table: 'assets',
  fields: [
    { api: 'AS-Asset ID', column: 'asset_id', type: 'id' },
    { api: 'AS-Ticket ID', column: 'ticket_id', type: 'id' },
    { api: 'AS-Name', column: 'asset_name', type: 'text' },
    { api: 'AS-Bought', column: 'bought', type: 'date' },
    { api: 'AS-Active', column: 'active', type: 'bool' },
    { api: 'AS-Cost', column: 'cost', type: 'decimal' },
    { api: 'AS-Modified Time', column: 'modified', type: 'instant' },
  ],
  key: ['asset_id'],
  keyNullable: false,
  cursor: 'modified',
  windowColumn: null,
  ticketRef: 'ticket_id',
  indexed: ['asset_name'],
});

/** What the view's migration file would hold: its table, laid out like the built-in views' tables. */
const ASSETS_MIGRATION = `
CREATE TABLE servicedesk.assets (
  "asset_id" bigint PRIMARY KEY,
  "ticket_id" bigint,
  "asset_name" text,
  "bought" date,
  "active" boolean,
  "cost" numeric,
  "modified" timestamptz,
  _raw jsonb NOT NULL DEFAULT '{}'::jsonb,
  _record_hash bigint,
  _last_source text,
  _first_run_id uuid,
  _first_loaded_at timestamptz,
  _last_run_id uuid,
  _last_changed_at timestamptz
);
CREATE INDEX assets_asset_name_idx ON servicedesk.assets ("asset_name");`;

const laptop = {
  'AS-Asset ID': 1,
  'AS-Ticket ID': 7,
  'AS-Name': 'Laptop',
  'AS-Bought': '05/11/2026',
  'AS-Active': 'Yes',
  'AS-Cost': 1250.5,
  'AS-Modified Time': '2026-12-01T02:00:00.000Z',
};
const phone = { ...laptop, 'AS-Asset ID': 2, 'AS-Name': 'Phone', 'AS-Active': 'maybe' };
const broken = { ...laptop, 'AS-Asset ID': 'not a number', 'AS-Name': 'Broken' };

describe('a registered fourth view, outside the database', () => {
  test('the CLI names it among the views and accepts it as a view argument', () => {
    assert.equal(
      `${viewNamesText('and/or')} (default ${allViewsText()})`,
      'comments, timesheets, tickets and/or assets (default all four)',
    );
    assert.deepEqual(parseViews(['assets', 'tickets']), ['assets', 'tickets']);
  });

  test('its GUID is overridden by OTC_VIEW_GUID_ASSETS', () => {
    const config = loadConfig({ env: { OTC_VIEW_GUID_ASSETS: 'another-guid' }, cwd: '/nonexistent' });
    assert.equal(config.viewGuids[ASSETS.name], 'another-guid');
    assert.equal(config.viewGuids.tickets, 'dc8570af-facd-4799-9cc0-99641d394fce');
  });

  test('the simulator, which cannot make it, refuses to start instead of serving another view', async () => {
    await assert.rejects(startSimulator({ password: 'pw' }), /the simulator cannot make the assets view/);
  });

  test('an entry that contradicts itself is refused when registered', () => {
    assert.throws(() => registerView({ ...ASSETS, name: 'gadgets', table: 'gadgets', guid: 'g', cursor: 'nowhere' }), /column nowhere/);
    assert.throws(() => registerView({ ...ASSETS, name: 'Gadgets', table: 'gadgets2', guid: 'g2' }), /lower-case identifier/);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`a registered fourth view on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    // A small payload with a third of it bad: neither the volume guard nor the reject rate is tested here.
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0', OTC_MAX_REJECT_RATE: '1' });
    const fixture = useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s));

    test('migrate refuses the view until a migration has made its table, then makes the rest itself', async () => {
      await assert.rejects(
        applyMigrations(db, { schema: 'servicedesk', timezone: null }),
        (error: unknown) =>
          error instanceof MigrationRequiredError &&
          /view assets is in the registry but its table assets does not exist/.test(error.message),
      );
      await db.exec(ASSETS_MIGRATION);
      await applyMigrations(db, { schema: 'servicedesk', timezone: null });
      const windows = await rows<{ view_name: string; window_days: number }>(
        db,
        'SELECT view_name, window_days FROM servicedesk.view_windows ORDER BY ord',
      );
      assert.deepEqual(
        windows.map((w) => w.view_name),
        ['comments', 'timesheets', 'tickets', 'assets'],
      );
      assert.equal(windows[3]!.window_days, 30);
    });

    test('a full sync loads it, keeping a bad record and a bad value as rejects', async () => {
      otc.set(ASSETS.name, [laptop, phone, broken]);
      const result = await syncOnce(db, config());
      const { status, error, counts } = outcome(result, ASSETS.name);
      assert.equal(status, 'partial', error ?? undefined);
      assert.deepEqual([counts.fetched, counts.inserted, counts.rejected, counts.valueErrors], [3, 2, 1, 1]);
      const stored = await rows<{ id: string; name: string; active: boolean | null; cost: string }>(
        db,
        'SELECT asset_id::text AS id, asset_name AS name, active, cost::text AS cost FROM servicedesk.assets ORDER BY asset_id',
      );
      assert.deepEqual(stored, [
        { id: '1', name: 'Laptop', active: true, cost: '1250.5' },
        { id: '2', name: 'Phone', active: null, cost: '1250.5' },
      ]);
      const rejects = await rows<{ kind: string; field: string | null; key: string | null }>(
        db,
        `SELECT kind, field, record_key AS key FROM servicedesk.load_rejects WHERE view_name = 'assets' ORDER BY kind`,
      );
      assert.deepEqual(
        rejects.map((r) => [r.kind, r.field]),
        [
          ['record', 'AS-Asset ID'],
          ['value', 'AS-Active'],
        ],
      );
    });

    test('its _records view gives each row back as the source sent it', async () => {
      const records = await rows<{ id: string; record: unknown }>(
        db,
        'SELECT asset_id::text AS id, record FROM servicedesk.assets_records ORDER BY asset_id',
      );
      assert.deepEqual(records, [
        { id: '1', record: laptop },
        { id: '2', record: phone },
      ]);
    });

    test('status lists it with its rows, window and orphans', async () => {
      let report: StateReport | undefined;
      const ignored = { write: () => true };
      const io = { env: {}, cwd: tdb.cwd, stdout: ignored, stderr: ignored, openDb: openTestDb };
      const rt: Runtime = { config: config(), log: silentLogger, json: true, io, print: (doc) => (report = doc as StateReport) };
      await fixture.whileClosed(() => statusCommand(rt));
      const assets = report!.views.find((v) => v.view === ASSETS.name);
      assert.ok(assets, 'status has a row for assets');
      assert.equal(assets.rows, 2);
      assert.equal(assets.windowDays, 30);
      assert.equal(assets.fresh, true);
      assert.equal(assets.orphans, 2);
    });
  });
}
