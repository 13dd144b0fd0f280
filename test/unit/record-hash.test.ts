import { test } from 'node:test';
import assert from 'node:assert/strict';

import { VIEW_NAMES, getView } from '../../src/registry.js';
import { generateView } from '../../src/simulator/index.js';
import { Normalizer } from '../../src/transform/normalize.js';
import { hashText, readOf, recordHash } from '../../src/transform/record-hash.js';
import { readRecordBatches, type RecordBatch } from '../../src/transform/record-stream.js';
import { Zone } from '../../src/transform/values.js';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function readBatches(body: string, size: number): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of readRecordBatches(chunksOf(Buffer.from(body), size), { view: 'timesheets', batchSize: 7 })) batches.push(batch);
  return batches;
}

/** Each record's text as sent, and the hash the reader took from its bytes (undefined if none). */
async function hashesRead(texts: readonly string[], size: number): Promise<Array<string | undefined>> {
  const batches = await readBatches(`{"data":[${texts.join(',')}]}`, size);
  return batches.flatMap((batch) => {
    const digests = readOf(batch.records)?.digests;
    return batch.records.map((_, i) => {
      const digest = digests?.[i];
      return digest && hashText(digest);
    });
  });
}

/** Records written by hand: some exactly as JSON.stringify writes them, some not. */
const TEXTS = [
  '{"a":"plain","n":12,"f":1.5,"z":0,"neg":-3,"t":true,"u":null}',
  '{"a": "space after the colon"}',
  '{"a":"x" }',
  '{"a":"slash \\/ escaped"}',
  '{"a":"\\u00e9 escaped"}',
  '{"a":"é raw, 😀 raw"}',
  '{"a":"quote \\" backslash \\\\ newline \\n tab \\t"}',
  '{"a":"control \\u001f lower"}',
  '{"a":"control \\u001F upper"}',
  '{"a":"nul \\u0000"}',
  '{"a":"backspace \\u0008 long form"}',
  '{"a":"lone \\ud800 surrogate"}',
  '{"a":"pair \\ud83d\\ude00 escaped"}',
  '{"a":1.50}',
  '{"a":1e5}',
  '{"a":1E5}',
  '{"a":-0}',
  '{"a":-0.5}',
  '{"a":0.000001}',
  '{"a":0.0000001}',
  '{"a":9007199254740993}',
  '{"a":123456789012345}',
  '{"a":1234567890123456}',
  '{"a":0.1}',
  '{"2":"integer-like name","a":1}',
  '{"a":1,"10":"integer-like name later"}',
  '{"a":{"nested":1}}',
  '{"a":[1,2]}',
  '{"a":1,"a":1}',
  '{"a":1,"a":2}',
  '{"__proto__":"own","b":2}',
  '{}',
  '[1,2]',
  '"text"',
  '12',
];

test('a hash taken from the bytes as read always equals the hash of the record as JSON.stringify writes it', async () => {
  for (const size of [1, 3, 7, 64, 1 << 16]) {
    const hashes = await hashesRead(TEXTS, size);
    assert.equal(hashes.length, TEXTS.length);
    hashes.forEach((hash, i) => {
      if (hash === undefined) return;
      const text = TEXTS[i]!;
      assert.equal(JSON.stringify(JSON.parse(text)), text, `chunks of ${size}: ${text} taken as canonical`);
      assert.equal(hash, recordHash(text));
    });
  }
});

test('records written as JSON.stringify writes them are hashed from their bytes, whatever the chunking', async () => {
  const canonical = TEXTS.filter((t) => t.startsWith('{"a":"plain"') || t === '{"a":"é raw, 😀 raw"}' || t.startsWith('{"a":"quote'));
  canonical.push(
    '{"a":"control \\u001f lower"}',
    '{"a":-0.5}',
    '{"a":0.000001}',
    '{"a":123456789012345}',
    '{"a":0.1}',
    '{"__proto__":"own","b":2}',
  );
  for (const text of canonical) assert.equal(JSON.stringify(JSON.parse(text)), text);
  const hashes = await hashesRead(canonical, 1 << 16);
  assert.deepEqual(hashes, canonical.map(recordHash));
});

test("the simulator's records are hashed from their bytes, to the hash the normalizer gives them", async () => {
  const now = new Date('2025-06-01T00:00:00Z');
  for (const name of VIEW_NAMES) {
    const view = getView(name);
    const records = generateView(name, { seed: 3, scale: 'small', now });
    const body = JSON.stringify({ message: { data: records } });
    // In one chunk: a token cut between chunks leaves its record to be written out and hashed as before.
    let hashed = 0;
    for (const batch of await readBatches(body, body.length * 3)) {
      const digests = readOf(batch.records)?.digests ?? [];
      hashed += digests.filter((d) => d !== undefined).length;
      const normalizer = () => new Normalizer(view, { zone: new Zone('Australia/Perth') });
      const fromBytes = normalizer().normalize(batch.records, batch.firstPosition).rows;
      // The same records, parsed afresh: the normalizer writes each one out and hashes that.
      const fromObjects = normalizer().normalize(JSON.parse(JSON.stringify(batch.records)) as unknown[], batch.firstPosition).rows;
      assert.deepEqual(
        fromBytes.map((r) => r.hash),
        fromObjects.map((r) => r.hash),
      );
    }
    assert.equal(hashed, records.length, `${name}: every record hashed from its bytes`);
  }
});

test('random records, as JSON.stringify writes them or respaced, never get a hash their text does not have', async () => {
  let state = 20261207;
  const rnd = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const numbers = () =>
    [rnd() * 100, -rnd(), Math.round(rnd() * 2 ** 53), rnd() * 1e-7, rnd() * 1e22, 0.1 + 0.2, Math.round(rnd() * 1000) / 100][
      Math.floor(rnd() * 7)
    ]!;
  const text = () =>
    Array.from({ length: Math.floor(rnd() * 6) }, () => String.fromCharCode(Math.floor(rnd() * 2 ** (rnd() < 0.5 ? 7 : 16)))).join('');
  const texts: string[] = [];
  for (let i = 0; i < 400; i++) {
    const record = Object.fromEntries(
      Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => [text() || 'k', rnd() < 0.5 ? numbers() : text()]),
    );
    const json = JSON.stringify(record);
    texts.push(rnd() < 0.2 ? json.replace(/:/g, ': ') : json);
  }
  for (const size of [5, 1 << 16]) {
    const hashes = await hashesRead(texts, size);
    hashes.forEach((hash, i) => {
      if (hash === undefined) return;
      assert.equal(JSON.stringify(JSON.parse(texts[i]!)), texts[i], `taken as canonical: ${texts[i]}`);
      assert.equal(hash, recordHash(texts[i]!));
    });
    assert.ok(hashes.some((h) => h !== undefined));
  }
});
