import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_BASE_URL, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

/** A directory without a `.env`, so only the given environment counts. */
function withCwd<T>(run: (cwd: string) => T, dotEnv?: string): T {
  const cwd = mkdtempSync(join(tmpdir(), 'otc-config-'));
  try {
    if (dotEnv !== undefined) writeFileSync(join(cwd, '.env'), dotEnv, { mode: 0o600 });
    return run(cwd);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

function problemsOf(env: Record<string, string>, dotEnv?: string): string {
  return withCwd((cwd) => {
    try {
      loadConfig({ env, cwd });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.message;
    }
    assert.fail('expected a configuration error');
  }, dotEnv);
}

test('with nothing set, every variable takes its default', () => {
  const config = withCwd((cwd) => loadConfig({ env: {}, cwd }));
  assert.equal(config.baseUrl, DEFAULT_BASE_URL);
  assert.equal(config.schema, 'servicedesk');
  assert.equal(config.timezone, 'Australia/Perth');
  assert.equal(config.maxRejectRate, 0.05);
  assert.equal(config.minVolumeRatio, 0.5);
  assert.equal(config.password, null);
  assert.equal(config.databaseUrl, null);
  assert.deepEqual(
    [config.source.minIntervalMs, config.source.maxRequestsPerHour, config.source.viewGapMs, config.maxRecordBytes, config.historyDays],
    [5_000, 100, 30_000, 16 << 20, 0],
  );
});

test('numbers are read from their text: whole numbers, shares, and the bounds themselves', () => {
  const env = {
    OTC_MIN_INTERVAL_MS: '0',
    OTC_TIMEOUT_MS: ' 2500 ',
    OTC_MAX_REJECT_RATE: '1',
    OTC_MIN_VOLUME_RATIO: '0.25',
    OTC_MAX_RECORD_BYTES: String(512 << 20),
    OTC_BASE_URL: 'http://127.0.0.1:8080/OTC/Data/View/data',
  };
  const config = withCwd((cwd) => loadConfig({ env, cwd }));
  assert.deepEqual(
    [config.source.minIntervalMs, config.source.timeoutMs, config.maxRejectRate, config.minVolumeRatio, config.maxRecordBytes],
    [0, 2500, 1, 0.25, 512 << 20],
  );
  assert.equal(config.baseUrl, env.OTC_BASE_URL);
});

test('every bad variable is listed at once, with its value, what it must be, and never a password', () => {
  const message = problemsOf({
    OTC_MAX_REJECT_RATE: 'lots',
    OTC_MIN_VOLUME_RATIO: '1.5',
    OTC_MIN_INTERVAL_MS: '-1',
    OTC_TIMEOUT_MS: '1.5',
    OTC_MAX_RETRIES: 'Infinity',
    OTC_MAX_RECORD_BYTES: '10',
    OTC_BASE_URL: 'ftp://otc.example/data',
    OTC_TIMEZONE: 'Mars/Olympus',
    OTC_SCHEMA: 'Service Desk',
    DATABASE_URL: 'postgres//bob:s3cret-pw@db.internal/servicedesk',
  });
  const lines = message.split('\n');
  assert.equal(lines[0], 'invalid configuration:');
  assert.equal(lines.at(-1), 'Fix the variables above (environment or .env).');
  assert.deepEqual(lines.slice(1, -1).sort(), [
    '  DATABASE_URL: is neither a PostgreSQL URL (postgres://user@host:5432/database) nor a libpq key=value string (host=… port=5432 dbname=… user=…); it is "postgres//bob:***@db.internal/servicedesk"',
    '  OTC_BASE_URL: must be an http:// or https:// URL; it is "ftp://otc.example/data"',
    '  OTC_MAX_RECORD_BYTES: must be a whole number from 1024 to 536870912; it is "10"',
    '  OTC_MAX_REJECT_RATE: must be a number; it is "lots"',
    '  OTC_MAX_RETRIES: must be a number; it is "Infinity"',
    '  OTC_MIN_INTERVAL_MS: must be a whole number of at least 0; it is "-1"',
    '  OTC_MIN_VOLUME_RATIO: must be a number from 0 to 1; it is "1.5"',
    '  OTC_SCHEMA: must be a lower-case SQL identifier; it is "Service Desk"',
    '  OTC_TIMEOUT_MS: must be a whole number of at least 1; it is "1.5"',
    '  OTC_TIMEZONE: must be an IANA time zone such as Australia/Perth; it is "Mars/Olympus"',
  ]);
  assert.ok(!message.includes('s3cret-pw'));
});

test('an empty value in .env is a mistake to fix, not a default; the password is named but not echoed', () => {
  const message = problemsOf({}, 'OTC_PASSWORD=\nOTC_TIMEOUT_MS=\nOTC_USERNAME=\n');
  assert.match(message, /^ {2}OTC_PASSWORD: must not be empty$/m);
  assert.match(message, /^ {2}OTC_TIMEOUT_MS: must not be empty; it is ""$/m);
  assert.match(message, /^ {2}OTC_USERNAME: must not be empty; it is ""$/m);
});
