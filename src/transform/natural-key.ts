/**
 * A row's natural key as one text, for TypeScript and SQL alike: the payload index and the stored hashes
 * are keyed by it, and the removal of rows gone from the source compares the stored rows' keys (computed
 * in SQL) with the payload's (computed here). Both encodings are generated from the registry's key
 * columns by this module, part type by part type, so they cannot drift apart.
 *
 * A key of one column that is never NULL is that column's value as text. Any other key joins its parts
 * with `|`: a NULL part is `~`, an id its decimal digits, a date its day number since 2000-01-01, and
 * text its length in characters, `:` and itself, so no text can pass for a separator or a NULL.
 */
import { type FieldType, fieldByColumn, type ViewSpec } from '../registry.js';
import { daysFromCivil } from './calendar.js';

/** A key column's parsed value: id digits, `YYYY-MM-DD`, or text; null when empty. */
export type KeyValue = string | boolean | null;

/** How a part of each type is written, in TypeScript from its parsed value and in SQL from its column. */
interface PartEncoding {
  readonly text: (value: string) => string;
  /** An expression over the column reference `c` that is NULL when the column is. */
  readonly sql: (c: string) => string;
}

const NULL_PART = '~';
const SEPARATOR = '|';
const DAY_2000 = daysFromCivil(2000, 1, 1);

const LENGTH_PREFIXED: PartEncoding = {
  // PostgreSQL's length() counts characters (code points), not UTF-16 units.
  text: (value) => {
    let length = 0;
    for (const _ of value) length++;
    return `${length}:${value}`;
  },
  sql: (c) => `length(${c})::text || ':' || ${c}`,
};

const PARTS: Partial<Record<FieldType, PartEncoding>> = {
  // The parser writes ids as bigint::text does: no leading zeros, a minus sign only below zero.
  id: { text: (value) => value, sql: (c) => `${c}::text` },
  // A day number, which no DateStyle setting can change.
  date: {
    text: (value) => String(daysFromCivil(Number(value.slice(0, 4)), Number(value.slice(5, 7)), Number(value.slice(8, 10))) - DAY_2000),
    sql: (c) => `(${c} - DATE '2000-01-01')::text`,
  },
  text: LENGTH_PREFIXED,
  clock: LENGTH_PREFIXED,
};

/** Types whose stored text is the parsed value itself, as a key of one column needs. */
const SIMPLE_TYPES: ReadonlySet<FieldType> = new Set(['id', 'text', 'clock']);

/** Whether the view's key is one column that is never NULL (a primary key). */
export function hasSimpleKey(view: ViewSpec): boolean {
  return !view.keyNullable && view.key.length === 1;
}

/** A function giving a row's key text from its values in registry field order. */
export function keyText(view: ViewSpec): (values: readonly KeyValue[]) => string {
  const slots = view.key.map((column) => view.fields.findIndex((f) => f.column === column));
  if (hasSimpleKey(view)) {
    simpleKeyType(view);
    const slot = slots[0]!;
    return (values) => String(values[slot]);
  }
  const parts = view.key.map((column) => partEncoding(view, column).text);
  return (values) => {
    const texts = new Array<string>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const value = values[slots[i]!] ?? null;
      texts[i] = value === null ? NULL_PART : parts[i]!(String(value));
    }
    // Joined, not concatenated: a key is kept for every row of a payload, and a concatenated string
    // keeps the tree of its pieces (about 240 bytes a timesheet key, against about 100 for one flat string).
    return texts.join(SEPARATOR);
  };
}

/**
 * The same key as an SQL expression; `column` writes a quoted reference to a key column. A key of one
 * column is the column itself (cast it to text to compare texts), so the unique index can serve it.
 */
export function keyTextSql(view: ViewSpec, column: (name: string) => string): string {
  if (hasSimpleKey(view)) {
    simpleKeyType(view);
    return column(view.key[0]!);
  }
  return view.key.map((name) => `coalesce(${partEncoding(view, name).sql(column(name))}, '${NULL_PART}')`).join(` || '${SEPARATOR}' || `);
}

function simpleKeyType(view: ViewSpec): void {
  const { column, type } = fieldByColumn(view, view.key[0]!);
  if (!SIMPLE_TYPES.has(type))
    throw new Error(`${view.name}: its key column ${column} is a ${type}; a key of one column must be an id or text`);
}

function partEncoding(view: ViewSpec, name: string): PartEncoding {
  const { column, type } = fieldByColumn(view, name);
  const encoding = PARTS[type];
  if (!encoding) throw new Error(`${view.name}: its key column ${column} is a ${type}; a key can hold only ids, dates and text`);
  return encoding;
}
