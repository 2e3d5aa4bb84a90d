/** Pieces both MCAP paths share: options, channel descriptions, reading one message by location. */
import { crc32 } from '@foxglove/crc';
import type { McapRecords, TypedMcapRecord } from '@mcap/core';
import { CorruptRecording } from '../../platform/errors.js';
import { decompressChunk, defaultChunkLimits, loadDecompressors } from '../decompress.js';
import type { CheckedReader } from '../reader.js';
import type { ByteLocation, ChannelInfo, RecordedMessage } from '../source.js';
import type { ChannelStats } from '../stats.js';
import {
  RECORD_HEADER_BYTES,
  corruptAt,
  opcodeName,
  parseChunk,
  parseMessage,
  Opcode,
  parseRecordBody,
} from './records.js';
import type { ByteOrigin } from './records.js';
import type { ReadInto } from './blocks.js';
import { defaultBlockSize } from './scan.js';
import type { ScanOptions } from './scan.js';

/** Settings of the MCAP reader; every field has a safe default. */
export interface McapOptions {
  /** Bytes per read on the streamed path (default 8 MiB). */
  readonly blockSize?: number;
  /** Check chunk and attachment CRCs (default true). */
  readonly validateCrcs?: boolean;
  /** Largest uncompressed chunk to allocate (default 1 GiB). */
  readonly maxChunkBytes?: number;
  /**
   * CRC-32 (IEEE) implementation for chunk CRCs; default @foxglove/crc. Chunk CRCs bound the
   * streamed path's speed, so callers with a native one (Node's `zlib.crc32`) should pass it.
   */
  readonly crc32?: (data: Uint8Array) => number;
  /**
   * Reads the same file into a buffer the caller gives (see `ReadInto`). The streamed path then
   * reads into two buffers it reuses, overlapping each read with the parsing of the block
   * before, instead of a fresh block per read. The price: a message payload (or attachment)
   * that the streamed path hands over is valid only until the next message is requested; copy
   * what must live longer.
   */
  readonly readInto?: ReadInto;
}

/** Resolves options against the defaults, loading the decompressors. */
export async function scanOptions(options: McapOptions = {}): Promise<ScanOptions> {
  return {
    blockSize: options.blockSize ?? defaultBlockSize,
    validateCrcs: options.validateCrcs ?? true,
    crc32: options.crc32 ?? crc32,
    limits: { maxChunkBytes: options.maxChunkBytes ?? defaultChunkLimits.maxChunkBytes },
    decompressors: await loadDecompressors(),
    ...(options.readInto === undefined ? {} : { readInto: options.readInto }),
  };
}

/** The `ChannelInfo` of an MCAP channel and its schema (schema id 0 means none). */
export function channelInfo(
  channel: McapRecords['Channel'],
  schema: McapRecords['Schema'] | undefined,
  stats: ChannelStats | undefined,
): ChannelInfo {
  return {
    id: channel.id,
    topic: channel.topic,
    schemaName: schema?.name ?? '',
    schemaEncoding: schema?.encoding ?? '',
    schemaData: schema?.data ?? new Uint8Array(0),
    messageEncoding: channel.messageEncoding,
    metadata: Object.fromEntries(channel.metadata),
    ...(stats === undefined ? {} : { messageCount: stats.count }),
    ...(stats?.start === undefined ? {} : { startTime: stats.start }),
    ...(stats?.end === undefined ? {} : { endTime: stats.end }),
  };
}

/** The decompressed records of the Chunk record in `bytes` (read from file offset `offset`). */
export function chunkRecords(
  bytes: Uint8Array,
  offset: number,
  file: string,
  options: ScanOptions,
): { records: Uint8Array; origin: ByteOrigin; compressed: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const origin: ByteOrigin = { file, base: offset };
  expectRecord(bytes, view, origin, Opcode.CHUNK);
  const chunk = parseChunk(bytes, view, RECORD_HEADER_BYTES, bytes.byteLength, origin);
  if (chunk.compression === '') {
    checkCrc(chunk.records, chunk.uncompressedCrc, file, offset, options);
    return {
      records: chunk.records,
      origin: { file, base: offset + chunk.recordsStart },
      compressed: false,
    };
  }
  const records = decompressChunk(
    { file, offset },
    chunk.compression,
    chunk.records,
    chunk.uncompressedSize,
    options.decompressors,
    options.limits,
  );
  checkCrc(records, chunk.uncompressedCrc, file, offset, options);
  return { records, origin: { file, chunkOffset: offset }, compressed: true };
}

