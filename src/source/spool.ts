/**
 * A view's body on its way into a spool file, readable while it is still arriving: the load parses
 * what has come so far instead of waiting for the (slow) source to finish.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Raised to a reader when the download it was following failed: a retry starts a new spool. */
export class SpoolAbandonedError extends Error {
  constructor() {
    super('the download of this body failed; its spool was abandoned');
  }
}

const READ_CHUNK_BYTES = 1 << 20;

export class Spool {
  private bytes = 0;
  private state: 'writing' | 'complete' | 'failed' = 'writing';
  private waiters: Array<() => void> = [];

  constructor(readonly file: string) {}

  /** Bytes in the file so far. */
  get written(): number {
    return this.bytes;
  }

  /** A stream that writes the body to the file, telling readers as each chunk lands. */
  writer(): Writable {
    let handle: FileHandle | null = null;
    return new Writable({
      construct: (done) => {
        open(this.file, 'w').then((h) => {
          handle = h;
          done();
        }, done);
      },
      write: (chunk: Buffer, _encoding, done) => {
        writeAll(handle!, chunk).then(() => {
          this.bytes += chunk.length;
          this.wake();
          done();
        }, done);
      },
      final: (done) => {
        handle!.close().then(() => done(), done);
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
   * `SpoolAbandonedError` if the download fails first.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let handle: FileHandle | null = null;
    let position = 0;
    try {
      for (;;) {
        if (this.state === 'failed') throw new SpoolAbandonedError();
        if (position < this.bytes) {
          handle ??= await open(this.file, 'r');
          const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, this.bytes - position));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          position += bytesRead;
          yield buffer.subarray(0, bytesRead);
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

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
