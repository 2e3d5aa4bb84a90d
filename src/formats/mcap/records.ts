/**
 * MCAP record parsing over a byte buffer, producing the record types of @mcap/core. Unlike the
 * parser inside @mcap/core it knows where each record sits in the file (for `ByteLocation` and
 * for error offsets), borrows message and chunk payloads instead of copying them, and reports
 * every malformed field as a `CorruptRecording` naming the byte offset (ADR 020).
 */
import { crc32 } from '@foxglove/crc';
import type { McapRecords, TypedMcapRecord } from '@mcap/core';
import { CorruptRecording } from '../../platform/errors.js';

/** The 8-byte magic that opens and closes every MCAP file: `\x89MCAP0\r\n`. */
export const MCAP_MAGIC = new Uint8Array([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);

/** Record opcodes of the MCAP specification (plain numbers, compared with raw bytes). */
export const Opcode = {
  HEADER: 0x01,
  FOOTER: 0x02,
  SCHEMA: 0x03,
  CHANNEL: 0x04,
  MESSAGE: 0x05,
  CHUNK: 0x06,
  MESSAGE_INDEX: 0x07,
  CHUNK_INDEX: 0x08,
  ATTACHMENT: 0x09,
  ATTACHMENT_INDEX: 0x0a,
  STATISTICS: 0x0b,
  METADATA: 0x0c,
  METADATA_INDEX: 0x0d,
  SUMMARY_OFFSET: 0x0e,
  DATA_END: 0x0f,
} as const;

/** Opcode (1 byte) plus record length (8 bytes). */
export const RECORD_HEADER_BYTES = 9;

/** channel_id, sequence, log_time, publish_time. */
export const MESSAGE_PREFIX_BYTES = 2 + 4 + 8 + 8;

/** Record type names by opcode, for error messages. */
export const opcodeNames: Readonly<Record<number, string>> = {
  [Opcode.HEADER]: 'Header',
  [Opcode.FOOTER]: 'Footer',
  [Opcode.SCHEMA]: 'Schema',
  [Opcode.CHANNEL]: 'Channel',
  [Opcode.MESSAGE]: 'Message',
  [Opcode.CHUNK]: 'Chunk',
  [Opcode.MESSAGE_INDEX]: 'MessageIndex',
  [Opcode.CHUNK_INDEX]: 'ChunkIndex',
  [Opcode.ATTACHMENT]: 'Attachment',
  [Opcode.ATTACHMENT_INDEX]: 'AttachmentIndex',
  [Opcode.STATISTICS]: 'Statistics',
  [Opcode.METADATA]: 'Metadata',
  [Opcode.METADATA_INDEX]: 'MetadataIndex',
  [Opcode.SUMMARY_OFFSET]: 'SummaryOffset',
  [Opcode.DATA_END]: 'DataEnd',
};

/** Name of a record type, or `opcode 0xNN` for unknown ones. */
export function opcodeName(opcode: number): string {
  return opcodeNames[opcode] ?? `opcode 0x${opcode.toString(16).padStart(2, '0')}`;
}

/**
 * Where a buffer's bytes came from. Bytes read straight from the file have a `base` (file offset
 * of byte 0); bytes of a decompressed chunk only have the chunk's own offset.
 */
export interface ByteOrigin {
  readonly file: string;
  readonly base?: number;
  readonly chunkOffset?: number;
}

/** A `CorruptRecording` for position `pos` of a buffer from `origin`. */
export function corruptAt(origin: ByteOrigin, pos: number, message: string): CorruptRecording {
  if (origin.base !== undefined)
    return new CorruptRecording(origin.file, origin.base + pos, message);
  return new CorruptRecording(
    origin.file,
    origin.chunkOffset ?? 0,
    `${message} (at byte ${pos} of the decompressed chunk)`,
  );
}

const textDecoder = new TextDecoder();

/** A bounds-checked cursor over the fields of one record. */
class Fields {
  pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    start: number,
    private end: number,
    private readonly origin: ByteOrigin,
    private readonly record: string,
  ) {
    this.pos = start;
  }

  /** Bytes from `start` up to the cursor, borrowed. */
  since(start: number): Uint8Array {
    return this.bytes.subarray(start, this.pos);
  }

  private need(count: number, field: string): void {
    if (this.pos + count > this.end) {
      throw corruptAt(
        this.origin,
        this.pos,
        `${this.record} record ends inside field '${field}' (needs ${count} bytes, ${this.end - this.pos} left)`,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }

  u16(field: string): number {
    this.need(2, field);
    const value = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Bytes of a length that fits in the record, borrowed from the buffer. */
  span(length: number | bigint, field: string): Uint8Array {
    if (length > this.end - this.pos) {
      throw corruptAt(
        this.origin,
        this.pos,
        `${this.record} field '${field}' declares ${length} bytes, only ${this.end - this.pos} remain in the record`,
      );
    }
    const start = this.pos;
    this.pos += Number(length);
    return this.bytes.subarray(start, this.pos);
  }

  string(field: string): string {
    const length = this.u32(field);
    return length === 0 ? '' : textDecoder.decode(this.span(length, field));
  }

  /** A map or array prefixed by its byte length; `entry` reads one element. */
  private sized(field: string, entry: () => void): void {
    const length = this.u32(field);
    if (length > this.end - this.pos) {
      throw corruptAt(
        this.origin,
        this.pos,
        `${this.record} field '${field}' declares ${length} bytes, only ${this.end - this.pos} remain in the record`,
      );
    }
    const outerEnd = this.end;
    const stop = this.pos + length;
    this.end = stop;
    try {
      while (this.pos < stop) entry();
    } finally {
      this.end = outerEnd;
    }
  }

  stringMap(field: string): Map<string, string> {
    const map = new Map<string, string>();
    this.sized(field, () => {
      const at = this.pos;
      const key = this.string(field);
      const value = this.string(field);
      if (map.has(key))
        throw corruptAt(this.origin, at, `${this.record} field '${field}' repeats key '${key}'`);
      map.set(key, value);
    });
    return map;
  }

  idMap(field: string): Map<number, bigint> {
    const map = new Map<number, bigint>();
    this.sized(field, () => {
      const at = this.pos;
      const key = this.u16(field);
      const value = this.u64(field);
      if (map.has(key))
        throw corruptAt(this.origin, at, `${this.record} field '${field}' repeats key ${key}`);
      map.set(key, value);
    });
    return map;
  }

  pairs(field: string): [bigint, bigint][] {
    const pairs: [bigint, bigint][] = [];
    this.sized(field, () => {
      pairs.push([this.u64(field), this.u64(field)]);
    });
    return pairs;
  }
}

/** The fixed fields of a Chunk record plus its (still compressed) records, borrowed. */
export type ChunkRecord = McapRecords['Chunk'] & {
  /** Position of the first byte of `records` in the parsed buffer. */
  readonly recordsStart: number;
};

/** Parses the body of a Chunk record occupying [start, end) of `bytes`. */
export function parseChunk(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  origin: ByteOrigin,
): ChunkRecord {
  const f = new Fields(bytes, view, start, end, origin, 'Chunk');
  const messageStartTime = f.u64('message_start_time');
  const messageEndTime = f.u64('message_end_time');
  const uncompressedSize = f.u64('uncompressed_size');
  const uncompressedCrc = f.u32('uncompressed_crc');
  const compression = f.string('compression');
  const recordsLength = f.u64('records_length');
  const recordsStart = f.pos;
  const records = f.span(recordsLength, 'records');
  return {
    messageStartTime,
    messageEndTime,
    uncompressedSize,
    uncompressedCrc,
    compression,
    records,
    recordsStart,
  };
}

/**
 * Parses the body of a record occupying [start, end) of `bytes` into its @mcap/core form. Bytes
 * after the fields a record type defines are skipped, as the specification requires. With
 * `validateCrcs`, an Attachment whose CRC does not match its bytes is rejected.
 */
export function parseRecordBody(
  opcode: number,
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  origin: ByteOrigin,
  validateCrcs: boolean,
): TypedMcapRecord {
  const f = new Fields(bytes, view, start, end, origin, opcodeName(opcode));
  switch (opcode) {
    case Opcode.HEADER:
      return { type: 'Header', profile: f.string('profile'), library: f.string('library') };
    case Opcode.FOOTER:
      return {
        type: 'Footer',
        summaryStart: f.u64('summary_start'),
        summaryOffsetStart: f.u64('summary_offset_start'),
        summaryCrc: f.u32('summary_crc'),
      };
    case Opcode.SCHEMA: {
      const id = f.u16('id');
      const name = f.string('name');
      const encoding = f.string('encoding');
      const data = f.span(f.u32('data_length'), 'data').slice();
      return { type: 'Schema', id, name, encoding, data };
    }
    case Opcode.CHANNEL:
      return {
        type: 'Channel',
        id: f.u16('id'),
        schemaId: f.u16('schema_id'),
        topic: f.string('topic'),
        messageEncoding: f.string('message_encoding'),
        metadata: f.stringMap('metadata'),
      };
    case Opcode.MESSAGE: {
      const message = parseMessage(bytes, view, start, end, origin);
      return { type: 'Message', ...message };
    }
    case Opcode.CHUNK: {
      const { recordsStart: _recordsStart, ...chunk } = parseChunk(bytes, view, start, end, origin);
      return { type: 'Chunk', ...chunk };
    }
    case Opcode.MESSAGE_INDEX:
      return { type: 'MessageIndex', channelId: f.u16('channel_id'), records: f.pairs('records') };
    case Opcode.CHUNK_INDEX:
      return {
        type: 'ChunkIndex',
        messageStartTime: f.u64('message_start_time'),
        messageEndTime: f.u64('message_end_time'),
        chunkStartOffset: f.u64('chunk_start_offset'),
        chunkLength: f.u64('chunk_length'),
        messageIndexOffsets: f.idMap('message_index_offsets'),
        messageIndexLength: f.u64('message_index_length'),
        compression: f.string('compression'),
        compressedSize: f.u64('compressed_size'),
        uncompressedSize: f.u64('uncompressed_size'),
      };
    case Opcode.ATTACHMENT:
      return parseAttachment(f, start, origin, validateCrcs);
    case Opcode.ATTACHMENT_INDEX:
      return {
        type: 'AttachmentIndex',
        offset: f.u64('offset'),
        length: f.u64('length'),
        logTime: f.u64('log_time'),
        createTime: f.u64('create_time'),
        dataSize: f.u64('data_size'),
        name: f.string('name'),
        mediaType: f.string('media_type'),
      };
    case Opcode.STATISTICS:
      return {
        type: 'Statistics',
        messageCount: f.u64('message_count'),
        schemaCount: f.u16('schema_count'),
        channelCount: f.u32('channel_count'),
        attachmentCount: f.u32('attachment_count'),
        metadataCount: f.u32('metadata_count'),
        chunkCount: f.u32('chunk_count'),
        messageStartTime: f.u64('message_start_time'),
        messageEndTime: f.u64('message_end_time'),
        channelMessageCounts: f.idMap('channel_message_counts'),
      };
    case Opcode.METADATA:
      return { type: 'Metadata', name: f.string('name'), metadata: f.stringMap('metadata') };
    case Opcode.METADATA_INDEX:
      return {
        type: 'MetadataIndex',
        offset: f.u64('offset'),
        length: f.u64('length'),
        name: f.string('name'),
      };
    case Opcode.SUMMARY_OFFSET:
      return {
        type: 'SummaryOffset',
        groupOpcode: f.u8('group_opcode'),
        groupStart: f.u64('group_start'),
        groupLength: f.u64('group_length'),
      };
    case Opcode.DATA_END:
      return { type: 'DataEnd', dataSectionCrc: f.u32('data_section_crc') };
    default:
      return { type: 'Unknown', opcode, data: bytes.subarray(start, end) };
  }
}

function parseAttachment(
  f: Fields,
  start: number,
  origin: ByteOrigin,
  validateCrcs: boolean,
): TypedMcapRecord {
  const logTime = f.u64('log_time');
  const createTime = f.u64('create_time');
  const name = f.string('name');
  const mediaType = f.string('media_type');
  const data = f.span(f.u64('data_length'), 'data');
  const covered = f.since(start);
  const crcAt = f.pos;
  const crc = f.u32('crc');
  if (validateCrcs && crc !== 0) {
    const actual = crc32(covered);
    if (actual !== crc) {
      throw corruptAt(
        origin,
        crcAt,
        `Attachment '${name}' CRC is ${actual}, the record says ${crc}`,
      );
    }
  }
  return { type: 'Attachment', logTime, createTime, name, mediaType, data };
}

/** The fields of a Message record, with `data` borrowed from the buffer. */
export interface MessageFields {
  readonly channelId: number;
  readonly sequence: number;
  readonly logTime: bigint;
  readonly publishTime: bigint;
  readonly data: Uint8Array;
}

/** Parses the body of a Message record occupying [start, end) of `bytes`. */
export function parseMessage(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  origin: ByteOrigin,
): MessageFields {
  if (end - start < MESSAGE_PREFIX_BYTES) {
    throw corruptAt(
      origin,
      start,
      `Message record is ${end - start} bytes, shorter than its ${MESSAGE_PREFIX_BYTES}-byte fixed fields`,
    );
  }
  return {
    channelId: view.getUint16(start, true),
    sequence: view.getUint32(start + 2, true),
    logTime: view.getBigUint64(start + 6, true),
    publishTime: view.getBigUint64(start + 14, true),
    data: bytes.subarray(start + MESSAGE_PREFIX_BYTES, end),
  };
}
