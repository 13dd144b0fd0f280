import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';

import { SourceDataError } from '../../src/errors.js';
import { readRecordBatches } from '../../src/transform/record-stream.js';
import { UnreadableRecord } from '../../src/transform/unreadable-record.js';

/** A small seeded generator (mulberry32), so every run checks the same bodies. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = random(20250301);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const PIECES = ['', 'a', '"', '\\', '\\"', ']', '}', '[{', '},{', 'é', '😀', '\u0000', '\n', 'data', 'message'];

function text(): string {
  return Array.from({ length: Math.floor(rnd() * 4) }, () => pick(PIECES)).join('');
}

function value(depth: number): unknown {
  const roll = rnd();
  if (depth > 3 || roll < 0.3) return pick([1, -2.5e3, 0, true, false, null, text()]);
  if (roll < 0.45) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
  const size = Math.floor(rnd() * 5);
  return Object.fromEntries(Array.from({ length: size }, (_, i) => [text() || `k${i}`, value(depth + 1)]));
}

function body(): Buffer {
  const list = Array.from({ length: Math.floor(rnd() * 8) }, () => value(1));
  const extra = (): object => (rnd() < 0.5 ? {} : { status: value(2) });
  const envelope = pick([
    () => list,
    () => ({ ...extra(), data: list, ...extra() }),
    () => ({ x: value(2), message: { ...extra(), data: list, count: 3 }, y: 1 }),
  ])();
  let json = JSON.stringify(envelope, null, pick([0, 0, 1, '\t']));
  if (rnd() < 0.2) json = `\uFEFF${json}`;
  if (rnd() < 0.3) json = ` \n${json}\r\n `;
  return Buffer.from(json);
}

/** Deletes, inserts (structural, digit, space or non-UTF-8 bytes) or cuts the body off, 1-3 times. */
function damage(bytes: Buffer): Buffer {
  let out = bytes;
  for (let n = Math.floor(rnd() * 3) + 1; n > 0; n--) {
    const i = Math.floor(rnd() * out.length);
    const roll = rnd();
    if (roll < 0.33) out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else if (roll < 0.66) {
      const inserted = pick([0x22, 0x5c, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x20, 0x31, 0xe9, 0xff, 0x80]);
      out = Buffer.concat([out.subarray(0, i), Buffer.from([inserted]), out.subarray(i)]);
    } else out = out.subarray(0, i);
  }
  return out;
}

/**
 * What the whole body means by JSON.parse: the record list, or undefined for a body to refuse. With
 * `lossy`, bytes that are not UTF-8 are read as U+FFFD (the reader rejects such records one by one).
 */
function expectedRecords(bytes: Buffer, lossy = false): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: !lossy }).decode(bytes));
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) return parsed;
  const root = parsed as { data?: unknown; message?: { data?: unknown } } | null;
  if (Array.isArray(root?.data)) return root.data;
  if (Array.isArray(root?.message?.data)) return root.message.data;
  return undefined;
}

async function readAll(bytes: Buffer, chunkBytes: number, batchSize: number): Promise<unknown[] | undefined> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  }
  const records: unknown[] = [];
  try {
    for await (const batch of readRecordBatches(chunks(), { view: 'comments', batchSize })) {
      assert.equal(batch.firstPosition, records.length + 1);
      records.push(...batch.records);
    }
  } catch (error) {
    if (error instanceof SourceDataError) return undefined;
    throw error;
  }
  return records;
}

test('the reader agrees with JSON.parse on 1000 generated and damaged bodies, however chunked', async () => {
  for (let n = 0; n < 1000; n++) {
    const bytes = rnd() < 0.6 ? damage(body()) : body();
    const chunkBytes = pick([1, 2, 3, 7, 64, 1 << 20]);
    const batchSize = pick([1, 2, 3, 5000]);
    const got = await readAll(bytes, chunkBytes, batchSize);
    const context = `body ${bytes.toString('hex')}, ${chunkBytes}-byte chunks, batches of ${batchSize}`;
    const utf8 = isUtf8(bytes);
    const expected = expectedRecords(bytes, !utf8);
    // Bytes that are not UTF-8 inside a record reject that record alone; in the envelope, the body.
    if (!utf8 && got === undefined) continue;
    // A record with such a byte is not parsed, so the JSON after it may be broken too.
    if (!utf8 && expected === undefined) {
      assert.ok(
        got!.some((r) => r instanceof UnreadableRecord),
        context,
      );
      continue;
    }
    if (got === undefined || expected === undefined) {
      assert.deepEqual(got, expected, context);
      continue;
    }
    assert.equal(got.length, expected.length, context);
    got.forEach((record, i) => {
      if (!(record instanceof UnreadableRecord)) {
        assert.deepEqual(record, expected[i], context);
        return;
      }
      // A record is unreadable for its bytes, or for a member named twice with different values.
      assert.ok(!utf8 || /named twice/.test(record.reason), `${context}: ${record.reason}`);
    });
    if (!utf8)
      assert.ok(
        got.some((r) => r instanceof UnreadableRecord),
        context,
      );
  }
});
