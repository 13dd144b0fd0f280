import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SCRATCH, createScratch } from '../../src/load/adopt/scratch.js';
import { listMigrations } from '../../src/load/migrate.js';
import type { FieldType } from '../../src/registry.js';
import { parseValue, ValueError, Zone } from '../../src/transform/values.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { rows } from '../support/harness.js';
import { legacySchemaSql, UNCONVERTIBLE_VIEW_SQL } from '../support/legacy-fixture.js';
import { dumpSchema } from '../support/schema-dump.js';
import { ticket } from '../support/records.js';

/** The helper reading each field type, and how its result is printed to compare with the parser's text. */
const HELPERS: Partial<Record<FieldType, { fn: string; text: (v: string) => string }>> = {
  instant: { fn: 'instant', text: (v) => `to_char(${v} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` },
  date: { fn: 'local_date', text: (v) => `to_char(${v}, 'YYYY-MM-DD')` },
  decimal: { fn: 'decimal', text: (v) => `${v}::text` },
  id: { fn: 'id', text: (v) => `${v}::text` },
  bool: { fn: 'bool', text: (v) => `${v}::text` },
  clock: { fn: 'clock', text: (v) => v },
};

const SAMPLES: Array<[FieldType, string[]]> = [
  [
    'instant',
    [
      '07/01/2025 09:05',
      '7/1/2025 9:05',
      '07/01/2025 09:05:30',
      '7/1/2025 9:05 PM',
      '7/1/2025 12:15 AM',
      '2025-01-07',
      '2025-01-07 09:05',
      '2025-01-07T09:05:00',
      '2025-01-07T09:05:00.250',
      '2025-01-07T09:05:00+10:00',
      '2025-01-07T01:05:00Z',
      '31/02/2025 10:00',
      '29/02/2024 10:00',
      '29/02/2025',
      '2025-13-01',
      '0000-01-01',
      '2025-01-07T24:00',
      '2025-01-07 09:60',
      '2025-01-07 09:05 +0800',
      '2025-01-07T09:05:00,5-03:30',
      '2025-01-07T09:05+24:00',
      '7/1/2025 13:05 PM',
      'next tuesday',
      '  ',
      '07/01/2025',
      '2025-1-7',
    ],
  ],
  ['date', ['07/01/2025', '2025-01-07', '2025-01-07T23:30:00+00:00', '07/01/2025 23:30', '31/04/2025', 'soon']],
  ['decimal', ['2,5', '2.50', '1e3', '.5', '-0,75', 'two', '1,234.5', '3', '1e401', '5.', '+1.5E-2']],
  ['id', ['123', ' 123 ', '123.0', '123.5', '12a', '-7', '99999999999999999999', '9223372036854775807', '-0', '123.']],
  ['bool', ['Yes', 'no', 'Y', 'n', 'TRUE', 'false', '1', '0', 'maybe']],
  ['clock', ['9:00', '09:00:00', '900', '0900', '0.375', '9:00 PM', '12:30 AM', 'morning', '2400', '25:00', '09:00:75', '9:00:30,5']],
];

