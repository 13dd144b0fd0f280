/**
 * Reads back the stored `_raw` of a view's rows, for reprocess. Written to a spool file page by page
 * (keyset pagination by key, so each page is an index range scan and memory stays one page), outside
 * any transaction: the embedded database has a single connection, and the load that reads the spool
 * back holds it in its own transaction.
 */
import { open } from 'node:fs/promises';
import { fieldByColumn, SQL_TYPES, type ViewSpec } from '../registry.js';
import { qualified, type Queryable } from './db.js';
import { keyExpr } from './merge-sql.js';

/** Rows per page. */
export const RAW_PAGE_ROWS = 5000;

/**
 * Writes every stored row's `_raw` to `path` as one JSON array (the bare-list envelope the record
 * reader understands), in key order. Returns the number of rows written.
 */
export async function spoolStoredRaw(db: Queryable, schema: string, view: ViewSpec, path: string): Promise<number> {
  const table = qualified(schema, view.table);
  const key = keyExpr(view, 't', true);
  const single = !view.keyNullable && view.key.length === 1;
  const keyType = single ? SQL_TYPES[fieldByColumn(view, view.key[0]!).type] : 'text';
  const page = (after: string | null) =>
    db.query<{ k: string; raw: string }>(
      `SELECT (${key})::text AS k, t._raw::text AS raw FROM ${table} t
       ${after === null ? '' : `WHERE ${key} > $1::${keyType}`}
       ORDER BY ${key} LIMIT ${RAW_PAGE_ROWS}`,
      after === null ? [] : [after],
    );
  const out = await open(path, 'w');
  let count = 0;
  try {
    await out.write('[');
    let after: string | null = null;
    for (;;) {
      const { rows } = await page(after);
      if (rows.length === 0) break;
      await out.write((count === 0 ? '' : ',') + rows.map((r) => r.raw).join(',\n'));
      count += rows.length;
      after = rows[rows.length - 1]!.k;
      if (rows.length < RAW_PAGE_ROWS) break;
    }
    await out.write(']');
  } finally {
    await out.close();
  }
  return count;
}
