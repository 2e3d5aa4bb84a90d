/**
 * Chunk decompression for MCAP and ROS 1 bags (lz4, zstd, bz2 through the WebAssembly builds
 * that @mcap/support loads), with the declared sizes checked before any buffer is allocated.
 */
import { loadDecompressHandlers } from '@mcap/support';
import { CorruptRecording, Unsupported } from '../platform/errors.js';

/** Decompresses `data` into exactly `size` bytes. */
export type Decompressor = (data: Uint8Array, size: number) => Uint8Array;

/** Limits that keep a corrupt size field from turning into a huge allocation. */
export interface ChunkLimits {
  /** Largest uncompressed chunk a reader will allocate, in bytes. */
  readonly maxChunkBytes: number;
}

/** 1 GiB: far above what recorders write (MCAP and rosbag chunks are typically a few MB). */
export const defaultChunkLimits: ChunkLimits = { maxChunkBytes: 1 << 30 };

/** LZ4 cannot expand input by more than about 255x; anything beyond is a corrupt size field. */
const LZ4_MAX_RATIO = 256;

let loaded: Promise<ReadonlyMap<string, Decompressor>> | undefined;

/** Loads the decompressors once per process; keyed by compression name (`lz4`, `zstd`, `bz2`). */
export function loadDecompressors(): Promise<ReadonlyMap<string, Decompressor>> {
  loaded ??= loadDecompressHandlers().then(
    (handlers) =>
      new Map(
        Object.entries(handlers).map(([name, handler]): [string, Decompressor] => [
          name,
          (data, size) => handler(data, BigInt(size)),
        ]),
      ),
  );
  return loaded;
}

/** Where a compressed chunk sits, for error messages. */
export interface ChunkPlace {
  readonly file: string;
  /** Byte offset of the chunk record in the file. */
  readonly offset: number;
}

/**
 * Decompresses one chunk after checking its declared size against `limits`; throws
 * `Unsupported` for an unknown compression and `CorruptRecording` when the data does not
 * decompress to the declared size.
 */
export function decompressChunk(
  place: ChunkPlace,
  compression: string,
  data: Uint8Array,
  declaredSize: number | bigint,
  decompressors: ReadonlyMap<string, Decompressor>,
  limits: ChunkLimits,
): Uint8Array {
  const decompress = decompressors.get(compression);
  if (decompress === undefined) {
    throw new Unsupported(
      `${place.file}: chunk at byte ${place.offset} uses compression '${compression}'; supported: ${[...decompressors.keys()].join(', ')}`,
      { file: place.file, offset: place.offset, compression },
    );
  }
  const size = Number(declaredSize);
  if (size > limits.maxChunkBytes) {
    throw new CorruptRecording(
      place.file,
      place.offset,
      `chunk declares ${declaredSize} uncompressed bytes, above the ${limits.maxChunkBytes}-byte limit (maxChunkBytes)`,
    );
  }
  if (compression === 'lz4' && size > data.byteLength * LZ4_MAX_RATIO + 1024) {
    throw new CorruptRecording(
      place.file,
      place.offset,
      `lz4 chunk of ${data.byteLength} bytes cannot expand to the ${size} bytes it declares`,
    );
  }
  if (size === 0 && data.byteLength === 0) return new Uint8Array(0);
  let result: Uint8Array;
  try {
    result = decompress(data, size);
  } catch (error) {
    throw new CorruptRecording(
      place.file,
      place.offset,
      `${compression} chunk does not decompress: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (result.byteLength !== size) {
    throw new CorruptRecording(
      place.file,
      place.offset,
      `${compression} chunk decompressed to ${result.byteLength} bytes, it declares ${size}`,
    );
  }
  return result;
}
