import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { parseFaults } from '../../src/cli/commands/simulate.js';

test('simulate --fail-next takes STATUS:COUNT with an optional Retry-After in seconds', () => {
  assert.deepEqual(parseFaults({ failNext: '503:3' }), { failNext: { status: 503, count: 3 } });
  assert.deepEqual(parseFaults({ failNext: '429:2:30' }), { failNext: { status: 429, count: 2, retryAfterSeconds: 30 } });
});

test('simulate --fault VIEW=FAULT can be given once per view, with --delay-ms beside it', () => {
  assert.deepEqual(parseFaults({ fault: ['tickets=malformed', 'timesheets=cutoff'], delayMs: '2000' }), {
    delayMs: 2000,
    views: { tickets: 'malformed', timesheets: 'cutoff' },
  });
});

test('an unknown view or fault, or a badly formed --fail-next, is a usage error naming the choices', () => {
  assert.throws(
    () => parseFaults({ fault: ['tickets=explode'] }),
    (e: unknown) => e instanceof ConfigError && /malformed, cutoff/.test(e.message),
  );
  assert.throws(() => parseFaults({ fault: ['users=empty'] }), ConfigError);
  assert.throws(() => parseFaults({ failNext: '503' }), /STATUS:COUNT/);
  assert.throws(() => parseFaults({ delayMs: '-5' }), /--delay-ms/);
});
