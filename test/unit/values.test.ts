import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import type { FieldType } from '../../src/registry.js';
import { parseValue, ValueError, Zone, type ParseContext } from '../../src/transform/values.js';

const perth: ParseContext = { zone: new Zone('Australia/Perth') };
const sydney: ParseContext = { zone: new Zone('Australia/Sydney') };
const excel1900: ParseContext = { zone: perth.zone, serialDates: '1900' };
const excel1904: ParseContext = { zone: perth.zone, serialDates: '1904' };
const ALL_TYPES: readonly FieldType[] = ['id', 'text', 'instant', 'date', 'bool', 'decimal', 'clock'];

function parses(type: FieldType, raw: unknown, expected: string | boolean | null, ctx = perth): void {
  assert.equal(parseValue(type, raw, ctx), expected, `${type} ${inspect(raw)}`);
}

/** Asserts a ValueError and returns its reason. */
function rejects(type: FieldType, raw: unknown, ctx = perth): string {
  const result = parseValue(type, raw, ctx);
  assert.ok(result instanceof ValueError, `${type} ${inspect(raw)} gave ${inspect(result)}`);
  return result.reason;
}

test('empty values are null for every type', () => {
  for (const type of ALL_TYPES) {
    for (const raw of [null, undefined, '', '   ', '\t\r\n']) parses(type, raw, null);
  }
});

test('a slash date is day first and read as wall-clock time in the zone', () => {
  parses('instant', '7/1/2025 9:05', '2025-01-07T01:05:00.000Z');
  parses('instant', '07/01/2025 09:05:30', '2025-01-07T01:05:30.000Z');
  parses('instant', '  7/1/2025   9:05  ', '2025-01-07T01:05:00.000Z');
  parses('instant', '7/1/2025', '2025-01-06T16:00:00.000Z');
  parses('instant', '31/12/2024 23:59:59', '2024-12-31T15:59:59.000Z');
});

test('a slash time may carry AM or PM', () => {
  parses('instant', '7/1/2025 9:05 PM', '2025-01-07T13:05:00.000Z');
  parses('instant', '7/1/2025 9:05am', '2025-01-07T01:05:00.000Z');
  parses('instant', '7/1/2025 12:00 AM', '2025-01-06T16:00:00.000Z');
  parses('instant', '7/1/2025 12:30 pm', '2025-01-07T04:30:00.000Z');
  assert.match(rejects('instant', '7/1/2025 13:00 PM'), /no such time/);
  assert.match(rejects('instant', '7/1/2025 0:30 AM'), /no such time/);
});

test('ISO 8601 is accepted with or without T, fractions and offsets', () => {
  parses('instant', '2025-01-07T12:30:45Z', '2025-01-07T12:30:45.000Z');
  parses('instant', '2025-01-07t12:30:45z', '2025-01-07T12:30:45.000Z');
  parses('instant', '2025-01-07 12:30:45.123+10:30', '2025-01-07T02:00:45.123Z');
  parses('instant', '2025-01-07T12:30:45+0800', '2025-01-07T04:30:45.000Z');
  parses('instant', '2025-01-07T12:30:45+08', '2025-01-07T04:30:45.000Z');
  parses('instant', '2025-01-07T12:30:45-05:00', '2025-01-07T17:30:45.000Z');
  parses('instant', '2025-01-07 12:30:45 +00:00', '2025-01-07T12:30:45.000Z');
  parses('instant', '2025-01-07T12:30', '2025-01-07T04:30:00.000Z');
  parses('instant', '2025-01-07T12:30:45.1', '2025-01-07T04:30:45.100Z');
  parses('instant', '2025-01-07T12:30:45,25Z', '2025-01-07T12:30:45.250Z');
});

test('fractions beyond milliseconds are cut, not rounded', () => {
  parses('instant', '2025-01-07T12:30:45.123999Z', '2025-01-07T12:30:45.123Z');
});

test('a date without a time is midnight in the zone', () => {
  parses('instant', '2025-01-07', '2025-01-06T16:00:00.000Z');
});

