/**
 * Front-to-back MCAP reading in large blocks: the streamed path for files without a usable
 * summary, and the record-by-record view the conformance suite checks. Records are parsed in
 * place inside each block; message payloads are borrowed views into the block or the
 * decompressed chunk, never copies. Records a consumer does not want are skipped without
 * being read, and chunks outside a query are skipped without being decompressed.
 */
import type { TypedMcapRecord } from '@mcap/core';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { BlockBuffers } from './blocks.js';
import type { ReadInto } from './blocks.js';
import { decompressChunk } from '../decompress.js';
import type { ChunkLimits, Decompressor } from '../decompress.js';
import type { CheckedReader } from '../reader.js';
import type { ByteLocation } from '../source.js';
import {
  MCAP_MAGIC,
  MESSAGE_PREFIX_BYTES,
  RECORD_HEADER_BYTES,
  corruptAt,
  opcodeName,
  parseChunk,
  parseRecordBody,
  Opcode,
} from './records.js';
import type { ByteOrigin } from './records.js';

/** Receives what the scanner finds; every method is called synchronously during `step()`. */
export interface ScanSink {
  /** Parse records other than messages and pass them to `record`. */
  readonly wantsRecords: boolean;
  /** Stop after the DataEnd record: the summary section holds no messages. */
  readonly stopAtDataEnd: boolean;
  message(
    channelId: number,
    sequence: number,
    logTime: bigint,
    publishTime: bigint,
    data: Uint8Array,
    location: ByteLocation,
  ): void;
  /** A non-message record; `offset` is its file offset, or its chunk's for compressed chunks. */
  record?(record: TypedMcapRecord, offset: number): void;
  /**
   * When true, `step()` returns after the current record so the consumer can drain what it
   * collected; keeps batches small, so short-lived message objects never outlive a young GC.
   */
  readonly paused?: boolean;
  /**
   * Decide whether a chunk is worth decompressing, from its time range and, when the message
   * indexes after it are at hand, the channels it holds. Absent means always.
   */
  chunk?(startTime: bigint, endTime: bigint, channels: ReadonlySet<number> | undefined): boolean;
}

/** Tuning and safety settings of a scan. */
export interface ScanOptions {
  /** Bytes per read from the RandomAccessReader. */
  readonly blockSize: number;
  /** Check chunk and attachment CRCs. */
  readonly validateCrcs: boolean;
  /** CRC-32 (IEEE) of a buffer, used for chunk CRCs. */
  readonly crc32: (data: Uint8Array) => number;
  readonly limits: ChunkLimits;
  readonly decompressors: ReadonlyMap<string, Decompressor>;
  /**
   * Reads into buffers the scan owns: blocks are then two reused buffers, the next one read
   * while the current one is parsed, and the bytes the sink receives (message payloads,
   * attachment data) are valid only until the next `step()` call. Without it every block is a
   * fresh buffer that stays valid as long as it is referenced.
   */
  readonly readInto?: ReadInto;
}

/** 8 MiB: large enough that per-read overhead vanishes, small enough to stay cache-friendly. */
export const defaultBlockSize = 8 << 20;

const CHUNK_FIXED_BYTES = 8 + 8 + 8 + 4 + 4;

/** A chunk whose records are being scanned; kept between steps so a chunk can span batches. */
interface OpenChunk {
  readonly records: Uint8Array;
  readonly view: DataView;
  readonly origin: ByteOrigin;
  /** Location of the chunk record when it is compressed (messages then carry offsetInChunk). */
  readonly location: ByteLocation | undefined;
  p: number;
}

