import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, redactedConfig } from '../../src/config.js';
import { endpointOf, parseDatabaseUrl } from '../../src/database-url.js';
import { ConfigError } from '../../src/errors.js';
import { parse } from 'pg-connection-string';

describe('DATABASE_URL', () => {
  test('a libpq key=value string becomes the URL it means, quotes and escapes included', () => {
    const parsed = parseDatabaseUrl(
      String.raw`host=db.internal port=6543 dbname='service desk' user=etl password='it\'s a secret' sslmode=require`,
    );
    assert.ok(parsed.ok);
    const driver = parse(parsed.url);
    assert.deepEqual(
      {
        host: driver.host,
        port: driver.port,
        database: driver.database,
        user: driver.user,
        password: driver.password,
        sslmode: driver.sslmode,
      },
      { host: 'db.internal', port: '6543', database: 'service desk', user: 'etl', password: "it's a secret", sslmode: 'require' },
    );
    assert.equal(endpointOf(parsed.url), 'db.internal:6543/service desk');
  });

  test('a socket directory as host works, as in libpq', () => {
    const parsed = parseDatabaseUrl('host=/var/run/postgresql dbname=servicedesk');
    assert.ok(parsed.ok);
    assert.equal(parse(parsed.url).host, '/var/run/postgresql');
  });

  test("URLs pass through unchanged, the driver's socket form included", () => {
    for (const url of [
      'postgres://etl:pw@db:5432/servicedesk?sslmode=require',
      'postgresql://db/servicedesk',
      'postgres://etl:pw@/servicedesk?host=/tmp',
    ]) {
      assert.deepEqual(parseDatabaseUrl(url), { ok: true, url });
    }
  });

  test('anything else is refused with the value shown and its password hidden', () => {
    for (const [value, why] of [
      ['postgres//oops', /neither a PostgreSQL URL nor|is neither/],
      ['localhost:5432', /is neither/],
      ["host=db password='unclosed", /quoted value of "password" is not closed/],
      ['host=db hostaddr=10.0.0.1', /uses hostaddr/],
    ] as const) {
      const parsed = parseDatabaseUrl(value);
      assert.equal(parsed.ok, false, value);
      if (!parsed.ok) assert.match(parsed.message, why);
    }
    const hidden = parseDatabaseUrl("host=db password='s3cret value' bogus=1");
    assert.ok(!hidden.ok && !hidden.message.includes('s3cret'), JSON.stringify(hidden));
  });

  test('loadConfig lists a bad DATABASE_URL beside the other bad variables', () => {
    assert.throws(
      () => loadConfig({ env: { DATABASE_URL: 'postgres//oops', OTC_MAX_RETRIES: 'many' }, cwd: '/nonexistent' }),
      (error: unknown) =>
        error instanceof ConfigError && /DATABASE_URL: .*"postgres\/\/oops"/.test(error.message) && /OTC_MAX_RETRIES/.test(error.message),
    );
  });

  test('a malformed variable is named with the value it had, a password in it hidden', () => {
    assert.throws(
      () => loadConfig({ env: { OTC_MIN_INTERVAL_MS: 'abc', OTC_BASE_URL: 'ftp://etl:s3cret@otc/x' }, cwd: '/nonexistent' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /OTC_MIN_INTERVAL_MS: .*"abc"/.test(error.message) &&
        /OTC_BASE_URL: .*"ftp:\/\/etl:\*\*\*@otc\/x"/.test(error.message) &&
        !error.message.includes('s3cret'),
    );
  });

  test('config shows no password written into OTC_BASE_URL', () => {
    const config = loadConfig({ env: { OTC_BASE_URL: 'https://etl:s3cret@otc.example/OTC/Data/View/data' }, cwd: '/nonexistent' });
    assert.equal(redactedConfig(config).baseUrl, 'https://etl:***@otc.example/OTC/Data/View/data');
  });
});
