/**
 * The streamed MCAP path: for files without a usable summary (no footer, no chunk index, or
 * channels only inside chunks). The summary comes from one full pass; messages come in file
 * order, read in large blocks.
 */
import type { McapRecords, TypedMcapRecord } from '@mcap/core';
import { CorruptRecording } from '../../platform/errors.js';
import { flattenBatches } from '../batches.js';
import type { CheckedReader } from '../reader.js';
import type {
  ByteLocation,
  MessageQuery,
  RecordedMessage,
  RecordingMetadata,
  RecordingSource,
  RecordingSummary,
} from '../source.js';
import { channelInfo, readMessageAt } from './common.js';
import { ChannelStats, timeRange } from '../stats.js';
import { McapScanner } from './scan.js';
import type { ScanOptions, ScanSink } from './scan.js';

const MAX_TIME = 0xffff_ffff_ffff_ffffn;

/** Messages handed over per scanner step. */
const BATCH_SIZE = 256;

/** Collects what a summary needs, and checks that channels and schemas are consistent. */
class SummarySink implements ScanSink {
  readonly wantsRecords = true;
  readonly stopAtDataEnd = false;
  header: McapRecords['Header'] | undefined;
  readonly schemas = new Map<number, McapRecords['Schema']>();
  readonly channels = new Map<number, McapRecords['Channel']>();
  readonly stats = new Map<number, ChannelStats>();
  readonly metadata: RecordingMetadata[] = [];

  constructor(private readonly file: string) {}

  message(
    channelId: number,
    _sequence: number,
    logTime: bigint,
    _publishTime: bigint,
    _data: Uint8Array,
    location: ByteLocation,
  ): void {
    const stats = this.stats.get(channelId);
    if (stats === undefined) {
      throw new CorruptRecording(
        this.file,
        location.offset,
        `Message on channel ${channelId}, which no earlier Channel record defines`,
      );
    }
    stats.add(logTime);
  }

  record(record: TypedMcapRecord, offset: number): void {
    switch (record.type) {
      case 'Header':
        this.header = record;
        break;
      case 'Schema': {
        const known = this.schemas.get(record.id);
        if (known !== undefined && !sameSchema(known, record)) {
          throw new CorruptRecording(
            this.file,
            offset,
            `Schema ${record.id} is redefined with different content`,
          );
        }
        this.schemas.set(record.id, record);
        break;
      }
      case 'Channel': {
        if (record.schemaId !== 0 && !this.schemas.has(record.schemaId)) {
          throw new CorruptRecording(
            this.file,
            offset,
            `Channel ${record.id} ('${record.topic}') refers to schema ${record.schemaId}, which no earlier Schema record defines`,
          );
        }
        const known = this.channels.get(record.id);
        if (known !== undefined && !sameChannel(known, record)) {
          throw new CorruptRecording(
            this.file,
            offset,
            `Channel ${record.id} is redefined with different content`,
          );
        }
        this.channels.set(record.id, record);
        if (!this.stats.has(record.id)) this.stats.set(record.id, new ChannelStats());
        break;
      }
      case 'Metadata':
        this.metadata.push({ name: record.name, entries: Object.fromEntries(record.metadata) });
        break;
      default:
    }
  }
}

function sameSchema(a: McapRecords['Schema'], b: McapRecords['Schema']): boolean {
  return (
    a.name === b.name &&
    a.encoding === b.encoding &&
    a.data.byteLength === b.data.byteLength &&
    a.data.every((byte, i) => byte === b.data[i])
  );
}

function sameChannel(a: McapRecords['Channel'], b: McapRecords['Channel']): boolean {
  if (a.topic !== b.topic || a.schemaId !== b.schemaId || a.messageEncoding !== b.messageEncoding)
    return false;
  if (a.metadata.size !== b.metadata.size) return false;
  for (const [key, value] of a.metadata) if (b.metadata.get(key) !== value) return false;
  return true;
}

/**
 * Turns scanned messages into `RecordedMessage`s that match a query, and, when the query asks,
 * reports channels (with their schemas) and metadata as they appear.
 */
class MessageSink implements ScanSink {
  readonly wantsRecords: boolean;
  readonly stopAtDataEnd = true;
  private readonly schemas = new Map<number, McapRecords['Schema']>();
  private readonly announced = new Set<number>();
  readonly batch: RecordedMessage[] = [];
  private readonly start: bigint;
  private readonly end: bigint;
  private readonly channels: ReadonlySet<number> | undefined;
  readonly chunk?: NonNullable<ScanSink['chunk']>;

  get paused(): boolean {
    return this.batch.length >= BATCH_SIZE;
  }

  constructor(private readonly query: MessageQuery) {
    this.start = query.startTime ?? 0n;
    this.end = query.endTime ?? MAX_TIME;
    this.channels = query.channelIds === undefined ? undefined : new Set(query.channelIds);
    this.wantsRecords =
      query.onChannel !== undefined ||
      query.onMetadata !== undefined ||
      query.onAttachment !== undefined;
    // Without bounds every chunk is wanted: the scanner then reads ahead, as nothing is skipped.
    if (
      query.startTime !== undefined ||
      query.endTime !== undefined ||
      query.channelIds !== undefined
    ) {
      this.chunk = (startTime, endTime, channels) => this.wantsChunk(startTime, endTime, channels);
    }
  }

