/**
 * The indexed MCAP path: the summary section (read by @mcap/core's McapIndexedReader) gives
 * channels, schemas, statistics and chunk indexes; per-channel counts and time ranges come
 * from the message indexes, so cataloguing a file reads only its summary and indexes. Messages
 * are merged across chunks in log-time order, decompressing each chunk only when its first
 * wanted message is due.
 */
import type { McapIndexedReader, McapRecords } from '@mcap/core';
import { Heap } from 'heap-js';
import { CorruptRecording } from '../../platform/errors.js';
import type { CheckedReader } from '../reader.js';
import type {
  ByteLocation,
  MessageQuery,
  RecordedMessage,
  RecordingAttachment,
  RecordingMetadata,
  RecordingSource,
  RecordingSummary,
} from '../source.js';
import { ChannelStats, timeRange } from '../stats.js';
import {
  channelInfo,
  chunkRecords,
  messageInChunk,
  readIndexedRecord,
  readMessageAt,
} from './common.js';
import { RECORD_HEADER_BYTES, corruptAt, opcodeName, parseRecordBody, Opcode } from './records.js';
import type { ScanOptions } from './scan.js';

const MAX_TIME = 0xffff_ffff_ffff_ffffn;

type ChunkIndex = McapRecords['ChunkIndex'];

/** One message of a chunk, as its message index (or a scan of the chunk) describes it. */
interface Entry {
  readonly logTime: bigint;
  /** Offset of the Message record in the decompressed chunk records. */
  readonly offset: number;
  readonly channelId: number;
}

/** Position in one chunk during a merged read. */
interface Cursor {
  readonly chunk: ChunkIndex;
  readonly entries: readonly Entry[];
  next: number;
  records?: { bytes: Uint8Array; view: DataView; base?: number; offset: number; length: number };
}

function compareEntries(a: Entry, b: Entry): number {
  return a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : a.offset - b.offset;
}

function compareCursors(a: Cursor, b: Cursor): number {
  const x = a.entries[a.next]!;
  const y = b.entries[b.next]!;
  if (x.logTime !== y.logTime) return x.logTime < y.logTime ? -1 : 1;
  if (a.chunk.chunkStartOffset !== b.chunk.chunkStartOffset) {
    return a.chunk.chunkStartOffset < b.chunk.chunkStartOffset ? -1 : 1;
  }
  return x.offset - y.offset;
}

/** An MCAP file read through its summary and indexes. */
export class McapIndexedSource implements RecordingSource {
  readonly format = 'mcap' as const;
  readonly mode = 'indexed' as const;
  private summaryPromise: Promise<RecordingSummary> | undefined;

  constructor(
    private readonly reader: CheckedReader,
    private readonly index: McapIndexedReader,
    private readonly options: ScanOptions,
  ) {}

  get bytesRead(): number {
    return this.reader.bytesRead;
  }

  /** Schemas of the summary section, by id. */
  get schemas(): ReadonlyMap<number, McapRecords['Schema']> {
    return this.index.schemasById;
  }

  /** Channels of the summary section, by id. */
  get channels(): ReadonlyMap<number, McapRecords['Channel']> {
    return this.index.channelsById;
  }

  /** The Statistics record, when the file has one. */
  get statistics(): McapRecords['Statistics'] | undefined {
    return this.index.statistics;
  }

  /** An attachment by name, read by range through the attachment index. */
  async attachment(name: string): Promise<RecordingAttachment | undefined> {
    const entry = this.index.attachmentIndexes.find((index) => index.name === name);
    if (entry === undefined) return undefined;
    const record = await readIndexedRecord(
      this.reader,
      entry.offset,
      entry.length,
      Opcode.ATTACHMENT,
      this.options,
    );
    if (record.type !== 'Attachment' || record.name !== name) {
      throw new CorruptRecording(
        this.reader.file,
        Number(entry.offset),
        `attachment index entry '${name}' points at a record of another attachment`,
      );
    }
    return { name: record.name, mediaType: record.mediaType, data: record.data };
  }

  /** Channels with counts and time ranges from the message indexes; reads no message data. */
  summary(): Promise<RecordingSummary> {
    this.summaryPromise ??= this.computeSummary();
    return this.summaryPromise;
  }

