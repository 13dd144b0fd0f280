import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import type { Db } from '../../src/load/db.js';
import { planImport } from '../../src/pipeline/import.js';
import { DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import type { FixtureServer } from '../support/fixture-server.js';
import { rows, syncOnce, useFixtureDatabase } from '../support/harness.js';
import { fileOutcome, importOnce, writeCsv, writeJson } from '../support/import-harness.js';
import { comment, ticket } from '../support/records.js';
import { writeXlsxExport } from '../support/xlsx-export.js';

const UTC = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')`;
const PERTH = (col: string) => `to_char(${col} AT TIME ZONE 'Australia/Perth', 'YYYY-MM-DD HH24:MI')`;
/** 2025-01-07 09:05 as a spreadsheet serial in the 1900 system. */
const SERIAL_1900 = 45664 + (9 * 60 + 5) / 1440;
const SERIAL_1904 = SERIAL_1900 - 1462;

const TIMESHEET_HEADERS = [
  'TS-User Username',
  'TS-User Full Name',
  'TS-Date',
  'TS-Time From',
  'TS-Time To',
  'TS-Hours',
  'TS-Crm ID',
  'TS-Title',
  'TS-Modified Time',
];
const CT_HEADERS = [
  'CT-COMMENT-ID',
  'CT-TKT-ID',
  'CT-COMMENT',
  'CT-USERID',
  'CT-USERIDNAME',
  'CT-OWNERTYPE',
  'CT-DATEAMDTIME',
  'CT-VISIBLE-CUSTOMER',
  'CT-TYPE',
  'CT-TKT-TEAM',
];

for (const kind of DATABASE_KINDS) {
  describe(`import into the ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let otc: FixtureServer;
    let dir: string;
    const config = () => tdb.config({ ...otc.env(), OTC_MIN_VOLUME_RATIO: '0' });

    useFixtureDatabase(kind, (s) => ({ otc, tdb, db } = s), {}, { migrated: true });
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'otc-etl-import-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test('a CSV with a byte-order mark and ; between fields loads with comma decimals, and its etl_metadata row names the file', async () => {
      const path = await writeCsv(
        dir,
        'ts-feb.csv',
        TIMESHEET_HEADERS,
        [
          ['akhan', 'Ali Khan', '14/02/2025', '8:30', '10:00', '1,5', 2001, 'Patch; reboot', '14/02/2025 10:05'],
          ['akhan', 'Ali Khan', '14/02/2025', '13:00', '14:00', '1', '', 'Admin', '14/02/2025 14:00'],
        ],
        { delimiter: ';', bom: true },
      );
      const result = await importOnce(db, config(), [path]);
      assert.deepEqual(fileOutcome(result).counts, {
        fetched: 2,
        inserted: 2,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
      });
      const stored = await rows(
        db,
        `SELECT "TS-Date"::text AS d, "TS-Time From" AS f, "TS-Hours"::text AS h, "TS-Crm ID" AS crm, "TS-Title" AS title,
                ${UTC('"TS-Modified Time"')} AS m, _last_source AS src
         FROM servicedesk.timesheets WHERE "TS-User Username" = 'akhan' ORDER BY "TS-Time From"`,
      );
      assert.deepEqual(stored, [
        { d: '2025-02-14', f: '08:30', h: '1.5', crm: 2001, title: 'Patch; reboot', m: '2025-02-14 02:05', src: 'ts-feb.csv' },
        { d: '2025-02-14', f: '13:00', h: '1', crm: null, title: 'Admin', m: '2025-02-14 06:00', src: 'ts-feb.csv' },
      ]);
      const meta = await rows(
        db,
        `SELECT view_name, source, load_status, records_fetched::int AS fetched, records_inserted::int AS inserted
         FROM servicedesk.etl_metadata WHERE run_id = $1`,
        [result.runId],
      );
      assert.deepEqual(meta, [{ view_name: 'timesheets', source: 'ts-feb.csv', load_status: 'success', fetched: 2, inserted: 2 }]);
    });

    test('importing the same file again reports every record unchanged', async () => {
      const result = await importOnce(db, config(), [join(dir, 'ts-feb.csv')]);
      assert.deepEqual(fileOutcome(result).counts, {
        fetched: 2,
        inserted: 0,
        updated: 0,
        unchanged: 2,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
      });
    });

    test('JSON exports load in each of the three envelopes, one etl_metadata row per file under one run', async () => {
      const files = [
        await writeJson(dir, 'c-message.json', { message: { data: [comment(101, 1)] } }),
        await writeJson(dir, 'c-data.json', { data: [comment(102, 1)] }),
        await writeJson(dir, 'c-bare.json', [comment(103, 1)]),
      ];
      const result = await importOnce(db, config(), files);
      assert.deepEqual(
        result.files.map((f) => [f.file.name, f.outcome.view, f.outcome.status, f.outcome.counts.inserted]),
        [
          ['c-message.json', 'comments', 'success', 1],
          ['c-data.json', 'comments', 'success', 1],
          ['c-bare.json', 'comments', 'success', 1],
        ],
      );
      const meta = await rows<{ source: string }>(db, 'SELECT source FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id', [
        result.runId,
      ]);
      assert.deepEqual(
        meta.map((m) => m.source),
        ['c-message.json', 'c-data.json', 'c-bare.json'],
      );
      const [n] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.comments WHERE comment_id BETWEEN 101 AND 103');
      assert.equal(n!.n, 3);
    });

    test('XLSX date cells and serial numbers of the 1900 and 1904 systems land at the right Perth wall-clock time', async () => {
      const created = new Date(Date.UTC(2025, 0, 2, 8, 0)); // a date cell showing 02/01/2025 08:00
      const t1900 = join(dir, 'tickets-1900.xlsx');
      const t1904 = join(dir, 'tickets-1904.xlsx');
      await writeXlsxExport(t1900, [ticket(301, { 'TKT-Created Time': created, 'TKT-Modified Time': SERIAL_1900 })]);
      await writeXlsxExport(t1904, [ticket(302, { 'TKT-Created Time': created, 'TKT-Modified Time': SERIAL_1904 })], { date1904: true });
      const ts1904 = join(dir, 'timesheets-1904.xlsx');
      await writeXlsxExport(
        ts1904,
        [
          {
            'TS-User Username': 'bmoss',
            'TS-User Full Name': 'Bo Moss',
            'TS-Date': new Date(Date.UTC(2025, 0, 7)),
            'TS-Time From': new Date(Date.UTC(1904, 0, 1, 9, 0)),
            'TS-Time To': 0.4375,
            'TS-Hours': 1.5,
            'TS-Crm ID': 301,
            'TS-Modified Time': SERIAL_1904,
          },
        ],
        { date1904: true },
      );
      const result = await importOnce(db, config(), [t1900, t1904, ts1904]);
      assert.deepEqual(
        result.files.map((f) => [
          f.outcome.view,
          f.outcome.status,
          f.outcome.counts.inserted,
          f.outcome.counts.valueErrors,
          f.outcome.error,
        ]),
        [
          ['tickets', 'success', 1, 0, null],
          ['tickets', 'success', 1, 0, null],
          ['timesheets', 'success', 1, 0, null],
        ],
      );
      const tickets = await rows(
        db,
        `SELECT "TKT-Ticket ID" AS id, ${PERTH('"TKT-Created Time"')} AS created, ${PERTH('"TKT-Modified Time"')} AS modified,
                ${UTC('"TKT-Modified Time"')} AS modified_utc
         FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (301, 302) ORDER BY 1`,
      );
      assert.deepEqual(tickets, [
        { id: 301, created: '2025-01-02 08:00', modified: '2025-01-07 09:05', modified_utc: '2025-01-07 01:05' },
        { id: 302, created: '2025-01-02 08:00', modified: '2025-01-07 09:05', modified_utc: '2025-01-07 01:05' },
      ]);
      const [ts] = await rows(
        db,
        `SELECT "TS-Date"::text AS d, "TS-Time From" AS f, "TS-Time To" AS t, ${PERTH('"TS-Modified Time"')} AS m
         FROM servicedesk.timesheets WHERE "TS-User Username" = 'bmoss'`,
      );
      assert.deepEqual(ts, { d: '2025-01-07', f: '09:00', t: '10:30', m: '2025-01-07 09:05' });
    });

    test('an XLSX export with blank rows before its header keeps each record at its data row number', async () => {
      const path = join(dir, 'late-header.xlsx');
      // One bad key in 30 records stays under the 5% reject rate: the file loads, the record is quarantined.
      const records = Array.from({ length: 30 }, (_, i) => ticket(1100 + i));
      records[1] = ticket(0, { 'TKT-Ticket ID': 'not an id' });
      await writeXlsxExport(path, records, { leadingBlankRows: 2 });
      const result = await importOnce(db, config(), [path], 'tickets');
      assert.equal(fileOutcome(result).status, 'partial');
      assert.equal(fileOutcome(result).counts.inserted, 29);
      const rejects = await rows(db, `SELECT position::int AS position, kind, source FROM servicedesk.load_rejects WHERE run_id = $1`, [
        result.runId,
      ]);
      assert.deepEqual(rejects, [{ position: 2, kind: 'record', source: 'late-header.xlsx' }]);
    });

    test('older CT-* comment headers load into the same columns, and the stored record has the current field names', async () => {
      const path = await writeCsv(dir, 'old-comments.csv', CT_HEADERS, [
        [201, 1, 'Rebooted, all good', '501', 'djewell', 'Agent', '03/01/2025 16:45', 'Yes', 'comments', 'NOC'],
      ]);
      const result = await importOnce(db, config(), [path]);
      assert.equal(fileOutcome(result).view, 'comments');
      assert.equal(fileOutcome(result).counts.inserted, 1);
      const [c] = await rows(
        db,
        `SELECT ticket_id, comment_text, user_id, user_name, visible_to_customer, ${PERTH('created_time')} AS created,
                servicedesk.record_of(t)->>'TKTCT-Comment' AS raw_text, servicedesk.record_of(t) ? 'CT-COMMENT' AS raw_has_old_name
         FROM servicedesk.comments t WHERE comment_id = 201`,
      );
      assert.deepEqual(c, {
        ticket_id: 1,
        comment_text: 'Rebooted, all good',
        user_id: 501,
        user_name: 'djewell',
        visible_to_customer: true,
        created: '2025-01-03 16:45',
        raw_text: 'Rebooted, all good',
        raw_has_old_name: false,
      });
    });

    test('the view is told from the headers, --view overrides it, and a file with no key columns is a usage error naming its headers', async () => {
      const unknown = await writeCsv(dir, 'hours.csv', ['Name', 'Hours'], [['Ali', '2']]);
      await assert.rejects(planImport([unknown]), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /hours\.csv/);
        assert.match(error.message, /"Name", "Hours"/);
        assert.match(error.message, /--view/);
        return true;
      });
      // No TS-Crm ID column: not recognisable as timesheets on its own, but loadable when named.
      const partial = await writeCsv(
        dir,
        'no-crm.csv',
        ['TS-User Username', 'TS-Date', 'TS-Time From', 'TS-Hours'],
        [['cwu', '10/01/2025', '9:00', '2']],
      );
      await assert.rejects(planImport([partial]), ConfigError);
      const [planned] = await planImport([partial], 'timesheets');
      assert.equal(planned!.view?.name, 'timesheets');
      await assert.rejects(planImport([unknown], 'tickets'), /none of the fields/);
      const detected = await planImport([join(dir, 'ts-feb.csv'), join(dir, 'c-bare.json'), join(dir, 'tickets-1900.xlsx')]);
      assert.deepEqual(
        detected.map((f) => [f.view?.name, f.format]),
        [
          ['timesheets', 'csv'],
          ['comments', 'json'],
          ['tickets', 'xlsx'],
        ],
      );
    });

    test('an older export never overwrites newer data from the API, a newer one does', async () => {
      otc.set('tickets', [ticket(401, { 'TKT-Title': 'From the API', 'TKT-Modified Time': '07/01/2025 09:05' })]);
      await syncOnce(db, config(), ['tickets']);
      const headers = ['TKT-Ticket ID', 'TKT-Title', 'TKT-Modified Time'];
      const old = await writeCsv(dir, 'tickets-dec.csv', headers, [[401, 'From an old export', '20/12/2024 09:00']]);
      const oldResult = await importOnce(db, config(), [old]);
      assert.deepEqual(fileOutcome(oldResult).counts, {
        fetched: 1,
        inserted: 0,
        updated: 0,
        unchanged: 1,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
      });
      const title = async () =>
        (await rows<{ t: string }>(db, `SELECT "TKT-Title" AS t FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 401`))[0]!.t;
      assert.equal(await title(), 'From the API');
      const newer = await writeCsv(dir, 'tickets-jan.csv', headers, [[401, 'From a newer export', '08/01/2025 10:00']]);
      assert.equal(fileOutcome(await importOnce(db, config(), [newer])).counts.updated, 1);
      assert.equal(await title(), 'From a newer export');
    });

    test('an import never overwrites a comment last written by an API sync, but a later import replaces an imported one', async () => {
      otc.set('comments', [comment(501, 401, { 'TKTCT-Comment': 'written by the API' })]);
      await syncOnce(db, config(), ['comments']);
      const first = await writeJson(dir, 'comments-a.json', [
        comment(501, 401, { 'TKTCT-Comment': 'from an export' }),
        comment(502, 401, { 'TKTCT-Comment': 'first import' }),
      ]);
      const result = await importOnce(db, config(), [first]);
      assert.deepEqual(fileOutcome(result).counts, {
        fetched: 2,
        inserted: 1,
        updated: 0,
        unchanged: 1,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
      });
      const second = await writeJson(dir, 'comments-b.json', [comment(502, 401, { 'TKTCT-Comment': 'second import' })]);
      assert.equal(fileOutcome(await importOnce(db, config(), [second])).counts.updated, 1);
      const stored = await rows(
        db,
        'SELECT comment_id, comment_text, _last_source FROM servicedesk.comments WHERE comment_id IN (501, 502) ORDER BY 1',
      );
      assert.deepEqual(stored, [
        { comment_id: 501, comment_text: 'written by the API', _last_source: 'api' },
        { comment_id: 502, comment_text: 'second import', _last_source: 'comments-b.json' },
      ]);
    });

    test('a file whose records are mostly rejected fails on its own, is recorded as failed, and the other files still load', async () => {
      // Twenty records, enough for the rate to apply: two rejected is 10%, above the default 5%.
      const fine = Array.from({ length: 17 }, (_, i) => [620 + i, `fine ${i}`]);
      const bad = await writeCsv(dir, 'bad-ids.csv', ['TKT-Ticket ID', 'TKT-Title'], [['x1', 'a'], ['x2', 'b'], [601, 'c'], ...fine]);
      const good = await writeCsv(dir, 'good.csv', ['TKT-Ticket ID', 'TKT-Title'], [[602, 'fine']]);
      const result = await importOnce(db, config(), [bad, good]);
      assert.equal(fileOutcome(result, 'bad-ids.csv').status, 'failed');
      assert.match(fileOutcome(result, 'bad-ids.csv').error ?? '', /OTC_MAX_REJECT_RATE/);
      assert.equal(fileOutcome(result, 'good.csv').status, 'success');
      const meta = await rows(
        db,
        'SELECT source, load_status, records_errors::int AS rejected FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id',
        [result.runId],
      );
      assert.deepEqual(meta, [
        { source: 'bad-ids.csv', load_status: 'failed', rejected: 2 },
        { source: 'good.csv', load_status: 'success', rejected: 0 },
      ]);
      const [n] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (601, 602)');
      assert.equal(n!.n, 1);
    });

    test('an import never moves stored rows it lacks to the _removed tables, unlike a sync', async () => {
      // A sync with this payload would treat the 14 February rows between its dates as deleted upstream.
      const span = await writeCsv(dir, 'ts-span.csv', TIMESHEET_HEADERS, [
        ['akhan', 'Ali Khan', '10/02/2025', '9:00', '10:00', '1', 2001, 'Before', '10/02/2025 10:00'],
        ['akhan', 'Ali Khan', '20/02/2025', '9:00', '10:00', '1', 2001, 'After', '20/02/2025 10:00'],
      ]);
      const result = await importOnce(db, config(), [span]);
      assert.equal(fileOutcome(result).counts.removed, 0);
      const [n] = await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM servicedesk.timesheets WHERE "TS-User Username" = 'akhan'`);
      assert.equal(n!.n, 4);
      const [removed] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.timesheets_removed');
      assert.equal(removed!.n, 0);
    });
  });
}
