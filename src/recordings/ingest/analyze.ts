import {
  createStampExtractor,
  DbcDecoder,
  parseDbc,
  type ChannelInfo,
  type RecordingAttachment,
  type RecordingMetadata,
  type RecordingSource,
  type StampExtractor,
} from '../../formats/index.js';
import { extendBox, type BoundingBox } from '../geo.js';
import { classifySensor, sensors, type Sensor } from '../sensors.js';
import { contextReader, type ContextReader } from './context.js';
import { metadataTags, SegmentAccumulator, type SegmentSummary } from './segments.js';
import type { ChannelTimelineWriter, TimelineWriter } from './timelines.js';

/** One channel as the analysis found it. */
export interface ChannelAnalysis {
  readonly channelKey: number;
  readonly topic: string;
  readonly schemaName: string;
  readonly schemaEncoding: string;
  readonly messageEncoding: string;
  readonly sensor: Sensor;
  readonly messageCount: number;
  readonly startNs: bigint | null;
  readonly endNs: bigint | null;
  readonly frequencyHz: number | null;
  /** Longest pause between consecutive messages, in ms (null with fewer than two messages). */
  readonly maxGapMs: number | null;
  /** Pauses longer than three nominal periods: where messages were dropped. */
  readonly gapCount: number;
  /** How stamps are read: from a fixed offset, by decoding, or not at all (log time). */
  readonly stampPath: StampExtractor['path'];
}

/** What ingest learns about a recording. */
export interface RecordingAnalysis {
  readonly channels: readonly ChannelAnalysis[];
  readonly metadata: readonly RecordingMetadata[];
  readonly messageCount: number;
  readonly startNs: bigint | null;
  readonly endNs: bigint | null;
  readonly segments: readonly SegmentSummary[];
  readonly bbox: BoundingBox | undefined;
  /** The country most of the recording's located segments lie in. */
  readonly country: string | null;
  readonly profile?: string;
  readonly library?: string;
  /** True when every message was read (timelines written); false for an index-only catalogue. */
  readonly complete: boolean;
}

export interface AnalyzeOptions {
  /** Names the file in errors. */
  readonly file: string;
  readonly segmentMs?: number;
  readonly signal?: AbortSignal;
  /** A DBC for the recording's CAN channels (speed and position signals). */
  readonly dbc?: DbcDecoder;
  /** Called now and then with the number of messages read. */
  readonly onProgress?: (messages: number) => void;
}

const NS_PER_MS = 1_000_000n;

interface ChannelState {
  readonly info: ChannelInfo;
  readonly sensor: Sensor;
  readonly stamps: StampExtractor;
  context: ContextReader | undefined;
  readonly sensorBit: number;
  readonly timeline: ChannelTimelineWriter;
  count: number;
  start: bigint | null;
  end: bigint | null;
}

const logTimeStamps: StampExtractor = {
  path: 'none',
  stamp: (message) => ({ time: message.logTime, fromHeader: false }),
};

/**
 * The channel's stamp extractor; a channel whose schema drivetrain cannot parse keeps its log
 * times as stamps (and says so), rather than making the whole recording unreadable.
 */
function stampExtractor(info: ChannelInfo, file: string): StampExtractor {
  try {
    return createStampExtractor(info, { file });
  } catch {
    return logTimeStamps;
  }
}

function frequency(count: number, start: bigint | null, end: bigint | null): number | null {
  if (count < 2 || start === null || end === null || end <= start) return null;
  return (count - 1) / (Number(end - start) / 1e9);
}

