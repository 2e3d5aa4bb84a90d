import { open, readFile } from 'node:fs/promises';
import type { RandomAccessReader } from '../../src/formats/source.js';

/** A RandomAccessReader over a local file, for tests; `close()` releases the handle. */
export async function fileReader(
  path: string,
): Promise<RandomAccessReader & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size: () => Promise.resolve(size),
    read: async (offset, length) => {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buffer.byteLength) {
        const { bytesRead } = await handle.read(
          buffer,
          done,
          buffer.byteLength - done,
          offset + done,
        );
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buffer.subarray(0, done);
    },
    close: () => handle.close(),
  };
}

/** The whole file, for tests that mutate bytes in memory. */
export async function fileBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}
