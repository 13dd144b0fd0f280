import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

import { makeSpoolDir, Spool } from '../../src/source/spool.js';

test('a spool directory is 0700 and its body file 0600, even under umask 000', async () => {
  const umask = process.umask(0o000);
  const dir = await makeSpoolDir();
  try {
    assert.match(dir, new RegExp(`otc-etl-${process.pid}-[A-Za-z0-9]{6}$`), 'named after its owner, so a later run can tell it is alive');
    const spool = new Spool(join(dir, 'tickets.json'));
    await pipeline(Readable.from([Buffer.from('{"data":[]}')]), spool.writer());
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(spool.file)).mode & 0o777, 0o600);
  } finally {
    process.umask(umask);
    await rm(dir, { recursive: true, force: true });
  }
});
