import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  CorruptRecording,
  NotFound,
  Unsupported,
  type ObjectHandle,
  type ObjectStore,
} from '../../platform/index.js';
import type { Sensor } from '../sensors.js';

/**
 * A recording's timelines: for every message of every channel, its log time, its acquisition
 * stamp and where its bytes are. Dataset builds synchronise from these columns instead of
 * decoding the recording again.
 *
 * Object layout (little endian): the 8-byte magic `DTTIMEL1`, a u32 directory length, the
 * directory as UTF-8 JSON, padding to 8 bytes, then each channel's columns one after another,
 * each 8-byte aligned. The directory gives every column's offset, so a reader fetches only the
 * channels it needs by range.
 */
export interface ChannelTimeline {
  readonly channelKey: number;
  readonly topic: string;
  readonly sensor: Sensor;
  readonly count: number;
  /** False when the channel's messages carry no stamp and `stamps` repeats the log times. */
  readonly stampFromHeader: boolean;
  readonly logTimes: BigInt64Array;
  readonly stamps: BigInt64Array;
  /** Offset of each message's record (or of the chunk holding it) in the file. */
  readonly offsets: Float64Array;
  readonly lengths: Uint32Array;
  /** Offset inside the decompressed chunk, or -1 for a message not in a chunk. */
  readonly offsetsInChunk: Int32Array;
}

const magic = 'DTTIMEL1';
const columns = ['logTimes', 'stamps', 'offsets', 'lengths', 'offsetsInChunk'] as const;
type Column = (typeof columns)[number];
const columnWidth: Record<Column, number> = {
  logTimes: 8,
  stamps: 8,
  offsets: 8,
  lengths: 4,
  offsetsInChunk: 4,
};

interface DirectoryChannel {
  readonly channelKey: number;
  readonly topic: string;
  readonly sensor: Sensor;
  readonly count: number;
  readonly stampFromHeader: boolean;
  /** Byte offset of each column in the object. */
  readonly columns: Record<Column, number>;
}

interface Directory {
  readonly version: 1;
  readonly channels: readonly DirectoryChannel[];
}

/** The object key of a recording's timelines. */
export function timelineKey(recordingId: string): string {
  return `timelines/${recordingId}`;
}

/** Bytes held in memory per message while a channel's block fills (the five columns). */
const entryBytes = 32;
/** Largest block per channel (128 KiB), and the smallest a channel's block grows from. */
const maxBlockEntries = 4096;
const minBlockEntries = 64;
/** All channels' blocks together stay below this many entries (16 MiB), however many channels. */
const budgetEntries = (16 * 1024 * 1024) / entryBytes;

/**
 * The scratch file every channel's full blocks are appended to; each block is its five columns
 * one after another, and each channel remembers where its blocks went.
 */
class ScratchFile {
  private readonly fd: number;
  private position = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w+');
  }

  /** Appends the parts one after another; returns where the first starts. */
  append(parts: readonly Uint8Array[]): number {
    const at = this.position;
    for (const part of parts) {
      for (let done = 0; done < part.byteLength;) {
        done += writeSync(this.fd, part, done, part.byteLength - done, this.position + done);
      }
      this.position += part.byteLength;
    }
    return at;
  }

  read(position: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const n = readSync(this.fd, bytes, done, length - done, position + done);
      if (n === 0) throw new Error(`timeline scratch file ends at ${position + done}`);
      done += n;
    }
    return bytes;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Where one block of a channel lies in the scratch file. */
interface Block {
  readonly position: number;
  readonly entries: number;
}

/**
 * The timeline of one channel while a recording is read. `append` fills typed arrays (no
 * per-value encoding calls); a full block goes to the scratch file in one go.
 */
export class ChannelTimelineWriter {
  count = 0;
  private used = 0;
  private logTimes: BigInt64Array;
  private stamps: BigInt64Array;
  private offsets: Float64Array;
  private lengths: Uint32Array;
  private offsetsInChunk: Int32Array;
  private readonly blocks: Block[] = [];

  constructor(
    readonly channelKey: number,
    readonly topic: string,
    readonly sensor: Sensor,
    readonly stampFromHeader: boolean,
    private readonly scratch: ScratchFile,
    /** How many entries a block may hold now (depends on how many channels there are). */
    private readonly blockLimit: () => number,
  ) {
    this.logTimes = new BigInt64Array(minBlockEntries);
    this.stamps = new BigInt64Array(minBlockEntries);
    this.offsets = new Float64Array(minBlockEntries);
    this.lengths = new Uint32Array(minBlockEntries);
    this.offsetsInChunk = new Int32Array(minBlockEntries);
  }

  /** Appends one message: log time, stamp, and where its bytes are (offset -1 when unknown). */
  append(
    logTime: bigint,
    stamp: bigint,
    offset: number,
    length: number,
    offsetInChunk: number,
  ): void {
    const i = this.used;
    this.logTimes[i] = logTime;
    this.stamps[i] = stamp;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.offsetsInChunk[i] = offsetInChunk;
    this.count += 1;
    this.used = i + 1;
    if (this.used === this.logTimes.length) this.flush();
  }

