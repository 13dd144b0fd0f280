/**
 * Keeps what otc-etl writes on disk readable by its owner only (directories 0700, files 0600), whatever
 * the umask: the embedded database holds the service desk's data. PGlite creates its files 0666 itself
 * (even under umask 077), so its tree is tightened at open, after each transaction and at close.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const OTHERS = 0o077;

/** Creates `dir` (and missing parents) and makes it private. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(dir, PRIVATE_DIR);
}

/**
 * Takes group and other permissions off every directory and file under `root` (root included). Symlinks
 * are left alone: their target may not be ours. A file that vanishes meanwhile is skipped. The walk is
 * synchronous: the embedded database's directory holds a thousand files, and one await per file cost a
 * read-only command more than its queries.
 */
export function tightenTree(root: string): void {
  const info = lstatOrNull(root);
  if (!info || info.isSymbolicLink()) return;
  if ((info.mode & OTHERS) !== 0) chmodOrSkip(root, info.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE);
  if (!info.isDirectory()) return;
  for (const entry of readdirOrEmpty(root)) {
    if (entry.isSymbolicLink()) continue;
    tightenTree(join(root, entry.name));
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function chmodOrSkip(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch {
    // Gone meanwhile: nothing left to tighten.
  }
}

function readdirOrEmpty(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
