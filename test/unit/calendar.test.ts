import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, epochMsOfIso, isoDateOfDay, isoInstantOf } from '../../src/transform/calendar.js';

test('epoch ms of the canonical dates and instants the normalizer writes are what Date.parse reads', () => {
  const instants = [Date.UTC(2026, 11, 7, 23, 59, 59, 999), Date.UTC(2024, 1, 29), Date.UTC(1970, 0, 1), -62135596800000, 253402300799999];
  for (let ms = -2e12; ms < 4e12; ms += 7_777_777_777) instants.push(ms);
  for (const ms of instants) {
    const instant = isoInstantOf(ms);
    assert.equal(epochMsOfIso(instant), ms, instant);
    const date = isoDateOfDay(Math.floor(ms / DAY_MS));
    assert.equal(epochMsOfIso(date), Date.parse(date), date);
  }
});

test('anything else is read by Date.parse', () => {
  for (const text of ['2026-12-07T10:00:00+08:00', '2026-12-07 10:00', '2026-12-07T10:00:00Z', 'not a date', '']) {
    assert.deepEqual(epochMsOfIso(text), Date.parse(text), text);
  }
});