/** Walks an MCAP file front to back, feeding a `ScanSink`. */
export class McapScanner {
  private open: OpenChunk | undefined;
  private block: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.block.buffer);
  private blockStart = 0;
  private pos = 0;
  private sawHeader = false;
  private finished = false;
  /** Bytes the next step must load before it goes on (0: none). */
  private wanted = 0;
  private readonly buffers: BlockBuffers | undefined;
  /** Whether chunks may be skipped unread, so that reading ahead could be wasted. */
  private readonly skips: boolean;

  constructor(
    private readonly reader: CheckedReader,
    private readonly sink: ScanSink,
    private readonly options: ScanOptions,
  ) {
    this.buffers =
      options.readInto === undefined
        ? undefined
        : new BlockBuffers(reader, options.readInto, options.blockSize);
    this.skips = !sink.wantsRecords && sink.chunk !== undefined;
  }

  /** File offset the scanner has reached. */
  get position(): number {
    return this.pos;
  }

  /** Scans every record, to the end of the file (or the DataEnd record). */
  async run(): Promise<void> {
    while (await this.step());
  }

  /**
   * Processes the records that the current block holds, reading the next block when needed.
   * Returns false once the scan is complete.
   */
  async step(): Promise<boolean> {
    if (this.finished) return false;
    if (this.pos === 0) {
      await this.readMagic(0, 'opening');
      this.pos = MCAP_MAGIC.length;
    }
    if (this.open !== undefined && !this.continueChunk(this.open)) return true;
    // Loads happen at the start of a step, never after the sink received something in it: with
    // reused buffers, a load may overwrite the bytes of the block before.
    if (this.wanted > 0) {
      await this.load(this.wanted);
      this.wanted = 0;
    }
    const file = this.reader.file;
    const size = this.reader.size;
    const blockEnd = this.blockStart + this.block.byteLength;
    for (;;) {
      const pos = this.pos;
      if (pos + RECORD_HEADER_BYTES > blockEnd) {
        if (pos + RECORD_HEADER_BYTES > size) {
          throw new CorruptRecording(
            file,
            pos,
            pos === size
              ? `file ends after ${size} bytes without a Footer record (truncated?)`
              : `file ends inside a record header (${size - pos} of ${RECORD_HEADER_BYTES} bytes present)`,
          );
        }
        this.wanted = RECORD_HEADER_BYTES;
        return true;
      }
      const at = pos - this.blockStart;
      const opcode = this.block[at]!;
      const length = this.view.getBigUint64(at + 1, true);
      if (length > BigInt(size - pos - RECORD_HEADER_BYTES)) {
        throw new CorruptRecording(
          file,
          pos,
          `${opcodeName(opcode)} record declares ${length} bytes, but the file has only ${size - pos - RECORD_HEADER_BYTES} more`,
        );
      }
      const total = RECORD_HEADER_BYTES + Number(length);
      if (!this.sawHeader) {
        if (opcode !== Opcode.HEADER) {
          throw new CorruptRecording(
            file,
            pos,
            `expected a Header record after the magic, found ${opcodeName(opcode)}`,
          );
        }
        this.sawHeader = true;
      } else if (opcode === Opcode.HEADER) {
        throw new CorruptRecording(file, pos, 'second Header record');
      }

      if (this.reads(opcode)) {
        if (opcode === Opcode.CHUNK && !this.sink.wantsRecords && this.sink.chunk !== undefined) {
          const skip = this.chunkSkippable(pos, total, blockEnd);
          if (skip === undefined) {
            this.wanted = Math.min(total, 64 * 1024);
            return true;
          }
          if (skip) {
            this.pos = pos + total;
            continue;
          }
        }
        if (pos + total > blockEnd) {
          this.wanted = total;
          return true;
        }
        const start = at + RECORD_HEADER_BYTES;
        const end = at + total;
        const origin: ByteOrigin = { file, base: this.blockStart };
        switch (opcode) {
          case Opcode.MESSAGE:
            this.emitMessage(this.block, this.view, start, end, origin, {
              offset: pos,
              length: total,
            });
            break;
          case Opcode.CHUNK:
            this.readChunk(pos, start, end, origin);
            break;
          case Opcode.FOOTER:
            this.emitRecord(opcode, start, end, origin, pos);
            this.pos = pos + total;
            await this.readMagic(this.pos, 'closing');
            if (this.pos + MCAP_MAGIC.length !== size) {
              throw new CorruptRecording(
                file,
                this.pos + MCAP_MAGIC.length,
                `${size - this.pos - MCAP_MAGIC.length} unexpected bytes after the closing magic`,
              );
            }
            this.finished = true;
            return false;
          case Opcode.DATA_END:
            if (this.sink.wantsRecords) this.emitRecord(opcode, start, end, origin, pos);
            if (this.sink.stopAtDataEnd) {
              this.pos = pos + total;
              this.finished = true;
              return false;
            }
            break;
          default:
            this.emitRecord(opcode, start, end, origin, pos);
        }
      }
      this.pos = pos + total;
      if (this.sink.paused === true) return true;
    }
  }

  /** Whether a record is read; any other is skipped without its bytes being loaded. */
  private reads(opcode: number): boolean {
    return (
      opcode === Opcode.MESSAGE ||
      opcode === Opcode.CHUNK ||
      opcode === Opcode.FOOTER ||
      opcode === Opcode.DATA_END ||
      this.sink.wantsRecords
    );
  }

  /** Reads a block starting at the current position, of at least `minimum` bytes. */
  private async load(minimum: number): Promise<void> {
    const length = this.blockLength(this.pos, minimum);
    this.block =
      this.buffers === undefined
        ? await this.reader.read(this.pos, length, 'MCAP records')
        : await this.buffers.block(this.pos, length);
    this.view = new DataView(this.block.buffer, this.block.byteOffset, this.block.byteLength);
    this.blockStart = this.pos;
    if (this.buffers !== undefined && !this.skips) this.readAhead(this.buffers);
  }

  private blockLength(pos: number, minimum: number): number {
    return Math.min(this.reader.size - pos, Math.max(this.options.blockSize, minimum));
  }

  /**
   * Starts reading the block the scan will load next: the one that begins with the first record
   * to read that the current block does not hold whole (records the scan skips are skipped here
   * too). Nothing is read past the Footer or, when the scan stops there, the DataEnd record, nor
   * for a length the file cannot hold (the scan reports that record as corrupt when it reaches
   * it).
   */
  private readAhead(buffers: BlockBuffers): void {
    const size = this.reader.size;
    const blockEnd = this.blockStart + this.block.byteLength;
    let pos = this.blockStart;
    let minimum = RECORD_HEADER_BYTES;
    while (pos + RECORD_HEADER_BYTES <= blockEnd) {
      const at = pos - this.blockStart;
      const opcode = this.block[at]!;
      if (opcode === Opcode.FOOTER || (opcode === Opcode.DATA_END && this.sink.stopAtDataEnd)) {
        return;
      }
      const length = this.view.getBigUint64(at + 1, true);
      if (length > BigInt(size - pos - RECORD_HEADER_BYTES)) return;
      const total = RECORD_HEADER_BYTES + Number(length);
      if (pos + total > blockEnd && this.reads(opcode)) {
        minimum = total;
        break;
      }
      pos += total;
    }
    if (pos + RECORD_HEADER_BYTES > size) return;
    buffers.readAhead(pos, this.blockLength(pos, minimum));
  }

  private async readMagic(offset: number, which: string): Promise<void> {
    if (offset + MCAP_MAGIC.length > this.reader.size) {
      throw new CorruptRecording(
        this.reader.file,
        offset,
        `file ends before the ${which} MCAP magic`,
      );
    }
    const bytes = await this.reader.read(offset, MCAP_MAGIC.length, `${which} magic`);
    checkMagic(bytes, this.reader.file, offset, which);
  }

  private emitRecord(
    opcode: number,
    start: number,
    end: number,
    origin: ByteOrigin,
    offset: number,
  ): void {
    const record = parseRecordBody(
      opcode,
      this.block,
      this.view,
      start,
      end,
      origin,
      this.options.validateCrcs,
    );
    this.sink.record?.(record, offset);
  }

  private emitMessage(
    bytes: Uint8Array,
    view: DataView,
    start: number,
    end: number,
    origin: ByteOrigin,
    location: ByteLocation,
  ): void {
    if (end - start < MESSAGE_PREFIX_BYTES) {
      throw corruptAt(
        origin,
        start,
        `Message record is ${end - start} bytes, shorter than its fixed fields`,
      );
    }
    this.sink.message(
      view.getUint16(start, true),
      view.getUint32(start + 2, true),
      view.getBigUint64(start + 6, true),
      view.getBigUint64(start + 14, true),
      bytes.subarray(start + MESSAGE_PREFIX_BYTES, end),
      location,
    );
  }

  /**
   * Whether the chunk at `pos` can be skipped: true/false, or undefined when its fixed fields are
   * not in the current block yet.
   */
  private chunkSkippable(pos: number, total: number, blockEnd: number): boolean | undefined {
    const at = pos - this.blockStart;
    const fixedEnd = pos + RECORD_HEADER_BYTES + CHUNK_FIXED_BYTES;
    if (fixedEnd > blockEnd) return pos + total <= blockEnd ? false : undefined;
    const startTime = this.view.getBigUint64(at + RECORD_HEADER_BYTES, true);
    const endTime = this.view.getBigUint64(at + RECORD_HEADER_BYTES + 8, true);
    return !this.sink.chunk!(startTime, endTime, this.indexedChannels(pos + total, blockEnd));
  }

  /**
   * Channels listed by the MessageIndex records that follow a chunk, when all of them are in the
   * current block; undefined when they are not (or there are none), so the chunk must be read.
   */
  private indexedChannels(from: number, blockEnd: number): ReadonlySet<number> | undefined {
    const channels = new Set<number>();
    let pos = from;
    let sawIndex = false;
    while (pos + RECORD_HEADER_BYTES + 6 <= blockEnd) {
      const at = pos - this.blockStart;
      if (this.block[at] !== Opcode.MESSAGE_INDEX) return sawIndex ? channels : undefined;
      const length = Number(this.view.getBigUint64(at + 1, true));
      if (!Number.isSafeInteger(length) || pos + RECORD_HEADER_BYTES + length > blockEnd)
        return undefined;
      sawIndex = true;
      if (this.view.getUint32(at + RECORD_HEADER_BYTES + 2, true) > 0) {
        channels.add(this.view.getUint16(at + RECORD_HEADER_BYTES, true));
      }
      pos += RECORD_HEADER_BYTES + length;
    }
    return undefined;
  }

  private readChunk(pos: number, start: number, end: number, origin: ByteOrigin): void {
    const chunk = parseChunk(this.block, this.view, start, end, origin);
    const file = this.reader.file;
    const length = end - start + RECORD_HEADER_BYTES;
    let records = chunk.records;
    let inner: ByteOrigin;
    let compressed = false;
    if (chunk.compression === '') {
      inner = { file, base: this.blockStart + chunk.recordsStart };
    } else {
      compressed = true;
      inner = { file, chunkOffset: pos };
      records = decompressChunk(
        { file, offset: pos },
        chunk.compression,
        records,
        chunk.uncompressedSize,
        this.options.decompressors,
        this.options.limits,
      );
    }
    if (this.options.validateCrcs && chunk.uncompressedCrc !== 0) {
      const actual = this.options.crc32(records);
      if (actual !== chunk.uncompressedCrc) {
        throw new CorruptRecording(
          file,
          pos,
          `chunk CRC is ${actual}, the Chunk record says ${chunk.uncompressedCrc}`,
        );
      }
    }
    this.open = {
      records,
      view: new DataView(records.buffer, records.byteOffset, records.byteLength),
      origin: inner,
      location: compressed ? { offset: pos, length } : undefined,
      p: 0,
    };
    this.continueChunk(this.open);
  }

  /** Scans the open chunk's records until the sink pauses; returns true once the chunk is done. */
  private continueChunk(chunk: OpenChunk): boolean {
    const { records, view, origin, location: chunkLocation } = chunk;
    const size = records.byteLength;
    let p = chunk.p;
    while (p < size) {
      if (p + RECORD_HEADER_BYTES > size) {
        throw corruptAt(origin, p, `chunk ends inside a record header (${size - p} bytes left)`);
      }
      const opcode = records[p]!;
      const length = view.getBigUint64(p + 1, true);
      if (length > BigInt(size - p - RECORD_HEADER_BYTES)) {
        throw corruptAt(
          origin,
          p,
          `${opcodeName(opcode)} record in chunk declares ${length} bytes, only ${size - p - RECORD_HEADER_BYTES} remain in the chunk`,
        );
      }
      const total = RECORD_HEADER_BYTES + Number(length);
      const start = p + RECORD_HEADER_BYTES;
      const end = p + total;
      if (opcode === Opcode.MESSAGE) {
        const location: ByteLocation =
          chunkLocation === undefined
            ? { offset: origin.base! + p, length: total }
            : { offset: chunkLocation.offset, length: chunkLocation.length, offsetInChunk: p };
        this.emitMessage(records, view, start, end, origin, location);
      } else if (
        opcode === Opcode.SCHEMA ||
        opcode === Opcode.CHANNEL ||
        opcode > Opcode.DATA_END
      ) {
        if (this.sink.wantsRecords) {
          const record = parseRecordBody(
            opcode,
            records,
            view,
            start,
            end,
            origin,
            this.options.validateCrcs,
          );
          this.sink.record?.(
            record,
            origin.base === undefined ? origin.chunkOffset! : origin.base + p,
          );
        }
      } else {
        throw corruptAt(origin, p, `${opcodeName(opcode)} record is not allowed inside a chunk`);
      }
      p = end;
      if (this.sink.paused === true && p < size) {
        chunk.p = p;
        return false;
      }
    }
    this.open = undefined;
    return true;
  }
}

