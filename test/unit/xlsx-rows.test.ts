import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SourceDataError } from '../../src/errors.js';
import { openXlsxRows } from '../../src/source/xlsx-rows.js';
import { writeXlsxExport } from '../support/xlsx-export.js';

async function rowsOf(path: string): Promise<unknown[][]> {
  const sheet = openXlsxRows(path, 'export.xlsx');
  try {
    const rows: unknown[][] = [];
    for (let next = await sheet.rows.next(); next.done !== true; next = await sheet.rows.next()) rows.push(next.value.cells);
    return rows;
  } finally {
    await sheet.close();
  }
}

test('a workbook whose shared strings never arrive is refused, not read with its texts missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otc-xlsx-'));
  try {
    const path = join(dir, 'export.xlsx');
    await writeXlsxExport(path, [{ 'TKT-Ticket ID': 1, 'TKT-Title': 'Printer on fire' }]);
    assert.deepEqual(await rowsOf(path), [
      ['TKT-Ticket ID', 'TKT-Title'],
      [1, 'Printer on fire'],
    ]);

    // The same file with its shared strings under another name (the same length, so the zip stays whole):
    // its relationships still name them, as in a pass that stopped before their entry.
    const bytes = readFileSync(path);
    const renamed = Buffer.from(bytes.toString('latin1').replaceAll('xl/sharedStrings.xml', 'xl/sharedStrings.xmx'), 'latin1');
    assert.notDeepEqual(renamed, bytes);
    writeFileSync(path, renamed);
    await assert.rejects(rowsOf(path), (error: unknown) => {
      assert.ok(error instanceof SourceDataError);
      assert.match(error.message, /^export\.xlsx was read short 3 times .*nothing of it was loaded: import it again/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
