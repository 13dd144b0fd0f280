/** `otc-etl status`: per view freshness, rows, last run, cursor and gaps; exit 1 when a view is stale. */
import { EXIT, type ExitCode } from '../../errors.js';
import { inspectSchema, requireCurrent } from '../../load/migrate.js';
import { readStatus, type ViewStatus } from '../../pipeline/status.js';
import { duration, table } from '../format.js';
import { withDb, type Runtime } from '../runtime.js';

export function statusText(views: readonly ViewStatus[]): string {
  const rows = views.map((v) => [
    v.view,
    v.lastSuccess ? `${duration(v.ageSeconds)} ago` : 'never',
    `${v.windowDays}d`,
    v.isStale ? 'STALE' : 'ok',
    v.rows,
    v.lastRun ? `${v.lastRun.status} (+${v.lastRun.inserted} ~${v.lastRun.updated} =${v.lastRun.unchanged} !${v.lastRun.rejected})` : '-',
    v.newestCursor,
  ]);
  const lines = [table(['view', 'last success', 'window', 'fresh', 'rows', 'last run (+new ~upd =same !rej)', 'newest cursor'], rows)];
  for (const v of views) {
    if (v.isStale) lines.push(`warning: ${v.view} has had no successful sync within its ${v.windowDays}-day window; records that left the window are lost.`);
    for (const g of v.gaps) lines.push(`gap: ${v.view} had no successful sync from ${g.from} to ${g.to} (${g.days} days > ${v.windowDays}-day window)`);
    if (v.lastRun?.error) lines.push(`last error (${v.view}): ${v.lastRun.error}`);
    if (v.lastRun && (v.lastRun.fieldsNew.length || v.lastRun.fieldsMissing.length)) {
      lines.push(`drift (${v.view}): new fields [${v.lastRun.fieldsNew.join(', ')}], missing fields [${v.lastRun.fieldsMissing.join(', ')}]`);
    }
  }
  return lines.join('\n');
}

export async function statusCommand(rt: Runtime): Promise<ExitCode> {
  return withDb(rt.config, async (db) => {
    requireCurrent(await inspectSchema(db, rt.config.schema), rt.config.schema);
    const views = await readStatus(db, rt.config);
    const healthy = views.every((v) => !v.isStale && v.lastRun?.status !== 'failed');
    rt.print({ healthy, views }, () => statusText(views));
    return healthy ? EXIT.ok : EXIT.failed;
  });
}
