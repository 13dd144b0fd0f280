/**
 * What the adoption knows about each table beyond its target shape: for the three view tables, the
 * registry (API names for `_raw`, the natural key, the change cursor, clock fields); for user_lookup,
 * which copy of a short username stays. Everything else is read from the catalogs.
 */
import { fieldByColumn, VIEWS, type ViewSpec } from '../../registry.js';
import type { ColumnSemantic } from './convert.js';

export interface DedupSpec {
  /** Key columns; rows with equal (converted) keys are duplicates. */
  readonly key: readonly string[];
  /** The key is a primary key: a row whose key is missing or unreadable cannot stay. */
  readonly keyRequired: boolean;
  /** A NULL part makes a row unique (a plain unique index), instead of equal to other NULLs. */
  readonly nullsDistinct: boolean;
  /**
   * ORDER BY terms choosing the copy that stays (the first), given the converted value of a column.
   * The physically last row (highest ctid) breaks ties.
   */
  readonly order: (converted: (column: string) => string) => string[];
  /** The rule in words, for the plan and the README. */
  readonly kept: string;
  /** The side table is made even when nothing moves (operators and the README look for it by name). */
  readonly alwaysCreateSide: boolean;
}

export interface TableRole {
  readonly view: ViewSpec | null;
  readonly dedup: DedupSpec | null;
  semantic(column: string): ColumnSemantic;
}

/** Where rows that cannot stay in a table go. */
export function sideTableOf(table: string): string {
  return `${table}_duplicates_removed`;
}

function viewRole(view: ViewSpec): TableRole {
  const cursor = view.cursor;
  return {
    view,
    dedup: {
      key: view.key,
      keyRequired: !view.keyNullable,
      nullsDistinct: false,
      order: (converted) => (cursor ? [`${converted(cursor)} DESC NULLS LAST`] : []),
      kept: cursor
        ? `the copy with the latest "${cursor}", then the one stored last (highest ctid)`
        : 'the copy stored last (highest ctid)',
      alwaysCreateSide: view.keyNullable,
    },
    semantic: (column) => {
      const field = view.fields.find((f) => f.column === column);
      if (!field) return null;
      if (field.type === 'clock') return 'clock';
      if (view.keyNullable && view.key.includes(column) && fieldByColumn(view, column).type === 'text') return 'key-text';
      return null;
    },
  };
}

const USER_LOOKUP: TableRole = {
  view: null,
  dedup: {
    key: ['short_username'],
    keyRequired: false,
    nullsDistinct: true,
    order: (converted) => [
      `(lower(btrim(${converted('source')})) = 'manual') DESC NULLS LAST`,
      `${converted('updated_at')} DESC NULLS LAST`,
    ],
    kept: 'a manual row first, then the latest updated_at, then the one stored last (highest ctid)',
    alwaysCreateSide: false,
  },
  semantic: () => null,
};

const PLAIN: TableRole = { view: null, dedup: null, semantic: () => null };

export function roleOf(table: string): TableRole {
  const view = VIEWS.find((v) => v.table === table);
  if (view) return viewRole(view);
  if (table === 'user_lookup') return USER_LOOKUP;
  return PLAIN;
}
