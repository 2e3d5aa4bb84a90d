/**
 * MDF 4 as a `RecordingSource`: every channel group with records of its own becomes a channel.
 * CAN bus logging groups carry CAN frames (`can` encoding, see `can.ts`); other groups carry
 * their records (`mdf4-record` encoding, see `schema.ts`). Log times are the HD start time plus
 * the group's master (time) channel. Data groups are read in one pass each and merged by log
 * time; an unsorted data group is read once for all of its channel groups.
 */
import type {
  ChannelInfo,
  MessageQuery,
  RandomAccessReader,
  RecordedMessage,
  RecordingMetadata,
  RecordingSource,
  RecordingSummary,
} from '../source.js';
import { compileCanExtractor, canStructure, encodeCanFrame } from './can.js';
import type { RecordRef, RecordView } from './decode.js';
import { compileTimeNs, locationOf } from './decode.js';
import type { Mdf4Options } from './file.js';
import { Mdf4File } from './file.js';
import { recordEncoder, recordSchema } from './schema.js';
import type { Mdf4ChannelGroup, Mdf4DataGroup } from './tree.js';

/** Message encoding of CAN frames (see `can.ts`). */
export const CAN_MESSAGE_ENCODING = 'can';
/** Message encoding of other channel groups (see `schema.ts`). */
export const RECORD_MESSAGE_ENCODING = 'mdf4-record';

interface GroupChannel {
  readonly info: Omit<ChannelInfo, 'messageCount' | 'startTime' | 'endTime'>;
  readonly group: Mdf4ChannelGroup;
  readonly dataGroup: Mdf4DataGroup;
  readonly groupIndex: number;
  readonly time: (ref: RecordView) => bigint;
  readonly encode: (ref: RecordRef) => Uint8Array;
}

interface Stats {
  count: number;
  start?: bigint;
  end?: bigint;
}

/** Opens an MDF 4 file as a recording source. */
export async function openMdf4Source(
  reader: RandomAccessReader,
  options: Mdf4Options = {},
): Promise<Mdf4RecordingSource> {
  return new Mdf4RecordingSource(await Mdf4File.open(reader, options));
}

/** An MDF 4 recording. */
export class Mdf4RecordingSource implements RecordingSource {
  readonly format = 'mdf4';
  private readonly channels: GroupChannel[];
  private summaryPromise: Promise<RecordingSummary> | undefined;

  constructor(readonly file: Mdf4File) {
    const topics = new Set<string>();
    const encoder = new TextEncoder();
    this.channels = file.channelGroups.map((group, id) => {
      const dataGroup = file.dataGroupOf(group);
      const structure = canStructure(group);
      const base =
        group.acquisitionName ||
        structure?.channel.name ||
        group.channels.find((c) => c.channelType !== 2)?.name ||
        `group at byte ${group.offset}`;
      let topic = base;
      for (let n = 2; topics.has(topic); n++) topic = `${base} (${n})`;
      topics.add(topic);
      const metadata: Record<string, string> = {
        channelGroupOffset: String(group.offset),
        dataGroupOffset: String(group.dataGroupOffset),
        channels: String(group.channels.length),
      };
      if (group.comment !== '') metadata.comment = group.comment;
      if (group.source !== undefined) {
        metadata.sourceName = group.source.name;
        metadata.sourcePath = group.source.path;
        metadata.busType = String(group.source.busType);
      }
      const extract = compileCanExtractor(group);
      const common = {
        id,
        topic,
        metadata,
        group,
        dataGroup,
        groupIndex: dataGroup.groups.indexOf(group),
        time: compileTimeNs(group),
      };
      if (extract !== undefined && structure !== undefined) {
        return {
          ...common,
          info: {
            id,
            topic,
            metadata,
            schemaName: `mdf4/${structure.kind}`,
            schemaEncoding: '',
            schemaData: new Uint8Array(0),
            messageEncoding: CAN_MESSAGE_ENCODING,
          },
          encode: (ref: RecordRef) => encodeCanFrame(extract(ref)),
        };
      }
      return {
        ...common,
        info: {
          id,
          topic,
          metadata,
          schemaName: `mdf4/${topic}`,
          schemaEncoding: 'mdf4',
          schemaData: encoder.encode(JSON.stringify(recordSchema(group, topic))),
          messageEncoding: RECORD_MESSAGE_ENCODING,
        },
        encode: recordEncoder(group),
      };
    });
  }

  get bytesRead(): number {
    return this.file.bytesRead;
  }

  /** Channels with message counts and time ranges; walks the data once when the file has no counts. */
  summary(): Promise<RecordingSummary> {
    this.summaryPromise ??= this.computeSummary();
    return this.summaryPromise;
  }

