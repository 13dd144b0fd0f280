/**
 * Reads back the source record of each of a view's rows, for reprocess: `record_of(row)` (migration
 * 005) rebuilds it from the typed columns and `_raw`. Written to a spool file page by page (a range of
 * the table's blocks per page, a TID range scan, so memory stays one page and no key order is needed),
 * outside any transaction: the embedded database has a single connection, and the load that reads the
 * spool back holds it in its own transaction.
 */
import { open } from 'node:fs/promises';
import type { ViewSpec } from '../registry.js';
import { ident, qualified, type Queryable } from './db.js';

/** Table blocks (8 kB) per page: a few thousand rows. */
export const RECORD_PAGE_BLOCKS = 128;

/**
 * Writes every stored row's source record to `path` as one JSON array (the bare-list envelope the
 * record reader understands), in physical order. Returns the number of rows written.
 */
export async function spoolStoredRecords(db: Queryable, schema: string, view: ViewSpec, path: string): Promise<number> {
  const table = qualified(schema, view.table);
  const { rows: size } = await db.query<{ blocks: string }>(
    `SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::text AS blocks`,
    [table],
  );
  const blocks = Number(size[0]!.blocks);
  // Owner-only whatever the umask, like the download spools: these are the service desk's records.
  const out = await open(path, 'w', 0o600);
  let count = 0;
  try {
    await out.write('[');
    for (let from = 0; from < blocks; from += RECORD_PAGE_BLOCKS) {
      const { rows } = await db.query<{ record: string }>(
        `SELECT ${ident(schema)}.record_of(t)::text AS record FROM ${table} t
         WHERE t.ctid >= format('(%s,0)', $1::bigint)::tid AND t.ctid < format('(%s,0)', $2::bigint)::tid`,
        [from, from + RECORD_PAGE_BLOCKS],
      );
      if (rows.length === 0) continue;
      await out.write((count === 0 ? '' : ',') + rows.map((r) => r.record).join(',\n'));
      count += rows.length;
    }
    await out.write(']');
  } finally {
    await out.close();
  }
  return count;
}
