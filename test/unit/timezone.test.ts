import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Zone, zoneNamed } from '../../src/transform/timezone.js';

const HOUR_MS = 3_600_000;
const wall = (iso: string): number => Date.parse(iso + 'Z');

const formats = new Map<string, Intl.DateTimeFormat>();

/** An independent reading of a zone's wall clock, to check the cached offsets against. */
function intlWallClock(zone: string, utcMs: number): string {
  const parts = formatFor(zone).formatToParts(utcMs);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

function formatFor(zone: string): Intl.DateTimeFormat {
  const known = formats.get(zone);
  if (known) return known;
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  formats.set(zone, format);
  return format;
}

test('an unknown zone name is a RangeError that says what to use', () => {
  for (const name of ['Nowhere/City', '', '+08:00', 'Australia/Pert']) {
    assert.throws(
      () => new Zone(name),
      (error: unknown) => error instanceof RangeError && /IANA/.test(error.message),
    );
  }
});

test('a zone keeps the name it was given', () => {
  assert.equal(new Zone('Australia/Perth').name, 'Australia/Perth');
  assert.equal(new Zone('UTC').name, 'UTC');
});

test('each zone name has one Zone in a process, so every view and run shares what it has probed', () => {
  const perth = zoneNamed('Australia/Perth');
  assert.equal(zoneNamed('Australia/Perth'), perth);
  assert.notEqual(zoneNamed('Australia/Sydney'), perth);
  assert.equal(zoneNamed('Australia/Sydney').name, 'Australia/Sydney');
  assert.equal(perth.offsetAt(Date.parse('2024-07-01T00:00:00Z')), 8 * HOUR_MS);
  assert.throws(
    () => zoneNamed('Nowhere/City'),
    (error: unknown) => error instanceof RangeError && /IANA/.test(error.message),
  );
});

test('offsets follow the zone through the year', () => {
  const sydney = new Zone('Australia/Sydney');
  assert.equal(sydney.offsetAt(Date.parse('2025-07-01T00:00:00Z')), 10 * HOUR_MS);
  assert.equal(sydney.offsetAt(Date.parse('2025-01-01T00:00:00Z')), 11 * HOUR_MS);
  assert.equal(new Zone('Australia/Perth').offsetAt(Date.parse('2025-01-01T00:00:00Z')), 8 * HOUR_MS);
});

test('a transition is found to the second', () => {
  const sydney = new Zone('Australia/Sydney');
  const switchAt = Date.parse('2025-10-04T16:00:00Z');
  assert.equal(sydney.offsetAt(switchAt - 1), 10 * HOUR_MS);
  assert.equal(sydney.offsetAt(switchAt), 11 * HOUR_MS);
});

test('local mean time offsets keep their seconds', () => {
  // Perth ran on local mean time, +07:43:24, until December 1895.
  const perth = new Zone('Australia/Perth');
  assert.equal(perth.offsetAt(Date.parse('1850-06-01T00:00:00Z')), (7 * 3600 + 43 * 60 + 24) * 1000);
  assert.equal(perth.offsetAt(Date.parse('0100-06-01T00:00:00Z')), (7 * 3600 + 43 * 60 + 24) * 1000);
});

test('Perth daylight saving of 2006 to 2009 is honoured', () => {
  const perth = new Zone('Australia/Perth');
  assert.equal(perth.toUtc(wall('2007-01-01T00:00:00')), Date.parse('2006-12-31T15:00:00Z'));
});

test('a skipped local time is read with the offset from before the gap', () => {
  assert.equal(new Zone('Australia/Sydney').toUtc(wall('2025-10-05T02:30:00')), Date.parse('2025-10-04T16:30:00Z'));
  assert.equal(new Zone('America/New_York').toUtc(wall('2025-03-09T02:30:00')), Date.parse('2025-03-09T07:30:00Z'));
  // Lord Howe Island moves its clocks by half an hour.
  assert.equal(new Zone('Australia/Lord_Howe').toUtc(wall('2025-10-05T02:15:00')), Date.parse('2025-10-04T15:45:00Z'));
});

test('a repeated local time resolves to its first occurrence', () => {
  assert.equal(new Zone('Australia/Sydney').toUtc(wall('2025-04-06T02:30:00')), Date.parse('2025-04-05T15:30:00Z'));
  assert.equal(new Zone('America/New_York').toUtc(wall('2025-11-02T01:30:00')), Date.parse('2025-11-02T05:30:00Z'));
  assert.equal(new Zone('Australia/Lord_Howe').toUtc(wall('2025-04-06T01:45:00')), Date.parse('2025-04-05T14:45:00Z'));
});

test('every existing wall-clock hour of a year converts back to itself', () => {
  for (const name of ['Australia/Sydney', 'Australia/Lord_Howe', 'America/Santiago', 'Europe/London', 'Asia/Kolkata']) {
    const zone = new Zone(name);
    let skipped = 0;
    for (let ms = wall('2025-01-01T00:30:00'); ms < wall('2026-01-01T00:00:00'); ms += HOUR_MS) {
      const back = intlWallClock(name, zone.toUtc(ms));
      const expected = new Date(ms).toISOString().slice(0, 19);
      if (back !== expected) skipped++;
    }
    // Only the hour skipped by the spring-forward gap (if the zone has one) may come back different.
    assert.ok(skipped <= 1, `${name}: ${skipped} hours did not round-trip`);
  }
});

test('cached offsets agree with Intl at every half hour of a year', () => {
  for (const name of ['Australia/Sydney', 'America/Santiago', 'Australia/Lord_Howe']) {
    const zone = new Zone(name);
    for (let utc = Date.parse('2025-01-01T00:00:00Z'); utc < Date.parse('2026-01-01T00:00:00Z'); utc += HOUR_MS / 2) {
      const local = new Date(utc + zone.offsetAt(utc)).toISOString().slice(0, 19);
      assert.equal(local, intlWallClock(name, utc), `${name} at ${new Date(utc).toISOString()}`);
    }
  }
});