  private async computeSummary(): Promise<RecordingSummary> {
    const stats = new Map<number, ChannelStats>();
    for (const id of this.index.channelsById.keys()) stats.set(id, new ChannelStats());
    let total = 0;
    for (const chunk of this.index.chunkIndexes) {
      for (const entry of await this.entries(chunk, undefined)) {
        const channel = stats.get(entry.channelId);
        if (channel === undefined) {
          throw new CorruptRecording(
            this.reader.file,
            Number(chunk.chunkStartOffset),
            `chunk holds messages on channel ${entry.channelId}, which the summary does not define`,
          );
        }
        channel.add(entry.logTime);
        total++;
      }
    }
    const statistics = this.index.statistics;
    if (statistics !== undefined && statistics.messageCount !== BigInt(total)) {
      throw new CorruptRecording(
        this.reader.file,
        Number(this.index.footer.summaryStart),
        `Statistics record counts ${statistics.messageCount} messages, the chunk indexes hold ${total}`,
      );
    }
    const channels = [...this.index.channelsById.values()]
      .sort((a, b) => a.id - b.id)
      .map((channel) =>
        channelInfo(channel, this.index.schemasById.get(channel.schemaId), stats.get(channel.id)),
      );
    const metadata: RecordingMetadata[] = [];
    for (const entry of this.index.metadataIndexes) {
      const record = await readIndexedRecord(
        this.reader,
        entry.offset,
        entry.length,
        Opcode.METADATA,
        this.options,
      );
      if (record.type === 'Metadata') {
        metadata.push({ name: record.name, entries: Object.fromEntries(record.metadata) });
      }
    }
    return {
      format: 'mcap',
      profile: this.index.header.profile,
      library: this.index.header.library,
      channels,
      metadata,
      messageCount: total,
      ...timeRange(channels),
    };
  }

  /** Messages in log-time order (ties in file order), merged across overlapping chunks. */
  async *messages(query: MessageQuery = {}): AsyncGenerator<RecordedMessage> {
    const start = query.startTime ?? 0n;
    const end = query.endTime ?? MAX_TIME;
    const wanted = query.channelIds === undefined ? undefined : new Set(query.channelIds);
    const pending = this.index.chunkIndexes
      .filter((chunk) => chunk.messageEndTime >= start && chunk.messageStartTime <= end)
      .filter((chunk) => {
        if (wanted === undefined || chunk.messageIndexOffsets.size === 0) return true;
        for (const id of chunk.messageIndexOffsets.keys()) if (wanted.has(id)) return true;
        return false;
      })
      .sort((a, b) =>
        a.messageStartTime !== b.messageStartTime
          ? a.messageStartTime < b.messageStartTime
            ? -1
            : 1
          : a.chunkStartOffset < b.chunkStartOffset
            ? -1
            : 1,
      );
    const heap = new Heap<Cursor>(compareCursors);
    let nextChunk = 0;
    for (;;) {
      while (nextChunk < pending.length) {
        const top = heap.peek();
        const chunk = pending[nextChunk]!;
        if (top !== undefined && chunk.messageStartTime > top.entries[top.next]!.logTime) break;
        nextChunk++;
        const entries = (await this.entries(chunk, wanted)).filter(
          (entry) => entry.logTime >= start && entry.logTime <= end,
        );
        if (entries.length > 0) heap.push({ chunk, entries, next: 0 });
      }
      const cursor = heap.peek();
      if (cursor === undefined) return;
      const entry = cursor.entries[cursor.next]!;
      cursor.records ??= await this.loadChunk(cursor.chunk);
      const { bytes, view, base, offset, length } = cursor.records;
      const origin =
        base === undefined
          ? { file: this.reader.file, chunkOffset: offset }
          : { file: this.reader.file, base };
      const message = messageInChunk(bytes, view, entry.offset, origin, entry.logTime);
      const location: ByteLocation =
        base === undefined
          ? { offset, length, offsetInChunk: entry.offset }
          : { offset: base + entry.offset, length: message.length };
      cursor.next++;
      if (cursor.next < cursor.entries.length) heap.replace(cursor);
      else heap.pop();
      yield {
        channelId: message.channelId,
        sequence: message.sequence,
        logTime: message.logTime,
        publishTime: message.publishTime,
        data: message.data,
        location,
      };
    }
  }

  messageAt(location: ByteLocation): Promise<RecordedMessage> {
    return readMessageAt(this.reader, location, this.options);
  }

