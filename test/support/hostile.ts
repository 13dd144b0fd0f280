/**
 * Generators of hostile and broken source values for the property tests: what a misbehaving source,
 * a hand-edited export or an attacker could send. Each one is something the product must survive
 * without crashing, without an SQL error aborting a batch, and without losing a record silently.
 */
import fc from 'fast-check';

/** A string of lone UTF-16 surrogates and NULs mixed with ordinary text. */
const brokenText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d', '\ude00', '\uffff', '\ufeff', '\u202e', '\\', '"', "'", '\t', '\n', '\r'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

const sqlText = fc.constantFrom(
  "'; DROP TABLE servicedesk.tickets; --",
  "Robert'); DELETE FROM servicedesk.etl_metadata; --",
  '$1',
  '$$; SELECT pg_sleep(10); $$',
  '\\N',
  '\\.',
  "E'\\x00'",
  '"TKT-Ticket ID"',
  '1 OR 1=1',
  '{"a":',
  '\\u0000',
);

const emoji = fc.constantFrom('😀', '👩‍👩‍👧‍👦', '🇦🇺', 'a\u0301', 'Z̴̢̛͓̈́a̸l̷g̵o̶', '𝕿𝖊𝖝𝖙');

const dateLike = fc.oneof(
  fc.constantFrom(
    '31/02/2025',
    '29/02/2023',
    '29/02/2024',
    '00/01/2025',
    '32/12/2025',
    '1/13/2025',
    '0001-01-01',
    '9999-12-31',
    '9999-12-31T23:59:59.999+14:00',
    '0001-01-01T00:00:00-12:00',
    '0000-01-01',
    '10000-01-01',
    '2025-01-07T25:00',
    '7/1/2025 24:00',
    '7/1/2025 9:60',
    '2025-01-07T09:05:00+25:00',
    '2025-10-05 02:30',
    '1/1/1',
    '01/01/0001 00:00',
    '31/12/9999 23:59:59',
    'yesterday',
    'NaN',
  ),
  fc
    .tuple(fc.integer({ min: -5, max: 40 }), fc.integer({ min: -2, max: 14 }), fc.integer({ min: -1, max: 10_001 }))
    .map(([d, m, y]) => `${d}/${m}/${y}`),
  fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
);

const numberLike = fc.oneof(
  fc.constantFrom(
    'NaN',
    '-NaN',
    'Infinity',
    '-Infinity',
    '-2.5',
    '-0',
    '1e400',
    '1e-400',
    '1e99999',
    '9223372036854775807',
    '9223372036854775808',
    '-9223372036854775808',
    '-9223372036854775809',
    '99999999999999999999999999999999999999',
    '0x1F',
    '1,000.5',
    '1.2.3',
    '２',
    '1_000',
  ),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  // More digits than PostgreSQL's numeric can hold before or after the point.
  fc.constantFrom('1'.repeat(131_073), `0.${'1'.repeat(16_384)}`, '9'.repeat(200)),
);

/** Text that does not compress (PostgreSQL compresses long values, so repeated letters would fit anywhere). */
function incompressible(length: number): string {
  let seed = 12345;
  let out = '';
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out += String.fromCharCode(33 + (seed % 94));
  }
  return out;
}

/** Any value a JSON source could send for a field (no NaN: JSON cannot carry it). */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { withCrossShrink: true },
  fc.constantFrom(null, '', ' ', true, false, 0, -1, 1, 'Yes', 'no'),
  brokenText,
  sqlText,
  emoji,
  dateLike,
  numberLike.filter((v) => !(typeof v === 'number' && !Number.isFinite(v))),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('x'.repeat(100_000), 'ü'.repeat(5_000), `${'a'.repeat(3_000)}\u0000`, incompressible(3_000), incompressible(20_000)),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Everything `hostileValue` gives, plus values only a spreadsheet import can produce. */
export const hostileParserInput: fc.Arbitrary<unknown> = fc.oneof(
  hostileValue,
  numberLike,
  fc.constantFrom(NaN, -NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 63)),
  fc.bigInt(),
  fc.date(),
  fc.constantFrom(new Date(Number.NaN), Symbol('s'), () => 1, [], {}, [[[]]]),
);

/** Field names that are hard to store or print: quotes, NUL, broken surrogates, very long. */
export const hostileFieldName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '"',
    "'",
    '""',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '__proto__',
    'constructor',
    'TKT-Ticket ID ',
    ' TKT-Title',
    '_raw',
    '"TS-Date"',
  ),
  brokenText.filter((s) => s.length > 0),
  sqlText,
  fc.constantFrom('k'.repeat(10_000), '🔑'.repeat(500)),
);

/** A JSON array or object nested `depth` levels deep, as text (JSON.stringify cannot make the deep ones). */
export function nestedJsonText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/**
 * fc.assert, with the report cut short: a counterexample can be a 100 kB string, and the test output
 * must stay readable. Runs of one repeated character are shown as a count.
 */
export async function assertProperty<Ts extends unknown[]>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts> = {},
): Promise<void> {
  try {
    await fc.assert(property as fc.IAsyncProperty<Ts>, params);
  } catch (error) {
    const full = error instanceof Error ? error.message : String(error);
    const message = full.replace(/([\s\S])\1{39,}/g, (run, c: string) => `${c}…(${run.length} times)`);
    throw new Error(message.length > 4000 ? `${message.slice(0, 4000)}…` : message);
  }
}
