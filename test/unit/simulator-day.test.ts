import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceTime, startOfLocalDay } from '../../src/simulator/day.js';

describe("the simulator's reference time", () => {
  test('every instant of one Perth day gives the same local midnight, and the next day the next one', () => {
    const midnight = '2025-03-14T16:00:00.000Z'; // 15 March 00:00 in Perth (UTC+8)
    for (const at of ['2025-03-14T16:00:00Z', '2025-03-15T03:00:00Z', '2025-03-15T15:59:59.999Z']) {
      assert.equal(startOfLocalDay(new Date(at), 'Australia/Perth').toISOString(), midnight, at);
    }
    assert.equal(startOfLocalDay(new Date('2025-03-15T16:00:00Z'), 'Australia/Perth').toISOString(), '2025-03-15T16:00:00.000Z');
  });

  test('in a zone with daylight saving the day starts at its own midnight on both sides of the change', () => {
    // Sydney leaves daylight saving on 6 April 2025 at 03:00 (UTC+11 → UTC+10).
    assert.equal(startOfLocalDay(new Date('2025-04-06T05:00:00Z'), 'Australia/Sydney').toISOString(), '2025-04-05T13:00:00.000Z');
    assert.equal(startOfLocalDay(new Date('2025-04-07T05:00:00Z'), 'Australia/Sydney').toISOString(), '2025-04-06T14:00:00.000Z');
    assert.equal(startOfLocalDay(new Date('2025-04-06T05:00:00Z'), 'UTC').toISOString(), '2025-04-06T00:00:00.000Z');
  });

  test("the data's reference time is the midnight that starts the day before", () => {
    assert.equal(referenceTime(new Date('2025-03-15T03:00:00Z'), 'Australia/Perth').toISOString(), '2025-03-13T16:00:00.000Z');
    // The day before 7 April in Sydney is 6 April, 25 hours long: it starts at 00:00 UTC+11.
    assert.equal(referenceTime(new Date('2025-04-07T05:00:00Z'), 'Australia/Sydney').toISOString(), '2025-04-05T13:00:00.000Z');
  });
});
