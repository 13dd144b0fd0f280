import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowLines } from '../../src/load/row-lines.js';
import { columnsOf, getView } from '../../src/registry.js';
import { Normalizer, type NormalizedRow } from '../../src/transform/normalize.js';
import { readOf } from '../../src/transform/record-hash.js';
import { readRecordBatches } from '../../src/transform/record-stream.js';
import { Zone } from '../../src/transform/values.js';

const timesheets = getView('timesheets');

/** A timesheet record with `extra` members, as the source writes it. */
function record(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { 'TS-User Username': 'djewell', 'TS-Date': '09/06/2025', 'TS-Time From': '08:15', 'TS-Crm ID': 7, 'TS-Title': title, ...extra };
}

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The rows of a body read and parsed as a sync does, in batches of `batchSize`, read in chunks of `chunk` bytes. */
async function rowsOf(
  records: unknown[],
  batchSize: number,
  chunk: number,
): Promise<{ rows: NormalizedRow[]; flags: boolean[]; unread: NormalizedRow[] }> {
  const normalizer = new Normalizer(timesheets, { zone: new Zone('Australia/Perth') });
  const body = Buffer.from(JSON.stringify({ message: { data: records } }));
  const rows: NormalizedRow[] = [];
  const flags: boolean[] = [];
  // The same records parsed without what the reader took from their bytes (a new array has none).
  const unread: NormalizedRow[] = [];
  for await (const batch of readRecordBatches(chunksOf(body, chunk), { view: 'timesheets', batchSize })) {
    flags.push(...(readOf(batch.records)?.escapeFree ?? []));
    rows.push(...normalizer.normalize(batch.records, batch.firstPosition).rows);
    unread.push(...normalizer.normalize([...batch.records], batch.firstPosition).rows);
  }
  return { rows, flags, unread };
}

const records = [
  record('plain'),
  record('tab\there and a line\nbreak'),
  record('say "hi"'),
  record('back\\slash'),
  record('Zoë, 𝄞 and 你好'),
  record('plain again', { 'A New Field': { nested: ['x', 1] } }),
  record('after', { 'Carriage\rName': 'y' }),
  record('   ', { 'TS-Notes': ' leading and trailing ', 'TS-Category': '\u00a0' }),
  record('last'),
];

test('a record whose bytes hold no backslash is read as needing no COPY escape, and only such a record', async () => {
  for (const [batchSize, chunk] of [
    [500, 1 << 16],
    [3, 7],
    [1, 64],
  ] as const) {
    const { rows, flags } = await rowsOf(records, batchSize, chunk);
    assert.deepEqual(flags, [true, false, false, false, true, true, false, true, true], `batches of ${batchSize}, chunks of ${chunk}`);
    assert.deepEqual(
      rows.map((r) => r.escapeFree),
      flags,
    );
  }
});

test('a record needing no escape is parsed to the very row a record read without its bytes gives', async () => {
  const { rows, unread } = await rowsOf(records, 500, 1 << 16);
  assert.deepEqual(
    rows.map(({ escapeFree, ...row }) => row),
    unread.map(({ escapeFree, ...row }) => row),
  );
  assert.equal(rows[7]!.values[columnsOf(timesheets).indexOf('TS-Title')], null);
  assert.equal(rows[7]!.values[columnsOf(timesheets).indexOf('TS-Notes')], ' leading and trailing ');
  assert.equal(rows[7]!.values[columnsOf(timesheets).indexOf('TS-Category')], null);
});

test('rows needing no escape give the same COPY lines as rows whose every value is checked', async () => {
  const { rows } = await rowsOf(records, 500, 1 << 16);
  const suffix = Buffer.from('\tapi\trun');
  const plain = new RowLines(timesheets, rows.length);
  const checked = new RowLines(timesheets, rows.length);
  for (const row of rows) {
    plain.add(row);
    checked.add({ ...row, escapeFree: false });
  }
  assert.equal(plain.direct(suffix).toString(), checked.direct(suffix).toString());
  assert.equal(plain.staged().toString(), checked.staged().toString());
  // The checked lines do escape: the tab in the second title is written as \t.
  assert.match(checked.direct(suffix).toString().split('\n')[1]!, /tab\\there and a line\\nbreak/);
});
