import { test } from 'node:test';
import assert from 'node:assert/strict';

import { StoredRows } from '../../src/load/table-load.js';
import { PayloadReading, type ToSend } from '../../src/pipeline/payload-reading.js';
import { getView, VIEW_NAMES, type ViewSpec } from '../../src/registry.js';
import { generateView } from '../../src/simulator/index.js';
import { Normalizer } from '../../src/transform/normalize.js';
import type { CanonicalRecord } from '../../src/transform/read-batch.js';
import { hashHalves, readOf } from '../../src/transform/record-hash.js';
import { readRecordBatches } from '../../src/transform/record-stream.js';
import { Zone } from '../../src/transform/values.js';

const NOW = new Date('2026-03-02T01:00:00Z');
const normalizer = (view: ViewSpec) => new Normalizer(view, { zone: new Zone('Australia/Perth') });

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The rows a first load stores from `records`, as the load reads them back (see `readStoredRows`). */
function storedFrom(view: ViewSpec, records: readonly unknown[]): StoredRows {
  const { rows } = normalizer(view).normalize(records, 1);
  const stored = new StoredRows(view, rows.length);
  const ms = (text: string | null) => (text === null ? Number.NaN : Date.parse(text));
  for (const row of rows) stored.add(row.key, row.hash.startsWith('!') ? null : hashHalves(row.hash), ms(row.windowValue), ms(row.cursor));
  return stored;
}

/** Everything a load learns from reading a payload: what it sends, its counts, its index and its drift. */
async function readPayload(view: ViewSpec, body: Buffer, chunk: number, stored: StoredRows, recognising: boolean) {
  const reading = new PayloadReading(normalizer(view));
  let recognised = 0;
  const recognise = (record: CanonicalRecord) => {
    const known = reading.normalizer.recognise(record, stored);
    if (known) recognised++;
    return known;
  };
  const sent: ToSend = reading.toSend(100);
  const options = { view: view.name, batchSize: 100, recogniser: recognising ? { active: true, recognise } : undefined };
  for await (const batch of readRecordBatches(chunksOf(body, chunk), options)) {
    reading.take(batch, stored, sent);
  }
  const { payload, normalizer: n } = reading;
  return {
    recognised,
    learnt: {
      sent: [sent.fresh.staged().toString(), sent.repeats.staged().toString()],
      counts: [reading.fetched, reading.rejected, reading.valueErrors, payload.rows, payload.size, payload.stagedDuplicates],
      index: [payload.windowMin, payload.windowMax, payload.newestCursor],
      drift: [n.fieldsSeen(), n.fieldsMissing(), n.fieldsNew(), n.recordsRead],
      rejects: JSON.stringify(reading.rejects),
    },
  };
}

/**
 * The next day's payload of a view: a share of records changed, a field only unchanged records carry,
 * records gone, one new, a key repeated (a changed copy first, the stored one last, which must then
 * travel), and records written in other ways (spaced, renamed by an alias) that can only be parsed.
 */
function nextPayload(view: ViewSpec, records: Array<Record<string, unknown>>): { before: unknown[]; after: unknown[] } {
  const text = view.fields.find((f) => f.type === 'text' && !view.key.includes(f.column))!.api;
  // Past the first batches and never edited, so only records that can be recognised carry it.
  const carries = (i: number) => i >= 300 && i % 13 === 0 && i % 7 !== 3;
  const before = records.map((r, i) => (carries(i) ? { ...r, 'Carried Only Unchanged': 'kept' } : r));
  const after: unknown[] = before.flatMap((r, i) => {
    if (i % 17 === 5) return [];
    if (i % 7 === 3) return [{ ...r, [text]: `${String(r[text])} (edited)` }];
    if (i === 400) return [{ ...r, [text]: 'an earlier copy' }, r];
    return [r];
  });
  after.push({
    ...records[1],
    [text]: 'new',
    ...Object.fromEntries(view.key.map((c) => [view.fields.find((f) => f.column === c)!.api, null])),
  });
  const alias = view.fields.find((f) => (f.aliases ?? []).length > 0);
  if (alias) {
    const { [alias.api]: value, ...rest } = records[2]!;
    after.push({ ...rest, [alias.aliases![0]!]: value });
  }
  return { before, after };
}