  private async computeSummary(): Promise<RecordingSummary> {
    const stats = await this.stats();
    const channels: ChannelInfo[] = this.channels.map((c) => {
      const s = stats.get(c.info.id) ?? { count: 0 };
      return {
        ...c.info,
        messageCount: s.count,
        ...(s.start === undefined ? {} : { startTime: s.start }),
        ...(s.end === undefined ? {} : { endTime: s.end }),
      };
    });
    const starts = channels.flatMap((c) => (c.startTime === undefined ? [] : [c.startTime]));
    const ends = channels.flatMap((c) => (c.endTime === undefined ? [] : [c.endTime]));
    const { identification, header } = this.file;
    const metadata: RecordingMetadata[] = [
      {
        name: 'mdf4',
        entries: {
          version: identification.versionText,
          program: identification.program,
          finalized: String(identification.finalized),
          unfinalizedFlags: String(identification.unfinalizedFlags),
          startTimeNs: String(header.startTimeNs),
          timezoneOffsetMinutes: String(header.timezoneOffsetMinutes),
          dstOffsetMinutes: String(header.dstOffsetMinutes),
          localTime: String(header.localTime),
          comment: header.comment,
        },
      },
      { name: 'mdf4.header', entries: header.properties },
    ];
    return {
      format: 'mdf4',
      library: identification.program,
      channels,
      metadata,
      messageCount: channels.reduce((sum, c) => sum + (c.messageCount ?? 0), 0),
      ...(starts.length === 0 ? {} : { startTime: starts.reduce((a, b) => (b < a ? b : a)) }),
      ...(ends.length === 0 ? {} : { endTime: ends.reduce((a, b) => (b > a ? b : a)) }),
    };
  }

  /** Counts and time ranges: from cycle counts and first/last records of sorted groups, else by a pass. */
  private async stats(): Promise<Map<number, Stats>> {
    const out = new Map<number, Stats>();
    const start = this.file.header.startTimeNs;
    for (const dataGroup of this.file.dataGroups) {
      const channels = this.channels.filter((c) => c.dataGroup === dataGroup);
      if (channels.length === 0) continue;
      const only = channels[0]!;
      if (dataGroup.recordIdSize === 0 && this.file.cycleCountsValid && channels.length === 1) {
        const count = only.group.cycleCount;
        const s: Stats = { count };
        if (count > 0) {
          const first = await this.file.recordAt(only.group, 0);
          const last = await this.file.recordAt(only.group, count - 1);
          s.start = start + only.time(first);
          s.end = start + only.time(last);
        }
        out.set(only.info.id, s);
        continue;
      }
      const byIndex = new Map(channels.map((c) => [c.groupIndex, c]));
      for (const c of channels) out.set(c.info.id, { count: 0 });
      for await (const refs of this.file.records(dataGroup, new Set(byIndex.keys()))) {
        for (const ref of refs) {
          const c = byIndex.get(ref.groupIndex)!;
          const s = out.get(c.info.id)!;
          const t = start + c.time(ref);
          s.count++;
          if (s.start === undefined || t < s.start) s.start = t;
          if (s.end === undefined || t > s.end) s.end = t;
        }
      }
    }
    return out;
  }

  /** Messages in log-time order (file order within an unsorted data group), filtered by `query`. */
  async *messages(query: MessageQuery = {}): AsyncGenerator<RecordedMessage> {
    const wanted =
      query.channelIds === undefined
        ? this.channels
        : this.channels.filter((c) => query.channelIds!.includes(c.info.id));
    const dataGroups = this.file.dataGroups.filter((dg) => wanted.some((c) => c.dataGroup === dg));
    const streams = dataGroups.map((dg) =>
      this.dataGroupMessages(
        dg,
        wanted.filter((c) => c.dataGroup === dg),
        query,
      ),
    );
    if (streams.length === 1) {
      yield* streams[0]!;
      return;
    }
    yield* mergeByTime(streams);
  }

  private async *dataGroupMessages(
    dataGroup: Mdf4DataGroup,
    channels: readonly GroupChannel[],
    query: MessageQuery,
  ): AsyncGenerator<RecordedMessage> {
    const byIndex = new Map(channels.map((c) => [c.groupIndex, c]));
    const start = this.file.header.startTimeNs;
    for await (const refs of this.file.records(dataGroup, new Set(byIndex.keys()))) {
      for (const ref of refs) {
        const channel = byIndex.get(ref.groupIndex)!;
        const logTime = start + channel.time(ref);
        if (query.startTime !== undefined && logTime < query.startTime) continue;
        if (query.endTime !== undefined && logTime > query.endTime) continue;
        yield {
          channelId: channel.info.id,
          logTime,
          publishTime: logTime,
          sequence: ref.index,
          data: channel.encode(ref),
          location: locationOf(ref),
        };
      }
    }
  }
}

/** Merges message streams that are each in log-time order. */
async function* mergeByTime(
  streams: AsyncGenerator<RecordedMessage>[],
): AsyncGenerator<RecordedMessage> {
  const heads: (RecordedMessage | undefined)[] = [];
  const next = async (i: number): Promise<RecordedMessage | undefined> => {
    const result = await streams[i]!.next();
    return result.done === true ? undefined : result.value;
  };
  for (let i = 0; i < streams.length; i++) heads.push(await next(i));
  for (;;) {
    let best = -1;
    heads.forEach((head, i) => {
      if (head !== undefined && (best < 0 || head.logTime < heads[best]!.logTime)) best = i;
    });
    if (best < 0) return;
    yield heads[best]!;
    heads[best] = await next(best);
  }
}
