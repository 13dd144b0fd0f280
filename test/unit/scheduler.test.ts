import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, LockHeldError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { FreshOrLast } from '../../src/service/fresh-or-last.js';
import { checkSchedule, SyncScheduler, type TickResult } from '../../src/service/scheduler.js';

/** A sync the test finishes by hand. */
function controllableSync() {
  const calls: Array<{ runId: string; signal: AbortSignal; finish: (r: TickResult) => void; fail: (e: unknown) => void }> = [];
  const sync = (runId: string, signal: AbortSignal) =>
    new Promise<TickResult>((resolve, reject) => {
      calls.push({ runId, signal, finish: resolve, fail: reject });
    });
  return { calls, sync };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('the sync scheduler', () => {
  test('skips a tick while the previous sync is still running', async () => {
    const { calls, sync } = controllableSync();
    const scheduler = new SyncScheduler({ schedule: '30 6 * * *', timezone: 'Australia/Perth', log: silentLogger, sync });
    scheduler.tick();
    scheduler.tick();
    assert.equal(calls.length, 1);
    assert.equal(scheduler.syncing, true);
    calls[0]!.finish({ outcome: 'completed', runId: calls[0]!.runId, error: null });
    await flush();
    scheduler.tick();
    assert.equal(calls.length, 2);
    assert.notEqual(calls[1]!.runId, calls[0]!.runId);
    calls[1]!.finish({ outcome: 'completed', runId: calls[1]!.runId, error: null });
    await scheduler.stop();
  });

  test('survives a failed sync and runs again at the next tick', async () => {
    const { calls, sync } = controllableSync();
    const scheduler = new SyncScheduler({ schedule: '30 6 * * *', timezone: 'UTC', log: silentLogger, sync });
    scheduler.tick();
    calls[0]!.fail(new Error('database went away'));
    await flush();
    assert.equal(scheduler.lastTick?.outcome, 'failed');
    assert.match(scheduler.lastTick?.error ?? '', /database went away/);
    scheduler.tick();
    assert.equal(calls.length, 2);
    calls[1]!.finish({ outcome: 'completed', runId: calls[1]!.runId, error: null });
    await scheduler.stop();
  });

  test('records a sync held off by another process as locked, not failed', async () => {
    const { calls, sync } = controllableSync();
    const scheduler = new SyncScheduler({ schedule: '30 6 * * *', timezone: 'UTC', log: silentLogger, sync });
    scheduler.tick();
    calls[0]!.fail(new LockHeldError('another otc-etl sync is running'));
    await flush();
    assert.equal(scheduler.lastTick?.outcome, 'locked');
    await scheduler.stop();
  });

  test('stop() aborts the sync in progress and waits for it to finish', async () => {
    const { calls, sync } = controllableSync();
    const scheduler = new SyncScheduler({ schedule: '30 6 * * *', timezone: 'UTC', log: silentLogger, sync });
    scheduler.tick();
    let stopped = false;
    const stopping = scheduler.stop('SIGTERM').then(() => (stopped = true));
    await flush();
    assert.equal(calls[0]!.signal.aborted, true);
    assert.equal(stopped, false, 'stop waits for the sync');
    calls[0]!.finish({ outcome: 'views cancelled', runId: calls[0]!.runId, error: 'cancelled' });
    await stopping;
    scheduler.tick();
    assert.equal(calls.length, 1, 'no sync starts after stop');
  });

  test('a schedule that is not a cron expression is a configuration error', () => {
    assert.throws(() => checkSchedule('every morning', 'UTC'), ConfigError);
    assert.doesNotThrow(() => checkSchedule('*/5 * * * * *', 'Australia/Perth'));
  });
});

describe('an endpoint read that the database holds up', () => {
  test('answers from the last reading when the database does not answer in time', async () => {
    let release: (v: number) => void = () => undefined;
    let n = 0;
    const reader = new FreshOrLast(() => (++n === 1 ? Promise.resolve(1) : new Promise<number>((r) => (release = r))), 20);
    assert.deepEqual({ ...(await reader.get()), at: null }, { value: 1, at: null, fresh: true });
    const held = await reader.get();
    assert.equal(held.value, 1);
    assert.equal(held.fresh, false);
    release(2);
    await flush();
    const after = await reader.get();
    assert.equal(after.fresh, false, 'a third read is started and held again');
    assert.equal(after.value, 2, 'but the finished second read is now the last reading');
    release(3);
  });

  test('a failed read is an error, not an old value', async () => {
    let n = 0;
    const reader = new FreshOrLast(() => (++n === 1 ? Promise.resolve(1) : Promise.reject(new Error('unreachable'))), 1000);
    await reader.get();
    await assert.rejects(reader.get(), /unreachable/);
  });
});
