/**
 * Byte access for the MDF 4 reader. Metadata blocks (HD, DG, CG, CN, CC, TX …) are small and
 * clustered, so they go through a small page cache: opening a file with hundreds of channel
 * blocks costs a handful of range reads, which matters when the reader is an object store.
 * Bulk data never goes through the cache; it is read in large windows by `data.ts`.
 */
import { CorruptRecording } from '../../platform/errors.js';
import type { RandomAccessReader } from '../source.js';

const PAGE_BYTES = 64 * 1024;
const MAX_CACHED_PAGES = 32;

/** A bounds-checked, byte-counting view of one MDF file. */
export class MdfBytes {
  bytesRead = 0;
  /** End of the furthest metadata block read so far; data written after it may be open-ended. */
  metadataEnd = 0;
  private readonly pages = new Map<number, Uint8Array>();

  private constructor(
    readonly file: string,
    private readonly reader: RandomAccessReader,
    readonly size: number,
  ) {}

  /** Asks the reader for the file size once and wraps it. */
  static async open(file: string, reader: RandomAccessReader): Promise<MdfBytes> {
    const size = await reader.size();
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new CorruptRecording(file, 0, `the reader reported an invalid file size ${size}`);
    }
    return new MdfBytes(file, reader, size);
  }

  /** A `CorruptRecording` for this file at `offset`. */
  corrupt(offset: number, message: string): CorruptRecording {
    const at = Number.isFinite(offset) ? Math.min(Math.max(0, Math.trunc(offset)), this.size) : 0;
    return new CorruptRecording(this.file, at, message);
  }

  /** Throws unless [offset, offset + length) lies inside the file; `what` names the structure. */
  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.size) {
      throw this.corrupt(
        offset,
        `${what} is said to start at byte ${offset}, outside the ${this.size}-byte file`,
      );
    }
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > this.size) {
      throw this.corrupt(
        offset,
        `${what} is said to be ${length} bytes long, but only ${this.size - offset} bytes remain in the file`,
      );
    }
  }

  /** Reads exactly `length` bytes at `offset`, bypassing the page cache (bulk data). */
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    this.check(offset, length, what);
    if (length === 0) return new Uint8Array(0);
    const bytes = await this.reader.read(offset, length);
    this.bytesRead += bytes.byteLength;
    if (bytes.byteLength !== length) {
      throw this.corrupt(
        offset + bytes.byteLength,
        `${what}: expected ${length} bytes at byte ${offset}, the reader returned ${bytes.byteLength}`,
      );
    }
    return bytes;
  }

  /** Reads exactly `length` bytes at `offset` through the page cache (metadata blocks). */
  async readCached(offset: number, length: number, what: string): Promise<Uint8Array> {
    this.check(offset, length, what);
    const first = Math.floor(offset / PAGE_BYTES);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / PAGE_BYTES);
    if (last - first >= 2) return this.read(offset, length, what);
    const page = await this.page(first);
    const start = offset - first * PAGE_BYTES;
    if (first === last) return page.subarray(start, start + length);
    const next = await this.page(last);
    const out = new Uint8Array(length);
    const head = page.subarray(start);
    out.set(head, 0);
    out.set(next.subarray(0, length - head.byteLength), head.byteLength);
    return out;
  }

  private async page(index: number): Promise<Uint8Array> {
    const cached = this.pages.get(index);
    if (cached !== undefined) {
      this.pages.delete(index);
      this.pages.set(index, cached);
      return cached;
    }
    const start = index * PAGE_BYTES;
    const page = await this.read(start, Math.min(PAGE_BYTES, this.size - start), 'metadata page');
    this.pages.set(index, page);
    if (this.pages.size > MAX_CACHED_PAGES) {
      const oldest = this.pages.keys().next().value;
      if (oldest !== undefined) this.pages.delete(oldest);
    }
    return page;
  }
}

/** Little-endian field access on a byte view, without allocating a DataView per field. */
export class Fields {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  has(offset: number, length: number): boolean {
    return offset >= 0 && offset + length <= this.bytes.byteLength;
  }

  u8(offset: number): number {
    return this.has(offset, 1) ? this.view.getUint8(offset) : 0;
  }

  u16(offset: number): number {
    return this.has(offset, 2) ? this.view.getUint16(offset, true) : 0;
  }

  i16(offset: number): number {
    return this.has(offset, 2) ? this.view.getInt16(offset, true) : 0;
  }

  u32(offset: number): number {
    return this.has(offset, 4) ? this.view.getUint32(offset, true) : 0;
  }

  /** An unsigned 64-bit field as a number; values above 2^53 come back as Infinity. */
  u64(offset: number): number {
    if (!this.has(offset, 8)) return 0;
    const low = this.view.getUint32(offset, true);
    const high = this.view.getUint32(offset + 4, true);
    return high >= 0x200000 ? Infinity : high * 0x1_0000_0000 + low;
  }

  u64big(offset: number): bigint {
    return this.has(offset, 8) ? this.view.getBigUint64(offset, true) : 0n;
  }

  f64(offset: number): number {
    return this.has(offset, 8) ? this.view.getFloat64(offset, true) : 0;
  }

  ascii(offset: number, length: number): string {
    let text = '';
    for (let i = offset; i < offset + length && i < this.bytes.byteLength; i++) {
      text += String.fromCharCode(this.bytes[i] ?? 0);
    }
    return text;
  }
}
