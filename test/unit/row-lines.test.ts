import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowLines, type StagedRow } from '../../src/load/row-lines.js';
import { columnsOf, getView } from '../../src/registry.js';

const timesheets = getView('timesheets');
const columns = columnsOf(timesheets);

/** A timesheet row with every column set to its name's length as text, then `changes` applied by column. */
function row(position: number, changes: Record<string, string | boolean | null>, rest: Partial<StagedRow> = {}): StagedRow {
  const values = columns.map((c) => (c in changes ? changes[c]! : String(c.length)));
  return { position, values, keep: null, raw: '{}', carried: null, hash: '42', ...rest };
}

test('rows encoded once give the lines of the direct COPY and of the staging COPY, escaped, in UTF-8', () => {
  const rows = [
    row(1, { 'TS-Title': 'tab\there, line\nbreak, back\\slash, carriage\rreturn' }),
    row(2, { 'TS-Notes': 'Zoë: 𝄞 and 你好', 'TS-Billable': true, 'TS-Approved': false }, { raw: '{"TS-Hours":"1","x":"a\\"b"}' }),
    row(3, { 'TS-Crm ID': null }, { keep: ['TS-Notes'], carried: ['TS-Crm ID', 'say "hi"'], hash: '!-7' }),
  ];
  const lines = new RowLines(timesheets, 1);
  for (const r of rows) lines.add(r);
  assert.equal(lines.count, 3);

  const copyText = (v: string | boolean | null) =>
    v === null
      ? '\\N'
      : v === true
        ? 't'
        : v === false
          ? 'f'
          : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  const common = (r: StagedRow) => [...r.values.map(copyText), copyText(r.raw), r.hash.startsWith('!') ? '\\N' : r.hash].join('\t');
  const suffix = '\tapi\trun-1\t2026-12-07 10:00:00+08';
  assert.equal(lines.direct(Buffer.from(suffix)).toString('utf8'), rows.map((r) => `${common(r)}${suffix}\n`).join(''));

  const staged = [
    `1\t${common(rows[0]!)}\t\\N\t\\N\n`,
    `2\t${common(rows[1]!)}\t\\N\t\\N\n`,
    `3\t${common(rows[2]!)}\t{"TS-Notes"}\t{"TS-Crm ID","say \\\\"hi\\\\""}\n`,
  ];
  assert.equal(lines.staged().toString('utf8'), staged.join(''));
  assert.ok(lines.byteLength > 0 && lines.byteLength < Buffer.byteLength(staged.join('')));
});

test('rows tell which parts of a key that may be empty are NULL, one pattern per combination', () => {
  const lines = new RowLines(timesheets, 4);
  lines.add(row(1, {}));
  lines.add(row(2, { 'TS-Crm ID': null }));
  lines.add(row(3, { 'TS-Crm ID': null, 'TS-User Username': null }));
  lines.add(row(4, { 'TS-Crm ID': null }));
  // Key order: TS-User Username, TS-Date, TS-Time From, TS-Crm ID.
  assert.deepEqual(
    [...lines.nullMasks].sort((a, b) => a - b),
    [0, 0b1000, 0b1001],
  );
  // A view whose key cannot be empty has no patterns to merge by.
  const comments = new RowLines(getView('comments'), 1);
  comments.add({ position: 1, values: columnsOf(getView('comments')).map(() => null), keep: null, raw: '{}', carried: null, hash: '1' });
  assert.equal(comments.nullMasks.size, 0);
});

test('no rows give no lines', () => {
  const lines = new RowLines(timesheets, 10);
  assert.equal(lines.count, 0);
  assert.equal(lines.direct(Buffer.from('\tx')).length, 0);
  assert.equal(lines.staged().length, 0);
});