test('dates and times that do not exist are value errors', () => {
  assert.match(rejects('instant', '13/13/2025'), /no such date/);
  assert.match(rejects('instant', '31/02/2025'), /no such date/);
  assert.match(rejects('instant', '29/02/2025'), /no such date/);
  assert.match(rejects('instant', '2025-00-10'), /no such date/);
  assert.match(rejects('instant', '7/1/2025 25:00'), /no such time/);
  assert.match(rejects('instant', '7/1/2025 24:00'), /no such time/);
  assert.match(rejects('instant', '7/1/2025 9:60'), /no such time/);
  assert.match(rejects('instant', '2025-01-07T12:30:45+24:00'), /no such UTC offset/);
  parses('instant', '29/02/2024', '2024-02-28T16:00:00.000Z');
});

test('shapes outside the known formats are value errors', () => {
  const shapes = ['yesterday', '1/7/25', '2025/01/07', '07-01-2025', '2025-01-07T', '7/1/2025 9', '7/1/2025 9:5'];
  for (const raw of [...shapes, '2025-01-07 12:30 UTC', '20250107']) {
    assert.match(rejects('instant', raw), /^expected a date/);
  }
  assert.match(rejects('instant', true), /^expected a date/);
});

test('a reason quotes at most about 40 characters of the value', () => {
  const reason = rejects('instant', 'x'.repeat(500));
  assert.ok(reason.length < 140, reason);
  assert.ok(!reason.includes('x'.repeat(41)), reason);
});

