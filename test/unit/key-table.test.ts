import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyTable } from '../../src/load/key-table.js';

test('keys of any text come back whole under ids given in order, through growth', () => {
  const table = new KeyTable();
  const odd = [
    '',
    '|',
    '4:José|9500|5:09:00|~',
    '6:Łukasz|9500|5:09:00|~',
    'emoji 😀 and a lone \ud800 surrogate',
    'x'.repeat(100_000),
    'x'.repeat(99_999),
    'ÿ',
    '\u0100',
  ];
  // Many short keys (the ids, the units and the slots all grow), each a prefix of the next hundred's.
  const keys = [...odd, ...Array.from({ length: 20_000 }, (_, i) => `${i}|${i % 7 === 0 ? 'Ω' : 'o'}`)];
  for (const key of keys) assert.equal(table.find(key), -1);
  keys.forEach((key, i) => {
    assert.equal(table.intern(key), i);
  });
  assert.equal(table.size, keys.length);
  keys.forEach((key, i) => {
    assert.equal(table.intern(key), i);
    assert.equal(table.find(key), i);
    assert.equal(table.text(i), key);
  });
  // Same code units in another width, a prefix, or one unit more: none is a key the table holds.
  for (const key of ['Ă', '\u00ff\u0000', 'x'.repeat(100_001), '1|', '0|O', '1|Ω', '\ud800']) assert.equal(table.find(key), -1, key);
  assert.equal(table.size, keys.length);
});