  /**
   * Writes the entries held in memory to the scratch file. A busy channel's block doubles each
   * time up to the limit, so quiet channels hold little memory.
   */
  flush(): void {
    const n = this.used;
    if (n === 0) return;
    const bytes = (array: BigInt64Array | Float64Array | Uint32Array | Int32Array) =>
      new Uint8Array(array.buffer, 0, n * array.BYTES_PER_ELEMENT);
    const position = this.scratch.append([
      bytes(this.logTimes),
      bytes(this.stamps),
      bytes(this.offsets),
      bytes(this.lengths),
      bytes(this.offsetsInChunk),
    ]);
    this.blocks.push({ position, entries: n });
    this.used = 0;
    const size = Math.min(this.logTimes.length * 2, this.blockLimit());
    if (size > this.logTimes.length) {
      this.logTimes = new BigInt64Array(size);
      this.stamps = new BigInt64Array(size);
      this.offsets = new Float64Array(size);
      this.lengths = new Uint32Array(size);
      this.offsetsInChunk = new Int32Array(size);
    }
  }

  /** The bytes of one column, block by block, as written (call `flush` first). */
  *column(column: Column): Generator<Uint8Array> {
    const width = columnWidth[column];
    for (const block of this.blocks) {
      let start = block.position;
      for (const before of columns) {
        if (before === column) break;
        start += block.entries * columnWidth[before];
      }
      yield this.scratch.read(start, block.entries * width);
    }
  }
}

/**
 * Writes timelines while a recording is read, with memory bounded by one block per channel
 * (16 MiB for all channels together at most): the columns go to a scratch file, and `store`
 * streams them into one object. Typed arrays hold the values in the machine's byte order, which
 * must be the format's little endian.
 */
export class TimelineWriter {
  private readonly dir: string;
  private readonly scratch: ScratchFile;
  private readonly channels = new Map<number, ChannelTimelineWriter>();
  private discarded = false;
  private readonly blockLimit = (): number =>
    Math.max(
      minBlockEntries,
      Math.min(maxBlockEntries, Math.floor(budgetEntries / Math.max(1, this.channels.size))),
    );

  constructor(scratchDir: string) {
    if (!littleEndian)
      throw new Unsupported('timelines are written on little-endian machines only');
    this.dir = mkdtempSync(join(scratchDir, 'timelines-'));
    this.scratch = new ScratchFile(join(this.dir, 'columns'));
  }

  /** Declares a channel before its messages; append them to the writer it returns. */
  channel(
    channelKey: number,
    topic: string,
    sensor: Sensor,
    stampFromHeader: boolean,
  ): ChannelTimelineWriter {
    const writer = new ChannelTimelineWriter(
      channelKey,
      topic,
      sensor,
      stampFromHeader,
      this.scratch,
      this.blockLimit,
    );
    this.channels.set(channelKey, writer);
    return writer;
  }

  /** Log times of one channel, re-read from the scratch file (for exact gap statistics). */
  *logTimes(channelKey: number): Generator<BigInt64Array> {
    const channel = this.channels.get(channelKey);
    if (channel === undefined) return;
    channel.flush();
    for (const block of channel.column('logTimes')) {
      yield new BigInt64Array(block.buffer, block.byteOffset, block.byteLength / 8);
    }
  }

  /** Writes the timelines object of a recording and removes the scratch files. */
  async store(objects: ObjectStore, recordingId: string): Promise<void> {
    const ordered = [...this.channels.values()].sort((a, b) => a.channelKey - b.channelKey);
    for (const channel of ordered) channel.flush();
    // The directory holds the column offsets, which depend on the directory's own length:
    // lay it out with placeholder offsets of the final width, then fill them in.
    const layout = (base: number): Directory => {
      let position = base;
      return {
        version: 1,
        channels: ordered.map((channel) => {
          const offsets = {} as Record<Column, number>;
          for (const column of columns) {
            offsets[column] = position;
            position += align8(channel.count * columnWidth[column]);
          }
          return {
            channelKey: channel.channelKey,
            topic: channel.topic,
            sensor: channel.sensor,
            count: channel.count,
            stampFromHeader: channel.stampFromHeader,
            columns: offsets,
          };
        }),
      };
    };
    let base = 0;
    let directory = new TextEncoder().encode(JSON.stringify(layout(base)));
    for (;;) {
      const nextBase = align8(12 + directory.byteLength + 32);
      const next = new TextEncoder().encode(JSON.stringify(layout(nextBase)));
      if (nextBase === base && next.byteLength === directory.byteLength) break;
      base = nextBase;
      directory = next;
    }
    const header = new Uint8Array(base);
    header.set(new TextEncoder().encode(magic), 0);
    new DataView(header.buffer).setUint32(8, directory.byteLength, true);
    header.set(directory, 12);
    async function* body(): AsyncGenerator<Uint8Array> {
      yield header;
      for (const channel of ordered) {
        for (const column of columns) {
          yield* channel.column(column);
          const bytes = channel.count * columnWidth[column];
          if (align8(bytes) > bytes) yield new Uint8Array(align8(bytes) - bytes);
        }
      }
    }
    try {
      await objects.put(timelineKey(recordingId), body(), {
        contentType: 'application/x-drivetrain-timelines',
      });
    } finally {
      this.discard();
    }
  }

