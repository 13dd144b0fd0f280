/** Shared by the simulator's integration tests: start one, call it like the product does. */
import assert from 'node:assert/strict';
import { getView, type ViewName } from '../../src/registry.js';
import { DEFAULT_USERNAME, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const PASSWORD = 'correct horse battery staple';
/** A fixed reference time, so every run sees the same data. Mid-March: day-first dates past the 12th. */
export const NOW = new Date('2025-03-15T03:00:00Z');

export type SourceRecord = Record<string, unknown>;

export function basicAuth(username: string = DEFAULT_USERNAME, password: string = PASSWORD): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export async function withSimulator(opts: Partial<SimulatorOptions>, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ password: PASSWORD, now: NOW, ...opts });
  try {
    await run(sim);
  } finally {
    await sim.close();
  }
}

export function viewUrl(sim: Simulator, view: ViewName): string {
  return `${sim.url}?id=${getView(view).guid}`;
}

export function fetchView(sim: Simulator, view: ViewName, authorization = basicAuth()): Promise<Response> {
  // On a connection of its own: a kept-alive one that the server closed while the test waited on
  // something else fails the next request ("fetch failed"), which is not what any test is about.
  return fetch(viewUrl(sim, view), { headers: { authorization, accept: 'application/json', connection: 'close' } });
}

/** The records of a view in the usual envelope, asserting a 200 JSON answer. */
export async function fetchRecords(sim: Simulator, view: ViewName): Promise<SourceRecord[]> {
  const res = await fetchView(sim, view);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const body = (await res.json()) as { message?: { data?: unknown } };
  assert.ok(Array.isArray(body.message?.data), 'body is {"message":{"data":[...]}}');
  return body.message.data as SourceRecord[];
}

/** An instant the way the product reads it: day-first or ISO; naive values are Perth time (UTC+8). */
export function parseSourceInstant(value: unknown): number {
  const text = String(value);
  const dayFirst = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (dayFirst) {
    const [, d, m, y, hh, mm, ss] = dayFirst.map(Number) as number[];
    return Date.UTC(y!, m! - 1, d, hh, mm, Number.isNaN(ss) ? 0 : ss) - 8 * 3_600_000;
  }
  const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(text);
  const ms = Date.parse(hasZone ? text : `${text.replace(' ', 'T')}+08:00`);
  assert.ok(Number.isFinite(ms), `unparseable instant ${text}`);
  return ms;
}
