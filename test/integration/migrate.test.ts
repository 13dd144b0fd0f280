import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { SQL_TYPES, VIEWS } from '../../src/registry.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { rows } from '../support/harness.js';

const PG_TYPE_NAMES: Record<string, string> = {
  bigint: 'bigint',
  text: 'text',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  boolean: 'boolean',
  numeric: 'numeric',
};

for (const kind of DATABASE_KINDS) {
  describe(`migrate on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    const cli = (...args: string[]) => runCli(args, { env: tdb.env, cwd: tdb.cwd });

    before(async () => {
      tdb = await createTestDatabase(kind);
    });
    after(async () => {
      await db?.close();
      await tdb.drop();
    });

    test('--dry-run prints the plan and changes nothing', async () => {
      const r = await cli('migrate', '--dry-run', '--json');
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as { state: string; pending: string[] };
      assert.equal(plan.state, 'empty');
      assert.ok(plan.pending.includes('001_core'));
      db = await tdb.open();
      const [s] = await rows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'servicedesk'`,
      );
      assert.equal(s!.n, 0);
      await db.close();
    });

    test('migrate applies every migration once, records checksums, and a second run changes nothing', async () => {
      const first = await cli('migrate', '--json');
      assert.equal(first.code, 0, first.stderr);
      assert.ok((JSON.parse(first.stdout) as { applied: string[] }).applied.includes('001_core'));
      const second = await cli('migrate', '--json');
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual((JSON.parse(second.stdout) as { applied: string[] }).applied, []);
      db = await tdb.open();
      const applied = await rows<{ version: number; checksum: string }>(db, 'SELECT version, checksum FROM servicedesk.schema_migrations');
      assert.ok(applied.length >= 1 && applied.every((m) => /^[0-9a-f]{64}$/.test(m.checksum)));
    });

    test('the database default TimeZone is OTC_TIMEZONE, so ::date follows the source’s local days', async () => {
      await db.close();
      db = await tdb.open();
      const [tz] = await rows<{ tz: string }>(db, `SELECT current_setting('TimeZone') AS tz`);
      assert.equal(tz!.tz, 'Australia/Perth');
    });

    test('every registry field is a column of the right type, with lineage and _raw', async () => {
      for (const view of VIEWS) {
        const cols = await rows<{ column_name: string; data_type: string }>(
          db,
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'servicedesk' AND table_name = $1`,
          [view.table],
        );
        const types = new Map(cols.map((c) => [c.column_name, c.data_type]));
        for (const field of view.fields) {
          assert.equal(types.get(field.column), PG_TYPE_NAMES[SQL_TYPES[field.type]], `${view.table}.${field.column}`);
        }
        for (const extra of ['_raw', '_first_run_id', '_first_loaded_at', '_last_run_id', '_last_changed_at']) {
          assert.ok(types.has(extra), `${view.table}.${extra}`);
        }
      }
    });

    test('timesheets_unique_entry treats empty key parts as equal', async () => {
      await db.exec(`INSERT INTO servicedesk.timesheets ("TS-User Username", "TS-Date") VALUES ('a', '2025-01-01')`);
      await assert.rejects(
        db.exec(`INSERT INTO servicedesk.timesheets ("TS-User Username", "TS-Date") VALUES ('a', '2025-01-01')`),
        (e: { code?: string }) => e.code === '23505',
      );
      await db.exec(`DELETE FROM servicedesk.timesheets`);
    });

    test('the analysts’ indexes exist', async () => {
      const idx = await rows<{ indexdef: string }>(db, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'servicedesk'`);
      const defs = idx.map((i) => i.indexdef).join('\n');
      for (const view of VIEWS) {
        for (const column of view.indexed)
          assert.ok(defs.includes(`("${column}")`) || defs.includes(`(${column})`), `${view.table}.${column}`);
      }
    });
  });
}
