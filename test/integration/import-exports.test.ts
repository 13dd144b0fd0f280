/** Exports as people make them: odd header spelling, title rows, several sheets, empty files, a few bad lines. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import type { Db } from '../../src/load/db.js';
import { planImports } from '../../src/pipeline/import.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { rows } from '../support/harness.js';
import { fileOutcome, importPlanned, writeCsv, writeJson } from '../support/import-harness.js';
import { titleRows, writeWorkbook, writeWorkbookZip, type Cell, type SheetSpec } from '../support/workbooks.js';

const NOTES: SheetSpec = {
  name: 'Notes',
  rows: [['About this workbook'], ['Column', 'Meaning'], ['TKT-Title', 'what the ticket is about'], ['TS-Hours', 'hours booked']],
};

function ticketSheet(name: string, ids: readonly number[]): SheetSpec {
  const data: Cell[][] = ids.map((id) => [id, `Ticket ${id}`, '07/01/2025 09:05']);
  return { name, rows: [...titleRows('Tickets report'), ['tkt-ticket id', 'TKT-Title ', 'TKT-Modified  Time'], ...data] };
}

function timeSheet(crm: number): SheetSpec {
  return {
    name: 'Time',
    rows: [
      ['Timesheet report'],
      ['TS-User Username', 'TS-Date', 'TS-Time From', 'TS-Crm ID', 'ts-hours'],
      ['cwu', '10/01/2025', '9:00', crm, '2,5'],
      ['cwu', '10/01/2025', '13:00', crm, '1'],
    ],
  };
}

for (const kind of DATABASE_KINDS) {
  describe(`imports as people export them, ${kind} database`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let dir: string;
    const config = (extra: Record<string, string> = {}) => tdb.config(extra);
    const runsOf = (runId: string) =>
      rows<{ source: string; view_name: string; load_status: string; error_message: string | null; fetched: number; rejected: number }>(
        db,
        `SELECT source, view_name, load_status, error_message, records_fetched::int AS fetched, records_errors::int AS rejected
         FROM servicedesk.etl_metadata WHERE run_id = $1 ORDER BY id`,
        [runId],
      );

    before(async () => {
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      db = await tdb.open();
      dir = await mkdtemp(join(tmpdir(), 'otc-etl-exports-'));
    });
    after(async () => {
      await db.close();
      await tdb.drop();
      await rm(dir, { recursive: true, force: true });
    });

    test('headers differing from the API names in case and spacing load into the right columns, CSV and JSON alike', async () => {
      const csv = await writeCsv(
        dir,
        'odd-tickets.csv',
        ['tkt-ticket id', 'TKT-Title ', 'TKT-Modified  Time', ' tkt-team'],
        [[7001, 'Disk full', '07/01/2025 09:05', 'NOC']],
      );
      const json = await writeJson(dir, 'odd-comments.json', [
        {
          'tktct-commentid': 7101,
          'TKTCT-TicketID ': 7001,
          'tktct-comment': 'Rebooted',
          'TKTCT-Created  Time': '07/01/2025 10:00',
          'TKTCT-VisibleCustomer': 'Yes',
        },
      ]);
      const result = await importPlanned(db, config(), [csv, json]);
      assert.deepEqual(
        result.files.map((f) => [f.file.name, f.outcome.status, f.outcome.counts.inserted]),
        [
          ['odd-tickets.csv', 'success', 1],
          ['odd-comments.json', 'success', 1],
        ],
      );
      const [t] = await rows<{ title: string; team: string; modified: boolean; raw: unknown }>(
        db,
        `SELECT "TKT-Title" AS title, "TKT-Team" AS team, "TKT-Modified Time" IS NOT NULL AS modified, _raw AS raw FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 7001`,
      );
      assert.deepEqual([t!.title, t!.team, t!.modified], ['Disk full', 'NOC', true]);
      // The odd spellings are the API fields, not unknown fields kept beside them.
      assert.doesNotMatch(JSON.stringify(t!.raw ?? {}), /"tkt-|"TKT-Title "|Modified {2}Time|" tkt-team"/);
      const [c] = await rows(
        db,
        'SELECT ticket_id, comment_text, visible_to_customer, created_time IS NOT NULL AS created FROM servicedesk.comments WHERE comment_id = 7101',
      );
      assert.deepEqual(c, { ticket_id: 7001, comment_text: 'Rebooted', visible_to_customer: true, created: true });
    });

    test('--view places a file whose odd-spelt headers lack a key column, and its columns load', async () => {
      const path = await writeCsv(
        dir,
        'no-crm.csv',
        ['ts-user username', 'TS-DATE', 'ts-time from', 'TS-Hours '],
        [['odd', '11/01/2025', '9:00', '1,5']],
      );
      await assert.rejects(planImports([path]), ConfigError);
      const result = await importPlanned(db, config(), [path], { view: 'timesheets' });
      assert.equal(fileOutcome(result).status, 'success');
      const stored = await rows(
        db,
        `SELECT "TS-Date"::text AS d, "TS-Time From" AS f, "TS-Hours"::text AS h FROM servicedesk.timesheets WHERE "TS-User Username" = 'odd'`,
      );
      assert.deepEqual(stored, [{ d: '2025-01-11', f: '09:00', h: '1.5' }]);
    });

    test('title and blank lines above a CSV header are skipped, and positions count from the header', async () => {
      const path = join(dir, 'titled.csv');
      await writeFile(
        path,
        'Tickets report,,\r\nExported 07/01/2025 by djewell,,\r\n,,\r\nTKT-Ticket ID,TKT-Title,TKT-Modified Time\r\n7201,First,07/01/2025 09:05\r\nx,Bad key,07/01/2025 09:05\r\n7203,Third,07/01/2025 09:05\r\n',
      );
      const result = await importPlanned(db, config(), [path]);
      assert.equal(fileOutcome(result).status, 'partial');
      assert.equal(fileOutcome(result).counts.inserted, 2);
      const rejects = await rows(db, 'SELECT position::int AS position, source FROM servicedesk.load_rejects WHERE run_id = $1', [
        result.runId,
      ]);
      assert.deepEqual(rejects, [{ position: 2, source: 'titled.csv' }]);
    });

    const layouts = [
      ['as Excel lays it out', writeWorkbook, 7300],
      ['with the shared strings before the sheets', writeWorkbookZip, 7350],
    ] as const;
    for (const [layout, write, id] of layouts) {
      test(`a workbook ${layout}: a notes sheet first is skipped with a note, and each data sheet loads as a file of its own`, async () => {
        const path = join(dir, `book-${write.name}.xlsx`);
        await write(path, [NOTES, ticketSheet('Tickets', [id + 1, id + 2]), timeSheet(id)]);
        const result = await importPlanned(db, config(), [path]);
        const base = `book-${write.name}.xlsx`;
        assert.deepEqual(
          result.files.map((f) => [f.file.name, f.outcome.view, f.outcome.status, f.outcome.counts.inserted]),
          [
            [`${base}#Tickets`, 'tickets', 'success', 2],
            [`${base}#Time`, 'timesheets', 'success', 2],
          ],
        );
        assert.deepEqual(
          result.skipped.map((s) => [s.name, s.sheet]),
          [[`${base}#Notes`, 'Notes']],
        );
        assert.match(result.skipped[0]!.reason, /"Column", "Meaning"/);
        assert.deepEqual(
          (await runsOf(result.runId)).map((r) => [r.source, r.view_name, r.load_status]),
          [
            [`${base}#Tickets`, 'tickets', 'success'],
            [`${base}#Time`, 'timesheets', 'success'],
          ],
        );
        const [t] = await rows(db, `SELECT "TKT-Title" AS title, _last_source AS src FROM servicedesk.tickets WHERE "TKT-Ticket ID" = $1`, [
          id + 2,
        ]);
        assert.deepEqual(t, { title: `Ticket ${id + 2}`, src: `${base}#Tickets` });
        const [h] = await rows<{ h: string }>(db, `SELECT sum("TS-Hours")::text AS h FROM servicedesk.timesheets WHERE "TS-Crm ID" = $1`, [
          id,
        ]);
        assert.equal(h!.h, '3.5');
      });
    }

    test('--sheet picks one sheet by name (any case); an unknown name is a usage error listing the sheets; a CSV has none', async () => {
      const path = join(dir, 'picked.xlsx');
      await writeWorkbook(path, [NOTES, ticketSheet('Tickets', [7401]), ticketSheet('More tickets', [7402])]);
      const result = await importPlanned(db, config(), [path], { sheet: 'more  TICKETS' });
      assert.deepEqual(
        result.files.map((f) => [f.file.name, f.outcome.counts.inserted]),
        [['picked.xlsx#More tickets', 1]],
      );
      assert.deepEqual(result.skipped, []);
      const [n] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (7401, 7402)');
      assert.equal(n!.n, 1);
      await assert.rejects(planImports([path], { sheet: 'Sheet9' }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /no sheet named "Sheet9"; its sheets are "Notes", "Tickets", "More tickets"/);
        return true;
      });
      const csv = await writeCsv(dir, 'plain.csv', ['TKT-Ticket ID'], [[1]]);
      await assert.rejects(planImports([csv], { sheet: 'Tickets' }), /--sheet picks a sheet of an XLSX workbook/);
    });

    test('a file that holds no records fails on its own with a message saying so, recorded as failed, and the others load', async () => {
      const headerOnly = await writeCsv(dir, 'header-only.csv', ['TKT-Ticket ID', 'TKT-Title'], []);
      const good = await writeCsv(dir, 'one.csv', ['TKT-Ticket ID', 'TKT-Title'], [[7501, 'fine']]);
      const sheetOnly = join(dir, 'header-only.xlsx');
      await writeWorkbook(sheetOnly, [{ name: 'Export', rows: [...titleRows('Tickets report'), ['TKT-Ticket ID', 'TKT-Title']] }]);
      const result = await importPlanned(db, config(), [headerOnly, good, sheetOnly]);
      assert.deepEqual(
        result.files.map((f) => [f.file.name, f.outcome.status]),
        [
          ['header-only.csv', 'failed'],
          ['one.csv', 'success'],
          ['header-only.xlsx', 'failed'],
        ],
      );
      assert.match(
        fileOutcome(result, 'header-only.csv').error ?? '',
        /^the file holds no records \(it has a header row and nothing under it\)/,
      );
      const runs = await runsOf(result.runId);
      assert.deepEqual(
        runs.map((r) => [r.source, r.view_name, r.load_status]),
        [
          ['header-only.csv', 'tickets', 'failed'],
          ['one.csv', 'tickets', 'success'],
          ['header-only.xlsx', 'tickets', 'failed'],
        ],
      );
      assert.match(runs[2]!.error_message ?? '', /holds no records/);
    });

    test('an empty file, a title-only file and an empty JSON export fail with --view, recorded under that view; without it, they still fail', async () => {
      const empty = join(dir, 'empty.csv');
      await writeFile(empty, '');
      const titles = join(dir, 'titles.csv');
      await writeFile(titles, 'Tickets report\r\nNo tickets matched the filter\r\n');
      const none = await writeJson(dir, 'none.json', { message: { data: [] } });
      const result = await importPlanned(db, config(), [empty, titles, none], { view: 'tickets' });
      assert.deepEqual(
        result.files.map((f) => f.outcome.status),
        ['failed', 'failed', 'failed'],
      );
      assert.match(fileOutcome(result, 'empty.csv').error ?? '', /^the file holds no records \(it is empty\)/);
      assert.match(fileOutcome(result, 'titles.csv').error ?? '', /^the file holds no records \(it has 2 title lines and no header row\)/);
      assert.match(fileOutcome(result, 'none.json').error ?? '', /^the file holds no records/);
      assert.deepEqual(
        (await runsOf(result.runId)).map((r) => [r.source, r.view_name, r.load_status]),
        [
          ['empty.csv', 'tickets', 'failed'],
          ['titles.csv', 'tickets', 'failed'],
          ['none.json', 'tickets', 'failed'],
        ],
      );
      const unnamed = await importPlanned(db, config(), [empty]);
      assert.equal(fileOutcome(unnamed).status, 'failed');
      assert.match(fileOutcome(unnamed).error ?? '', /holds no records/);
    });

    test('a 4-record file with one bad line loads the other three; only a small file with every record bad fails', async () => {
      const headers = ['TKT-Ticket ID', 'TKT-Title'];
      const one = await writeCsv(dir, 'four.csv', headers, [
        [7601, 'a'],
        ['oops', 'b'],
        [7603, 'c'],
        [7604, 'd'],
      ]);
      const result = await importPlanned(db, config(), [one]);
      assert.equal(fileOutcome(result).status, 'partial');
      assert.deepEqual(await runsOf(result.runId), [
        { source: 'four.csv', view_name: 'tickets', load_status: 'partial', error_message: null, fetched: 4, rejected: 1 },
      ]);
      const [n] = await rows<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (7601, 7603, 7604)',
      );
      assert.equal(n!.n, 3);
      const all = await writeCsv(dir, 'all-bad.csv', headers, [
        ['x', 'a'],
        ['y', 'b'],
      ]);
      const failed = await importPlanned(db, config(), [all]);
      assert.equal(fileOutcome(failed).status, 'failed');
      assert.match(fileOutcome(failed).error ?? '', /all 2 records rejected/);
    });

    test('from twenty records the rate applies to a file, and a higher maximum rate for the run lets it load', async () => {
      const records: Array<Array<string | number>> = Array.from({ length: 22 }, (_, i) => [7700 + i, `t${i}`]);
      records.push(['bad1', 'x'], ['bad2', 'y'], ['bad3', 'z']);
      const path = await writeCsv(dir, 'twenty-five.csv', ['TKT-Ticket ID', 'TKT-Title'], records);
      const refused = await importPlanned(db, config(), [path]);
      assert.equal(fileOutcome(refused).status, 'failed');
      assert.match(fileOutcome(refused).error ?? '', /3 of 25 records rejected \(12\.0%, above the maximum reject rate 0\.05/);
      const accepted = await importPlanned(db, config({ OTC_MAX_REJECT_RATE: '0.2' }), [path]);
      assert.equal(fileOutcome(accepted).status, 'partial');
      assert.equal(fileOutcome(accepted).counts.inserted, 22);
    });
  });
}
