/**
 * rosbag2 bags: a folder with `metadata.yaml` and one or more storage files (split bags), in
 * SQLite (`.db3`) or MCAP storage. Each storage file is read on its own; the bag merges their
 * topics by name into one set of channels and their messages into one log-time order.
 */
import { Heap } from 'heap-js';
import { InvalidInput, Unsupported } from '../../platform/errors.js';
import type { McapOptions } from '../mcap/common.js';
import { openMcap } from '../mcap/open.js';
import type { McapSource } from '../mcap/open.js';
import { ChannelStats, timeRange } from '../stats.js';
import type {
  ByteLocation,
  ChannelInfo,
  MessageQuery,
  RandomAccessReader,
  RecordedMessage,
  RecordingMetadata,
  RecordingSource,
  RecordingSummary,
} from '../source.js';
import { parseRos2Metadata } from './metadata.js';
import type { Ros2BagMetadata } from './metadata.js';
import { Db3File } from './sqlite.js';
import type { SqliteDatabase } from './sqlite.js';

/** Access to the files of a bag folder, supplied by the caller (the formats context does no I/O). */
export interface Ros2BagFolder {
  /** The bytes of a file of the bag, by its path relative to the bag folder (MCAP storage). */
  reader(relativePath: string): Promise<RandomAccessReader>;
  /** A file of the bag opened as a SQLite database (SQLite storage). */
  sqlite?(relativePath: string): Promise<SqliteDatabase>;
}

/** A topic of one storage file. */
interface PartTopic {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly schemaEncoding: string;
  readonly schemaData: Uint8Array;
  readonly messageEncoding: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly count: number;
  readonly start?: bigint;
  readonly end?: bigint;
}

/** One storage file of a bag, whatever its storage. */
interface Part {
  readonly file: string;
  readonly bytesRead: number;
  topics(): Promise<PartTopic[]>;
  messages(query: MessageQuery): AsyncIterable<RecordedMessage>;
  messageAt?(location: ByteLocation): Promise<RecordedMessage>;
  readonly summary?: () => Promise<RecordingSummary>;
}

function mcapPart(file: string, source: McapSource): Part {
  return {
    file,
    get bytesRead() {
      return source.bytesRead;
    },
    summary: () => source.summary(),
    topics: async () =>
      (await source.summary()).channels.map((channel) => ({
        id: channel.id,
        name: channel.topic,
        type: channel.schemaName,
        schemaEncoding: channel.schemaEncoding,
        schemaData: channel.schemaData,
        messageEncoding: channel.messageEncoding,
        metadata: channel.metadata,
        count: channel.messageCount ?? 0,
        ...(channel.startTime === undefined ? {} : { start: channel.startTime }),
        ...(channel.endTime === undefined ? {} : { end: channel.endTime }),
      })),
    messages: (query) => source.messages(query),
    messageAt: (location) => source.messageAt(location),
  };
}

function db3Part(db: Db3File): Part {
  const encoder = new TextEncoder();
  return {
    file: db.file,
    bytesRead: 0,
    topics: async () => {
      const stats = await db.stats();
      return (await db.topics()).map((topic) => {
        const s = stats.get(topic.id);
        return {
          id: topic.id,
          name: topic.name,
          type: topic.type,
          schemaEncoding: topic.definitionEncoding,
          schemaData: encoder.encode(topic.definition),
          messageEncoding: topic.serializationFormat,
          metadata: {
            offered_qos_profiles: topic.offeredQosProfiles,
            ...(topic.typeDescriptionHash === ''
              ? {}
              : { type_description_hash: topic.typeDescriptionHash }),
          },
          count: s?.count ?? 0,
          ...(s?.start === undefined ? {} : { start: s.start }),
          ...(s?.end === undefined ? {} : { end: s.end }),
        };
      });
    },
    messages: async function* (query) {
      for await (const row of db.messages(query, query.channelIds)) {
        yield {
          channelId: row.topicId,
          logTime: row.timestamp,
          publishTime: row.timestamp,
          data: row.data,
        };
      }
    },
  };
}

/** A part's topics mapped onto the bag's channels. */
interface OpenedPart {
  readonly part: Part;
  readonly topics: readonly PartTopic[];
  /** Part channel id to bag channel id. */
  readonly toBag: ReadonlyMap<number, number>;
  readonly start: bigint | undefined;
}

interface Pending {
  readonly index: number;
  readonly message: RecordedMessage;
  readonly rest: AsyncIterator<RecordedMessage>;
}

