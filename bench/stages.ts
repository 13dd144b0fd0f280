/**
 * CPU time of each stage of reading one view's body, in this process, on the bench's simulator data:
 * the reader (bytes to records), the first-load parse (records to rows) and the re-sync check (records
 * against the stored hashes of the same payload). Run after a build:
 *
 *   node dist/bench/stages.js [view] [rounds]
 */
import { getView, type ViewName } from '../src/registry.js';
import { generateView } from '../src/simulator/index.js';
import { StoredRows } from '../src/load/table-load.js';
import { Normalizer, type NormalizedRow } from '../src/transform/normalize.js';
import { hashHalves } from '../src/transform/record-hash.js';
import { readRecordBatches, type RecordBatch } from '../src/transform/record-stream.js';
import { Zone } from '../src/transform/values.js';

const view = getView((process.argv[2] ?? 'timesheets') as ViewName);
const rounds = Number(process.argv[3] ?? 3);
const records = generateView(view.name, { seed: 7, scale: 'full', now: new Date() });
// The body as the simulator serves it: compact JSON in chunks of 64 KiB.
const body = Buffer.from(JSON.stringify({ message: { data: records } }));
const CHUNK = 64 << 10;

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += CHUNK) yield body.subarray(i, i + CHUNK);
}

function cpuMs(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

const normalizer = () => new Normalizer(view, { zone: new Zone('Australia/Perth') });
const firstRows = normalizer().normalize(records, 1).rows;
const stored = new StoredRows(view, firstRows.length);
const ms = (text: string | null) => (text === null ? Number.NaN : Date.parse(text));
for (const row of firstRows) stored.add(row.key, hashHalves(row.hash), ms(row.windowValue), ms(row.cursor));
console.log(`${view.name}: ${records.length} records, ${(body.length / 2 ** 20).toFixed(1)} MiB`);

for (let round = 0; round < rounds; round++) {
  let started = process.cpuUsage();
  const batches: RecordBatch[] = [];
  for await (const batch of readRecordBatches(chunks(), { view: view.name })) batches.push(batch);
  const read = cpuMs(started);
  started = process.cpuUsage();
  let rows = 0;
  const first = normalizer();
  for (const b of batches) rows += first.normalize(b.records, b.firstPosition).rows.length;
  const parse = cpuMs(started);
  started = process.cpuUsage();
  let known = 0;
  const again = normalizer();
  for (const b of batches) {
    for (const row of again.normalizeKnown(b.records, b.firstPosition, stored).rows) if ((row as NormalizedRow).kind !== 'row') known++;
  }
  const check = cpuMs(started);
  console.log(
    `read ${read.toFixed(0)} ms, first-load parse ${parse.toFixed(0)} ms (${rows} rows), re-sync check ${check.toFixed(0)} ms (${known} known)`,
  );
}
