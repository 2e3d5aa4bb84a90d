/**
 * ROS 1 bag (format 2.0) reader on @foxglove/rosbag. The library parses the records; this file
 * adds what drivetrain needs on top: exact per-connection counts and time ranges from the index
 * records alone, a log-time merge across chunks that knows each message's byte location, size
 * guards before anything is allocated, and errors in drivetrain's taxonomy with byte offsets.
 */
import { Bag } from '@foxglove/rosbag';
import { Chunk, IndexData, MessageData } from '@foxglove/rosbag/dist/cjs/record.js';
import type { ChunkInfo, Connection } from '@foxglove/rosbag/dist/cjs/record.js';
import type { Decompress, Filelike } from '@foxglove/rosbag/dist/cjs/types.js';
import { Heap } from 'heap-js';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { decompressChunk, defaultChunkLimits, loadDecompressors } from '../decompress.js';
import type { ChunkLimits, Decompressor } from '../decompress.js';
import { CheckedReader, asReaderError } from '../reader.js';
import { ChannelStats, timeRange } from '../stats.js';
import type {
  ByteLocation,
  ChannelInfo,
  MessageQuery,
  RandomAccessReader,
  RecordedMessage,
  RecordingSource,
  RecordingSummary,
} from '../source.js';

/** Settings of the ROS 1 bag reader; every field has a safe default. */
export interface Ros1Options {
  /** Largest uncompressed chunk to allocate (default 1 GiB). */
  readonly maxChunkBytes?: number;
  /** Largest index section (connections and chunk infos) to read (default 256 MiB). */
  readonly maxIndexBytes?: number;
}

const MAGIC = '#ROSBAG V2.0\n';
const MAX_TIME = 0xffff_ffff_ffff_ffffn;
/** Enough to hold a chunk record's header, read to find where its index records start. */
const CHUNK_HEADER_READ = 4096;

/** Nanoseconds of a ROS time. */
function nanoseconds(time: { sec: number; nsec: number }): bigint {
  return BigInt(time.sec) * 1_000_000_000n + BigInt(time.nsec);
}

/** One message of a chunk, from its IndexData record. */
interface Entry {
  readonly logTime: bigint;
  readonly offset: number;
  readonly conn: number;
}

interface Cursor {
  readonly info: ChunkInfo;
  readonly entries: readonly Entry[];
  next: number;
  chunk?: Chunk;
}

function compareCursors(a: Cursor, b: Cursor): number {
  const x = a.entries[a.next]!;
  const y = b.entries[b.next]!;
  if (x.logTime !== y.logTime) return x.logTime < y.logTime ? -1 : 1;
  if (a.info.chunkPosition !== b.info.chunkPosition)
    return a.info.chunkPosition - b.info.chunkPosition;
  return x.offset - y.offset;
}

/**
 * Opens the ROS 1 bag `file` read through `reader`. Throws `CorruptRecording` when the bag
 * cannot be read and `Unsupported` for other bag versions or unindexed bags.
 */
export async function openRos1Bag(
  file: string,
  reader: RandomAccessReader,
  options: Ros1Options = {},
): Promise<Ros1BagSource> {
  const checked = await CheckedReader.open(file, reader);
  if (checked.size < MAGIC.length) {
    throw new CorruptRecording(
      file,
      0,
      `file is ${checked.size} bytes, too short to hold the ${MAGIC.length}-byte '#ROSBAG V2.0' magic`,
    );
  }
  const magic = new TextDecoder('latin1').decode(await checked.read(0, MAGIC.length, 'magic'));
  if (magic !== MAGIC) {
    if (magic.startsWith('#ROSBAG V')) {
      throw new Unsupported(
        `${file}: ROS bag version '${magic.slice(9).trim()}' is not supported (only 2.0)`,
        {
          file,
          offset: 9,
        },
      );
    }
    throw new CorruptRecording(
      file,
      0,
      `expected the '#ROSBAG V2.0' magic, found ${JSON.stringify(magic)}`,
    );
  }
  const decompressors = await loadDecompressors();
  const limits: ChunkLimits = {
    maxChunkBytes: options.maxChunkBytes ?? defaultChunkLimits.maxChunkBytes,
  };
  const source = new Ros1BagSource(checked, decompressors, limits);
  await source.open(options.maxIndexBytes ?? 256 << 20);
  return source;
}

