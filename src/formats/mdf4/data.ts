/**
 * The data section of a data group (or of a VLSD channel's signal data) as a sequence of
 * fragments — plain DT/SD blocks and DZ blocks, found directly or through DL lists and HL
 * headers — and a streaming reader that delivers that logical byte stream in bounded windows.
 * Nothing here ever holds more than one window (or one decompressed DZ block) of data.
 */
import { unzlibSync } from 'fflate';
import { Unsupported } from '../../platform/errors.js';
import type { MdfBytes } from './bytes.js';
import { Fields } from './bytes.js';
import { HEADER_BYTES, readBlock, readHeader } from './blocks.js';

/** Limits that turn corrupt length fields into errors instead of huge allocations. */
export interface DataLimits {
  /** Bytes read from the file per window of an uncompressed data block. */
  readonly windowBytes: number;
  /** Largest decompressed DZ block (and largest single record) the reader will allocate. */
  readonly maxBlockBytes: number;
}

export const defaultDataLimits: DataLimits = {
  windowBytes: 4 * 1024 * 1024,
  maxBlockBytes: 64 * 1024 * 1024,
};

/** One piece of a logical data stream. */
export interface DataFragment {
  readonly kind: 'raw' | 'deflate' | 'transposed';
  /** Offset of the DT/SD/RD or DZ block in the file. */
  readonly blockOffset: number;
  /** File offset of the first stored byte (the payload, or the compressed bytes of a DZ block). */
  readonly dataOffset: number;
  /** Bytes in the file. */
  readonly storedLength: number;
  /** Bytes this fragment contributes to the logical stream. */
  readonly length: number;
  /** For transposed DZ blocks: the number of columns (the record size). */
  readonly columns: number;
}

/** How to resolve a data link. */
export interface FragmentOptions {
  /** Block type of the plain data: `DT` for records, `SD` for signal data. */
  readonly plain: 'DT' | 'SD' | 'RD';
  readonly what: string;
  readonly limits: DataLimits;
}

/** Resolves the data link of a DG (or a VLSD channel) into its fragments, in stream order. */
export async function collectFragments(
  bytes: MdfBytes,
  link: number,
  options: FragmentOptions,
): Promise<DataFragment[]> {
  const fragments: DataFragment[] = [];
  if (link === 0) return fragments;
  const seen = new Set<number>();
  const head = await readHeader(bytes, link, [options.plain, 'DZ', 'DL', 'HL'], options.what);
  if (head.type === 'HL') {
    const hl = await readBlock(bytes, link, ['HL'], options.what, 1, 2);
    await collectList(bytes, hl.links[0] ?? 0, options, fragments, seen);
  } else if (head.type === 'DL') {
    await collectList(bytes, link, options, fragments, seen);
  } else {
    fragments.push(await leaf(bytes, link, options));
  }
  return fragments;
}

async function collectList(
  bytes: MdfBytes,
  first: number,
  options: FragmentOptions,
  out: DataFragment[],
  seen: Set<number>,
): Promise<void> {
  let offset = first;
  while (offset !== 0) {
    if (seen.has(offset))
      throw bytes.corrupt(offset, `${options.what}: the ##DL list loops back to byte ${offset}`);
    seen.add(offset);
    const dl = await readBlock(bytes, offset, ['DL'], `${options.what} data list`, 1, 8);
    const count = dl.data.u32(4);
    if (count !== dl.links.length - 1) {
      throw bytes.corrupt(
        offset,
        `##DL block declares ${count} data blocks but has ${dl.links.length - 1} data links`,
      );
    }
    for (let i = 1; i < dl.links.length; i++) {
      const link = dl.links[i] ?? 0;
      if (link === 0) continue;
      if (seen.has(link))
        throw bytes.corrupt(offset, `##DL block lists the data block at byte ${link} twice`);
      seen.add(link);
      out.push(await leaf(bytes, link, options));
    }
    offset = dl.links[0] ?? 0;
  }
}