  private async loadChunk(chunk: ChunkIndex): Promise<NonNullable<Cursor['records']>> {
    const offset = Number(chunk.chunkStartOffset);
    const length = Number(chunk.chunkLength);
    const bytes = await this.reader.read(offset, length, 'chunk');
    const { records, origin } = chunkRecords(bytes, offset, this.reader.file, this.options);
    return {
      bytes: records,
      view: new DataView(records.buffer, records.byteOffset, records.byteLength),
      ...(origin.base === undefined ? {} : { base: origin.base }),
      offset,
      length,
    };
  }

  /**
   * The messages of a chunk on `wanted` channels (all when undefined), sorted by log time, from
   * its message indexes; a chunk written without message indexes is decompressed and scanned.
   */
  private async entries(
    chunk: ChunkIndex,
    wanted: ReadonlySet<number> | undefined,
  ): Promise<Entry[]> {
    const file = this.reader.file;
    const entries: Entry[] = [];
    if (chunk.messageIndexLength === 0n) {
      if (chunk.uncompressedSize === 0n) return entries;
      const { bytes, view } = await this.loadChunk(chunk);
      const origin = { file, chunkOffset: Number(chunk.chunkStartOffset) };
      for (let p = 0; p < bytes.byteLength;) {
        if (p + RECORD_HEADER_BYTES > bytes.byteLength) {
          throw corruptAt(origin, p, 'chunk ends inside a record header');
        }
        const length = view.getBigUint64(p + 1, true);
        if (length > BigInt(bytes.byteLength - p - RECORD_HEADER_BYTES)) {
          throw corruptAt(
            origin,
            p,
            `${opcodeName(bytes[p]!)} record declares ${length} bytes, beyond the end of its chunk`,
          );
        }
        if (bytes[p] === Opcode.MESSAGE) {
          const message = messageInChunk(bytes, view, p, origin);
          if (wanted === undefined || wanted.has(message.channelId)) {
            entries.push({ logTime: message.logTime, offset: p, channelId: message.channelId });
          }
        }
        p += RECORD_HEADER_BYTES + Number(length);
      }
    } else {
      const regionStart = Number(chunk.chunkStartOffset + chunk.chunkLength);
      const region = await this.reader.read(
        regionStart,
        chunk.messageIndexLength,
        'message indexes',
      );
      const view = new DataView(region.buffer, region.byteOffset, region.byteLength);
      const origin = { file, base: regionStart };
      for (const [channelId, at] of chunk.messageIndexOffsets) {
        if (wanted !== undefined && !wanted.has(channelId)) continue;
        const p = Number(at) - regionStart;
        if (p < 0 || p + RECORD_HEADER_BYTES > region.byteLength) {
          throw new CorruptRecording(
            file,
            Number(chunk.chunkStartOffset),
            `message index of channel ${channelId} is said to be at byte ${at}, outside the chunk's index region`,
          );
        }
        if (region[p] !== Opcode.MESSAGE_INDEX) {
          throw corruptAt(
            origin,
            p,
            `expected a MessageIndex record, found ${opcodeName(region[p]!)}`,
          );
        }
        const length = view.getBigUint64(p + 1, true);
        if (length > BigInt(region.byteLength - p - RECORD_HEADER_BYTES)) {
          throw corruptAt(
            origin,
            p,
            `MessageIndex record declares ${length} bytes, beyond the index region`,
          );
        }
        const end = p + RECORD_HEADER_BYTES + Number(length);
        const record = parseRecordBody(
          Opcode.MESSAGE_INDEX,
          region,
          view,
          p + RECORD_HEADER_BYTES,
          end,
          origin,
          false,
        );
        if (record.type !== 'MessageIndex' || record.channelId !== channelId) {
          throw corruptAt(
            origin,
            p,
            `MessageIndex record belongs to another channel than ${channelId}`,
          );
        }
        for (const [logTime, offset] of record.records) {
          if (offset >= chunk.uncompressedSize) {
            throw corruptAt(
              origin,
              p,
              `message index entry points at byte ${offset}, beyond the ${chunk.uncompressedSize}-byte chunk`,
            );
          }
          entries.push({ logTime, offset: Number(offset), channelId });
        }
      }
    }
    return entries.sort(compareEntries);
  }
}