/** Throws unless `bytes` is the MCAP magic; a different spec version is `Unsupported`. */
export function checkMagic(bytes: Uint8Array, file: string, offset: number, which: string): void {
  let matches = bytes.byteLength >= MCAP_MAGIC.length;
  for (let i = 0; matches && i < MCAP_MAGIC.length; i++) matches = bytes[i] === MCAP_MAGIC[i];
  if (matches) return;
  // Another version byte in the opening magic is a newer format; in the closing one, damage.
  const version = bytes[5]!;
  const versionOnly =
    which === 'opening' &&
    bytes.byteLength >= MCAP_MAGIC.length &&
    [0, 1, 2, 3, 4, 6, 7].every((i) => bytes[i] === MCAP_MAGIC[i]);
  if (versionOnly) {
    const shown =
      version >= 0x21 && version <= 0x7e
        ? `'${String.fromCharCode(version)}'`
        : `byte 0x${version.toString(16)}`;
    throw new Unsupported(`${file}: MCAP format version ${shown} is not supported (only '0')`, {
      file,
      offset: offset + 5,
    });
  }
  const found = Array.from(bytes.subarray(0, MCAP_MAGIC.length), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join(' ');
  throw new CorruptRecording(
    file,
    offset,
    `expected the ${which} MCAP magic 89 4d 43 41 50 30 0d 0a, found ${found}`,
  );
}
