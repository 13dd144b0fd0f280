import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getView, VIEW_NAMES, type ViewName } from '../../src/registry.js';
import { droppedFieldOf, newFieldOf, type ViewFault } from '../../src/simulator/index.js';
import { fetchRecords, fetchView, parseSourceInstant, withSimulator, type SourceRecord } from '../support/simulator-helpers.js';

test('failNext answers its status for the next N requests of any view, then data again', async () => {
  await withSimulator({ faults: { failNext: { status: 503, count: 2 } } }, async (sim) => {
    const first = await fetchView(sim, 'tickets');
    const second = await fetchView(sim, 'comments');
    await Promise.all([first.text(), second.text()]);
    assert.deepEqual([first.status, second.status], [503, 503]);
    assert.equal((await fetchRecords(sim, 'tickets')).length, 600);
    assert.deepEqual(
      sim.requests.map((r) => [r.view, r.status]),
      [
        ['tickets', 503],
        ['comments', 503],
        ['tickets', 200],
      ],
    );
  });
});

test('a 429 carries Retry-After, by default one second', async () => {
  await withSimulator({}, async (sim) => {
    sim.setFaults({ failNext: { status: 429, count: 1 } });
    const limited = await fetchView(sim, 'timesheets');
    await limited.text();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');

    sim.setFaults({ failNext: { status: 429, count: 1, retryAfterSeconds: 42 } });
    const longer = await fetchView(sim, 'timesheets');
    await longer.text();
    assert.equal(longer.headers.get('retry-after'), '42');
  });
});

test('setFaults replaces the faults before it, and the caller’s object is not counted down', async () => {
  const faults = { failNext: { status: 500, count: 5 } };
  await withSimulator({ faults }, async (sim) => {
    await (await fetchView(sim, 'tickets')).text();
    sim.setFaults({ views: { tickets: 'empty' } });
    assert.equal((await fetchRecords(sim, 'tickets')).length, 0);
    assert.equal((await fetchRecords(sim, 'comments')).length, 500);
    sim.setFaults({});
    assert.equal((await fetchRecords(sim, 'tickets')).length, 600);
  });
  assert.equal(faults.failNext.count, 5);
});

test('delayMs holds back the headers until its wait is over', async () => {
  const waits: number[] = [];
  let endWait: () => void = () => undefined;
  let waiting: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    waiting = resolve;
  });
  // The simulator's wait, played by the test: the answer may come only once it ends.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      waits.push(ms);
      endWait = resolve;
      waiting();
    });
  await withSimulator({ faults: { delayMs: 300_000 }, sleep }, async (sim) => {
    let answered = false;
    const response = fetchView(sim, 'comments').then((res) => {
      answered = true;
      return res;
    });
    await started;
    assert.deepEqual(waits, [300_000]);
    assert.equal(sim.requests.length, 0, 'nothing answered while the wait lasts');
    assert.equal(answered, false);
    endWait();
    const res = await response;
    assert.equal(res.status, 200);
    await res.text();
    assert.deepEqual(
      sim.requests.map((r) => [r.view, r.status]),
      [['comments', 200]],
    );
  });
});

test('a malformed body is a complete 200 answer that is not valid JSON', async () => {
  await withSimulator({ faults: { views: { tickets: 'malformed' } } }, async (sim) => {
    const res = await fetchView(sim, 'tickets');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.throws(() => JSON.parse(text), SyntaxError);
    assert.ok(text.startsWith('{"message":{"data":['));
  });
});

test('a cut-off body declares its length, then the connection drops and reading the body throws', async () => {
  await withSimulator({ faults: { views: { timesheets: 'cutoff' } } }, async (sim) => {
    const res = await fetchView(sim, 'timesheets');
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get('content-length')) > 1_000_000);
    await assert.rejects(res.text());
    assert.equal((await fetchRecords(sim, 'comments')).length, 500, 'the server keeps answering');
  });
});

