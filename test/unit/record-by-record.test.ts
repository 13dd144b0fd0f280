import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SourceDataError } from '../../src/errors.js';
import { readRecordBatches, type RecordBatch } from '../../src/transform/record-stream.js';
import { UnreadableRecord } from '../../src/transform/unreadable-record.js';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const step = size === 0 ? Math.max(bytes.length, 1) : size;
  for (let i = 0; i < bytes.length; i += step) yield bytes.slice(i, i + step);
}

async function read(
  body: string | Uint8Array,
  size = 0,
  opts: { batchSize?: number; maxRecordBytes?: number } = {},
): Promise<RecordBatch[]> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const batches: RecordBatch[] = [];
  for await (const batch of readRecordBatches(chunksOf(bytes, size), { view: 'tickets', ...opts })) batches.push(batch);
  return batches;
}

function unreadable(record: unknown): UnreadableRecord {
  assert.ok(record instanceof UnreadableRecord, `expected an unreadable record, got ${JSON.stringify(record)?.slice(0, 200)}`);
  return record;
}

const ticket = (id: number, extra: Record<string, unknown> = {}) => ({ 'TKT-Ticket ID': id, 'TKT-Title': `t${id}`, ...extra });

test('a record larger than the limit takes its place unread, with its size, first bytes and key fields, whatever the chunking', async () => {
  const big = 'x'.repeat(300_000);
  const body = JSON.stringify({
    message: { data: [ticket(1), { 'TKT-Description': big, 'TKT-Ticket ID': 2, 'TKT-Status': 'Open' }, ticket(3)] },
  });
  for (const size of [0, 1000, 65_536]) {
    const batches = await read(body, size, { maxRecordBytes: 100_000, batchSize: 2 });
    const records = batches.flatMap((b) => b.records);
    assert.equal(records.length, 3);
    assert.deepEqual(records[0], ticket(1));
    assert.deepEqual(records[2], ticket(3));
    const rejected = unreadable(records[1]);
    assert.match(rejected.reason, /300\d{3} bytes, more than OTC_MAX_RECORD_BYTES=100000/);
    assert.equal(rejected.fields['TKT-Ticket ID'], 2);
    assert.equal(rejected.fields['TKT-Status'], 'Open');
    assert.ok(!('TKT-Description' in rejected.fields), 'the huge value is not kept');
    assert.ok(rejected.rawText.length < 4200, `kept ${rejected.rawText.length} characters`);
    assert.match(rejected.rawText, /^\{"TKT-Description":"xxx/);
    // Positions stay true around the rejected record.
    let next = 1;
    for (const batch of batches) {
      assert.equal(batch.firstPosition, next);
      next += batch.records.length;
    }
  }
});

test('a record with a byte that is not UTF-8 is rejected alone, its bytes escaped and its key read', async () => {
  const body = Buffer.from(JSON.stringify({ data: [ticket(1), ticket(2, { 'TKT-Title': 'caf_' }), ticket(3)] }));
  body[body.indexOf('caf_') + 3] = 0xe9;
  for (const size of [0, 1, 5]) {
    const records = (await read(body, size)).flatMap((b) => b.records);
    assert.equal(records.length, 3);
    assert.deepEqual([records[0], records[2]], [ticket(1), ticket(3)]);
    const rejected = unreadable(records[1]);
    assert.match(rejected.reason, /not UTF-8/);
    assert.match(rejected.rawText, /caf\\xe9/);
    assert.equal(rejected.fields['TKT-Ticket ID'], 2);
    assert.ok(!('TKT-Title' in rejected.fields), 'a value that needed a replacement is not used');
  }
});

test('a field named twice with different values rejects the record; named twice with the same value is fine', async () => {
  const body =
    '[{"TKT-Ticket ID":1,"TKT-Title":"a","TKT-Title":"b"},' +
    '{"TKT-Ticket ID":2,"TKT-Title":"same","TKT-Title":"same"},' +
    '{"TKT-Ticket ID":3,"TKT-\\u0054itle":"a","TKT-Title":"b"},' +
    '{"TKT-Ticket ID":4,"n":1.0,"n":1},' +
    '{}]';
  const records = (await read(body, 3)).flatMap((b) => b.records);
  assert.equal(records.length, 5);
  const first = unreadable(records[0]);
  assert.match(first.reason, /"TKT-Title" is named twice with different values/);
  assert.equal(first.fields['TKT-Ticket ID'], 1);
  assert.deepEqual(records[1], { 'TKT-Ticket ID': 2, 'TKT-Title': 'same' });
  // The same name after unescaping is the same name.
  assert.match(unreadable(records[2]).reason, /named twice/);
  assert.deepEqual(records[3], { 'TKT-Ticket ID': 4, n: 1 });
  assert.deepEqual(records[4], {});
});

test('a body with a record list at two known paths is refused, not guessed at', async () => {
  for (const body of ['{"data":[{"a":1}],"message":{"data":[{"b":2}]}}', '{"message":{"data":[{"b":2}]},"data":[{"a":1}]}']) {
    await assert.rejects(
      read(body),
      (error: unknown) => error instanceof SourceDataError && /more than one record list/.test(error.message),
    );
  }
  // A non-list beside the list is just another key.
  assert.equal((await read('{"data":[{"a":1}],"message":{"data":"none"}}')).flatMap((b) => b.records).length, 1);
});