test('years 0001 to 9999 are accepted and others refused', () => {
  parses('instant', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z');
  parses('instant', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z');
  parses('instant', '1/1/0001 12:00', '0001-01-01T04:16:36.000Z');
  parses('date', '0001-01-01', '0001-01-01');
  assert.match(rejects('instant', '0000-01-01'), /no such date/);
  // Midnight of 1 January 0001 in Perth is still year 0 in UTC, which PostgreSQL cannot store.
  assert.match(rejects('instant', '0001-01-01'), /outside the years/);
  assert.match(rejects('instant', '9999-12-31T23:00:00-05:00'), /outside the years/);
});

test('a local time skipped by daylight saving resolves to the later instant', () => {
  parses('instant', '2025-10-05 02:30', '2025-10-04T16:30:00.000Z', sydney);
  parses('instant', '2025-10-05 01:59:59', '2025-10-04T15:59:59.000Z', sydney);
  parses('instant', '2025-10-05 03:00', '2025-10-04T16:00:00.000Z', sydney);
});

test('a local time repeated by daylight saving resolves to the earlier instant', () => {
  parses('instant', '2025-04-06 02:30', '2025-04-05T15:30:00.000Z', sydney);
  parses('instant', '6/4/2025 2:00', '2025-04-05T15:00:00.000Z', sydney);
  parses('instant', '2025-04-06 03:00', '2025-04-05T17:00:00.000Z', sydney);
});

test('numbers are not dates unless serial dates are enabled', () => {
  assert.match(rejects('instant', 45658), /serial dates are read only from spreadsheets/);
  assert.match(rejects('date', '45658'), /^expected a date/);
});

test('1900 serial dates count from 1 January 1900 and skip the fake 29 February', () => {
  parses('instant', 45658, '2024-12-31T16:00:00.000Z', excel1900);
  parses('date', 45658, '2025-01-01', excel1900);
  parses('date', 45664, '2025-01-07', excel1900);
  parses('date', 1, '1900-01-01', excel1900);
  parses('date', 59, '1900-02-28', excel1900);
  parses('date', 61, '1900-03-01', excel1900);
  assert.match(rejects('date', 60, excel1900), /serial/);
  assert.match(rejects('date', 0, excel1900), /serial/);
  assert.match(rejects('date', -1, excel1900), /serial/);
  assert.match(rejects('date', 3_000_000, excel1900), /out of range/);
});

test('a serial fraction is the wall-clock time of day, rounded to the millisecond', () => {
  parses('instant', 45664 + 545 / 1440, '2025-01-07T01:05:00.000Z', excel1900);
  parses('instant', 45664.378472222, '2025-01-07T01:05:00.000Z', excel1900);
  parses('instant', '45658.5', '2025-01-01T04:00:00.000Z', excel1900);
  parses('date', 45658.99, '2025-01-01', excel1900);
});

test('1904 serial dates count from 1 January 1904 as day 0', () => {
  parses('date', 0, '1904-01-01', excel1904);
  parses('date', 45658 - 1462, '2025-01-01', excel1904);
});

test('text dates still parse where serial dates are enabled', () => {
  parses('instant', '7/1/2025 9:05', '2025-01-07T01:05:00.000Z', excel1900);
  assert.match(rejects('instant', '31/02/2025', excel1900), /no such date/);
});

test('a Date object is taken as the instant it is', () => {
  parses('instant', new Date('2025-01-07T01:05:00Z'), '2025-01-07T01:05:00.000Z');
  parses('date', new Date('2025-01-07T20:00:00Z'), '2025-01-08');
  assert.ok(parseValue('instant', new Date(NaN), perth) instanceof ValueError);
});

test('a naive date or date-time keeps its calendar date', () => {
  parses('date', '7/1/2025', '2025-01-07');
  parses('date', '7/1/2025 23:30', '2025-01-07');
  parses('date', '2025-01-07', '2025-01-07');
  parses('date', '2025-1-7 00:00:00', '2025-01-07');
  parses('date', '2025-10-05 02:30', '2025-10-05', sydney);
  assert.match(rejects('date', '31/02/2025'), /no such date/);
});

test('an instant with an offset is reduced to its date in the zone', () => {
  parses('date', '2025-01-07T20:00:00Z', '2025-01-08');
  parses('date', '2025-01-07T15:59:59.999Z', '2025-01-07');
  parses('date', '2025-01-07T16:00:00Z', '2025-01-08');
  parses('date', '2025-01-08T01:00:00+10:00', '2025-01-07');
});

test('ids accept whole numbers as numbers or text', () => {
  parses('id', 123, '123');
  parses('id', '123', '123');
  parses('id', ' 123 ', '123');
  parses('id', '123.0', '123');
  parses('id', '123.00', '123');
  parses('id', 123.0, '123');
  parses('id', '007', '7');
  parses('id', '-42', '-42');
  parses('id', '+42', '42');
  parses('id', '-0', '0');
  parses('id', 12345678901234567n, '12345678901234567');
});

test('ids that are fractional, separated or not numbers are value errors', () => {
  for (const raw of ['123.5', 123.5, '1,234', '1 234', '12a', 'abc', '1e3', '.0', '123.', '-', true, {}]) {
    rejects('id', raw);
  }
});

test('ids stay within the signed 64-bit range', () => {
  parses('id', '9223372036854775807', '9223372036854775807');
  parses('id', '-9223372036854775808', '-9223372036854775808');
  parses('id', '0009223372036854775807', '9223372036854775807');
  assert.match(rejects('id', '9223372036854775808'), /64-bit range/);
  assert.match(rejects('id', '-9223372036854775809'), /64-bit range/);
  assert.match(rejects('id', '99999999999999999999'), /64-bit range/);
  assert.match(rejects('id', 2n ** 63n), /64-bit range/);
});

test('an id number past 2^53 is refused because its digits are already lost', () => {
  parses('id', Number.MAX_SAFE_INTEGER, '9007199254740991');
  assert.match(rejects('id', 2 ** 53), /send it as text/);
});

test('decimals are canonical, with a comma read as the decimal point', () => {
  parses('decimal', '2,5', '2.5');
  parses('decimal', '2.50', '2.5');
  parses('decimal', 2.5, '2.5');
  parses('decimal', ' 7 ', '7');
  parses('decimal', '007.250', '7.25');
  parses('decimal', '.5', '0.5');
  parses('decimal', '5.', '5');
  parses('decimal', '-0.0', '0');
  parses('decimal', '+3', '3');
  parses('decimal', '-1,75', '-1.75');
  parses('decimal', 0.1, '0.1');
  parses('decimal', 1e21, '1000000000000000000000');
  parses('decimal', 1.5e-7, '0.00000015');
  parses('decimal', '1e3', '1000');
  parses('decimal', '2.5E-2', '0.025');
  parses('decimal', 12n, '12');
});

test('decimals that are not numbers are value errors', () => {
  const garbage = ['NaN', 'Infinity', NaN, Infinity, '1,234.5', '1.2.3', '2,5,0', 'abc', '.', '1e', '1e99999', '12 h'];
  for (const raw of [...garbage, true]) {
    assert.match(rejects('decimal', raw), /^expected a number/);
  }
});

test('booleans accept yes/no, y/n, true/false and 1/0 in any case', () => {
  for (const raw of ['yes', 'Yes', 'YES', ' y ', 'Y', 'true', 'True', 'TRUE', '1', true, 1]) parses('bool', raw, true);
  for (const raw of ['no', 'No', 'NO', 'n', 'N', 'false', 'False', 'FALSE', '0', false, 0]) parses('bool', raw, false);
});

test('booleans outside the known words are value errors', () => {
  for (const raw of ['maybe', 'yess', 't', 'f', '2', 2, -1, 'nope', 'true false']) {
    assert.match(rejects('bool', raw), /^expected yes\/no/);
  }
});

test('text is kept as given, spaces included', () => {
  parses('text', ' PendingAssignment', ' PendingAssignment');
  parses('text', 'Cloud - Infrastructure', 'Cloud - Infrastructure');
  parses('text', '  two  spaces  ', '  two  spaces  ');
});

test('numbers, booleans and objects where text is expected become their text', () => {
  parses('text', 123, '123');
  parses('text', 2.5, '2.5');
  parses('text', 0, '0');
  parses('text', true, 'true');
  parses('text', false, 'false');
  parses('text', 12n, '12');
  parses('text', { a: 1 }, '{"a":1}');
  parses('text', [1, 'b'], '[1,"b"]');
});

test('NUL characters and lone surrogates become U+FFFD so the text can be stored', () => {
  parses('text', 'a\u0000b', 'a\uFFFDb');
  parses('text', 'x\uD800y', 'x\uFFFDy');
  parses('text', 'x\uDC00', 'x\uFFFD');
  parses('text', '\uD800', '\uFFFD');
  parses('text', 'ok \uD83D\uDE00 \u0000\uD83D', 'ok \uD83D\uDE00 \uFFFD\uFFFD');
});

test('clock times become HH:MM', () => {
  for (const raw of ['9:00', '09:00', '09:00:00', '9:00 AM', '9:00am', 900, '900', '0900', 0.375, '0.375']) {
    parses('clock', raw, '09:00');
  }
  parses('clock', '17:30:59', '17:30');
  parses('clock', '5:15 PM', '17:15');
  parses('clock', 0, '00:00');
  parses('clock', 2359, '23:59');
  parses('clock', 45, '00:45');
  parses('clock', 0.999, '23:58');
});

test('a day fraction a hair below the minute still gives that minute', () => {
  parses('clock', 0.375 - 1e-12, '09:00');
});

test('clock values that are not times are kept as given, trimmed', () => {
  parses('clock', 'lunch', 'lunch');
  parses('clock', '  all day ', 'all day');
  parses('clock', 2400, '2400');
  parses('clock', 1260, '1260');
  parses('clock', 1.5, '1.5');
  parses('clock', '25:00', '25:00');
  parses('clock', 0.9999999, '0.9999999');
  parses('clock', true, 'true');
});

test('equal values give identical canonical text, so their hashes match', () => {
  assert.equal(parseValue('decimal', '2,50', perth), parseValue('decimal', 2.5, perth));
  assert.equal(parseValue('id', ' 0123.0 ', perth), parseValue('id', 123, perth));
  const slash = parseValue('instant', '7/1/2025 9:05', perth);
  assert.equal(slash, parseValue('instant', '2025-01-07T09:05:00+08:00', perth));
});