function majorityCountry(segments: readonly SegmentSummary[]): string | null {
  const counts = new Map<string, number>();
  for (const segment of segments) {
    if (segment.country !== null)
      counts.set(segment.country, (counts.get(segment.country) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [country, count] of counts) {
    if (count > bestCount) [best, bestCount] = [country, count];
  }
  return best;
}

function boxOf(
  segments: readonly SegmentSummary[],
  positions: BoundingBox | undefined,
): BoundingBox | undefined {
  let box = positions;
  for (const segment of segments) {
    if (segment.lat !== null && segment.lon !== null)
      box = extendBox(box, segment.lat, segment.lon);
  }
  return box;
}

/**
 * Cataloguing from the index alone: channels, counts, time ranges and rates from the file's
 * summary, segments with the sensors each channel's time range covers. Reads only what the
 * reader needs for its summary (for an indexed MCAP: the summary section).
 */
export async function catalogue(
  source: RecordingSource,
  options: AnalyzeOptions,
): Promise<RecordingAnalysis> {
  const summary = await source.summary();
  const accumulator = new SegmentAccumulator();
  const channels: ChannelAnalysis[] = summary.channels.map((info) => {
    const sensor = classifySensor(info.topic, info.schemaName);
    const start = info.startTime ?? null;
    const end = info.endTime ?? null;
    if (start !== null && end !== null) {
      accumulator.sensorRange(sensor, Number(start / NS_PER_MS), Number(end / NS_PER_MS));
    }
    return {
      channelKey: info.id,
      topic: info.topic,
      schemaName: info.schemaName,
      schemaEncoding: info.schemaEncoding,
      messageEncoding: info.messageEncoding,
      sensor,
      messageCount: info.messageCount ?? 0,
      startNs: start,
      endNs: end,
      frequencyHz: frequency(info.messageCount ?? 0, start, end),
      maxGapMs: null,
      gapCount: 0,
      stampPath: 'none',
    };
  });
  const startNs = summary.startTime ?? null;
  const endNs = summary.endTime ?? null;
  const segments =
    startNs === null || endNs === null
      ? []
      : accumulator.finish(
          Number(startNs / NS_PER_MS),
          Number(endNs / NS_PER_MS),
          metadataTags(summary.metadata),
          options.segmentMs,
        );
  return {
    channels,
    metadata: summary.metadata,
    messageCount: summary.messageCount ?? channels.reduce((sum, c) => sum + c.messageCount, 0),
    startNs,
    endNs,
    segments,
    bbox: undefined,
    country: null,
    ...(summary.profile === undefined ? {} : { profile: summary.profile }),
    ...(summary.library === undefined ? {} : { library: summary.library }),
    complete: false,
  };
}

/**
 * Reads every message once: per-channel counts, rates and gaps, acquisition stamps and byte
 * locations (written as the recording's timelines), positions and speeds into segments.
 * Memory stays bounded: message payloads are not kept, timelines go to scratch files.
 */
export async function analyze(
  source: RecordingSource,
  timelines: TimelineWriter,
  options: AnalyzeOptions,
): Promise<RecordingAnalysis> {
  const file = options.file;
  const accumulator = new SegmentAccumulator();
  let positions: BoundingBox | undefined;
  const sink = {
    position(timeMs: number, lat: number, lon: number) {
      accumulator.position(timeMs, lat, lon);
      positions = extendBox(positions, lat, lon);
    },
    speed: (timeMs: number, kmh: number) => accumulator.speed(timeMs, kmh),
  };
  const states = new Map<number, ChannelState>();
  const metadata: RecordingMetadata[] = [];
  // CAN channels name their DBC in channel metadata (`dbc`), as an attachment of the file; an
  // explicit DBC given to ingest wins.
  const dbcs = new Map<string, DbcDecoder>();
  const dbcFor = (info: ChannelInfo): DbcDecoder | undefined =>
    options.dbc ??
    dbcs.get(info.metadata.dbc ?? '') ??
    (dbcs.size === 1 ? [...dbcs.values()][0] : undefined);
  const addAttachment = (attachment: RecordingAttachment): void => {
    if (!attachment.name.toLowerCase().endsWith('.dbc')) return;
    try {
      dbcs.set(
        attachment.name,
        new DbcDecoder(parseDbc(new TextDecoder().decode(attachment.data), attachment.name)),
      );
    } catch {
      return; // a broken DBC leaves the CAN channels without decoded context, nothing more
    }
    for (const state of states.values()) {
      if (state.sensor === 'can' && state.context === undefined) {
        state.context = contextReader(state.info, state.sensor, dbcFor(state.info), sink, file);
      }
    }
  };
  const addChannel = (info: ChannelInfo): void => {
    if (states.has(info.id)) return;
    const sensor = classifySensor(info.topic, info.schemaName);
    const stamps = stampExtractor(info, file);
    states.set(info.id, {
      info,
      sensor,
      stamps,
      context: contextReader(info, sensor, dbcFor(info), sink, file),
      sensorBit: 1 << sensors.indexOf(sensor),
      timeline: timelines.channel(info.id, info.topic, sensor, stamps.path !== 'none'),
      count: 0,
      start: null,
      end: null,
    });
  };

  // A file read front to back reveals its channels as it goes; any other reader knows them
  // from its index before the first message.
  const streamed = 'mode' in source && source.mode === 'streamed';
  let summary: Awaited<ReturnType<RecordingSource['summary']>> | undefined;
  if (!streamed) {
    summary = await source.summary();
    metadata.push(...summary.metadata);
    for (const info of summary.channels) {
      const name = info.metadata.dbc;
      if (name !== undefined && !dbcs.has(name)) {
        const attachment = await source.attachment?.(name);
        if (attachment !== undefined) addAttachment(attachment);
      }
    }
    for (const info of summary.channels) addChannel(info);
  }
  const query = streamed
    ? {
        onChannel: addChannel,
        onMetadata: (record: RecordingMetadata) => metadata.push(record),
        onAttachment: addAttachment,
      }
    : {};

  let total = 0;
  let lastSecond = -1;
  let lastSensorsMask = 0;
  for await (const message of source.messages(query)) {
    const state = states.get(message.channelId);
    if (state === undefined) continue;
    const logTime = message.logTime;
    state.count += 1;
    if (state.start === null || logTime < state.start) state.start = logTime;
    if (state.end === null || logTime > state.end) state.end = logTime;
    const stamp = state.stamps.stamp(message);
    const location = message.location;
    state.timeline.append(
      logTime,
      stamp.time,
      location?.offset ?? -1,
      location?.length ?? 0,
      location?.offsetInChunk ?? -1,
    );
    // Presence per second: skip the map lookup while the same sensors keep talking in one second.
    const timeMs = Number(logTime / NS_PER_MS);
    const second = Math.floor(timeMs / 1000);
    if (second !== lastSecond || (lastSensorsMask & state.sensorBit) === 0) {
      if (second !== lastSecond) lastSensorsMask = 0;
      lastSecond = second;
      lastSensorsMask |= state.sensorBit;
      accumulator.sensorMessage(state.sensor, timeMs);
    }
    state.context?.(message);
    total += 1;
    if ((total & 0xffff) === 0) {
      options.signal?.throwIfAborted();
      options.onProgress?.(total);
    }
  }
  options.onProgress?.(total);

  const channels: ChannelAnalysis[] = [];
  let start: bigint | null = null;
  let end: bigint | null = null;
  for (const state of [...states.values()].sort((a, b) => a.info.id - b.info.id)) {
    const gaps = gapStatistics(
      timelines,
      state.info.id,
      state.count,
      state.start,
      state.end,
      state.sensor,
    );
    if (state.start !== null && (start === null || state.start < start)) start = state.start;
    if (state.end !== null && (end === null || state.end > end)) end = state.end;
    channels.push({
      channelKey: state.info.id,
      topic: state.info.topic,
      schemaName: state.info.schemaName,
      schemaEncoding: state.info.schemaEncoding,
      messageEncoding: state.info.messageEncoding,
      sensor: state.sensor,
      messageCount: state.count,
      startNs: state.start,
      endNs: state.end,
      frequencyHz: frequency(state.count, state.start, state.end),
      maxGapMs: gaps.maxGapMs,
      gapCount: gaps.gapCount,
      stampPath: state.stamps.path,
    });
  }
  const segments =
    start === null || end === null
      ? []
      : accumulator.finish(
          Number(start / NS_PER_MS),
          Number(end / NS_PER_MS),
          metadataTags(metadata),
          options.segmentMs,
        );
  return {
    channels,
    metadata,
    messageCount: total,
    startNs: start,
    endNs: end,
    segments,
    bbox: boxOf(segments, positions),
    country: majorityCountry(segments),
    ...(summary?.profile === undefined ? {} : { profile: summary.profile }),
    ...(summary?.library === undefined ? {} : { library: summary.library }),
    complete: true,
  };
}

/**
 * Exact gap statistics of one channel, from its log times re-read from the timeline scratch
 * column: the nominal period is known only once the channel's count and span are.
 */
function gapStatistics(
  timelines: TimelineWriter,
  channelKey: number,
  count: number,
  start: bigint | null,
  end: bigint | null,
  sensor: Sensor,
): { maxGapMs: number | null; gapCount: number } {
  if (count < 2 || start === null || end === null) return { maxGapMs: null, gapCount: 0 };
  // A sensor publishes periodically, so a pause of three periods means dropped messages. A bus
  // channel multiplexes many frame rates; for it only a pause of the bus itself (100 ms) counts.
  const threshold = sensor === 'can' ? 100e6 : (3 * Number(end - start)) / (count - 1);
  let previous: bigint | undefined;
  let maxGap = 0;
  let gapCount = 0;
  for (const block of timelines.logTimes(channelKey)) {
    for (const time of block) {
      if (previous !== undefined && time > previous) {
        const gap = Number(time - previous);
        if (gap > maxGap) maxGap = gap;
        if (gap > threshold) gapCount += 1;
      }
      previous = time;
    }
  }
  return { maxGapMs: maxGap / 1e6, gapCount };
}
