import { test } from 'node:test';
import assert from 'node:assert/strict';

import { forgetSecrets, registerSecret, scrub } from '../../src/secrets.js';

test('the password is hidden raw, JSON-escaped, URL-encoded and as any 8-character run of it', () => {
  forgetSecrets();
  const password = 'ab"c\\d e%f/ghijklmnop';
  registerSecret(password, 'svc-user');
  const texts = [
    `raw ${password} end`,
    `json ${JSON.stringify({ p: password })} end`,
    `json in json ${JSON.stringify(JSON.stringify({ p: password }))} end`,
    `url ?p=${encodeURIComponent(password)} end`,
    `form ?p=${new URLSearchParams({ p: password }).toString()} end`,
    `preview cut …${password.slice(0, 9)}`,
    `middle …${password.slice(6, 15)}…`,
    `base64 ${Buffer.from(`svc-user:${password}`).toString('base64')} end`,
  ];
  for (const text of texts) {
    const out = scrub(text);
    assert.match(out, /\*\*\*/, `${text} -> ${out}`);
    for (let i = 0; i + 8 <= password.length; i++) assert.ok(!out.includes(password.slice(i, i + 8)), `${text} -> ${out}`);
    assert.ok(out.endsWith(' end') || !text.endsWith(' end'), `the text after the secret stays: ${out}`);
  }
  forgetSecrets();
});

test('Authorization values are hidden in header dumps and JSON, whatever the scheme', () => {
  forgetSecrets();
  assert.equal(scrub('Authorization: Basic dXNlcjpwYXNzd29yZA==\nnext'), 'Authorization: Basic ***\nnext');
  assert.equal(scrub('{"authorization":"Bearer abc.def.ghi","x":1}'), '{"authorization":"Bearer ***","x":1}');
  assert.equal(scrub('proxy-authorization=Token123456789&x=1'), 'proxy-authorization=***&x=1');
  assert.equal(scrub('sent Basic dXNlcjpwYXNzd29yZA== twice'), 'sent Basic *** twice');
});

test('redaction keeps the ": " before the message that follows a password parameter', () => {
  forgetSecrets();
  assert.equal(scrub('host=db password=s3cret: connection refused'), 'host=db password=***: connection refused');
  assert.equal(scrub('postgres://u@h/db?password=s3cret&sslmode=require: boom'), 'postgres://u@h/db?password=***&sslmode=require: boom');
  assert.equal(scrub('postgres://u:s3cret@h:5432/db: boom'), 'postgres://u:***@h:5432/db: boom');
});

test('text with no secret in it is left exactly as it was', () => {
  forgetSecrets();
  registerSecret('correct-horse-battery', 'u');
  const text = 'tickets: 3 records rejected (record 2 is 90000 bytes); see load_rejects';
  assert.equal(scrub(text), text);
  forgetSecrets();
});