  record(record: TypedMcapRecord): void {
    switch (record.type) {
      case 'Schema':
        this.schemas.set(record.id, record);
        break;
      case 'Channel':
        if (!this.announced.has(record.id)) {
          this.announced.add(record.id);
          this.query.onChannel?.(channelInfo(record, this.schemas.get(record.schemaId), undefined));
        }
        break;
      case 'Metadata':
        this.query.onMetadata?.({
          name: record.name,
          entries: Object.fromEntries(record.metadata),
        });
        break;
      case 'Attachment':
        this.query.onAttachment?.({
          name: record.name,
          mediaType: record.mediaType,
          data: record.data,
        });
        break;
      default:
    }
  }

  message(
    channelId: number,
    sequence: number,
    logTime: bigint,
    publishTime: bigint,
    data: Uint8Array,
    location: ByteLocation,
  ): void {
    if (logTime < this.start || logTime > this.end) return;
    if (this.channels !== undefined && !this.channels.has(channelId)) return;
    this.batch.push({ channelId, sequence, logTime, publishTime, data, location });
  }

  private wantsChunk(
    startTime: bigint,
    endTime: bigint,
    channels: ReadonlySet<number> | undefined,
  ): boolean {
    if (endTime < this.start || startTime > this.end) return false;
    if (channels === undefined || this.channels === undefined) return true;
    for (const id of channels) if (this.channels.has(id)) return true;
    return false;
  }
}

/** An MCAP file read front to back. */
export class McapStreamedSource implements RecordingSource {
  readonly format = 'mcap' as const;
  readonly mode = 'streamed' as const;
  private summaryPromise: Promise<RecordingSummary> | undefined;

  constructor(
    private readonly reader: CheckedReader,
    private readonly options: ScanOptions,
  ) {}

  get bytesRead(): number {
    return this.reader.bytesRead;
  }

  /** One full pass over the file: exact per-channel counts and time ranges. */
  summary(): Promise<RecordingSummary> {
    this.summaryPromise ??= this.computeSummary();
    return this.summaryPromise;
  }

  private async computeSummary(): Promise<RecordingSummary> {
    const sink = new SummarySink(this.reader.file);
    await new McapScanner(this.reader, sink, this.options).run();
    const channels = [...sink.channels.values()]
      .sort((a, b) => a.id - b.id)
      .map((channel) =>
        channelInfo(channel, sink.schemas.get(channel.schemaId), sink.stats.get(channel.id)),
      );
    let messageCount = 0;
    for (const stats of sink.stats.values()) messageCount += stats.count;
    return {
      format: 'mcap',
      ...(sink.header === undefined
        ? {}
        : { profile: sink.header.profile, library: sink.header.library }),
      channels,
      metadata: sink.metadata,
      messageCount,
      ...timeRange(channels),
    };
  }

  /** Messages in file order; payloads are views into the read blocks (copy them to keep them long). */
  messages(query: MessageQuery = {}): AsyncIterable<RecordedMessage> {
    return flattenBatches(this.messageBatches(query));
  }

  /** Messages in file order, in arrays of up to 256 as the scanner produces them. */
  async *messageBatches(query: MessageQuery = {}): AsyncGenerator<readonly RecordedMessage[]> {
    const sink = new MessageSink(query);
    const scanner = new McapScanner(this.reader, sink, this.options);
    const batch = sink.batch;
    let more = true;
    while (more) {
      try {
        more = await scanner.step();
      } catch (error) {
        // Hand over what was read before the damage, then report it.
        if (batch.length > 0) yield batch.splice(0);
        throw error;
      }
      if (batch.length > 0) yield batch.splice(0);
    }
  }

  messageAt(location: ByteLocation): Promise<RecordedMessage> {
    return readMessageAt(this.reader, location, this.options);
  }
}

/** Every record of an MCAP file in file order, chunk contents in place of their chunk. */
export async function* scanMcapRecords(
  reader: CheckedReader,
  options: ScanOptions,
): AsyncGenerator<{ record: TypedMcapRecord; offset: number }> {
  const found: { record: TypedMcapRecord; offset: number }[] = [];
  const sink: ScanSink = {
    wantsRecords: true,
    stopAtDataEnd: false,
    message: (channelId, sequence, logTime, publishTime, data, location) => {
      found.push({
        record: { type: 'Message', channelId, sequence, logTime, publishTime, data },
        offset: location.offset,
      });
    },
    record: (record, offset) => {
      found.push({ record, offset });
    },
  };
  const scanner = new McapScanner(reader, sink, options);
  let more = true;
  while (more) {
    more = await scanner.step();
    yield* found;
    found.length = 0;
  }
}
