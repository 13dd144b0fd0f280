/** Wires a test database, a source and the pipeline together the way the CLI does. */
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/load/db.js';
import { silentLogger } from '../../src/log.js';
import { withRunLock } from '../../src/pipeline/guard.js';
import { runSync, type SyncResult } from '../../src/pipeline/sync.js';
import type { ViewName } from '../../src/registry.js';
import { createPlainSource } from '../../src/source/plain-source.js';

export async function syncOnce(db: Db, config: Config, views?: ViewName[]): Promise<SyncResult> {
  const deps = { db, config, log: silentLogger };
  return withRunLock(deps, 'sync', { autoMigrate: true }, () =>
    runSync({ ...deps, source: createPlainSource(config) }, { views }),
  );
}

export function outcome(result: SyncResult, view: ViewName) {
  const found = result.outcomes.find((o) => o.view === view);
  if (!found) throw new Error(`no outcome for ${view}`);
  return found;
}

export async function rows<R = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}
