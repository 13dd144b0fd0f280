import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { applyMigrations } from '../../src/load/migrate.js';
import { freshnessViewSql, orphansViewSql, recordOfSql, recordsViewSql } from '../../src/load/view-objects.js';
import { VIEWS } from '../../src/registry.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { rows } from '../support/harness.js';

/** The body between `AS $$` and `$$;` of a generated CREATE FUNCTION: what pg_proc.prosrc holds. */
function bodyOf(sql: string): string {
  const start = sql.indexOf('AS $$') + 'AS $$'.length;
  return sql.slice(start, sql.indexOf('$$;', start));
}

for (const kind of DATABASE_KINDS) {
  describe(`the registry's SQL objects are the migrations' own on the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    const inSchema = (sql: string) => db.exec(`SET search_path TO servicedesk, public; ${sql}; SET search_path TO DEFAULT`);
    const viewdef = async (name: string) =>
      (await rows<{ def: string }>(db, 'SELECT pg_get_viewdef($1::regclass) AS def', [`servicedesk.${name}`]))[0]!.def;

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = await tdb.open();
      await applyMigrations(db, { schema: 'servicedesk', timezone: null });
    });
    after(async () => {
      await db.close();
      await tdb.drop();
    });

    test('record_of of every table and side table is, character for character, what the registry generates', async () => {
      for (const view of VIEWS) {
        const tables = view.windowColumn === null ? [view.table] : [view.table, `${view.table}_removed`];
        for (const table of tables) {
          const [fn] = await rows<{ src: string }>(
            db,
            `SELECT p.prosrc AS src FROM pg_proc p WHERE p.proname = 'record_of' AND p.proargtypes[0] = $1::regtype`,
            [`servicedesk.${table}`],
          );
          assert.equal(fn?.src, bodyOf(recordOfSql(view, table)), `record_of(${table})`);
        }
      }
    });

    test('each <table>_records view and v_data_freshness read as the registry generates them', async () => {
      for (const view of VIEWS) {
        await inSchema(recordsViewSql(view, 'check_records'));
        assert.equal(await viewdef('check_records'), await viewdef(`${view.table}_records`), `${view.table}_records`);
        await db.exec('DROP VIEW servicedesk.check_records');
      }
      await inSchema(freshnessViewSql('check_freshness'));
      assert.equal(await viewdef('check_freshness'), await viewdef('v_data_freshness'));
      await db.exec('DROP VIEW servicedesk.check_freshness');
    });

    test('v_orphaned_data counts the same orphans as the registry generates', async () => {
      await db.exec(`INSERT INTO servicedesk.comments (comment_id, ticket_id) VALUES (1, 404), (2, NULL)`);
      await db.exec(`INSERT INTO servicedesk.timesheets ("TS-User Username", "TS-Crm ID") VALUES ('a', 405), ('b', 406)`);
      await inSchema(orphansViewSql('check_orphans'));
      const generated = await rows(db, 'SELECT source, count::int AS n FROM servicedesk.check_orphans ORDER BY source');
      const shipped = await rows(db, 'SELECT source, count::int AS n FROM servicedesk.v_orphaned_data ORDER BY source');
      assert.deepEqual(generated, shipped);
      assert.deepEqual(shipped, [
        { source: 'comments', n: 1 },
        { source: 'timesheets', n: 2 },
      ]);
    });
  });
}
