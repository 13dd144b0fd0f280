import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getView, VIEWS, type ViewName } from '../../src/registry.js';
import { startCli, waitFor, type RunningCli } from '../support/cli.js';
import {
  basicAuth,
  fetchRecords,
  NOW,
  parseSourceInstant,
  PASSWORD,
  withSimulator,
  type SourceRecord,
} from '../support/simulator-helpers.js';

const HOUR_MS = 3_600_000;

/** A `simulate` process on a free port; resolves with its URL once it listens. */
async function simulateProcess(cwd: string, args: string[]): Promise<{ cli: RunningCli; url: string }> {
  let stdout = '';
  const cli = await startCli(['simulate', '--port', '0', '--password', PASSWORD, '--json', ...args], { env: {}, cwd });
  cli.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  await waitFor('the simulator to listen', () => {
    try {
      return typeof (JSON.parse(stdout) as { url?: string }).url === 'string';
    } catch {
      return false;
    }
  });
  return { cli, url: (JSON.parse(stdout) as { url: string }).url };
}

async function bodyHash(url: string, view: ViewName): Promise<string> {
  const res = await fetch(`${url}?id=${getView(view).guid}`, { headers: { authorization: basicAuth() } });
  assert.equal(res.status, 200);
  return createHash('sha256')
    .update(Buffer.from(await res.arrayBuffer()))
    .digest('hex');
}

describe('the simulator across restarts', () => {
  let cwd: string;
  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'otc-etl-simulate-'));
  });
  after(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  for (const args of [[], ['--step', '3']]) {
    test(`two simulate processes with the same seed${args.length ? ` and ${args.join(' ')}` : ''} serve byte-identical first responses for every view`, async () => {
      const hashes: Record<string, string>[] = [];
      for (let i = 0; i < 2; i++) {
        const { cli, url } = await simulateProcess(cwd, ['--seed', '7', ...args]);
        try {
          const seen: Record<string, string> = {};
          for (const view of VIEWS) seen[view.name] = await bodyHash(url, view.name);
          hashes.push(seen);
        } finally {
          cli.child.kill('SIGINT');
          await cli.result;
        }
      }
      assert.deepEqual(hashes[1], hashes[0]);
    });
  }
});

describe('simulator steps', () => {
  const recordsAt = async (step: number): Promise<Record<ViewName, SourceRecord[]>> => {
    const out = {} as Record<ViewName, SourceRecord[]>;
    await withSimulator({ step }, async (sim) => {
      for (const view of VIEWS) out[view.name] = await fetchRecords(sim, view.name);
    });
    return out;
  };
  const byId = (records: SourceRecord[]) => new Map(records.map((r) => [Number(r['TKT-Ticket ID']), r]));
  let steps: Array<Record<ViewName, SourceRecord[]>>;
  before(async () => {
    steps = [];
    for (let step = 0; step <= 6; step++) steps.push(await recordsAt(step));
  });

  test('a step moves tickets only: comments and timesheets are the same at every step', () => {
    for (const at of steps.slice(1)) {
      assert.deepEqual(at.comments, steps[0]!.comments);
      assert.deepEqual(at.timesheets, steps[0]!.timesheets);
    }
  });

  test('step N+1 keeps step N and adds changes stamped one hour later, moving statuses as a service desk does', () => {
    const allowed = new Set([
      'Open>In Progress',
      'Open>Pending',
      'Open>Closed',
      'In Progress>Pending',
      'In Progress>Resolved',
      'In Progress>Incident Resolved',
      'In Progress>Closed',
      'Pending>In Progress',
      'Pending>Resolved',
      'Pending>Incident Resolved',
      'Resolved>Closed',
      'Resolved>In Progress',
      'Incident Resolved>Closed',
      'Incident Resolved>In Progress',
      'Closed>In Progress',
    ]);
    const seen = new Set<string>();
    let reassigned = 0;
    let opened = 0;
    for (let step = 1; step < steps.length; step++) {
      const before = byId(steps[step - 1]!.tickets);
      const stampMs = NOW.getTime() + step * HOUR_MS;
      let changed = 0;
      for (const [id, record] of byId(steps[step]!.tickets)) {
        const previous = before.get(id);
        const modifiedMs = parseSourceInstant(record['TKT-Modified Time']);
        if (!previous) {
          opened++;
          assert.equal(record['TKT-Status'], 'Open');
          assert.equal(modifiedMs, stampMs);
          continue;
        }
        if (JSON.stringify(previous) === JSON.stringify(record)) continue;
        changed++;
        assert.equal(modifiedMs, stampMs, `ticket ${id} changed at step ${step} carries that step's time`);
        assert.ok(modifiedMs > parseSourceInstant(previous['TKT-Modified Time']));
        if (previous['TKT-Status'] !== record['TKT-Status']) {
          const move = `${String(previous['TKT-Status'])}>${String(record['TKT-Status'])}`;
          assert.ok(allowed.has(move), `unexpected move ${move}`);
          seen.add(move);
        }
        if (previous['TKT-Assigned To User'] !== record['TKT-Assigned To User']) reassigned++;
      }
      assert.ok(changed > 0, `step ${step} changes some tickets`);
    }
    assert.ok(opened > 0, 'steps open new tickets');
    assert.ok(reassigned > 0, 'steps reassign tickets');
    for (const move of ['Open>In Progress', 'In Progress>Pending', 'Pending>In Progress']) assert.ok(seen.has(move), `${move} happens`);
  });
});