async function leaf(
  bytes: MdfBytes,
  offset: number,
  options: FragmentOptions,
): Promise<DataFragment> {
  const head = await readHeader(bytes, offset, [options.plain, 'DZ'], options.what, false);
  const dataOffset = offset + HEADER_BYTES + head.linkCount * 8;
  if (head.type !== 'DZ') {
    bytes.check(offset, head.length, `##${head.type} block`);
    const length = head.length - (dataOffset - offset);
    return {
      kind: 'raw',
      blockOffset: offset,
      dataOffset,
      storedLength: length,
      length,
      columns: 0,
    };
  }
  bytes.check(offset, head.length, '##DZ block');
  if (head.length < dataOffset - offset + 24) {
    throw bytes.corrupt(offset, '##DZ block is too short for its fields');
  }
  const fields = new Fields(await bytes.read(dataOffset, 24, '##DZ block fields'));
  const original = fields.ascii(0, 2);
  const zipType = fields.u8(2);
  const parameter = fields.u32(4);
  const length = fields.u64(8);
  const storedLength = fields.u64(16);
  if (original !== options.plain) {
    throw bytes.corrupt(
      dataOffset,
      `##DZ block compresses a ##${original} block where ##${options.plain} data was expected`,
    );
  }
  if (zipType !== 0 && zipType !== 1) {
    throw new Unsupported(
      `${bytes.file}: ##DZ block at byte ${offset} uses compression ${zipType}; supported are 0 (deflate) and 1 (transposition + deflate)`,
      { file: bytes.file, offset, compression: zipType },
    );
  }
  if (!Number.isSafeInteger(length) || length > options.limits.maxBlockBytes) {
    throw bytes.corrupt(
      dataOffset + 8,
      `##DZ block declares ${length} uncompressed bytes, above the ${options.limits.maxBlockBytes}-byte limit (maxBlockBytes)`,
    );
  }
  const payload = dataOffset + 24;
  if (!Number.isSafeInteger(storedLength) || payload + storedLength > offset + head.length) {
    throw bytes.corrupt(
      dataOffset + 16,
      `##DZ block declares ${storedLength} compressed bytes, more than the block holds`,
    );
  }
  if (zipType === 1 && parameter === 0)
    throw bytes.corrupt(dataOffset + 4, '##DZ transposition with 0 columns');
  return {
    kind: zipType === 0 ? 'deflate' : 'transposed',
    blockOffset: offset,
    dataOffset: payload,
    storedLength,
    length,
    columns: parameter,
  };
}

/** A window of the logical stream. */
export interface DataChunk {
  readonly bytes: Uint8Array;
  /** Position of `bytes[0]` in the logical stream. */
  readonly position: number;
  readonly fragment: DataFragment;
  /** Position of `bytes[0]` inside the fragment's logical bytes. */
  readonly offsetInFragment: number;
}

/** Streams the logical bytes of `fragments` in windows (one whole block for DZ). */
export async function* readChunks(
  bytes: MdfBytes,
  fragments: readonly DataFragment[],
  limits: DataLimits,
): AsyncGenerator<DataChunk> {
  let position = 0;
  for (const fragment of fragments) {
    if (fragment.kind === 'raw') {
      for (let done = 0; done < fragment.length;) {
        const length = Math.min(limits.windowBytes, fragment.length - done);
        const chunk = await bytes.read(
          fragment.dataOffset + done,
          length,
          `##DT data at byte ${fragment.blockOffset}`,
        );
        yield { bytes: chunk, position, fragment, offsetInFragment: done };
        done += length;
        position += length;
      }
    } else {
      yield {
        bytes: await inflateFragment(bytes, fragment),
        position,
        fragment,
        offsetInFragment: 0,
      };
      position += fragment.length;
    }
  }
}

