/**
 * Keeps what otc-etl writes on disk readable by its owner only (directories 0700, files 0600), whatever
 * the umask: the embedded database holds the service desk's data. PGlite creates its files 0666 itself
 * (even under umask 077), so its tree is tightened at open, after each transaction and at close.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, lstat, readdir } from 'node:fs/promises';
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
 * are left alone: their target may not be ours. A file that vanishes meanwhile is skipped.
 */
export async function tightenTree(root: string): Promise<void> {
  const info = await lstat(root).catch(() => null);
  if (!info || info.isSymbolicLink()) return;
  if ((info.mode & OTHERS) !== 0) await chmod(root, info.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE).catch(() => undefined);
  if (!info.isDirectory()) return;
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isSymbolicLink()) continue;
    await tightenTree(join(root, entry.name));
  }
}
