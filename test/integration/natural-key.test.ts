import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../../src/load/db.js';
import { ident } from '../../src/load/db.js';
import { keyExpr } from '../../src/load/merge-sql.js';
import { type FieldType, fieldByColumn, SQL_TYPES, VIEWS, type ViewSpec } from '../../src/registry.js';
import { hasSimpleKey, type KeyValue, keyText } from '../../src/transform/natural-key.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { useTestDatabase } from '../support/harness.js';

/** Text that could be mistaken for the encoding itself, or that counts differently in UTF-16 and in characters. */
const HOSTILE_TEXT = [
  '',
  ' ',
  '|',
  '~',
  '||',
  '1:a',
  '3:abc|2:x',
  '~|~',
  "O'Brien",
  "''",
  '"quoted"',
  'back\\slash',
  '\\',
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  '\u2028',
  'é',
  'e\u0301',
  '😀',
  '👩‍👩‍👧',
  '日本語のテキスト',
  ' leading and trailing ',
  'x'.repeat(500),
];

/** Parsed values of each key type as the parser writes them: ids as canonical digits, dates as `YYYY-MM-DD`. */
const HOSTILE: Readonly<Partial<Record<FieldType, readonly string[]>>> = {
  id: ['0', '1', '-1', '42', '9223372036854775807', '-9223372036854775808', '123456789012345678'],
  date: [
    '0001-01-01',
    '0050-03-01',
    '0099-12-31',
    '1899-12-31',
    '1900-03-01',
    '1970-01-01',
    '1999-12-31',
    '2000-01-01',
    '2000-02-29',
    '2024-02-29',
    '9999-12-31',
  ],
  text: HOSTILE_TEXT,
  clock: HOSTILE_TEXT,
};

function valuesOf(type: FieldType): readonly string[] {
  const values = HOSTILE[type];
  assert.ok(values, `no hostile values for a key column of type ${type}`);
  return values;
}

/**
 * Key tuples (one value per key column, in key order): every hostile value in every part, each part
 * NULL alone and all NULL at once where the view allows NULL parts.
 */
function keyCases(view: ViewSpec): Array<Array<string | null>> {
  const types = view.key.map((column) => fieldByColumn(view, column).type);
  const lists = types.map(valuesOf);
  const longest = Math.max(...lists.map((l) => l.length));
  const cases: Array<Array<string | null>> = [];
  // Every value of every part, each part offset from the others so parts meet many neighbours.
  for (let i = 0; i < longest * 2; i++) cases.push(lists.map((list, part) => list[(i + part * 7) % list.length]!));
  if (view.keyNullable) {
    for (let part = 0; part < types.length; part++) {
      for (const base of cases.slice(0, 5)) cases.push(base.map((v, p) => (p === part ? null : v)));
    }
    cases.push(types.map(() => null));
  }
  return cases;
}

/** The key texts the database computes for these key tuples, through the same expression the load uses. */
async function sqlKeys(db: Db, view: ViewSpec, cases: ReadonlyArray<ReadonlyArray<string | null>>): Promise<string[]> {
  const columns = view.key.map((column) => ident(column));
  const arrays = view.key.map((column, i) => `$${i + 2}::${SQL_TYPES[fieldByColumn(view, column).type]}[]`);
  const { rows } = await db.query<{ k: string }>(
    `SELECT (${keyExpr(view, 't')})::text AS k
     FROM unnest($1::int[], ${arrays.join(', ')}) AS t(n, ${columns.join(', ')}) ORDER BY n`,
    [cases.map((_, n) => n), ...view.key.map((_, part) => cases.map((c) => c[part]!))],
  );
  return rows.map((r) => r.k);
}

/** The key texts TypeScript computes, from values placed in registry field order as the parser leaves them. */
function tsKeys(view: ViewSpec, cases: ReadonlyArray<ReadonlyArray<string | null>>): string[] {
  const encode = keyText(view);
  return cases.map((parts) => {
    const values: KeyValue[] = view.fields.map(() => null);
    view.key.forEach((column, part) => {
      values[view.fields.findIndex((f) => f.column === column)] = parts[part]!;
    });
    return encode(values);
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`the natural key on the ${kind} database`, () => {
    let db: Db;
    useTestDatabase(kind, (opened) => {
      db = opened;
    });

    for (const view of VIEWS) {
      test(`${view.name}: TypeScript and SQL give every hostile key the same text`, async () => {
        const cases = keyCases(view);
        const expected = tsKeys(view, cases);
        assert.deepEqual(await sqlKeys(db, view, cases), expected);
        // A composite key's text tells its parts apart: different keys never share one.
        if (!hasSimpleKey(view)) {
          const distinct = new Set(cases.map((c) => JSON.stringify(c)));
          assert.equal(new Set(expected).size, distinct.size);
        }
      });
    }
  });
}