/** Decompresses one DZ fragment, checking that it yields exactly its declared size. */
export async function inflateFragment(
  bytes: MdfBytes,
  fragment: DataFragment,
): Promise<Uint8Array> {
  const compressed = await bytes.read(
    fragment.dataOffset,
    fragment.storedLength,
    `##DZ block at byte ${fragment.blockOffset}`,
  );
  let inflated: Uint8Array;
  try {
    inflated = unzlibSync(compressed, { out: new Uint8Array(fragment.length + 1) });
  } catch (error) {
    throw bytes.corrupt(
      fragment.dataOffset,
      `##DZ block does not inflate: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (inflated.byteLength !== fragment.length) {
    throw bytes.corrupt(
      fragment.dataOffset,
      `##DZ block inflates to ${inflated.byteLength > fragment.length ? 'more than' : ''} ${inflated.byteLength} bytes, it declares ${fragment.length}`,
    );
  }
  return fragment.kind === 'transposed' ? untranspose(inflated, fragment.columns) : inflated;
}

/**
 * Undoes the DZ transposition: the first rows×columns bytes were stored column by column
 * (all first bytes of every record, then all second bytes …); the remainder is stored as is.
 */
export function untranspose(data: Uint8Array, columns: number): Uint8Array {
  const rows = Math.floor(data.byteLength / columns);
  if (rows < 2 || columns < 2) return data;
  const out = new Uint8Array(data.byteLength);
  for (let c = 0; c < columns; c++) {
    const from = c * rows;
    for (let r = 0; r < rows; r++) out[r * columns + c] = data[from + r]!;
  }
  out.set(data.subarray(rows * columns), rows * columns);
  return out;
}

/**
 * Random access to a logical stream (signal data of VLSD channels), keeping one window cached:
 * VLSD offsets normally grow record by record, so nearly every lookup hits the window.
 */
export class LogicalStream {
  private readonly starts: number[] = [];
  private readonly fragments: readonly DataFragment[];
  private readonly total: number;
  private window: { start: number; bytes: Uint8Array } | undefined;

  constructor(
    private readonly bytes: MdfBytes,
    fragments: readonly DataFragment[],
    private readonly limits: DataLimits,
  ) {
    this.fragments = fragments.filter((fragment) => fragment.length > 0);
    let position = 0;
    for (const fragment of this.fragments) {
      this.starts.push(position);
      position += fragment.length;
    }
    this.total = position;
  }

  /** Length of the logical stream. */
  get length(): number {
    return this.total;
  }

  /** Reads `length` logical bytes at `position`; `what` names the requester for errors. */
  async read(position: number, length: number, what: string): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    if (!Number.isSafeInteger(position) || position < 0 || position + length > this.total) {
      const fragment = this.fragments[0];
      throw this.bytes.corrupt(
        fragment?.blockOffset ?? 0,
        `${what}: offset ${position} (+${length} bytes) lies outside the ${this.total} bytes of data`,
      );
    }
    const w = this.window;
    if (
      w !== undefined &&
      position >= w.start &&
      position + length <= w.start + w.bytes.byteLength
    ) {
      return w.bytes.subarray(position - w.start, position - w.start + length);
    }
    if (length > this.limits.windowBytes) {
      const out = new Uint8Array(length);
      for (let done = 0; done < length;) {
        const part = await this.read(
          position + done,
          Math.min(this.limits.windowBytes, length - done),
          what,
        );
        out.set(part, done);
        done += part.byteLength;
      }
      return out;
    }
    const index = this.fragmentAt(position);
    const fragment = this.fragments[index]!;
    const fragmentStart = this.starts[index]!;
    if (position + length > fragmentStart + fragment.length) {
      const out = new Uint8Array(length);
      const head = await this.read(position, fragmentStart + fragment.length - position, what);
      out.set(head, 0);
      out.set(
        await this.read(position + head.byteLength, length - head.byteLength, what),
        head.byteLength,
      );
      return out;
    }
    if (fragment.kind === 'raw') {
      const from = position - fragmentStart;
      const size = Math.min(fragment.length - from, Math.max(this.limits.windowBytes, length));
      const data = await this.bytes.read(
        fragment.dataOffset + from,
        size,
        `##SD data at byte ${fragment.blockOffset}`,
      );
      this.window = { start: position, bytes: data };
    } else {
      this.window = { start: fragmentStart, bytes: await inflateFragment(this.bytes, fragment) };
    }
    return this.read(position, length, what);
  }

  private fragmentAt(position: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