/** An opened ROS 1 bag. */
export class Ros1BagSource implements RecordingSource {
  readonly format = 'ros1-bag' as const;
  private readonly bag: Bag;
  /** File offset the library is reading, to place errors it raises. */
  private lastRead = 0;
  /** Offset of the chunk being decompressed, for decompression errors. */
  private currentChunk = 0;
  private summaryPromise: Promise<RecordingSummary> | undefined;
  private readonly decompress: Decompress;

  constructor(
    private readonly reader: CheckedReader,
    decompressors: ReadonlyMap<string, Decompressor>,
    limits: ChunkLimits,
  ) {
    const file = reader.file;
    const filelike: Filelike = {
      size: () => reader.size,
      read: (offset, length) => {
        this.lastRead = offset;
        const available =
          offset >= 0 && offset <= reader.size ? Math.min(length, reader.size - offset) : length;
        return reader.read(offset, available, 'bag record');
      },
    };
    // Every compression name maps to a guarded decompressor, so an unknown one is reported as
    // Unsupported (by decompressChunk) instead of the library's generic error.
    const handlers: Decompress = {};
    this.decompress = new Proxy(handlers, {
      get: (_target, name) =>
        typeof name === 'string'
          ? (data: Uint8Array, size: number) =>
              decompressChunk(
                { file, offset: this.currentChunk },
                name,
                data,
                size,
                decompressors,
                limits,
              )
          : undefined,
    });
    this.bag = new Bag(filelike, { parse: false, decompress: this.decompress });
  }

  get bytesRead(): number {
    return this.reader.bytesRead;
  }

  private get file(): string {
    return this.reader.file;
  }