/**
 * Opens a rosbag2 bag from the text of its `metadata.yaml` and access to its folder. Throws
 * `CorruptRecording` for malformed metadata or storage files and `Unsupported` for compressed
 * bags and unknown storage plugins.
 */
export async function openRos2Bag(
  metadataText: string,
  folder: Ros2BagFolder,
  options: McapOptions = {},
): Promise<Ros2BagSource> {
  const metadata = parseRos2Metadata(metadataText);
  if (metadata.compressionFormat !== '' || metadata.compressionMode !== '') {
    throw new Unsupported(
      `metadata.yaml: compressed bags (${metadata.compressionFormat} per ${metadata.compressionMode}) are not supported; decompress with 'ros2 bag convert'`,
      { compressionFormat: metadata.compressionFormat, compressionMode: metadata.compressionMode },
    );
  }
  const parts: Part[] = [];
  for (const path of metadata.relativeFilePaths) {
    if (metadata.storageIdentifier === 'mcap') {
      parts.push(mcapPart(path, await openMcap(path, await folder.reader(path), options)));
    } else if (metadata.storageIdentifier === 'sqlite3') {
      if (folder.sqlite === undefined) {
        throw new InvalidInput(
          'a SQLite-storage bag needs a SqliteDatabase for its .db3 files',
          'sqlite',
        );
      }
      const db = new Db3File(path, await folder.sqlite(path));
      await db.check();
      parts.push(db3Part(db));
    } else {
      throw new Unsupported(
        `metadata.yaml: storage plugin '${metadata.storageIdentifier}' is not supported (sqlite3, mcap)`,
        {
          storageIdentifier: metadata.storageIdentifier,
        },
      );
    }
  }
  return new Ros2BagSource(metadata, parts);
}

/** Opens a single rosbag2 `.db3` file without its `metadata.yaml`: topics come from the database. */
export async function openRos2Db3(file: string, db: SqliteDatabase): Promise<Ros2BagSource> {
  const part = new Db3File(file, db);
  await part.check();
  return new Ros2BagSource(undefined, [db3Part(part)]);
}

/** An opened rosbag2 bag. */
export class Ros2BagSource implements RecordingSource {
  readonly format = 'ros2-bag' as const;
  private opened: Promise<{ parts: OpenedPart[]; channels: ChannelInfo[] }> | undefined;

  constructor(
    /** The parsed `metadata.yaml`, when the bag has one. */
    readonly metadata: Ros2BagMetadata | undefined,
    private readonly parts: readonly Part[],
  ) {}

  get bytesRead(): number {
    return this.parts.reduce((sum, part) => sum + part.bytesRead, 0);
  }

  /** Channels of all storage files, merged by topic name; ids follow the metadata's topic order. */
  private open(): Promise<{ parts: OpenedPart[]; channels: ChannelInfo[] }> {
    this.opened ??= this.openParts();
    return this.opened;
  }

  private async openParts(): Promise<{ parts: OpenedPart[]; channels: ChannelInfo[] }> {
    const ids = new Map<string, number>();
    for (const topic of this.metadata?.topics ?? [])
      if (!ids.has(topic.name)) ids.set(topic.name, ids.size + 1);
    const opened: OpenedPart[] = [];
    const found = new Map<number, { topic: PartTopic; stats: ChannelStats }>();
    for (const part of this.parts) {
      const topics = await part.topics();
      const toBag = new Map<number, number>();
      let start: bigint | undefined;
      for (const topic of topics) {
        if (!ids.has(topic.name)) ids.set(topic.name, ids.size + 1);
        const id = ids.get(topic.name)!;
        toBag.set(topic.id, id);
        let entry = found.get(id);
        if (entry === undefined) {
          entry = { topic, stats: new ChannelStats() };
          found.set(id, entry);
        } else if (entry.topic.schemaData.byteLength === 0 && topic.schemaData.byteLength > 0) {
          entry.topic = topic;
        }
        entry.stats.addRange(topic.count, topic.start, topic.end);
        if (topic.start !== undefined && (start === undefined || topic.start < start))
          start = topic.start;
      }
      opened.push({ part, topics, toBag, start });
    }
    const channels: ChannelInfo[] = [];
    for (const [name, id] of ids) {
      const entry = found.get(id);
      const declared = this.metadata?.topics.find((t) => t.name === name);
      const topic = entry?.topic;
      channels.push({
        id,
        topic: name,
        schemaName: topic?.type ?? declared?.type ?? '',
        schemaEncoding: topic?.schemaEncoding ?? '',
        schemaData: topic?.schemaData ?? new Uint8Array(0),
        messageEncoding: topic?.messageEncoding ?? declared?.serializationFormat ?? 'cdr',
        metadata: topic?.metadata ?? {
          offered_qos_profiles: declared?.offeredQosProfiles ?? '',
          ...(declared?.typeDescriptionHash
            ? { type_description_hash: declared.typeDescriptionHash }
            : {}),
        },
        messageCount: entry?.stats.count ?? 0,
        ...(entry?.stats.start === undefined ? {} : { startTime: entry.stats.start }),
        ...(entry?.stats.end === undefined ? {} : { endTime: entry.stats.end }),
      });
    }
    return { parts: opened, channels };
  }