  /** Removes the scratch file without storing anything; calling it again does nothing. */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.channels.clear();
    this.scratch.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** The first read of a timelines object: its header and the directory of a few hundred channels. */
const headReadBytes = 64 * 1024;

async function readDirectory(
  objects: ObjectStore,
  key: string,
): Promise<{ directory: Directory; handle: ObjectHandle }> {
  const handle = await objects.open(key);
  try {
    // The header and, nearly always, the whole directory in one read.
    const head = await handle.read(0, Math.min(handle.info.size, headReadBytes));
    if (head.byteLength < 12 || new TextDecoder().decode(head.subarray(0, 8)) !== magic) {
      throw new CorruptRecording(key, 0, `not a timelines object (expected magic ${magic})`);
    }
    const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(8, true);
    if (length > 64 * 1024 * 1024 || 12 + length > handle.info.size) {
      throw new CorruptRecording(key, 8, `directory length ${length} does not fit the object`);
    }
    const directoryBytes =
      12 + length <= head.byteLength
        ? head.subarray(12, 12 + length)
        : await handle.read(12, length);
    const directory = JSON.parse(new TextDecoder().decode(directoryBytes)) as Directory;
    return { directory, handle };
  } catch (error) {
    await handle.close?.();
    throw error;
  }
}

/** Bytes whose offset in their buffer allows any typed array view. */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

/**
 * The five columns of a channel. The writer puts them one after another, 8-byte aligned, so
 * they are read with one request and viewed in place.
 */
async function readColumns(
  handle: ObjectHandle,
  channel: DirectoryChannel,
): Promise<Record<Column, Uint8Array>> {
  const size = (name: Column): number => channel.count * columnWidth[name];
  const start = Math.min(...columns.map((name) => channel.columns[name]));
  const end = Math.max(...columns.map((name) => channel.columns[name] + size(name)));
  const needed = columns.reduce((sum, name) => sum + size(name), 0);
  const parts = {} as Record<Column, Uint8Array>;
  // Columns apart from each other (a layout this writer does not make) are read one by one.
  if (end - start > needed + 8 * columns.length) {
    for (const name of columns)
      parts[name] = aligned(await handle.read(channel.columns[name], size(name)));
    return parts;
  }
  const bytes = aligned(await handle.read(start, end - start));
  for (const name of columns) {
    const at = channel.columns[name] - start;
    parts[name] = aligned(bytes.subarray(at, at + size(name)));
  }
  return parts;
}

/** A typed array over aligned bytes, without copying them. */
function view<T>(
  bytes: Uint8Array,
  type: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T,
  width: number,
): T {
  return new type(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
}

/** The channels a recording's timelines hold, without their columns. */
export async function timelineChannels(
  objects: ObjectStore,
  recordingId: string,
): Promise<
  Omit<ChannelTimeline, 'logTimes' | 'stamps' | 'offsets' | 'lengths' | 'offsetsInChunk'>[]
> {
  const { directory, handle } = await readDirectory(objects, timelineKey(recordingId)).catch(
    (error: unknown) => {
      if (error instanceof NotFound) throw new NotFound('timelines of recording', recordingId);
      throw error;
    },
  );
  await handle.close?.();
  return directory.channels.map(({ columns: _columns, ...channel }) => channel);
}

/** Reads the timelines of some (default: all) channels of a recording, by range. */
export async function readTimelines(
  objects: ObjectStore,
  recordingId: string,
  channelKeys?: readonly number[],
): Promise<ChannelTimeline[]> {
  const { directory, handle } = await readDirectory(objects, timelineKey(recordingId)).catch(
    (error: unknown) => {
      if (error instanceof NotFound) throw new NotFound('timelines of recording', recordingId);
      throw error;
    },
  );
  try {
    const wanted = channelKeys === undefined ? undefined : new Set(channelKeys);
    const chosen = directory.channels.filter(
      (channel) => wanted === undefined || wanted.has(channel.channelKey),
    );
    // All channels at once: one wait instead of one per channel.
    const columnsRead = await Promise.all(chosen.map((channel) => readColumns(handle, channel)));
    return chosen.map((channel, c): ChannelTimeline => {
      const parts = columnsRead[c]!;
      return {
        channelKey: channel.channelKey,
        topic: channel.topic,
        sensor: channel.sensor,
        count: channel.count,
        stampFromHeader: channel.stampFromHeader,
        logTimes: view(parts.logTimes, BigInt64Array, 8),
        stamps: view(parts.stamps, BigInt64Array, 8),
        offsets: view(parts.offsets, Float64Array, 8),
        lengths: view(parts.lengths, Uint32Array, 4),
        offsetsInChunk: view(parts.offsetsInChunk, Int32Array, 4),
      };
    });
  } finally {
    await handle.close?.();
  }
}
