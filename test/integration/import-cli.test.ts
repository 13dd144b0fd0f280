import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { acquireRunLock } from '../../src/load/run-lock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { writeCsv, writeJson } from '../support/import-harness.js';
import { comment, ticket } from '../support/records.js';
import { writeXlsxExport } from '../support/xlsx-export.js';

interface FileDoc {
  file: string;
  view: string;
  status: string;
  fetched: number;
  inserted: number;
  error: string | null;
}

for (const kind of DATABASE_KINDS) {
  describe(`otc-etl import and reprocess on the command line, ${kind} database`, () => {
    let tdb: TestDatabase;
    const cli = (...args: string[]) => runCli(args, { env: tdb.env, cwd: tdb.cwd });

    before(async () => {
      tdb = await createTestDatabase(kind, {}, { migrated: true });
      await writeCsv(
        tdb.cwd,
        'tickets.csv',
        ['TKT-Ticket ID', 'TKT-Title', 'TKT-Modified Time'],
        [
          [1, 'Disk full', '07/01/2025 09:05'],
          [2, 'VPN down', '07/01/2025 10:00'],
        ],
      );
      await writeJson(tdb.cwd, 'comments.json', { message: { data: [comment(10, 1), comment(11, 2)] } });
      await writeXlsxExport(join(tdb.cwd, 'more-tickets.xlsx'), [ticket(3), ticket(4)]);
      await writeCsv(tdb.cwd, 'people.csv', ['Name', 'Team'], [['Dana', 'NOC']]);
    });
    after(async () => {
      await tdb.drop();
    });

    test('import --json prints one document with a row per file under one run id, and exits 0', async () => {
      const r = await cli('import', 'tickets.csv', 'comments.json', 'more-tickets.xlsx', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { runId: string; files: Array<Record<string, unknown>> };
      assert.match(doc.runId, /^[0-9a-f-]{36}$/);
      assert.deepEqual(doc.files[0], {
        file: 'tickets.csv',
        view: 'tickets',
        status: 'success',
        fetched: 2,
        inserted: 2,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
        fieldsNew: [],
        fieldsMissing: [],
        error: null,
        sheet: null,
        source: 'tickets.csv',
      });
      assert.deepEqual(
        doc.files.map((f) => [f.file, f.view, f.inserted]),
        [
          ['tickets.csv', 'tickets', 2],
          ['comments.json', 'comments', 2],
          ['more-tickets.xlsx', 'tickets', 2],
        ],
      );
    });

    test('a file whose view cannot be told is a usage error (exit 2) naming its headers, and nothing is loaded', async () => {
      const runs = async () => {
        const db = await tdb.open();
        try {
          return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM servicedesk.etl_metadata')).rows[0]!.n;
        } finally {
          await db.close();
        }
      };
      const before = await runs();
      const r = await cli('import', 'people.csv', 'tickets.csv', '--json');
      assert.equal(r.code, 2);
      assert.equal(await runs(), before);
      const doc = JSON.parse(r.stdout) as { error: string };
      assert.match(doc.error, /people\.csv/);
      assert.match(doc.error, /"Name", "Team"/);
      assert.match(r.stderr, /--view/);
    });

    test('--view must name a view (exit 2)', async () => {
      const r = await cli('import', 'tickets.csv', '--view', 'tickts', '--json');
      assert.equal(r.code, 2);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, /unknown view tickts/);
    });

    test('a missing file is a usage error (exit 2)', async () => {
      const r = await cli('import', 'no-such-file.xlsx');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no-such-file\.xlsx: no such file/);
    });

    test('a file that fails to load exits 1 with its error, after the other files loaded', async () => {
      await writeFile(join(tdb.cwd, 'broken.csv'), 'TKT-Ticket ID,TKT-Title\r\n5,ok\r\n6,"quoted" then not\r\n');
      const r = await cli('import', 'broken.csv', 'tickets.csv', '--json');
      assert.equal(r.code, 1);
      const doc = JSON.parse(r.stdout) as { files: FileDoc[] };
      assert.equal(doc.files[0]!.status, 'failed');
      assert.match(doc.files[0]!.error ?? '', /broken\.csv is not a well-formed CSV file/);
      assert.equal(doc.files[1]!.status, 'success');
    });

    test('reprocess --json reports every view like a sync and exits 0', async () => {
      const r = await runCli(['reprocess', '--json'], { env: tdb.env, cwd: tdb.cwd });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { runId: string; views: Record<string, Record<string, unknown>> };
      assert.deepEqual(Object.keys(doc.views), ['comments', 'timesheets', 'tickets']);
      assert.deepEqual(doc.views.tickets, {
        status: 'success',
        fetched: 4,
        inserted: 0,
        updated: 0,
        unchanged: 4,
        rejected: 0,
        duplicates: 0,
        valueErrors: 0,
        removed: 0,
        cursor: '2025-01-07T02:00:00.000Z',
        fieldsNew: [],
        fieldsMissing: [],
        error: null,
      });
      const one = await cli('reprocess', 'tickts');
      assert.equal(one.code, 2);
    });

    test('an import while another run holds the lock is refused with exit code 3', async () => {
      const db = await tdb.open();
      try {
        const release = await acquireRunLock(db, 'servicedesk', 'test');
        try {
          const r = await cli('import', 'tickets.csv', '--json');
          assert.equal(r.code, 3, r.stdout + r.stderr);
          assert.match((JSON.parse(r.stdout) as { error: string }).error, /another|in use/);
        } finally {
          await release();
        }
      } finally {
        await db.close();
      }
    });
  });
}
