/**
 * A view's body on its way into a spool file, readable while it is still arriving: the load parses
 * what has come so far instead of waiting for the (slow) source to finish.
 */
import { mkdtemp, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/**
 * Spool directories are named `otc-etl-<pid>-<random>`: the owner's pid tells a later process whether the
 * owner is gone (killed mid-download), so its leftovers can be removed without touching a live one's.
 */
const SPOOL_PREFIX = 'otc-etl-';
const OWNED_SPOOL = /^otc-etl-(\d+)-[A-Za-z0-9]{6}$/;
/** Spools from before the pid was in the name: no live process of this version owns one. */
const UNOWNED_SPOOL = /^otc-etl-[A-Za-z0-9]{6}$/;
const UNOWNED_MAX_AGE_MS = 86_400_000;

/** A new private spool directory (mkdtemp makes it 0700). */
export function makeSpoolDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), `${SPOOL_PREFIX}${process.pid}-`));
}

let sweep: Promise<void> | null = null;

/**
 * Removes the spool directories of processes that died (OOM, SIGKILL) before removing their own; once
 * per process, at its first download. A body can be gigabytes, and nothing else would ever remove it.
 */
export function removeDeadSpools(dir = tmpdir()): Promise<void> {
  sweep ??= sweepSpools(dir).then(
    () => undefined,
    () => undefined,
  );
  return sweep;
}

export async function sweepSpools(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(SPOOL_PREFIX) || !(await isDeadSpool(join(dir, name), name))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

async function isDeadSpool(path: string, name: string): Promise<boolean> {
  const owned = OWNED_SPOOL.exec(name);
  if (owned) return Number(owned[1]) !== process.pid && !isAlive(Number(owned[1]));
  if (!UNOWNED_SPOOL.test(name)) return false;
  const info = await stat(path).catch(() => null);
  return info?.isDirectory() === true && Date.now() - info.mtimeMs > UNOWNED_MAX_AGE_MS;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Raised to a reader when the download it was following failed: a retry starts a new spool. */
export class SpoolAbandonedError extends Error {
  constructor() {
    super('the download of this body failed; its spool was abandoned');
  }
}

const READ_CHUNK_BYTES = 1 << 20;
/** The body goes into the file in parts of about this size. */
const WRITE_BYTES = 1 << 20;

export class Spool {
  private bytes = 0;
  /** Chunks received and not yet in the file, in order: the body from offset `bytes` on. */
  private unwritten: Buffer[] = [];
  private unwrittenBytes = 0;
  private state: 'writing' | 'complete' | 'failed' = 'writing';
  private waiters: Array<() => void> = [];

  constructor(readonly file: string) {}

  /** Bytes in the file so far. */
  get written(): number {
    return this.bytes;
  }

  /**
   * A stream that writes the body to the file. Chunks are gathered and written a megabyte at a time:
   * the network hands them over in tens of kilobytes, and a write for each cost four times the CPU
   * (spent beside the sync, on the machine's other core). A reader is told of each chunk as it comes,
   * and takes those not yet in the file from memory.
   */
  writer(): Writable {
    let handle: FileHandle | null = null;
    return new Writable({
      // Room for what arrives while a part is being written: the body keeps flowing until the write is done.
      highWaterMark: 2 * WRITE_BYTES,
      construct: (done) => {
        // Owner-only whatever the umask: the body is the service desk's data.
        open(this.file, 'w', 0o600).then((h) => {
          handle = h;
          done();
        }, done);
      },
      write: (chunk: Buffer, _encoding, done) => {
        this.unwritten.push(chunk);
        this.unwrittenBytes += chunk.length;
        this.wake();
        if (this.unwrittenBytes < WRITE_BYTES) return done();
        this.flush(handle!).then(() => done(), done);
      },
      final: (done) => {
        this.flush(handle!)
          .then(() => handle!.close())
          .then(() => done(), done);
      },
      destroy: (error, done) => {
        if (!handle) return done(error);
        handle.close().then(
          () => done(error),
          () => done(error),
        );
      },
    });
  }

  /** Writes what was gathered. The stream gives no chunk meanwhile, so `unwritten` holds still. */
  private async flush(handle: FileHandle): Promise<void> {
    const bytes = this.unwrittenBytes;
    if (bytes === 0) return;
    const parts = this.unwritten;
    await writeAll(handle, parts, bytes);
    this.unwritten = [];
    this.unwrittenBytes = 0;
    this.bytes += bytes;
    this.wake();
  }

  /** The chunk (or its rest) at body offset `position` among those not yet in the file, or null. */
  private unwrittenAt(position: number): Buffer | null {
    let start = this.bytes;
    for (const chunk of this.unwritten) {
      if (position < start + chunk.length) return position < start ? null : chunk.subarray(position - start);
      start += chunk.length;
    }
    return null;
  }

  /** The whole body is in the file. */
  complete(): void {
    this.state = 'complete';
    this.wake();
  }

  /** The download failed: readers stop with `SpoolAbandonedError`. */
  fail(): void {
    if (this.state === 'writing') this.state = 'failed';
    this.wake();
  }

  /**
   * The body's bytes from the start, as they arrive; ends when the body is complete. Throws
   * `SpoolAbandonedError` if the download fails first. What is in the file is read into the same
   * buffer each time, so a chunk is valid until the next is asked for: a new megabyte for each chunk was
   * freed only by full garbage collections, a third more of them on a re-sync. What is not yet in the
   * file is handed over from memory.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let handle: FileHandle | null = null;
    let position = 0;
    let buffer: Buffer | null = null;
    try {
      for (;;) {
        if (this.state === 'failed') throw new SpoolAbandonedError();
        if (position < this.bytes) {
          handle ??= await open(this.file, 'r');
          buffer ??= Buffer.allocUnsafe(READ_CHUNK_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, this.bytes - position), position);
          position += bytesRead;
          yield buffer.subarray(0, bytesRead);
          continue;
        }
        const unwritten = this.unwrittenAt(position);
        if (unwritten) {
          position += unwritten.length;
          yield unwritten;
          continue;
        }
        if (this.state === 'complete') return;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      await handle?.close();
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Writes `parts` (`bytes` in all) in one call, without copying them together first; a short write goes on from where it stopped. */
async function writeAll(handle: FileHandle, parts: Buffer[], bytes: number): Promise<void> {
  const { bytesWritten } = await handle.writev(parts);
  if (bytesWritten === bytes) return;
  const rest = Buffer.concat(parts, bytes);
  for (let offset = bytesWritten; offset < bytes; ) offset += (await handle.write(rest, offset, bytes - offset)).bytesWritten;
}
