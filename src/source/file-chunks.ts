/** Reading a spooled body back from disk in fixed-size chunks. */

import { createReadStream } from 'node:fs';

/** Chunk size for reading a spooled body: large enough to keep per-chunk overhead negligible. */
export const FILE_CHUNK_BYTES = 1 << 20;

/**
 * Yields the bytes of the file at `path` in chunks of up to `chunkBytes`. Stopping early closes the file.
 */
export async function* chunksOfFile(path: string, chunkBytes = FILE_CHUNK_BYTES): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}