for (const kind of DATABASE_KINDS) {
  describe(`adoption edge cases on the ${kind} database`, () => {
    let otc: FixtureServer;
    const databases: TestDatabase[] = [];
    /** A database holding the legacy schema, and its dump before anything ran. */
    const legacyDatabase = async (extraSql = '') => {
      const tdb = await createTestDatabase(kind);
      databases.push(tdb);
      const db = await tdb.open();
      try {
        await db.exec(legacySchemaSql() + extraSql);
        return { tdb, before: await dumpSchema(db) };
      } finally {
        await db.close();
      }
    };
    const dump = async (tdb: TestDatabase) => {
      const db = await tdb.open();
      try {
        return await dumpSchema(db);
      } finally {
        await db.close();
      }
    };

    before(async () => {
      otc = await startFixtureServer({ tickets: [ticket(1)] });
    });
    after(async () => {
      for (const tdb of databases) await tdb.drop();
      await otc.close();
    });

    test('sync on the old loader’s schema exits 4 and says to run migrate', async () => {
      const { tdb, before } = await legacyDatabase();
      const r = await runCli(['sync', '--json'], { env: { ...tdb.env, ...otc.env() }, cwd: tdb.cwd });
      assert.equal(r.code, 4);
      const doc = JSON.parse(r.stdout) as { error: string; exitCode: number };
      assert.equal(doc.exitCode, 4);
      assert.match(doc.error, /built by the previous loader; run `otc-etl migrate`/);
      assert.deepEqual(await dump(tdb), before);
    });

    test('a view that cannot be recreated on the new types stops the adoption, names the view, and changes nothing', async () => {
      const { tdb, before } = await legacyDatabase(UNCONVERTIBLE_VIEW_SQL);
      const r = await runCli(['migrate'], { env: tdb.env, cwd: tdb.cwd });
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /view servicedesk\.analyst_hours reads columns the adoption converts/);
      assert.match(r.stderr, /Nothing was changed/);
      assert.deepEqual(await dump(tdb), before);
    });

    test('tables the old loader never had are created from the migrations', async () => {
      const tdb = await createTestDatabase(kind);
      databases.push(tdb);
      let db = await tdb.open();
      await db.exec(`CREATE SCHEMA servicedesk;
        CREATE TABLE servicedesk.tickets ("TKT-Ticket ID" text, "TKT-Title" text, "TKT-Modified Time" timestamp, support_tier text);
        INSERT INTO servicedesk.tickets VALUES ('7', 'A', '2025-01-07 09:05:00', 'gold'), ('8', 'B', NULL, NULL);`);
      await db.close();
      const r = await runCli(['migrate', '--json'], { env: tdb.env, cwd: tdb.cwd });
      assert.equal(r.code, 0, r.stderr);
      const created = (JSON.parse(r.stdout) as { adoption: { steps: Array<{ action: string; table?: string }> } }).adoption.steps
        .filter((s) => s.action === 'create-table')
        .map((s) => s.table)
        .sort();
      assert.deepEqual(created, [
        'comments',
        'comments_removed',
        'etl_metadata',
        'load_rejects',
        'timesheets',
        'timesheets_removed',
        'user_lookup',
      ]);
      db = await tdb.open();
      const t = await rows<{ id: number; tier: string | null; raw: Record<string, unknown> }>(
        db,
        'SELECT "TKT-Ticket ID" AS id, support_tier AS tier, servicedesk.record_of(t) AS raw FROM servicedesk.tickets t ORDER BY 1',
      );
      assert.deepEqual(
        t.map((x) => [Number(x.id), x.tier, x.raw]),
        [
          [7, 'gold', { 'TKT-Ticket ID': '7', 'TKT-Title': 'A', 'TKT-Modified Time': '2025-01-07T09:05:00' }],
          [8, null, { 'TKT-Ticket ID': '8', 'TKT-Title': 'B' }],
        ],
      );
      await db.close();
    });

    test('the adoption reads values exactly as the loader’s parser does, daylight-saving edges included', async () => {
      const tdb = await createTestDatabase(kind);
      databases.push(tdb);
      const db = await tdb.open();
      const adopted = listMigrations().filter((m) => m.version <= 2);
      const cases: Array<[string, FieldType, string]> = [
        ...SAMPLES.flatMap(([type, values]) => values.map((v): [string, FieldType, string] => ['Australia/Perth', type, v])),
        // Sydney: 02:30 on 6 April 2025 happened twice (the earlier is read); on 5 October 2025 it never happened (read later).
        ['Australia/Sydney', 'instant', '06/04/2025 02:30'],
        ['Australia/Sydney', 'instant', '05/10/2025 02:30'],
        ['Australia/Sydney', 'instant', '2025-04-06 02:30:00'],
      ];
      const mismatches: string[] = [];
      await db
        .transaction(async (tx) => {
          for (const zone of ['Australia/Perth', 'Australia/Sydney']) {
            await createScratch(tx, 'servicedesk', zone, adopted);
            for (const [, type, raw] of cases.filter((c) => c[0] === zone)) {
              const helper = HELPERS[type]!;
              const { rows: out } = await tx.query<{ v: string | null }>(
                `SELECT ${helper.text(`${SCRATCH}.${helper.fn}($1::text)`)} AS v`,
                [raw],
              );
              const parsed = parseValue(type, raw, { zone: new Zone(zone) });
              const expected = parsed instanceof ValueError || parsed === null ? null : String(parsed);
              if (out[0]!.v !== expected) mismatches.push(`${zone} ${type} ${JSON.stringify(raw)}: SQL ${out[0]!.v}, parser ${expected}`);
            }
          }
          throw new Error('roll back');
        })
        .catch((e: Error) => assert.equal(e.message, 'roll back'));
      await db.close();
      assert.deepEqual(mismatches, []);
    });
  });
}
