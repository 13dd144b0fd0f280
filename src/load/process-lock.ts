/**
 * One process at a time for the embedded database. PGlite would happily let two processes open the
 * same files and corrupt them, so a lock file beside the data is taken before PGlite touches it.
 * A lock left by a dead process (its pid no longer runs) is taken over.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { LockHeldError } from '../errors.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(owner));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Takes the lock or throws LockHeldError. Returns the release function. */
export function acquireProcessLock(path: string): () => void {
  if (!tryCreate(path)) {
    const owner = readOwner(path);
    const ownedByLiveProcess = owner !== null && owner.host === hostname() && isAlive(owner.pid);
    if (ownedByLiveProcess || (owner !== null && owner.host !== hostname())) {
      throw new LockHeldError(
        `the embedded database is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}); ` +
          'wait for it to finish, or read status from the running service instead.',
      );
    }
    // Stale lock: move it aside atomically so only one of several racing processes takes it over.
    const stale = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, stale);
      const moved = readOwner(stale);
      if (moved !== null && moved.pid !== owner?.pid && isAlive(moved.pid)) {
        // Another process took the lock over between our read and our rename: give it back.
        renameSync(stale, path);
        throw new LockHeldError(`the embedded database is in use by process ${moved.pid}; wait for it to finish.`);
      }
      unlinkSync(stale);
    } catch (error) {
      if (error instanceof LockHeldError) throw error;
      // Someone else moved the stale lock first; the create below decides who wins.
    }
    if (!tryCreate(path)) {
      throw new LockHeldError('the embedded database is being opened by another process; try again.');
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (readOwner(path)?.pid === process.pid) unlinkSync(path);
  };
}
