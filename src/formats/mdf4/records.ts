/**
 * Splits the data stream of a data group into records. Sorted groups (no record id) hold
 * fixed-size records of their single channel group; unsorted groups prefix every record with
 * a 1/2/4/8-byte record id, and records of VLSD channel groups carry a 4-byte length and the
 * value bytes. Records are delivered per window as parallel arrays (group, start, length), so
 * the per-record cost is a few array writes and no object allocation.
 */
import type { ByteLocation } from '../source.js';
import type { MdfBytes } from './bytes.js';
import type { DataChunk, DataLimits } from './data.js';
import { readChunks } from './data.js';
import type { Mdf4DataGroup } from './tree.js';

/** The records found in one window of a data group's data. */
export interface RecordBatch {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly count: number;
  /** Index of each record's channel group in `dataGroup.groups`. */
  readonly group: Uint32Array;
  /** Offset of each record's data (after record id and VLSD length) in `bytes`. */
  readonly start: Uint32Array;
  /** Length of each record's data. */
  readonly length: Uint32Array;
  /** Where record `i` sits in the file. */
  location(i: number): ByteLocation;
}

/** Options for scanning; `recordLimit` caps sorted groups at their cycle count. */
export interface ScanOptions {
  readonly limits: DataLimits;
  /** For a sorted group of a finalized file: the number of records the group declares. */
  readonly recordLimit?: number;
}

/** Streams the records of a data group window by window. */
export async function* scanRecords(
  bytes: MdfBytes,
  dataGroup: Mdf4DataGroup,
  options: ScanOptions,
): AsyncGenerator<RecordBatch> {
  const idSize = dataGroup.recordIdSize;
  const groups = dataGroup.groups;
  const sizes = groups.map((g) => (g.isVlsd ? -1 : g.dataBytes + g.invalidationBytes));
  const lookup = recordIdLookup(dataGroup);
  const totalLength = dataGroup.fragments.reduce((sum, f) => sum + f.length, 0);
  const sortedSize = idSize === 0 ? (sizes[0] ?? 0) : 0;
  if (idSize === 0 && (groups.length === 0 || sortedSize <= 0)) return;
  const minRecord =
    idSize === 0
      ? sortedSize
      : idSize + Math.max(0, Math.min(...sizes.map((s) => (s < 0 ? 4 : s))));
  let remainingRecords = options.recordLimit ?? Infinity;
  let carry: { bytes: Uint8Array; chunk: DataChunk; offsetInChunk: number } | undefined;

  for await (const chunk of readChunks(bytes, dataGroup.fragments, options.limits)) {
    const carryLength = carry?.bytes.byteLength ?? 0;
    const buffer = carry === undefined ? chunk.bytes : concat(carry.bytes, chunk.bytes);
    const carried = carry;
    const locate = (position: number): ByteLocation =>
      position < carryLength && carried !== undefined
        ? locationOf(carried.chunk, carried.offsetInChunk + position, 0)
        : locationOf(chunk, position - carryLength, 0);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const capacity = Math.floor(buffer.byteLength / Math.max(1, minRecord)) + 1;
    const group = new Uint32Array(capacity);
    const start = new Uint32Array(capacity);
    const length = new Uint32Array(capacity);
    const begin = new Uint32Array(capacity);
    let count = 0;
    let pos = 0;
    const end = buffer.byteLength;
    if (idSize === 0) {
      while (pos + sortedSize <= end && remainingRecords > 0) {
        start[count] = pos;
        begin[count] = pos;
        length[count] = sortedSize;
        count++;
        remainingRecords--;
        pos += sortedSize;
      }
      if (remainingRecords === 0) pos = end;
    } else {
      for (;;) {
        if (pos + idSize > end) break;
        const id = readId(buffer, view, pos, idSize);
        const g = lookup(id);
        if (g < 0) {
          const at = locate(pos);
          throw bytes.corrupt(
            at.offset,
            `record id ${id} matches no channel group of the data group at byte ${dataGroup.offset}`,
          );
        }
        let size = sizes[g]!;
        let header = idSize;
        if (size < 0) {
          if (pos + idSize + 4 > end) break;
          size = view.getUint32(pos + idSize, true);
          header += 4;
          const left = totalLength - (chunk.position - carryLength + pos) - header;
          if (size > left || size > options.limits.maxBlockBytes) {
            throw bytes.corrupt(
              locate(pos).offset,
              `VLSD record of ${size} bytes ${size > left ? `runs past the end of the data (${left} bytes left)` : `exceeds the ${options.limits.maxBlockBytes}-byte limit`}`,
            );
          }
        }
        if (pos + header + size > end) break;
        group[count] = g;
        begin[count] = pos;
        start[count] = pos + header;
        length[count] = size;
        count++;
        pos += header + size;
      }
    }
    carry =
      pos < end
        ? { bytes: buffer.subarray(pos), ...origin(carried, carryLength, chunk, pos) }
        : undefined;
    const done = remainingRecords === 0;
    if (count > 0) {
      yield {
        bytes: buffer,
        view,
        count,
        group,
        start,
        length,
        location: (i) => {
          const at = locate(begin[i]!);
          const size = start[i]! - begin[i]! + length[i]!;
          return at.offsetInChunk === undefined ? { offset: at.offset, length: size } : at;
        },
      };
    }
    if (done) return;
  }
  if (options.recordLimit !== undefined && remainingRecords > 0) {
    throw bytes.corrupt(
      dataGroup.offset,
      `the channel group of the data group at byte ${dataGroup.offset} declares ${options.recordLimit} records, its data holds ${options.recordLimit - remainingRecords}`,
    );
  }
  if (carry !== undefined && carry.bytes.byteLength > 0) {
    const at = locationOf(carry.chunk, carry.offsetInChunk, 0);
    throw bytes.corrupt(
      at.offset,
      `the data of the data group at byte ${dataGroup.offset} ends inside a record: ${carry.bytes.byteLength} bytes left over (file truncated?)`,
    );
  }
}

