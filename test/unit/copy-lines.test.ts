import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyFields, LineBytes } from '../../src/load/copy-format.js';

test('COPY lines gathered as bytes are the UTF-8 of the lines, however much longer the later lines are', () => {
  const lines = [
    'a\t1\n',
    `${'x'.repeat(5000)}\t2\n`,
    `${copyFields(['Zoë', 'tab\there', 'line\nbreak', null, true])}\n`,
    `${'é'.repeat(3000)}\t𝄞 and 你好\n`,
    '\n',
  ];
  // Sized from the first line, which is the shortest: every later one makes it grow.
  const bytes = new LineBytes(lines.length);
  for (const line of lines) bytes.add(line);
  assert.deepEqual(bytes.bytes(), Buffer.from(lines.join('')));
  assert.equal(new LineBytes(3).bytes().length, 0);
});
