import * as zstd from '@foxglove/wasm-zstd';
import { compressFrameSync } from 'lz4-napi';

/** Chunk compression of a generated recording, as named in MCAP chunk records. */
export type ChunkCompression = 'zstd' | 'lz4' | 'none';

export const chunkCompressions: readonly ChunkCompression[] = ['zstd', 'lz4', 'none'];

/** The `compressChunk` hook of @mcap/core's writer. */
export type CompressChunk = (chunk: Uint8Array) => {
  compression: string;
  compressedData: Uint8Array;
};

/** zstd level 3: the zstd CLI default, a good ratio at several hundred MB/s in native code. */
const zstdLevel = 3;

/**
 * The chunk compressor for `kind`, or undefined for `none`. zstd runs in WebAssembly (the same
 * build @mcap/support decompresses with); lz4 writes the LZ4 frame format MCAP requires, natively.
 */
export async function chunkCompressor(kind: ChunkCompression): Promise<CompressChunk | undefined> {
  switch (kind) {
    case 'none':
      return undefined;
    case 'zstd':
      await zstd.isLoaded;
      return (chunk) => ({ compression: 'zstd', compressedData: zstd.compress(chunk, zstdLevel) });
    case 'lz4':
      return (chunk) => {
        const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        return { compression: 'lz4', compressedData: compressFrameSync(view) };
      };
  }
}