function origin(
  carried: { chunk: DataChunk; offsetInChunk: number } | undefined,
  carryLength: number,
  chunk: DataChunk,
  pos: number,
): { chunk: DataChunk; offsetInChunk: number } {
  if (pos < carryLength && carried !== undefined)
    return { chunk: carried.chunk, offsetInChunk: carried.offsetInChunk + pos };
  return { chunk, offsetInChunk: pos - carryLength };
}

function locationOf(chunk: DataChunk, offsetInChunk: number, length: number): ByteLocation {
  const fragment = chunk.fragment;
  if (fragment.kind === 'raw')
    return { offset: fragment.dataOffset + chunk.offsetInFragment + offsetInChunk, length };
  return {
    offset: fragment.blockOffset,
    length: fragment.dataOffset - fragment.blockOffset + fragment.storedLength,
    offsetInChunk: chunk.offsetInFragment + offsetInChunk,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function readId(bytes: Uint8Array, view: DataView, pos: number, size: number): number {
  switch (size) {
    case 1:
      return bytes[pos]!;
    case 2:
      return view.getUint16(pos, true);
    case 4:
      return view.getUint32(pos, true);
    default: {
      const high = view.getUint32(pos + 4, true);
      return high >= 0x200000 ? -1 : high * 0x1_0000_0000 + view.getUint32(pos, true);
    }
  }
}

function recordIdLookup(dataGroup: Mdf4DataGroup): (id: number) => number {
  if (dataGroup.recordIdSize === 1) {
    const table = new Int32Array(256).fill(-1);
    dataGroup.groups.forEach((g, i) => (table[g.recordId] = i));
    return (id) => table[id] ?? -1;
  }
  const map = new Map(dataGroup.groups.map((g, i) => [g.recordId, i]));
  return (id) => map.get(id) ?? -1;
}
