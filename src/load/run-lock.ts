/**
 * One lock covers sync, import and migrate: only one of them works on a database (schema) at a time.
 * A second one is refused at once (exit 3) rather than queued behind a long load.
 */
import { LockHeldError } from '../errors.js';
import type { Db } from './db.js';

/** A stable 31-bit advisory lock key for a schema (FNV-1a). */
export function runLockKey(schema: string): number {
  let hash = 0x811c9dc5;
  for (const ch of `otc-etl:run:${schema}`) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

export async function acquireRunLock(db: Db, schema: string, command: string): Promise<() => Promise<void>> {
  const release = await db.tryAdvisoryLock(runLockKey(schema));
  if (release) return release;
  throw new LockHeldError(
    `another otc-etl sync, import or migrate is running against schema ${schema}; ` +
      `${command} was not started. Wait for it to finish (see \`otc-etl status\`) and try again.`,
  );
}
