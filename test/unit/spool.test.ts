import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Spool, SpoolAbandonedError } from '../../src/source/spool.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otc-spool-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes one chunk and waits until it is in the file. */
function write(writer: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => writer.write(text, (error) => (error ? reject(error) : resolve())));
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

test('a reader follows the body as it is written, and ends when it is complete', async () => {
  const spool = new Spool(join(dir, 'growing.json'));
  const writer = spool.writer();
  const read = collect(spool.chunks());
  await write(writer, '{"data":[1,');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await write(writer, '2,3]}');
  await new Promise<void>((resolve) => writer.end(resolve));
  spool.complete();
  assert.equal(await read, '{"data":[1,2,3]}');
  assert.equal(spool.written, 16);
  assert.equal(await readFile(spool.file, 'utf8'), '{"data":[1,2,3]}');
});

test('a reader that starts after the download has finished reads the whole body', async () => {
  const spool = new Spool(join(dir, 'done.json'));
  const writer = spool.writer();
  await write(writer, '[true]');
  await new Promise<void>((resolve) => writer.end(resolve));
  spool.complete();
  assert.equal(await collect(spool.chunks()), '[true]');
});

test('a failed download stops its reader with SpoolAbandonedError, never a short body', async () => {
  const spool = new Spool(join(dir, 'failed.json'));
  const writer = spool.writer();
  const seen: string[] = [];
  const read = (async () => {
    for await (const chunk of spool.chunks()) seen.push(Buffer.from(chunk).toString());
  })();
  await write(writer, '[1,2');
  await new Promise((resolve) => setTimeout(resolve, 20));
  spool.fail();
  writer.destroy();
  await assert.rejects(read, SpoolAbandonedError);
  assert.equal(seen.join(''), '[1,2');
});

test('a reader takes what has not reached the file yet from memory; the file gets it a megabyte at a time', {
  timeout: 10_000,
}, async () => {
  const spool = new Spool(join(dir, 'gathered.json'));
  const writer = spool.writer();
  const chunks = spool.chunks()[Symbol.asyncIterator]();
  const piece = 'x'.repeat(60 * 1024);
  await write(writer, `[${piece}`);
  await write(writer, piece);
  // Two chunks of 60 KB: still gathered, nothing in the file, and both already readable.
  assert.equal(spool.written, 0);
  let seen = '';
  while (seen.length < 1 + 2 * piece.length) seen += Buffer.from((await chunks.next()).value as Uint8Array).toString();
  assert.equal(seen, `[${piece}${piece}`);
  // Past a megabyte the gathered chunks go into the file in one write.
  for (let i = 0; i < 16; i++) await write(writer, piece);
  assert.equal(spool.written, 1 + 18 * piece.length);
  await write(writer, ']');
  await new Promise<void>((resolve) => writer.end(resolve));
  spool.complete();
  while (!(await chunks.next()).done);
  assert.equal(await readFile(spool.file, 'utf8'), `[${piece.repeat(18)}]`);
});
