/**
 * Throughput of the shared value parser: 1,000,000 values of each kind, as the source and spreadsheet
 * exports send them. Run with `npm run build && node dist/bench/parse-values.js`.
 */

import type { FieldType } from '../src/registry.js';
import { parseValue, Zone, type ParseContext } from '../src/transform/values.js';

const COUNT = 1_000_000;
const ROUNDS = 3;
const api: ParseContext = { zone: new Zone('Australia/Perth') };
const sydneyApi: ParseContext = { zone: new Zone('Australia/Sydney') };
const spreadsheet: ParseContext = { zone: api.zone, serialDates: '1900' };

/** Deterministic pseudo-random numbers, so every run parses the same values. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const random = lcg(20250107);
const pick = (n: number): number => Math.floor(random() * n);
const pad = (n: number): string => (n < 10 ? '0' : '') + n;

/** A wall-clock time within three years, as ISO text. */
function isoText(): string {
  const d = new Date(Date.UTC(2023, 0, 1) + pick(3 * 365 * 86_400) * 1000);
  return d
    .toISOString()
    .slice(0, 19)
    .replace('T', pick(2) === 0 ? 'T' : ' ');
}

function slashText(): string {
  const d = new Date(Date.UTC(2023, 0, 1) + pick(3 * 365 * 86_400) * 1000);
  return `${d.getUTCDate()}/${d.getUTCMonth() + 1}/${d.getUTCFullYear()} ${d.getUTCHours()}:${pad(d.getUTCMinutes())}`;
}

/** A spreadsheet serial date-time (whole minutes) within three years from 2023. */
const serialNumber = (): number => 44_927 + pick(1095) + pick(1440) / 1440;

const oneOf =
  (...values: unknown[]) =>
  (): unknown =>
    values[pick(values.length)];

interface Case {
  readonly name: string;
  readonly type: FieldType;
  readonly ctx: ParseContext;
  readonly make: () => unknown;
}

const CASES: readonly Case[] = [
  { name: 'id (numbers and strings)', type: 'id', ctx: api, make: () => (pick(2) ? pick(1e7) : String(pick(1e7))) },
  { name: 'decimal ("2,5", 2.5, "7.50")', type: 'decimal', ctx: api, make: oneOf(2.5, '2,5', '7.50', '0.25', 8) },
  { name: 'bool (Yes/No/true/0)', type: 'bool', ctx: api, make: oneOf('Yes', 'No', 'true', 'FALSE', 0, 'y') },
  { name: 'text', type: 'text', ctx: api, make: oneOf('Cloud - Infrastructure', ' PendingAssignment', 42, 'Closed') },
  { name: 'instant ISO (2025-01-07T09:05:00)', type: 'instant', ctx: api, make: isoText },
  { name: 'instant ISO with offset', type: 'instant', ctx: api, make: () => isoText() + '.123+08:00' },
  { name: 'instant slash (7/1/2025 9:05)', type: 'instant', ctx: api, make: slashText },
  { name: 'instant ISO, Australia/Sydney (DST)', type: 'instant', ctx: sydneyApi, make: isoText },
  { name: 'instant serial (45664.378)', type: 'instant', ctx: spreadsheet, make: serialNumber },
  { name: 'date (7/1/2025)', type: 'date', ctx: api, make: () => slashText().split(' ')[0] },
  { name: 'clock (9:00, 900, 0.375)', type: 'clock', ctx: api, make: oneOf('9:00', 900, 0.375, '17:30:00') },
];

/** Through JSON, so the strings are flat like the ones `JSON.parse` hands the loader. */
function sample(c: Case, count: number): unknown[] {
  return JSON.parse(JSON.stringify(Array.from({ length: count }, c.make))) as unknown[];
}

function run(c: Case): number {
  const values = sample(c, COUNT);
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let i = 0; i < COUNT; i++) if (parseValue(c.type, values[i], c.ctx) !== null) sink++;
    best = Math.min(best, performance.now() - started);
  }
  if (sink !== COUNT * ROUNDS) throw new Error(`${c.name}: some values parsed to null`);
  return best;
}

function mixed(): number {
  const cases = CASES.map((c) => ({ c, values: sample(c, Math.ceil(COUNT / CASES.length)) }));
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const { c, values } = cases[i % cases.length]!;
    parseValue(c.type, values[Math.floor(i / cases.length)], c.ctx);
  }
  return performance.now() - started;
}

console.log(`parse-values: ${COUNT.toLocaleString('en')} values per kind, best of ${ROUNDS} (Node ${process.version})`);
function report(name: string, ms: number): void {
  const perSecond = Math.round((COUNT / ms) * 1000).toLocaleString('en');
  console.log(`${name.padEnd(40)} ${ms.toFixed(0).padStart(5)} ms ${perSecond.padStart(12)} values/s`);
}

for (const c of CASES) report(c.name, run(c));
report('mixed, all kinds interleaved', mixed());
