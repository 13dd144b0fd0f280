import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicAuth, PASSWORD, withSimulator } from '../support/simulator-helpers.js';
import { getView } from '../../src/registry.js';

test('credentials wrong in any part or shape get the very same 401, headers included', async () => {
  await withSimulator({}, async (sim) => {
    const url = `${sim.url}?id=${getView('comments').guid}`;
    const attempts = [
      undefined,
      basicAuth(undefined, 'wrong'),
      basicAuth('someone-else', PASSWORD),
      basicAuth('someone-else', 'wrong'),
      basicAuth(undefined, ''),
      basicAuth(undefined, `${PASSWORD}x`),
      `Basic ${Buffer.from(PASSWORD).toString('base64')}`, // no colon at all
      'Basic %%%not-base64%%%',
      `Bearer ${PASSWORD}`,
      'Basic',
      `basic ${Buffer.from(`\u0000:${PASSWORD}`).toString('base64')}`,
    ];
    const answers = [];
    for (const authorization of attempts) {
      const res = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
      const headers = [...res.headers].filter(([name]) => name !== 'date');
      answers.push({ status: res.status, headers, body: await res.text() });
    }
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
    assert.equal(answers[0]!.status, 401);
  });
});

test('without valid credentials, an unknown view GUID is not told apart from a known one', async () => {
  await withSimulator({}, async (sim) => {
    const known = await fetch(`${sim.url}?id=${getView('tickets').guid}`, { headers: { authorization: basicAuth(undefined, 'wrong') } });
    const unknown = await fetch(`${sim.url}?id=00000000-0000-0000-0000-000000000000`, {
      headers: { authorization: basicAuth(undefined, 'wrong') },
    });
    assert.deepEqual([known.status, await known.text()], [unknown.status, await unknown.text()]);
  });
});