function checkCrc(
  records: Uint8Array,
  expected: number,
  file: string,
  offset: number,
  options: ScanOptions,
): void {
  if (!options.validateCrcs || expected === 0) return;
  const actual = options.crc32(records);
  if (actual !== expected) {
    throw new CorruptRecording(
      file,
      offset,
      `chunk CRC is ${actual}, the Chunk record says ${expected}`,
    );
  }
}

/** Checks that `bytes` holds exactly one record with `opcode`, whose length fills the buffer. */
function expectRecord(bytes: Uint8Array, view: DataView, origin: ByteOrigin, opcode: number): void {
  if (bytes.byteLength < RECORD_HEADER_BYTES) {
    throw corruptAt(
      origin,
      0,
      `expected a ${opcodeName(opcode)} record, found ${bytes.byteLength} bytes`,
    );
  }
  if (bytes[0] !== opcode) {
    throw corruptAt(
      origin,
      0,
      `expected a ${opcodeName(opcode)} record, found ${opcodeName(bytes[0]!)}`,
    );
  }
  const length = view.getBigUint64(1, true);
  if (length !== BigInt(bytes.byteLength - RECORD_HEADER_BYTES)) {
    throw corruptAt(
      origin,
      1,
      `${opcodeName(opcode)} record declares ${length} bytes, the location says ${bytes.byteLength - RECORD_HEADER_BYTES}`,
    );
  }
}

/**
 * Parses the Message record at `p` in a chunk's records; with `expectedLogTime`, checks it
 * against the message index entry that pointed there.
 */
export function messageInChunk(
  records: Uint8Array,
  view: DataView,
  p: number,
  origin: ByteOrigin,
  expectedLogTime?: bigint,
): {
  channelId: number;
  sequence: number;
  logTime: bigint;
  publishTime: bigint;
  data: Uint8Array;
  length: number;
} {
  if (p < 0 || p + RECORD_HEADER_BYTES > records.byteLength) {
    throw corruptAt(
      origin,
      0,
      `message offset ${p} lies outside the ${records.byteLength}-byte chunk`,
    );
  }
  if (records[p] !== Opcode.MESSAGE) {
    throw corruptAt(
      origin,
      p,
      `message index points at a ${opcodeName(records[p]!)} record, not a Message`,
    );
  }
  const length = view.getBigUint64(p + 1, true);
  if (length > BigInt(records.byteLength - p - RECORD_HEADER_BYTES)) {
    throw corruptAt(
      origin,
      p,
      `Message record declares ${length} bytes, beyond the end of its chunk`,
    );
  }
  const total = RECORD_HEADER_BYTES + Number(length);
  const message = parseMessage(records, view, p + RECORD_HEADER_BYTES, p + total, origin);
  if (expectedLogTime !== undefined && message.logTime !== expectedLogTime) {
    throw corruptAt(
      origin,
      p,
      `Message log time ${message.logTime} differs from its message index entry (${expectedLogTime})`,
    );
  }
  return { ...message, length: total };
}

/**
 * Reads the single record of type `opcode` that an index entry says spans [offset, offset +
 * length), e.g. a Metadata or Attachment record listed in the summary.
 */
export async function readIndexedRecord(
  reader: CheckedReader,
  offset: bigint,
  length: bigint,
  opcode: number,
  options: ScanOptions,
): Promise<TypedMcapRecord> {
  const bytes = await reader.read(offset, length, `${opcodeName(opcode)} record`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const origin: ByteOrigin = { file: reader.file, base: Number(offset) };
  expectRecord(bytes, view, origin, opcode);
  return parseRecordBody(
    opcode,
    bytes,
    view,
    RECORD_HEADER_BYTES,
    bytes.byteLength,
    origin,
    options.validateCrcs,
  );
}

/** Reads the message at a `ByteLocation` produced by either MCAP path. */
export async function readMessageAt(
  reader: CheckedReader,
  location: ByteLocation,
  options: ScanOptions,
): Promise<RecordedMessage> {
  const bytes = await reader.read(location.offset, location.length, 'message location');
  const file = reader.file;
  if (location.offsetInChunk === undefined) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const origin: ByteOrigin = { file, base: location.offset };
    expectRecord(bytes, view, origin, Opcode.MESSAGE);
    const message = parseMessage(bytes, view, RECORD_HEADER_BYTES, bytes.byteLength, origin);
    return { ...message, location };
  }
  const { records, origin } = chunkRecords(bytes, location.offset, file, options);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const { length: _length, ...message } = messageInChunk(
    records,
    view,
    location.offsetInChunk,
    origin,
  );
  return { ...message, location };
}
