import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowsByHash, SHARED_HASH } from '../../src/load/rows-by-hash.js';
import { digestHalf, hashHalves, recordDigest, recordHash } from '../../src/transform/record-hash.js';

test('a hash text and its digest give the same halves, whatever their signs', () => {
  let negativeHigh = 0;
  let negativeLow = 0;
  for (let i = 0; i < 200; i++) {
    const json = JSON.stringify({ n: i });
    const digest = recordDigest(json);
    const [high, low] = hashHalves(recordHash(json));
    assert.equal(high, digestHalf(digest, 0));
    assert.equal(low, digestHalf(digest, 4));
    if (high < 0) negativeHigh++;
    if (low < 0) negativeLow++;
  }
  assert.ok(negativeHigh > 0 && negativeLow > 0);
  assert.deepEqual(hashHalves('-1'), [-1, -1]);
  assert.deepEqual(hashHalves('4294967296'), [1, 0]);
  assert.deepEqual(hashHalves('-9223372036854775808'), [-2147483648, 0]);
});

test('rows are found by hash through growth, probing and shared hashes', () => {
  // Sized for 4, given 5,000: the table grows many times. Every hash has the same low half as 99 others,
  // so lookups walk past other hashes in the same slot.
  const table = new RowsByHash(4);
  const halves = (i: number): [number, number] => [i * 7919 - 2_000_000, (i % 50) * 65_536];
  for (let row = 0; row < 5000; row++) table.add(...halves(row), row);
  for (let row = 0; row < 5000; row++) assert.equal(table.rowOf(...halves(row)), row);
  assert.equal(table.rowOf(123, 456), -1);
  assert.equal(table.rowOf(halves(7)[0], halves(8)[1]), -1);
  table.add(...halves(42), 5000);
  assert.equal(table.rowOf(...halves(42)), SHARED_HASH);
  assert.equal(table.rowOf(...halves(43)), 43);
  // A hash of zero halves is a hash like any other, not an empty slot.
  table.add(0, 0, 5001);
  assert.equal(table.rowOf(0, 0), 5001);
});

test('a record hash is what earlier versions stored: the first 64 bits of the SHA-1, as a signed decimal', () => {
  // sha1("1\u0001" + json) begins with fb407852a6affeb4 and f644069e9784042d: both negative as signed 64 bits.
  assert.equal(recordHash('{"a":1}'), '-342141275300954444');
  assert.equal(recordHash('{"TS-Title":"x"}'), '-701428363746343891');
});
