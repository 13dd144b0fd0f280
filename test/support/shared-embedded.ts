/**
 * One open embedded database (PGlite) per data directory, shared by a test file and the CLI it runs in
 * its own process: booting PGlite takes seconds, so it is opened once, not once per command.
 *
 * Each `openSharedEmbedded` gives a handle that behaves like a database of its own opened there: it
 * starts its session afresh (settings reset, the database's TimeZone, the lock timeout), an advisory
 * lock taken through it keeps other handles out, its close releases its locks and tightens the files but
 * leaves the database open. `closeSharedEmbedded` really closes them — before a child process opens the
 * directory, and when the test's database is dropped; a handle used after that opens it again.
 */
import type { Db } from '../../src/load/db.js';
import { applySessionSettings, openPgliteDb } from '../../src/load/pglite-db.js';
import { makePrivateDir, tightenTree } from '../../src/load/private-files.js';

interface Shared {
  db: Promise<Db> | null;
  /** Advisory lock keys held, and by which handle. */
  readonly locks: Map<number, object>;
}

const shared = new Map<string, Shared>();

function slotOf(dataDir: string): Shared {
  let slot = shared.get(dataDir);
  if (!slot) {
    slot = { db: null, locks: new Map() };
    shared.set(dataDir, slot);
  }
  return slot;
}

/** The open database in `dataDir`, opening it when it is not. */
function openInstance(dataDir: string, slot: Shared): Promise<Db> {
  if (!slot.db) {
    const opening = openPgliteDb(dataDir);
    slot.db = opening;
    // A failed open (the directory held by another process) is tried again by the next use.
    opening.catch(() => {
      if (slot.db === opening) slot.db = null;
    });
  }
  return slot.db;
}

/** A handle on the shared embedded database in `dataDir`, its session as a fresh open leaves it. */
export async function openSharedEmbedded(dataDir: string, options: { lockTimeoutMs?: number } = {}): Promise<Db> {
  const slot = slotOf(dataDir);
  const self = {};
  const held = new Map<number, () => Promise<void>>();
  let opened: Db | null = null;
  // Each (re)open of the database gives its one session this handle's settings, as opening it would.
  const db = async (): Promise<Db> => {
    const current = await openInstance(dataDir, slot);
    if (current !== opened) {
      makePrivateDir(dataDir);
      tightenTree(dataDir);
      await current.exec('RESET ALL');
      await applySessionSettings(current, options);
      opened = current;
    }
    return current;
  };
  const first = await db();
  return {
    kind: 'embedded',
    label: first.label,
    query: async (sql, params) => (await db()).query(sql, params),
    exec: async (sql) => (await db()).exec(sql),
    transaction: async (fn, txOptions) => (await db()).transaction(fn, txOptions),
    tryAdvisoryLock: async (key) => {
      const owner = slot.locks.get(key);
      if (owner !== undefined && owner !== self) return null;
      const release = await (await db()).tryAdvisoryLock(key);
      if (!release) return null;
      slot.locks.set(key, self);
      const releaseOnce = async (): Promise<void> => {
        if (held.get(key) !== releaseOnce) return;
        held.delete(key);
        // Closing the database ended the session, and the lock with it.
        if (slot.locks.get(key) !== self) return;
        slot.locks.delete(key);
        await release();
      };
      held.set(key, releaseOnce);
      return releaseOnce;
    },
    close: async () => {
      // Closing a session releases its locks.
      for (const release of [...held.values()]) await release().catch(() => undefined);
      if (slot.db) tightenTree(dataDir);
    },
  };
}

/** Closes the shared database in `dataDir` (every one when no directory is named); its handles stay usable. */
export async function closeSharedEmbedded(dataDir?: string): Promise<void> {
  const dirs = dataDir === undefined ? [...shared.keys()] : [dataDir];
  for (const dir of dirs) {
    const slot = shared.get(dir);
    if (!slot) continue;
    const open = slot.db;
    slot.db = null;
    slot.locks.clear();
    if (open) await (await open.catch(() => null))?.close();
  }
}
