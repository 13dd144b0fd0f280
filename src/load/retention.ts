/**
 * Retention of the run history (OTC_RETENTION_DAYS): `load_rejects` keep raw records, which hold
 * customer data, so they are not kept forever; old `etl_metadata` rows go with them. The latest
 * successful run of each view always stays — freshness, the volume guard and `status` read it — however
 * old it is.
 */
import { COMMITTED_API_RUNS } from './runs.js';
import { qualified, type Queryable } from './db.js';

export interface RetentionResult {
  readonly rejects: number;
  readonly runs: number;
}

/** Deletes what is older than `days` (by when it was written or ended). 0 deletes nothing. */
export async function applyRetention(db: Queryable, schema: string, days: number): Promise<RetentionResult> {
  if (days <= 0) return { rejects: 0, runs: 0 };
  const rejects = await db.query(`DELETE FROM ${qualified(schema, 'load_rejects')} WHERE created_at < now() - make_interval(days => $1)`, [
    days,
  ]);
  const meta = qualified(schema, 'etl_metadata');
  const runs = await db.query(
    `DELETE FROM ${meta} m
     WHERE coalesce(m.load_end, m.load_start) < now() - make_interval(days => $1)
       AND m.load_status <> 'running'
       AND m.id NOT IN (
         (SELECT DISTINCT ON (view_name) id FROM ${qualified(schema, COMMITTED_API_RUNS)}
          ORDER BY view_name, load_end DESC NULLS LAST, id DESC)
         UNION ALL
         (SELECT DISTINCT ON (view_name) id FROM ${meta}
          WHERE load_status IN ('success', 'partial')
          ORDER BY view_name, load_end DESC NULLS LAST, id DESC))`,
    [days],
  );
  return { rejects: rejects.rowCount, runs: runs.rowCount };
}