  /** Channels with counts and time ranges from the storage files (not from `metadata.yaml`). */
  async summary(): Promise<RecordingSummary> {
    const { channels } = await this.open();
    const metadata: RecordingMetadata[] = [];
    const m = this.metadata;
    if (m !== undefined) {
      metadata.push({
        name: 'rosbag2',
        entries: {
          version: String(m.version),
          storage_identifier: m.storageIdentifier,
          message_count: String(m.messageCount),
          starting_time: String(m.startingTime),
          duration: String(m.duration),
          files: m.relativeFilePaths.join(','),
          ...(m.rosDistro === '' ? {} : { ros_distro: m.rosDistro }),
        },
      });
      if (Object.keys(m.customData).length > 0)
        metadata.push({ name: 'rosbag2.custom_data', entries: m.customData });
    }
    const first = await this.parts[0]?.summary?.();
    return {
      format: 'ros2-bag',
      ...(first?.profile === undefined ? {} : { profile: first.profile }),
      ...(first?.library === undefined ? {} : { library: first.library }),
      channels,
      metadata,
      messageCount: channels.reduce((sum, c) => sum + (c.messageCount ?? 0), 0),
      ...timeRange(channels),
    };
  }

  /** Messages of all storage files in log-time order (ties in file order). */
  async *messages(query: MessageQuery = {}): AsyncGenerator<RecordedMessage> {
    const { parts } = await this.open();
    const wanted = query.channelIds === undefined ? undefined : new Set(query.channelIds);
    const order = parts
      .map((opened, index) => ({ opened, index }))
      .sort((a, b) => {
        const x = a.opened.start;
        const y = b.opened.start;
        if (x === y || x === undefined || y === undefined) return a.index - b.index;
        return x < y ? -1 : 1;
      });
    const heap = new Heap<Pending>((a, b) =>
      a.message.logTime !== b.message.logTime
        ? a.message.logTime < b.message.logTime
          ? -1
          : 1
        : a.index - b.index,
    );
    const fromPart = (opened: OpenedPart, message: RecordedMessage): RecordedMessage => ({
      ...message,
      channelId: opened.toBag.get(message.channelId) ?? 0,
      ...(message.location === undefined
        ? {}
        : { location: { ...message.location, file: opened.part.file } }),
    });
    let next = 0;
    for (;;) {
      while (next < order.length) {
        const { opened, index } = order[next]!;
        const top = heap.peek();
        if (top !== undefined && opened.start !== undefined && opened.start > top.message.logTime)
          break;
        next++;
        const partIds =
          wanted === undefined
            ? undefined
            : [...opened.toBag].filter(([, id]) => wanted.has(id)).map(([p]) => p);
        if (partIds !== undefined && partIds.length === 0) continue;
        const partQuery = { ...query, ...(partIds === undefined ? {} : { channelIds: partIds }) };
        const rest = opened.part.messages(partQuery)[Symbol.asyncIterator]();
        const first = await rest.next();
        if (first.done !== true) heap.push({ index, message: fromPart(opened, first.value), rest });
      }
      const top = heap.pop();
      if (top === undefined) return;
      yield top.message;
      const following = await top.rest.next();
      if (following.done !== true) {
        heap.push({
          index: top.index,
          message: fromPart(parts[top.index]!, following.value),
          rest: top.rest,
        });
      }
    }
  }

  /** Reads one message by location; available when the bag's storage files are MCAP. */
  async messageAt(location: ByteLocation): Promise<RecordedMessage> {
    const { parts } = await this.open();
    const opened =
      location.file === undefined && parts.length === 1
        ? parts[0]
        : parts.find((p) => p.part.file === location.file);
    if (opened?.part.messageAt === undefined) {
      throw new InvalidInput(
        `no storage file '${location.file ?? ''}' with byte locations in this bag`,
        'location.file',
      );
    }
    const { file: _file, ...inFile } = location;
    const message = await opened.part.messageAt(inFile);
    return {
      ...message,
      channelId: opened.toBag.get(message.channelId) ?? 0,
      location: { ...message.location!, file: opened.part.file },
    };
  }
}