test('records recognised from their bytes as stored give the load exactly what parsing them gives', async () => {
  for (const name of VIEW_NAMES) {
    const view = getView(name);
    const records = generateView(name, { seed: 11, scale: 'small', now: NOW }) as Array<Record<string, unknown>>;
    const { before, after } = nextPayload(view, records);
    const stored = storedFrom(view, before);
    const plain = JSON.stringify({ message: { data: after } });
    // One record spaced as JSON.stringify would not write it: parsed, never recognised.
    const body = Buffer.from(plain.replace('{"', '{ "'));
    // Cut into chunks (a record cut between two is parsed), and in one.
    for (const chunk of [997, body.length]) {
      const parsed = await readPayload(view, body, chunk, stored, false);
      const recognised = await readPayload(view, body, chunk, stored, true);
      assert.deepEqual(recognised.learnt, parsed.learnt, `${name}, chunks of ${chunk}`);
      // And a known record's key, cursor and window, taken from its stored row, are what parsing it gives.
      const { learnt: unknown } = await readPayload(view, body, chunk, StoredRows.none(), false);
      assert.deepEqual([recognised.learnt.index, recognised.learnt.drift], [unknown.index, unknown.drift]);
      assert.deepEqual(recognised.learnt.counts.slice(0, 5), unknown.counts.slice(0, 5));
      // Most records are unchanged, and all but those of the first batch or cut between chunks are recognised.
      const least = chunk === body.length ? after.length / 2 : 1;
      assert.ok(recognised.recognised >= least, `${name}: ${recognised.recognised} of ${after.length} recognised`);
      assert.ok((recognised.learnt.drift[0] as string[]).includes('Carried Only Unchanged'), `${name}: drift sees the field`);
    }
  }
});

test('a record is recognised only once a record with the same member names has been parsed', async () => {
  const view = getView('timesheets');
  const all = generateView('timesheets', { seed: 5, scale: 'small', now: NOW }) as Array<Record<string, unknown>>;
  const names = (r: object) => Object.keys(r).join('\n');
  const records = all.filter((r) => names(r) === names(all[0]!)).slice(0, 3000);
  assert.equal(records.length, 3000);
  // From record 2600 on, each record carries a field of its own, unseen before: none can be recognised.
  const withNames = records.map((r, i) => (i >= 2600 ? { ...r, [`Field ${i}`]: 1 } : r));
  const stored = storedFrom(view, withNames);
  const body = Buffer.from(JSON.stringify(withNames));
  // In one chunk: a record cut between chunks is parsed whatever its names.
  const { recognised, learnt } = await readPayload(view, body, body.length, stored, true);
  // The first batch (100 records) is parsed; of the rest, the 2500 sharing its names are recognised.
  assert.equal(recognised, 2500);
  assert.equal((learnt.drift[2] as string[]).length, 400);
});

test('the reader gives equal shapes to records with the same member names in the same order, and only to those', async () => {
  const texts = [
    '{"a":1,"b":"x"}',
    '{"a":"other","b":2}',
    '{"b":1,"a":"x"}',
    '{"a":1,"bb":"x"}',
    '{"ab":1,"":"x"}',
    '{"a":1}',
    '{"é":1,"b":"x"}',
    '{"\\"a":1,"b":"x"}',
    '{"a":1,"b":"x","c":null}',
  ];
  const shapesRead = async (size: number, active: boolean) => {
    const shapes: Array<number | undefined> = [];
    const recogniser = { active, recognise: () => null };
    for await (const batch of readRecordBatches(chunksOf(Buffer.from(`[${texts.join(',')}]`), size), { view: 'timesheets', recogniser })) {
      shapes.push(...(readOf(batch.records)?.shapes ?? []));
    }
    return shapes;
  };
  // A load with nothing stored (a first sync) takes no shapes: it cannot recognise anything.
  assert.deepEqual(
    await shapesRead(1 << 16, false),
    texts.map(() => undefined),
  );
  for (const size of [3, 1 << 16]) {
    const shapes = await shapesRead(size, true);
    texts.forEach((a, i) => {
      texts.forEach((b, j) => {
        if (shapes[i] === undefined || shapes[j] === undefined) return;
        const sameNames = JSON.stringify(Object.keys(JSON.parse(a))) === JSON.stringify(Object.keys(JSON.parse(b)));
        assert.equal(shapes[i] === shapes[j], sameNames, `chunks of ${size}: ${a} and ${b}`);
      });
    });
    if (size > 100) assert.ok(shapes.every((s) => s !== undefined));
  }
});
