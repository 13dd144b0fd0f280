/** Wires the protective client to its shared state in the database: the one source every command uses. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../load/db.js';
import { DbSourceStateStore } from '../load/source-state-store.js';
import { createProtectedSource } from '../source/protected-source.js';
import { removeDeadSpools } from '../source/spool.js';
import type { ViewSource } from '../source/view-source.js';

/**
 * The protected OTC source. Its state is written in short transactions of its own, on a connection of
 * their own: with the embedded database (one connection) call it only outside a view's transaction,
 * which is why the sync fetches ahead only with a server database.
 */
export function openSource(db: Db, config: Config, log: Logger): ViewSource {
  // Bodies left by processes that died mid-download are removed as a run starts, before any request.
  void removeDeadSpools();
  return createProtectedSource(config, { store: new DbSourceStateStore(db, config.schema), log });
}
