import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SourceDataError } from '../../src/errors.js';
import { readRecordBatches, type RecordBatch } from '../../src/transform/record-stream.js';

const VIEW = 'timesheets';

/** The body as chunks of `size` bytes (plain Uint8Arrays, as a body source may yield them); 0 = one chunk. */
async function* chunksOf(body: string | Uint8Array, size = 0): AsyncGenerator<Uint8Array> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const step = size === 0 ? Math.max(bytes.length, 1) : size;
  for (let i = 0; i < bytes.length; i += step) yield bytes.slice(i, i + step);
}

async function readBatches(body: string | Uint8Array, size = 0, batchSize?: number): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of readRecordBatches(chunksOf(body, size), { view: VIEW, batchSize })) {
    batches.push(batch);
  }
  return batches;
}

async function readRecords(body: string | Uint8Array, size = 0): Promise<unknown[]> {
  return (await readBatches(body, size)).flatMap((batch) => batch.records);
}

/** Reads the body in `size`-byte chunks and returns the SourceDataError it must end in. */
async function readError(body: string | Uint8Array, size = 0): Promise<SourceDataError> {
  try {
    await readBatches(body, size, 2);
  } catch (error) {
    assert.ok(error instanceof SourceDataError, `expected a SourceDataError, got ${String(error)}`);
    assert.equal(error.view, VIEW);
    assert.match(error.message, /timesheets view/);
    return error;
  }
  return assert.fail('expected the body to be refused');
}

const RECORDS = [
  { 'TS-User Username': 'djewell', 'TS-Hours': '2,5', 'TS-Crm ID': 4001 },
  { 'TS-User Username': 'brian', 'TS-Notes': null, 'TS-Billable': true },
];

test('reads records from the usual {"message":{"data":[…]}} envelope', async () => {
  assert.deepEqual(await readRecords(JSON.stringify({ message: { data: RECORDS } })), RECORDS);
});

test('reads records from a {"data":[…]} envelope', async () => {
  assert.deepEqual(await readRecords(JSON.stringify({ data: RECORDS })), RECORDS);
});

test('reads records from a bare list', async () => {
  assert.deepEqual(await readRecords(JSON.stringify(RECORDS)), RECORDS);
});

test('tolerates other keys before and after data at both envelope levels', async () => {
  const body =
    '{"status":"OK","meta":{"list":[1,{"data":"]"}],"s":"[{"},' +
    '"message":{"status":"OK","columns":["data","message"],"data":' +
    JSON.stringify(RECORDS) +
    ',"count":2,"more":{"data":[]}},"took":1.5e3,"ok":true,"none":null}';
  for (const size of [0, 1, 7]) assert.deepEqual(await readRecords(body, size), RECORDS);
});

test('finds the top-level data list when message is something else', async () => {
  const body = `{"message":{"status":"OK"},"data":${JSON.stringify(RECORDS)}}`;
  assert.deepEqual(await readRecords(body, 3), RECORDS);
});

const TRICKY = [
  { quote: 'say "hi"', slash: 'C:\\temp\\', both: '\\"', brackets: 'a]}[{b', json: '{"a":[1,2]},{"b":"}"}' },
  { endsInBackslash: 'x\\', onlyBackslashes: '\\\\\\', unicode: '\u00e9\u0000\u2028', tab: 'a\tb\nc' },
  { nested: { deeper: [{ x: ']' }, [[]], {}] }, empty: '', number: -1.5e-3 },
  'a string record',
  42,
  null,
  [1, '2', { three: 3 }],
  true,
  { names: 'José Müller, Zoë, Łukasz, 山田太郎', emoji: '👍🏽 done ✅ 🇦🇺' },
];

test('escaped quotes, backslashes and brackets inside strings do not confuse the reader', async () => {
  const body = JSON.stringify({ message: { data: TRICKY } });
  assert.deepEqual(await readRecords(body), TRICKY);
});

test('1-byte, 7-byte and whole-body chunks give identical batches', async () => {
  const body = JSON.stringify({ message: { data: TRICKY } }, null, 2);
  const whole = await readBatches(body, 0, 4);
  assert.deepEqual(
    whole.flatMap((batch) => batch.records),
    TRICKY,
  );
  assert.deepEqual(await readBatches(body, 1, 4), whole);
  assert.deepEqual(await readBatches(body, 7, 4), whole);
});

test('multi-byte UTF-8 characters split at any point between two chunks decode intact', async () => {
  const records = [{ name: 'Zoë Ångström', note: 'café 👍🏽 ✅', team: '山田' }, { name: 'Łukasz' }];
  const bytes = new TextEncoder().encode(JSON.stringify({ data: records }));
  for (let cut = 1; cut < bytes.length; cut++) {
    async function* twoChunks(): AsyncGenerator<Uint8Array> {
      yield bytes.slice(0, cut);
      yield bytes.slice(cut);
    }
    const got: unknown[] = [];
    for await (const batch of readRecordBatches(twoChunks(), { view: VIEW })) got.push(...batch.records);
    assert.deepEqual(got, records, `split at byte ${cut}`);
  }
});

test('an empty list yields no batches', async () => {
  for (const body of ['{"message":{"data":[]}}', '{"data":[ ]}', '[\n]']) {
    assert.deepEqual(await readBatches(body, 1), []);
  }
});

test('non-object elements are yielded as they are for the caller to reject', async () => {
  const elements = [1, 'x', null, [1, 2], false, { a: 1 }, -0.5, ''];
  assert.deepEqual(await readRecords(JSON.stringify({ data: elements }), 2), elements);
});