test('a truncated body is valid JSON holding the first 10% of the records', async () => {
  await withSimulator({}, async (sim) => {
    const full = await fetchRecords(sim, 'timesheets');
    sim.setFaults({ views: { timesheets: 'truncated' } });
    const truncated = await fetchRecords(sim, 'timesheets');
    assert.equal(truncated.length, 800);
    assert.deepEqual(truncated, full.slice(0, 800));
  });
});

test('an empty body holds zero records in the usual envelope', async () => {
  await withSimulator({ faults: { views: { comments: 'empty' } } }, async (sim) => {
    const res = await fetchView(sim, 'comments');
    assert.equal(await res.text(), '{"message":{"data":[]}}');
  });
});

test('the other envelopes wrap the same records', async () => {
  await withSimulator({}, async (sim) => {
    const usual = await fetchRecords(sim, 'comments');
    const cases: [ViewFault, (body: Record<string, unknown>) => unknown][] = [
      ['envelope-data', (b) => b['data']],
      ['envelope-bare', (b) => b],
      ['envelope-unknown', (b) => b['result']],
    ];
    for (const [fault, unwrap] of cases) {
      sim.setFaults({ views: { comments: fault } });
      const body = (await (await fetchView(sim, 'comments')).json()) as Record<string, unknown>;
      assert.deepEqual(unwrap(body), usual, fault);
      assert.equal(body['message'], undefined, fault);
    }
  });
});

test('new-field adds a field named after the view to every record', async () => {
  const expected = { tickets: 'TKT-New Field', comments: 'TKTCT-New Field', timesheets: 'TS-New Field' };
  await withSimulator({ faults: { views: { tickets: 'new-field', comments: 'new-field', timesheets: 'new-field' } } }, async (sim) => {
    for (const view of VIEW_NAMES) {
      assert.equal(newFieldOf(getView(view)), expected[view]);
      const records = await fetchRecords(sim, view);
      assert.ok(
        records.every((r) => expected[view] in r),
        view,
      );
      assert.equal(Object.keys(records[0] ?? {}).length, getView(view).fields.length + 1);
    }
  });
});

test('drop-field omits one known non-key field from every record', async () => {
  await withSimulator({ faults: { views: { tickets: 'drop-field', comments: 'drop-field', timesheets: 'drop-field' } } }, async (sim) => {
    for (const view of VIEW_NAMES) {
      const spec = getView(view);
      const dropped = droppedFieldOf(spec);
      const field = spec.fields.find((f) => f.api === dropped);
      assert.ok(field && !spec.key.includes(field.column) && field.column !== spec.cursor, view);
      const records = await fetchRecords(sim, view);
      assert.ok(
        records.every((r) => !(dropped in r) && Object.keys(r).length === spec.fields.length - 1),
        view,
      );
    }
  });
});

test('duplicate-keys repeats 1% of the records later in the payload with a later version', async () => {
  await withSimulator({}, async (sim) => {
    const usual = await Promise.all(VIEW_NAMES.map((v) => fetchRecords(sim, v)));
    sim.setFaults({ views: { tickets: 'duplicate-keys', comments: 'duplicate-keys', timesheets: 'duplicate-keys' } });
    for (const [i, view] of VIEW_NAMES.entries()) {
      const original = usual[i] as SourceRecord[];
      const records = await fetchRecords(sim, view);
      const repeats = records.slice(original.length);
      assert.deepEqual(records.slice(0, original.length), original);
      assert.equal(repeats.length, Math.ceil(original.length / 100), view);
      for (const [j, repeat] of repeats.entries()) {
        const first = original[j * 100] as SourceRecord;
        assert.deepEqual(keyOf(view, repeat), keyOf(view, first));
        assert.notDeepEqual(repeat, first);
        if (view !== 'comments') {
          const cursor = getView(view).cursor as string;
          assert.ok(parseSourceInstant(repeat[cursor]) > parseSourceInstant(first[cursor]), view);
        }
      }
    }
  });
});

function keyOf(view: ViewName, record: SourceRecord): unknown[] {
  const spec = getView(view);
  return spec.key.map((column) => record[spec.fields.find((f) => f.column === column)?.api ?? column]);
}
