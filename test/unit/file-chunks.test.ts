import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chunksOfFile } from '../../src/source/file-chunks.js';
import { readRecordBatches } from '../../src/transform/record-stream.js';

async function withBodyFile(body: string, use: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'otc-etl-test-'));
  try {
    const path = join(dir, 'body.json');
    await writeFile(path, body);
    await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('chunksOfFile reads a spooled body back in chunks of at most the requested size', async () => {
  const body = JSON.stringify({ message: { data: [{ name: 'Zoë' }, { name: 'Łukasz' }] } });
  await withBodyFile(body, async (path) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of chunksOfFile(path, 7)) chunks.push(chunk);
    assert.ok(chunks.every((chunk) => chunk.length <= 7));
    assert.equal(Buffer.concat(chunks).toString('utf8'), body);
  });
});

test('a spooled body reads into the same records as it was written with', async () => {
  const records = Array.from({ length: 50 }, (_, i) => ({ 'TS-Crm ID': i, note: `entry "${i}" ]}` }));
  await withBodyFile(JSON.stringify({ data: records }), async (path) => {
    const read: unknown[] = [];
    const batches = readRecordBatches(chunksOfFile(path, 64), { view: 'timesheets', batchSize: 8 });
    for await (const batch of batches) read.push(...batch.records);
    assert.deepEqual(read, records);
  });
});
