import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SourceDataError } from '../../src/errors.js';
import { readRecordBatches, type RecordBatch } from '../../src/transform/record-stream.js';
import { assertProperty, hostileFieldName, hostileValue, nestedJsonText } from '../support/hostile.js';

/** The body's bytes cut at the given offsets, as the network delivers them. */
async function* chunked(body: Buffer, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.min(c, body.length)))].sort((a, b) => a - b)) {
    if (cut > from) yield body.subarray(from, cut);
    from = Math.max(from, cut);
  }
  if (from < body.length) yield body.subarray(from);
}

async function readAll(body: Buffer, cuts: readonly number[] = [], batchSize = 7): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of readRecordBatches(chunked(body, cuts), { view: 'tickets', batchSize })) batches.push(batch);
  return batches;
}

/** Reads a body that must fail; returns the SourceDataError (any other error fails the test). */
async function readError(body: Buffer, cuts: readonly number[] = []): Promise<SourceDataError> {
  try {
    await readAll(body, cuts);
  } catch (error) {
    assert.ok(error instanceof SourceDataError, `expected a SourceDataError, got ${String(error).slice(0, 200)}`);
    return error;
  }
  assert.fail('the body was accepted');
}

const record = fc.dictionary(fc.oneof(hostileFieldName, fc.string({ maxLength: 8 })), hostileValue, { maxKeys: 6 });
const element = fc.oneof({ weight: 5, arbitrary: record }, { weight: 1, arbitrary: hostileValue });
const envelope = fc.constantFrom(
  (list: string) => `{"message":{"data":${list}}}`,
  (list: string) => `{"data":${list}}`,
  (list: string) => list,
  (list: string) => `\ufeff {"status":"ok","message":{"count":3,"data":${list}},"trailer":[1,{"a":null}]}\n`,
);
const cuts = fc.array(fc.nat({ max: 400_000 }), { maxLength: 6 });

test('any list of records in any envelope, cut anywhere into chunks, reads back exactly', async () => {
  await assertProperty(
    fc.asyncProperty(fc.array(element, { maxLength: 25 }), envelope, cuts, async (records, wrap, at) => {
      const json = JSON.stringify(records);
      const batches = await readAll(Buffer.from(wrap(json)), at);
      assert.deepEqual(
        batches.flatMap((b) => b.records),
        JSON.parse(json),
      );
      let next = 1;
      for (const batch of batches) {
        assert.equal(batch.firstPosition, next);
        next += batch.records.length;
      }
    }),
    { numRuns: 150 },
  );
});

test('a body damaged anywhere is read or refused with a data error, never anything else', async () => {
  const damage = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 5 }),
    insert: fc.uint8Array({ maxLength: 5 }),
  });
  await assertProperty(
    fc.asyncProperty(
      fc.array(record, { maxLength: 10 }),
      envelope,
      fc.array(damage, { minLength: 1, maxLength: 3 }),
      cuts,
      async (records, wrap, damages, at) => {
        let body = Buffer.from(wrap(JSON.stringify(records)));
        for (const d of damages) {
          const pos = d.at % (body.length + 1);
          body = Buffer.concat([body.subarray(0, pos), Buffer.from(d.insert), body.subarray(pos + d.remove)]);
        }
        try {
          await readAll(body, at);
        } catch (error) {
          assert.ok(error instanceof SourceDataError, `not a data error: ${String(error).slice(0, 200)}`);
          assert.ok(error.message.length < 1000, 'the message stays short');
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('random bytes are refused with a data error', async () => {
  await assertProperty(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), cuts, async (bytes, at) => {
      try {
        await readAll(Buffer.from(bytes), at);
      } catch (error) {
        assert.ok(error instanceof SourceDataError, `not a data error: ${String(error).slice(0, 200)}`);
      }
    }),
    { numRuns: 200 },
  );
});

test('a cut-off or broken body never shows record contents in its error', async () => {
  const secretText = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `SECRET${s.replace(/["\\]/g, '')}`);
  await assertProperty(
    fc.asyncProperty(
      fc.array(fc.dictionary(fc.constantFrom('TKT-Title', 'TKT-Description', 'note'), secretText, { minKeys: 1 }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.nat(),
      async (records, cutAt) => {
        const full = Buffer.from(`{"message":{"data":${JSON.stringify(records)}}}`);
        const body = full.subarray(0, 1 + (cutAt % (full.length - 1)));
        const error = await readError(body);
        assert.ok(!error.message.includes('SECRET'), error.message);
      },
    ),
    { numRuns: 100 },
  );
});

test('a body that is one huge string is refused with a short data error', async () => {
  const error = await readError(Buffer.from(JSON.stringify('x'.repeat(5_000_000))), [1 << 16, 1 << 20]);
  assert.match(error.message, /not a record list/);
  assert.ok(error.message.length < 600);
  const inList = await readError(Buffer.from(`{"message":{"data":${JSON.stringify('y'.repeat(3_000_000))}}}`));
  assert.ok(inList.message.length < 600);
});

/** Reads a body that may be refused, but only with a SourceDataError. */
async function readOrDataError(body: Buffer): Promise<void> {
  try {
    await readAll(body);
  } catch (error) {
    assert.ok(error instanceof SourceDataError, `not a data error: ${String(error).slice(0, 200)}`);
  }
}

test('deeply nested JSON inside a record is read, and deep nesting around the list is read or a data error', async () => {
  for (const kind of ['array', 'object'] as const) {
    const deep = nestedJsonText(50_000, kind);
    const batches = await readAll(Buffer.from(`{"message":{"data":[{"TKT-Ticket ID":1,"x":${deep}},{"TKT-Ticket ID":2}]}}`), [3, 70_000]);
    assert.deepEqual(
      batches.flatMap((b) => b.records).map((r) => (r as Record<string, unknown>)['TKT-Ticket ID']),
      [1, 2],
    );
    await readOrDataError(Buffer.from(`{"status":${deep},"message":{"data":[]}}`));
    await readOrDataError(Buffer.from(`{"message":{"data":[]},"trailer":${deep}}`));
    await readOrDataError(Buffer.from(`{"message":{"data":[]},"trailer":${deep.slice(0, deep.length / 2)}`));
  }
});
