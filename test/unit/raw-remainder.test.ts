import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getView } from '../../src/registry.js';
import { Normalizer, recordHash, storedVerbatim, type NormalizedRow } from '../../src/transform/normalize.js';
import { Zone } from '../../src/transform/values.js';

const ctx = { zone: new Zone('Australia/Perth') };

function rowOf(view: 'timesheets' | 'comments', record: Record<string, unknown>): NormalizedRow {
  const { rows } = new Normalizer(getView(view), ctx).normalize([record], 1);
  assert.equal(rows.length, 1);
  return rows[0]!;
}

test('_raw of a record keeps unknown fields and the source values its columns do not give back as sent', () => {
  const row = rowOf('timesheets', {
    'TS-User Username': 'djewell',
    'TS-Date': '07/01/2025',
    'TS-Time From': 900,
    'TS-Hours': 2.5,
    'TS-Crm ID': '1001',
    'TS-Title': 'work',
    'TS-Billable': 'Yes',
    'TS-Approved': 'true',
    'TS-Notes': '',
    'TS-Modified Time': '2025-01-07T04:00:00.000Z',
    'TS-Future Field': { a: 1 },
  });
  assert.deepEqual(JSON.parse(row.raw), {
    'TS-Time From': 900,
    'TS-Crm ID': '1001',
    'TS-Approved': 'true',
    'TS-Notes': '',
    'TS-Future Field': { a: 1 },
  });
});

test('a record lacking typed fields names the ones it carries; one carrying all names none', () => {
  const all = rowOf('comments', { 'TKTCT-CommentID': 1, 'TKTCT-TicketID': 2 });
  assert.deepEqual(all.carried, ['TKTCT-CommentID', 'TKTCT-TicketID']);
  const fields = getView('comments').fields.map((f) => [f.api, 'x'] as const);
  const full = rowOf('comments', { ...Object.fromEntries(fields), 'TKTCT-CommentID': 1, 'TKTCT-TicketID': 2, 'TKTCT-UserID': 3 });
  assert.equal(full.carried, null);
});

test('a value that does not parse keeps its source text in _raw', () => {
  const row = rowOf('timesheets', { 'TS-User Username': 'u', 'TS-Hours': 'lots' });
  assert.equal(JSON.parse(row.raw)['TS-Hours'], 'lots');
});

test('_raw writes each kept value exactly as JSON.stringify does, escapes and all', () => {
  const texts = ['plain', 'say "hi"', 'back\\slash', 'tab\tnew\nline', '\u0001\u001f', '𝄞 paired', 'lone \ud800', '\u2028 and \u00e9', ''];
  const record = Object.fromEntries(texts.map((text, i) => [`Unknown ${i}`, text]));
  const row = rowOf('timesheets', { 'TS-User Username': 'u', 'TS-Date': '07/01/2025', ...record });
  const expected = texts.map((text, i) => `${JSON.stringify(`Unknown ${i}`)}:${JSON.stringify(text.replace('\ud800', '\ufffd'))}`);
  assert.equal(row.raw, `{${expected.join(',')}}`);
});

test('verbatim means the column renders back to the very value sent', () => {
  assert.equal(storedVerbatim('id', 17, '17'), true);
  assert.equal(storedVerbatim('id', '17', '17'), false);
  assert.equal(storedVerbatim('decimal', 2.5, '2.5'), true);
  assert.equal(storedVerbatim('decimal', '2,5', '2.5'), false);
  assert.equal(storedVerbatim('bool', 'Yes', true), true);
  assert.equal(storedVerbatim('bool', 'No', false), true);
  assert.equal(storedVerbatim('bool', true, true), false);
  assert.equal(storedVerbatim('date', '07/01/2025', '2025-01-07'), true);
  assert.equal(storedVerbatim('date', '7/1/2025', '2025-01-07'), false);
  assert.equal(storedVerbatim('date', '07/01/2025', '2025-07-01'), false);
  assert.equal(storedVerbatim('date', '07-01-2025', '2025-01-07'), false);
  assert.equal(storedVerbatim('date', '07/01/2024', '2025-01-07'), false);
  assert.equal(storedVerbatim('instant', '2025-01-07T04:00:00.000Z', '2025-01-07T04:00:00.000Z'), true);
  assert.equal(storedVerbatim('instant', '07/01/2025 12:00', '2025-01-07T04:00:00.000Z'), false);
  assert.equal(storedVerbatim('text', '', null), false);
  assert.equal(storedVerbatim('text', 5, '5'), false);
});

test('the record hash is the first 64 bits of the SHA-1, as a signed bigint', () => {
  const h = recordHash('{"a":1}');
  assert.match(h, /^-?\d{1,19}$/);
  assert.equal(recordHash('{"a":1}'), h);
  assert.notEqual(recordHash('{"a":2}'), h);
  assert.ok(BigInt(h) >= -(2n ** 63n) && BigInt(h) < 2n ** 63n);
});