  /** Runs a library call, turning what it throws into drivetrain errors placed at the last read. */
  private async guard<T>(context: string, call: () => Promise<T> | T): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // The library reads header fields without checking that they exist.
      const detail =
        error instanceof TypeError
          ? `${context}: a required record field is missing or malformed`
          : context;
      throw asReaderError(error, this.file, Math.min(this.lastRead, this.reader.size), detail);
    }
  }

  /** Reads the bag header, connections and chunk infos. */
  async open(maxIndexBytes: number): Promise<void> {
    const header = await this.guard('cannot read the bag header', () =>
      this.bag.reader.readHeader(),
    );
    if (header.indexPosition === 0) {
      throw new Unsupported(
        `${this.file}: the bag has no index (index_pos is 0, the recording was not closed); reindex it with 'rosbag reindex'`,
        { file: this.file, offset: 13 },
      );
    }
    if (header.indexPosition < 13 || header.indexPosition > this.reader.size) {
      throw new CorruptRecording(
        this.file,
        13,
        `bag header says the index starts at byte ${header.indexPosition}, outside the ${this.reader.size}-byte file`,
      );
    }
    if (this.reader.size - header.indexPosition > maxIndexBytes) {
      throw new CorruptRecording(
        this.file,
        header.indexPosition,
        `index section would be ${this.reader.size - header.indexPosition} bytes, above the ${maxIndexBytes}-byte limit (maxIndexBytes)`,
      );
    }
    await this.guard('cannot read the index section', () => this.bag.open());
    let previous = 0;
    for (const info of this.bag.chunkInfos) {
      if (info.chunkPosition <= previous || info.chunkPosition >= header.indexPosition) {
        throw new CorruptRecording(
          this.file,
          info.offset ?? header.indexPosition,
          `chunk info points at byte ${info.chunkPosition}, out of order or outside the data section`,
        );
      }
      previous = info.chunkPosition;
    }
  }

  /** Connections with counts from the chunk infos and time ranges from the index records. */
  summary(): Promise<RecordingSummary> {
    this.summaryPromise ??= this.computeSummary();
    return this.summaryPromise;
  }

  private async computeSummary(): Promise<RecordingSummary> {
    const stats = new Map<number, ChannelStats>();
    for (const id of this.bag.connections.keys()) stats.set(id, new ChannelStats());
    for (const info of this.bag.chunkInfos) {
      for (const entry of await this.entries(info, undefined)) {
        const channel = stats.get(entry.conn);
        if (channel === undefined) {
          throw new CorruptRecording(
            this.file,
            info.chunkPosition,
            `chunk indexes messages of connection ${entry.conn}, which the bag does not define`,
          );
        }
        channel.add(entry.logTime);
      }
    }
    const encoder = new TextEncoder();
    const channels: ChannelInfo[] = [...this.bag.connections.values()]
      .sort((a, b) => a.conn - b.conn)
      .map((connection: Connection) => {
        const s = stats.get(connection.conn)!;
        return {
          id: connection.conn,
          topic: connection.topic,
          schemaName: connection.type ?? '',
          schemaEncoding: 'ros1msg',
          schemaData: encoder.encode(connection.messageDefinition),
          messageEncoding: 'ros1',
          metadata: {
            ...(connection.md5sum === undefined ? {} : { md5sum: connection.md5sum }),
            ...(connection.callerid === undefined ? {} : { callerid: connection.callerid }),
            ...(connection.latching === undefined
              ? {}
              : { latching: connection.latching ? '1' : '0' }),
          },
          messageCount: s.count,
          ...(s.start === undefined ? {} : { startTime: s.start }),
          ...(s.end === undefined ? {} : { endTime: s.end }),
        };
      });
    let messageCount = 0;
    for (const s of stats.values()) messageCount += s.count;
    return {
      format: 'ros1-bag',
      channels,
      metadata: [],
      messageCount,
      ...timeRange(channels),
    };
  }

  /** Where the chunk after `info` starts (or the index section), bounding its records. */
  private chunkEnd(info: ChunkInfo): number {
    return info.nextChunk?.chunkPosition ?? this.bag.header!.indexPosition;
  }

  /**
   * The messages a chunk's IndexData records list, sorted by time, without decompressing the
   * chunk: its header gives where the index records start.
   */
  private async entries(
    info: ChunkInfo,
    wanted: ReadonlySet<number> | undefined,
  ): Promise<Entry[]> {
    const end = this.chunkEnd(info);
    const head = await this.reader.read(
      info.chunkPosition,
      Math.min(CHUNK_HEADER_READ, end - info.chunkPosition),
      'chunk header',
    );
    const chunk = await this.guard('cannot read the chunk header', () => {
      this.lastRead = info.chunkPosition;
      return this.bag.reader.readRecordFromBuffer(head, info.chunkPosition, Chunk);
    });
    const indexStart = chunk.end!;
    if (indexStart > end) {
      throw new CorruptRecording(
        this.file,
        info.chunkPosition,
        `chunk record runs to byte ${indexStart}, past the start of the next chunk at ${end}`,
      );
    }
    const region = await this.reader.read(indexStart, end - indexStart, 'chunk index records');
    const records = await this.guard('cannot read the chunk index records', () => {
      this.lastRead = indexStart;
      return this.bag.reader.readRecordsFromBuffer(region, info.count, indexStart, IndexData);
    });
    const entries: Entry[] = [];
    for (const index of records) {
      if (wanted !== undefined && !wanted.has(index.conn)) continue;
      for (const { time, offset } of index.indices ?? []) {
        entries.push({ logTime: nanoseconds(time), offset, conn: index.conn });
      }
    }
    return entries.sort((a, b) =>
      a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : a.offset - b.offset,
    );
  }

  /** Messages in receive-time order (ties in file order), merged across overlapping chunks. */
  async *messages(query: MessageQuery = {}): AsyncGenerator<RecordedMessage> {
    const start = query.startTime ?? 0n;
    const end = query.endTime ?? MAX_TIME;
    const wanted = query.channelIds === undefined ? undefined : new Set(query.channelIds);
    const pending = this.bag.chunkInfos
      .filter((info) => nanoseconds(info.endTime) >= start && nanoseconds(info.startTime) <= end)
      .filter((info) => wanted === undefined || info.connections.some((c) => wanted.has(c.conn)))
      .sort((a, b) => {
        const sa = nanoseconds(a.startTime);
        const sb = nanoseconds(b.startTime);
        return sa !== sb ? (sa < sb ? -1 : 1) : a.chunkPosition - b.chunkPosition;
      });
    const heap = new Heap<Cursor>(compareCursors);
    let nextChunk = 0;
    for (;;) {
      while (nextChunk < pending.length) {
        const top = heap.peek();
        const info = pending[nextChunk]!;
        if (top !== undefined && nanoseconds(info.startTime) > top.entries[top.next]!.logTime)
          break;
        nextChunk++;
        const entries = (await this.entries(info, wanted)).filter(
          (e) => e.logTime >= start && e.logTime <= end,
        );
        if (entries.length > 0) heap.push({ info, entries, next: 0 });
      }
      const cursor = heap.peek();
      if (cursor === undefined) return;
      const entry = cursor.entries[cursor.next]!;
      cursor.chunk ??= await this.loadChunk(cursor.info);
      const chunk = cursor.chunk;
      const message = await this.messageInChunk(chunk, entry.offset, cursor.info.chunkPosition);
      if (message.conn !== entry.conn || nanoseconds(message.time) !== entry.logTime) {
        throw new CorruptRecording(
          this.file,
          cursor.info.chunkPosition,
          `message at byte ${entry.offset} of the chunk does not match its index entry (connection ${entry.conn}, time ${entry.logTime})`,
        );
      }
      const location: ByteLocation =
        chunk.compression === 'none'
          ? { offset: chunk.dataOffset! + entry.offset, length: message.length! }
          : { offset: chunk.offset!, length: chunk.length!, offsetInChunk: entry.offset };
      cursor.next++;
      if (cursor.next < cursor.entries.length) heap.replace(cursor);
      else heap.pop();
      yield {
        channelId: message.conn,
        logTime: entry.logTime,
        publishTime: entry.logTime,
        data: message.data!,
        location,
      };
    }
  }

  private async loadChunk(info: ChunkInfo): Promise<Chunk> {
    const length = this.chunkEnd(info) - info.chunkPosition;
    this.reader.assertRange(info.chunkPosition, length, 'chunk');
    const { chunk } = await this.guard('cannot read the chunk', () => {
      this.currentChunk = info.chunkPosition;
      return this.bag.reader.readChunk(info, this.decompress);
    });
    return chunk;
  }

  private messageInChunk(chunk: Chunk, offset: number, chunkOffset: number): Promise<MessageData> {
    const data = chunk.data!;
    if (offset < 0 || offset >= data.byteLength) {
      throw new CorruptRecording(
        this.file,
        chunkOffset,
        `index entry points at byte ${offset}, outside the ${data.byteLength}-byte chunk`,
      );
    }
    return this.guard('cannot read the message record', () => {
      this.lastRead = chunkOffset;
      const message = this.bag.reader.readRecordFromBuffer(data.subarray(offset), 0, MessageData);
      if (message.end! > data.byteLength - offset) {
        throw new CorruptRecording(
          this.file,
          chunkOffset,
          `message record at byte ${offset} runs past the end of its chunk`,
        );
      }
      return message;
    });
  }

  /** Reads the message at a location yielded by `messages`. */
  async messageAt(location: ByteLocation): Promise<RecordedMessage> {
    const bytes = await this.reader.read(location.offset, location.length, 'message location');
    let message: MessageData;
    if (location.offsetInChunk === undefined) {
      message = await this.guard('cannot read the message record', () => {
        this.lastRead = location.offset;
        return this.bag.reader.readRecordFromBuffer(bytes, location.offset, MessageData);
      });
    } else {
      const chunk = await this.guard('cannot read the chunk', () => {
        this.lastRead = location.offset;
        this.currentChunk = location.offset;
        const record = this.bag.reader.readRecordFromBuffer(bytes, location.offset, Chunk);
        if (record.compression !== 'none') {
          record.data = this.decompress[record.compression]!(record.data!, record.size);
        }
        return record;
      });
      message = await this.messageInChunk(chunk, location.offsetInChunk, location.offset);
    }
    const logTime = nanoseconds(message.time);
    return {
      channelId: message.conn,
      logTime,
      publishTime: logTime,
      data: message.data!,
      location,
    };
  }
}
