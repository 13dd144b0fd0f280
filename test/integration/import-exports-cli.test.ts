/** `otc-etl import` and `sync` on the command line with exports as people make them: exit codes and output. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { writeCsv } from '../support/import-harness.js';
import { ticket } from '../support/records.js';
import { titleRows, writeWorkbook } from '../support/workbooks.js';

interface ImportDoc {
  runId: string;
  files: Array<{
    file: string;
    view: string | null;
    status: string;
    fetched: number;
    inserted: number;
    rejected: number;
    error: string | null;
    sheet: string | null;
    source: string;
  }>;
  skipped: Array<{ file: string; sheet: string; source: string; reason: string }>;
  rejects: number;
  rejectsQuery: string | null;
}

const TICKET_HEADERS = ['TKT-Ticket ID', 'TKT-Title'];

for (const kind of DATABASE_KINDS) {
  describe(`importing real-world exports on the command line, ${kind} database`, () => {
    let tdb: TestDatabase;
    let otc: FixtureServer;
    const cli = (...args: string[]) => runCli(args, { env: { ...tdb.env, ...otc.env() }, cwd: tdb.cwd });
    const query = async <R>(sql: string): Promise<R[]> => {
      const db = await tdb.open();
      try {
        return (await db.query<R>(sql)).rows;
      } finally {
        await db.close();
      }
    };
    const runCount = async () => (await query<{ n: number }>('SELECT count(*)::int AS n FROM servicedesk.etl_metadata'))[0]!.n;

    before(async () => {
      otc = await startFixtureServer({});
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      const many = Array.from({ length: 22 }, (_, i) => [8100 + i, `t${i}`]);
      await writeCsv(tdb.cwd, 'four.csv', TICKET_HEADERS, [
        [8001, 'a'],
        ['oops', 'b'],
        [8003, 'c'],
        [8004, 'd'],
      ]);
      await writeCsv(tdb.cwd, 'twenty-five.csv', TICKET_HEADERS, [...many, ['bad1', 'x'], ['bad2', 'y'], ['bad3', 'z']]);
      await writeCsv(tdb.cwd, 'header-only.csv', TICKET_HEADERS, []);
      await writeFile(join(tdb.cwd, 'empty.csv'), '');
      await writeFile(
        join(tdb.cwd, 'odd.csv'),
        'Tickets report\r\n\r\n tkt-ticket id ,TKT-Title ,TKT-Modified  Time\r\n8201,Odd,07/01/2025 09:05\r\n',
      );
      await writeCsv(
        tdb.cwd,
        'no-crm.csv',
        ['ts-user username', 'TS-DATE', 'ts-time from', 'TS-Hours '],
        [['odd', '11/01/2025', '9:00', '1,5']],
      );
      await writeWorkbook(join(tdb.cwd, 'book.xlsx'), [
        { name: 'Notes', rows: [['About this workbook'], ['Column', 'Meaning']] },
        { name: 'Tickets', rows: [...titleRows('Tickets report'), TICKET_HEADERS, [8301, 'From the workbook']] },
      ]);
    });
    after(async () => {
      await tdb.drop();
      await otc.close();
    });

    test('an import with a bad line names the run and a query that lists its rejects, which runs as printed', async () => {
      const r = await cli('import', 'four.csv');
      assert.equal(r.code, 0, r.stderr);
      const runId = /^run ([0-9a-f-]{36})$/m.exec(r.stdout)?.[1];
      assert.ok(runId, r.stdout);
      const printed = r.stdout
        .split('\n')
        .find((line) => line.trim().startsWith('SELECT'))
        ?.trim();
      assert.equal(
        printed,
        `SELECT source, position, record_key, kind, reason FROM servicedesk.load_rejects WHERE run_id = '${runId}' ORDER BY source, position;`,
      );
      assert.match(r.stdout, new RegExp(`1 reject kept for run ${runId}`));
      const rejects = await query<{ source: string; position: number; kind: string; reason: string }>(printed!);
      assert.deepEqual(
        rejects.map((x) => [x.source, Number(x.position), x.kind]),
        [['four.csv', 2, 'record']],
      );
      assert.match(rejects[0]!.reason, /TKT-Ticket ID/);
    });

    test('import --json keeps its fields and adds the sheet, the source, the reject count and the query', async () => {
      const r = await cli('import', 'four.csv', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as ImportDoc;
      assert.deepEqual(doc.files, [
        {
          file: 'four.csv',
          view: 'tickets',
          status: 'partial',
          fetched: 4,
          inserted: 0,
          updated: 0,
          unchanged: 3,
          rejected: 1,
          duplicates: 0,
          valueErrors: 0,
          removed: 0,
          fieldsNew: [],
          fieldsMissing: [],
          error: null,
          sheet: null,
          source: 'four.csv',
        },
      ]);
      assert.equal(doc.rejects, 1);
      assert.equal(
        doc.rejectsQuery,
        `SELECT source, position, record_key, kind, reason FROM servicedesk.load_rejects WHERE run_id = '${doc.runId}' ORDER BY source, position;`,
      );
      assert.deepEqual(doc.skipped, []);
      const clean = JSON.parse((await cli('import', 'odd.csv', '--json')).stdout) as ImportDoc;
      assert.equal(clean.rejects, 0);
      assert.equal(clean.rejectsQuery, null);
    });

    test('--max-reject-rate lets a file past the default rate load for that run; a value outside 0..1 is a usage error', async () => {
      const refused = await cli('import', 'twenty-five.csv', '--json');
      assert.equal(refused.code, 1);
      const doc = JSON.parse(refused.stdout) as ImportDoc;
      assert.equal(doc.files[0]!.status, 'failed');
      assert.match(doc.files[0]!.error ?? '', /--max-reject-rate/);
      assert.match(doc.rejectsQuery ?? '', new RegExp(doc.runId));
      const accepted = await cli('import', 'twenty-five.csv', '--max-reject-rate', '0.2', '--json');
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.equal((JSON.parse(accepted.stdout) as ImportDoc).files[0]!.status, 'partial');
      const before = await runCount();
      for (const bad of ['1.5', 'lots', '-1']) {
        const r = await cli('import', 'twenty-five.csv', `--max-reject-rate=${bad}`, '--json');
        assert.equal(r.code, 2, bad);
        assert.match((JSON.parse(r.stdout) as { error: string }).error, /--max-reject-rate must be a share from 0 to 1/);
      }
      assert.equal(await runCount(), before);
    });

    test('a header-only file exits 1 saying it holds no records, and so does an empty one named with --view', async () => {
      const r = await cli('import', 'header-only.csv');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^header-only\.csv: the file holds no records \(it has a header row and nothing under it\)/m);
      const named = await cli('import', 'empty.csv', '--view', 'tickets', '--json');
      assert.equal(named.code, 1);
      const doc = JSON.parse(named.stdout) as ImportDoc;
      assert.deepEqual([doc.files[0]!.view, doc.files[0]!.status], ['tickets', 'failed']);
      assert.match(doc.files[0]!.error ?? '', /the file holds no records \(it is empty\)/);
      const runs = await query<{ load_status: string }>(`SELECT load_status FROM servicedesk.etl_metadata WHERE run_id = '${doc.runId}'`);
      assert.deepEqual(runs, [{ load_status: 'failed' }]);
      const unnamed = await cli('import', 'empty.csv', '--json');
      assert.equal(unnamed.code, 1);
      assert.equal((JSON.parse(unnamed.stdout) as ImportDoc).files[0]!.view, null);
    });

    test('odd header spelling and title rows import as they are; --view places odd headers detection cannot', async () => {
      const r = await cli('import', 'odd.csv', '--json');
      assert.equal(r.code, 0, r.stderr);
      const hinted = await cli('import', 'no-crm.csv');
      assert.equal(hinted.code, 2);
      assert.match(hinted.stderr, /--view/);
      const forced = await cli('import', 'no-crm.csv', '--view', 'timesheets', '--json');
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal((JSON.parse(forced.stdout) as ImportDoc).files[0]!.inserted, 1);
      const stored = await query<{ title: string; hours: string }>(
        `SELECT (SELECT "TKT-Title" FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 8201) AS title,
                (SELECT "TS-Hours"::text FROM servicedesk.timesheets WHERE "TS-User Username" = 'odd') AS hours`,
      );
      assert.deepEqual(stored, [{ title: 'Odd', hours: '1.5' }]);
    });

    test('a workbook imports each data sheet and notes the sheets it skips; --sheet with an unknown name exits 2 listing the sheets', async () => {
      const r = await cli('import', 'book.xlsx');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^book\.xlsx#Tickets\s+tickets\s+success\s+1\s+1/m);
      assert.match(r.stdout, /^skipped book\.xlsx#Notes: no header row names a view's key columns/m);
      const doc = JSON.parse((await cli('import', 'book.xlsx', '--json')).stdout) as ImportDoc;
      assert.deepEqual(
        doc.files.map((f) => [f.file, f.sheet, f.source, f.status]),
        [['book.xlsx', 'Tickets', 'book.xlsx#Tickets', 'success']],
      );
      assert.deepEqual(
        doc.skipped.map((s) => [s.file, s.sheet, s.source]),
        [['book.xlsx', 'Notes', 'book.xlsx#Notes']],
      );
      const picked = await cli('import', 'book.xlsx', '--sheet', 'Tickets', '--json');
      assert.equal(picked.code, 0, picked.stderr);
      assert.deepEqual((JSON.parse(picked.stdout) as ImportDoc).skipped, []);
      const unknown = await cli('import', 'book.xlsx', '--sheet', 'Data');
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /book\.xlsx has no sheet named "Data"; its sheets are "Notes", "Tickets"/);
      const notes = await cli('import', 'book.xlsx', '--sheet', 'Notes');
      assert.equal(notes.code, 2);
      assert.match(notes.stderr, /cannot tell which view book\.xlsx holds: sheet "Notes" has headers "Column", "Meaning"/);
    });

    test('a JSON export with a record over OTC_MAX_RECORD_BYTES rejects that record alone and loads the rest', async () => {
      const records = [...Array.from({ length: 25 }, (_, i) => ticket(8500 + i)), ticket(8599, { 'TKT-Description': 'x'.repeat(3000) })];
      await writeFile(join(tdb.cwd, 'big-record.json'), JSON.stringify({ data: records }));
      const r = await runCli(['import', 'big-record.json', '--json'], {
        env: { ...tdb.env, ...otc.env(), OTC_MAX_RECORD_BYTES: '2000' },
        cwd: tdb.cwd,
      });
      assert.equal(r.code, 0, r.stderr);
      const file = (JSON.parse(r.stdout) as ImportDoc).files[0]!;
      assert.deepEqual([file.status, file.fetched, file.inserted, file.rejected], ['partial', 26, 25, 1]);
      const rejects = await query<{ record_key: string; kind: string; reason: string }>(
        `SELECT record_key, kind, reason FROM servicedesk.load_rejects WHERE source = 'big-record.json'`,
      );
      assert.equal(rejects.length, 1);
      assert.deepEqual([rejects[0]!.record_key, rejects[0]!.kind], ['8599', 'record']);
      assert.match(rejects[0]!.reason, /OTC_MAX_RECORD_BYTES=2000/);
      assert.equal((await query('SELECT 1 FROM servicedesk.tickets WHERE "TKT-Ticket ID" = 8599')).length, 0);
    });

    test('a CSV line whose bytes are not UTF-8 is rejected alone, with its key; UTF-8 text around it loads as written', async () => {
      const head = Buffer.from('TKT-Ticket ID,TKT-Title\n8601,Caf\u00e9 ok\n8602,Caf', 'utf8');
      await writeFile(join(tdb.cwd, 'latin1-line.csv'), Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('\n8603,plain\n')]));
      const r = await cli('import', 'latin1-line.csv', '--json');
      assert.equal(r.code, 0, r.stderr);
      const file = (JSON.parse(r.stdout) as ImportDoc).files[0]!;
      assert.deepEqual([file.status, file.fetched, file.inserted, file.rejected], ['partial', 3, 2, 1]);
      const rejects = await query<{ record_key: string; kind: string; reason: string }>(
        `SELECT record_key, kind, reason FROM servicedesk.load_rejects WHERE source = 'latin1-line.csv'`,
      );
      assert.deepEqual(
        rejects.map((x) => [x.record_key, x.kind]),
        [['8602', 'record']],
      );
      assert.match(rejects[0]!.reason, /not UTF-8/);
      const titles = await query<{ t: string }>(
        `SELECT "TKT-Title" AS t FROM servicedesk.tickets WHERE "TKT-Ticket ID" IN (8601, 8602, 8603) ORDER BY 1`,
      );
      assert.deepEqual(
        titles.map((x) => x.t),
        ['Caf\u00e9 ok', 'plain'],
      );
    });

    test('sync --max-reject-rate overrides OTC_MAX_REJECT_RATE for that run only', async () => {
      otc.set('tickets', [ticket(8401), ticket(8402), { 'TKT-Title': 'no id' }]);
      const refused = await cli('sync', 'tickets', '--json');
      assert.equal(refused.code, 1);
      const views = (r: { stdout: string }) =>
        (JSON.parse(r.stdout) as { views: Record<string, { status: string; error: string | null }> }).views;
      assert.equal(views(refused).tickets!.status, 'failed');
      const accepted = await cli('sync', 'tickets', '--max-reject-rate', '0.5', '--json');
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.equal(views(accepted).tickets!.status, 'partial');
      const bad = await cli('sync', 'tickets', '--max-reject-rate', '5', '--json');
      assert.equal(bad.code, 2);
      assert.match((JSON.parse(bad.stdout) as { error: string }).error, /--max-reject-rate/);
    });
  });
}
