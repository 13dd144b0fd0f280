/**
 * What every command that writes does first: take the run lock, clean up after dead runs, and make
 * sure the schema is one this version can work with.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { applyMigrations, inspectSchema, requireCurrent } from '../load/migrate.js';
import { acquireRunLock } from '../load/run-lock.js';
import { RunRecorder } from '../load/runs.js';
import { storeHistoryTimezone } from '../load/ticket-history.js';

/**
 * Runs `fn` holding the run lock. With `autoMigrate`, an empty database is migrated first; a legacy
 * or half-migrated schema is refused with a pointer to `otc-etl migrate`.
 */
export async function withRunLock<T>(
  deps: { db: Db; config: Config; log: Logger },
  command: string,
  options: { autoMigrate: boolean /** also apply pending migrations (the demo's own database) */; migratePending?: boolean },
  fn: () => Promise<T>,
): Promise<T> {
  const release = await acquireRunLock(deps.db, deps.config.schema, command);
  try {
    const inspection = await inspectSchema(deps.db, deps.config.schema);
    const migrate = (inspection.state === 'empty' && options.autoMigrate) || (inspection.state === 'behind' && options.migratePending);
    if (migrate) {
      deps.log.info({ schema: deps.config.schema }, 'empty database: applying migrations');
      await applyMigrations(deps.db, { schema: deps.config.schema, timezone: deps.config.timezone });
    } else {
      requireCurrent(inspection, deps.config.schema);
    }
    // backlog_daily counts days in the zone recorded here: follow OTC_TIMEZONE if it changed since migrate.
    await storeHistoryTimezone(deps.db, deps.config.schema, deps.config.timezone);
    const interrupted = await new RunRecorder(deps.db, deps.config.schema).failInterrupted();
    if (interrupted > 0) deps.log.warn({ interrupted }, 'marked loads left running by a dead process as failed');
    return await fn();
  } finally {
    await release();
  }
}
