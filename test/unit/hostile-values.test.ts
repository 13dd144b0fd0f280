import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import type { FieldType } from '../../src/registry.js';
import { parseValue, ValueError, Zone, type ParseContext } from '../../src/transform/values.js';
import { assertProperty, hostileParserInput } from '../support/hostile.js';

const TYPES: readonly FieldType[] = ['id', 'text', 'instant', 'date', 'bool', 'decimal', 'clock'];
const CONTEXTS: readonly ParseContext[] = [
  { zone: new Zone('Australia/Perth') },
  { zone: new Zone('Australia/Sydney'), serialDates: '1900' },
  { zone: new Zone('Pacific/Kiritimati'), serialDates: '1904' },
];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether `value` is something the column type's PostgreSQL input function accepts. */
function storableAs(type: FieldType, value: string | boolean): boolean {
  switch (type) {
    case 'id':
      return typeof value === 'string' && /^-?\d+$/.test(value) && BigInt(value) >= INT64_MIN && BigInt(value) <= INT64_MAX;
    case 'decimal': {
      const m = typeof value === 'string' ? /^-?(\d+)(?:\.(\d*[1-9]))?$/.exec(value) : null;
      // numeric holds up to 131072 digits before the point and 16383 after it.
      return m !== null && m[1]!.length <= 131_072 && (m[2] ?? '').length <= 16_383;
    }
    case 'instant':
      return (
        typeof value === 'string' &&
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) &&
        !value.startsWith('0000') &&
        !Number.isNaN(Date.parse(value))
      );
    case 'date':
      return (
        typeof value === 'string' &&
        /^\d{4}-\d\d-\d\d$/.test(value) &&
        !value.startsWith('0000') &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
      );
    case 'bool':
      return typeof value === 'boolean';
    case 'text':
    case 'clock':
      // PostgreSQL text holds neither NUL nor a lone surrogate (which cannot be encoded as UTF-8).
      return (
        typeof value === 'string' &&
        value.trim() !== '' &&
        !value.includes('\u0000') &&
        (value as string & { isWellFormed(): boolean }).isWellFormed()
      );
  }
}

test('every field type turns any hostile value into a storable value, NULL or a short reason', async () => {
  await assertProperty(
    fc.property(fc.constantFrom(...TYPES), hostileParserInput, fc.constantFrom(...CONTEXTS), (type, raw, ctx) => {
      const result = parseValue(type, raw, ctx);
      if (result === null) return;
      if (result instanceof ValueError) {
        // A reason quotes at most ~40 characters of the value: record contents stay out of logs.
        assert.ok(result.reason.length <= 200, `reason too long for ${type}: ${result.reason.slice(0, 80)}`);
        assert.ok((result.reason as string & { isWellFormed(): boolean }).isWellFormed() && !result.reason.includes('\u0000'));
        return;
      }
      assert.ok(storableAs(type, result), `${type} ${inspect(raw).slice(0, 80)} gave ${inspect(result).slice(0, 80)}`);
    }),
    { numRuns: 400 },
  );
});

test('parsing is deterministic, so equal records always hash the same', async () => {
  await assertProperty(
    fc.property(fc.constantFrom(...TYPES), hostileParserInput, (type, raw) => {
      const ctx = CONTEXTS[0]!;
      const a = parseValue(type, raw, ctx);
      const b = parseValue(type, raw, ctx);
      assert.deepEqual(a instanceof ValueError ? a.reason : a, b instanceof ValueError ? b.reason : b);
    }),
    { numRuns: 200 },
  );
});

test('text and clock fields never reject a value, whatever it is', async () => {
  await assertProperty(
    fc.property(fc.constantFrom<FieldType>('text', 'clock'), hostileParserInput, (type, raw) => {
      assert.ok(!(parseValue(type, raw, CONTEXTS[0]!) instanceof ValueError));
    }),
    { numRuns: 200 },
  );
});

test('a value that parses keeps parsing to the same value when given back as text', async () => {
  await assertProperty(
    fc.property(fc.constantFrom<FieldType>('id', 'decimal', 'instant', 'date'), hostileParserInput, (type, raw) => {
      const ctx = CONTEXTS[0]!;
      const once = parseValue(type, raw, ctx);
      if (once === null || once instanceof ValueError) return;
      assert.equal(parseValue(type, String(once), ctx), once, `${type} ${inspect(raw).slice(0, 60)}`);
    }),
    { numRuns: 200 },
  );
});

test('a number with more digits than numeric can hold is a value error, not a failed load', () => {
  const ctx = CONTEXTS[0]!;
  assert.equal(parseValue('decimal', '1'.repeat(131_072), ctx), '1'.repeat(131_072));
  assert.ok(parseValue('decimal', '1'.repeat(131_073), ctx) instanceof ValueError);
  assert.equal(parseValue('decimal', `0.${'1'.repeat(16_383)}`, ctx), `0.${'1'.repeat(16_383)}`);
  assert.ok(parseValue('decimal', `-0.${'1'.repeat(16_384)}`, ctx) instanceof ValueError);
  assert.ok(parseValue('decimal', `1${'0'.repeat(200)}e-100`, ctx) !== null);
});
