/**
 * Simulator timings: generation per view, and serving each view over a real socket (body streamed
 * and counted, not parsed). Run after a build: `node dist/bench/simulator.js [small|full|<multiplier>]`.
 */
import { VIEW_NAMES, getView } from '../src/registry.js';
import { DEFAULT_USERNAME, generateView, startSimulator, type Scale } from '../src/simulator/index.js';

const arg = process.argv[2] ?? 'full';
const scale: Scale | number = arg === 'small' || arg === 'full' ? arg : Number(arg);
const now = new Date();
/** Wall time and this process's CPU time since a mark: the machine may be shared, CPU time is steadier. */
const mark = (): [number, NodeJS.CpuUsage] => [performance.now(), process.cpuUsage()];
const ms = ([wall, cpu]: [number, NodeJS.CpuUsage]): string => {
  const used = process.cpuUsage(cpu);
  return `${(performance.now() - wall).toFixed(0)} ms (cpu ${((used.user + used.system) / 1000).toFixed(0)} ms)`;
};
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

for (const view of VIEW_NAMES) {
  const started = mark();
  const records = generateView(view, { seed: 1, scale, now });
  console.log(`generate ${view}: ${records.length} records in ${ms(started)}`);
}

const started = mark();
const sim = await startSimulator({ password: 'bench', scale, now });
console.log(`start (generates every view): ${ms(started)}`);
const authorization = `Basic ${Buffer.from(`${DEFAULT_USERNAME}:bench`).toString('base64')}`;
try {
  for (const view of VIEW_NAMES) {
    const t = mark();
    const res = await fetch(`${sim.url}?id=${getView(view).guid}`, { headers: { authorization } });
    let bytes = 0;
    for await (const chunk of res.body ?? []) bytes += (chunk as Uint8Array).byteLength;
    console.log(`serve ${view}: ${mb(bytes)} in ${ms(t)}, rss ${mb(process.memoryUsage().rss)}`);
  }
} finally {
  await sim.close();
}