test('positions are 1-based and continue across batches', async () => {
  const records = Array.from({ length: 12 }, (_, i) => ({ n: i + 1 }));
  const batches = await readBatches(JSON.stringify({ data: records }), 5, 5);
  assert.deepEqual(
    batches.map((batch) => [batch.firstPosition, batch.records.length]),
    [
      [1, 5],
      [6, 5],
      [11, 2],
    ],
  );
  for (const batch of batches) {
    batch.records.forEach((record, i) => {
      assert.deepEqual(record, { n: batch.firstPosition + i });
    });
  }
});

test('a batch is cut early at the first record boundary past 8 MiB, whatever batchSize says', async () => {
  const big = 'x'.repeat(5 << 20);
  const records = [{ n: 1, big }, { n: 2, big }, { n: 3, big }, { n: 4 }];
  const batches = await readBatches(JSON.stringify({ data: records }), 1 << 20, 100);
  assert.deepEqual(
    batches.map((batch) => [batch.firstPosition, batch.records.length]),
    [
      [1, 2],
      [3, 2],
    ],
  );
  assert.deepEqual(
    batches.flatMap((batch) => batch.records),
    records,
  );
});

test('a byte-order mark and whitespace wherever JSON allows it are accepted', async () => {
  const body = '\uFEFF \r\n\t{ "message" :\n{ "data" : [ \n{ "a" : 1 } ,\t2 , "s"\r\n] , "n" : 1 }\n}\n\n';
  for (const size of [0, 1, 2]) assert.deepEqual(await readRecords(body, size), [{ a: 1 }, 2, 's']);
});

test('malformed JSON inside a record is refused with its byte offset and a preview', async () => {
  const body = '{"data":[{"a":1},{"a":tru}]}';
  for (const size of [0, 1, 7]) {
    const error = await readError(body, size);
    assert.match(error.message, /not valid JSON at byte offset 17 \(record 2 /);
    assert.ok(error.message.includes('{"data":[{"a":1},{"a":tru}]}'), error.message);
  }
});

test('broken punctuation between records is refused at the offending byte', async () => {
  assert.match((await readError('[{"a":1} {"b":2}]', 1)).message, /byte offset 9 /);
  assert.match((await readError('[1,,2]')).message, /byte offset 3 /);
  assert.match((await readError('[1,2,]')).message, /byte offset 5 /);
  assert.match((await readError('[{"a":[1}]')).message, /byte offset 8 \(mismatched bracket\)/);
});

test('a body cut off inside the record list is refused with where it ends', async () => {
  const body = '{"message":{"data":[{"a":1},{"a":2},{"a":"unfinish';
  for (const size of [0, 1, 7]) {
    const error = await readError(body, size);
    assert.match(error.message, /ends at byte offset 50, before the record list closes /);
    assert.match(error.message, /\(after 2 complete records\)/);
    assert.match(error.message, /cut off/);
    assert.ok(error.message.includes('{"message":{"data":[{"a":1}'), error.message);
  }
  const unclosed = await readError('{"message":{"data":[{"a":1}]}');
  assert.match(unclosed.message, /not valid JSON at byte offset 28 .*envelope does not close/);
  assert.match((await readError('{"message":{"da')).message, /before the record list starts/);
});

test('an unknown envelope is refused, with advice and a preview of the body', async () => {
  for (const body of ['{"error":"x"}', '{"message":"maintenance"}', '"down"', '{"data":{"rows":[]}}', '{}']) {
    const error = await readError(body, 1);
    assert.match(error.message, /not a record list/);
    assert.match(error.message, /GUID/);
    // The preview shows the body's shape; string values are hidden, since they can be record text.
    assert.match(error.message, /The body starts \(text values hidden\): \S/);
  }
  const hidden = await readError('{"error":"customer secret"}', 1);
  assert.ok(hidden.message.endsWith('The body starts (text values hidden): {"error":"…"}'), hidden.message);
});

test('an HTML error page is refused showing its first 120 characters, controls escaped', async () => {
  const html = '<!DOCTYPE html>\r\n<html><head><title>503 Service Unavailable</title></head>\n' + `<body>${'x'.repeat(500)}</body></html>`;
  const error = await readError(html, 3);
  const expected = html.slice(0, 120).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  assert.ok(error.message.endsWith(`The body starts (text values hidden): ${expected}`), error.message);
  assert.doesNotMatch(error.message, /[\r\n]/);
});

test('content after the envelope closes is refused', async () => {
  for (const body of ['{"data":[1]}}', '{"data":[1]} x', '[1].5', '[1][2]', '{"message":{"data":[1]}']) {
    const error = await readError(body, 1);
    assert.match(error.message, /not valid JSON/, body);
  }
});

test('a second record list in the same envelope is refused', async () => {
  for (const body of ['{"data":[1],"data":[2]}', '{"message":{"data":[1]},"message":null}']) {
    assert.match((await readError(body)).message, /more than one record list/);
  }
});

test('an empty body is refused as empty', async () => {
  assert.match((await readError('')).message, /body is empty/);
});

test('bytes that are not UTF-8 in the envelope are refused at their byte offset', async () => {
  const bytes = new TextEncoder().encode('{"caf_":1,"data":[{"name":"cafe"}]}');
  bytes[5] = 0xe9; // Latin-1 é
  for (const size of [0, 1, 5]) {
    assert.match((await readError(bytes, size)).message, /byte offset 5 \(not UTF-8\)/);
  }
});
