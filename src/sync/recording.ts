/**
 * Synchronizing a recording: one pass over a `RecordingSource` that feeds the chosen channels'
 * messages, with the stamps the formats context extracts (header `stamp` or foxglove
 * `timestamp`, else the log time), to a policy and to the quality report at once. Streaming:
 * memory is bounded by the policy's queues and the report's fixed-size statistics.
 */
import {
  createStampExtractor,
  type ByteLocation,
  type ChannelInfo,
  type RecordingSource,
  type StampExtractor,
} from '../formats/index.js';
import { InvalidInput } from '../platform/errors.js';
import { DEFAULT_TOLERANCE, type PolicySpec } from './policy.js';
import { SyncAnalyzer, type SyncQualityReport } from './quality.js';
import { Synchronizer, type SyncedSet } from './synchronizer.js';
import { TimeBase, type Nanoseconds } from './time.js';

/** A message of a recording as a set refers to it. */
export interface RecordingMessageRef {
  readonly channelId: number;
  readonly topic: string;
  readonly logTime: Nanoseconds;
  /** The stamp the message was synchronized on. */
  readonly stamp: Nanoseconds;
  /** False when the message had no usable header stamp and was synchronized on its log time. */
  readonly stampFromHeader: boolean;
  readonly location?: ByteLocation;
}

/** What to synchronize and how. */
export interface RecordingSyncOptions {
  /** Name of the recording, for error messages. */
  readonly file: string;
  /** The policy; its stream names are channel topics. */
  readonly policy: PolicySpec;
  /** Topics to synchronize; one channel per sensor by default (see `defaultChannels`). */
  readonly channels?: readonly string[];
  /** Called with every set in emission order. */
  readonly onSet?: (set: SyncedSet<RecordingMessageRef>) => void;
  /** Topic the report measures deltas against: the policy's reference, else the lidar, else the slowest channel. */
  readonly reportReference?: string;
  /** Tolerance per topic for the report; the policy's tolerances, else 50 ms. */
  readonly tolerances?: Readonly<Record<string, Nanoseconds>>;
  /** Score below which the report fails the recording; 90 by default. */
  readonly threshold?: number;
  /**
   * A header stamp farther than this from its log time is not on any clock the other sensors
   * share (e.g. time since boot): the message is synchronized on its log time and the report
   * says so. One day by default.
   */
  readonly maxClockOffset?: Nanoseconds;
}

/** Result of synchronizing a recording. */
export interface RecordingSyncResult {
  /** The synchronized topics, in stream order. */
  readonly channels: readonly string[];
  readonly sets: number;
  readonly report: SyncQualityReport;
}

/** Last topic segments of channels that describe rather than sense. */
const auxiliary = new Set([
  'camera_info',
  'tf',
  'tf_static',
  'rosout',
  'rosout_agg',
  'diagnostics',
  'parameter_events',
  'clock',
  'metadata',
]);

/**
 * The default channels: those whose messages carry a stamp, without auxiliary topics
 * (camera_info, tf, diagnostics, …), and per sensor — topics sharing their parent path, e.g.
 * `/sensors/camera/front/image` and `/sensors/camera/front/image/compressed` — the one with the
 * most messages.
 */
export function defaultChannels(
  channels: readonly ChannelInfo[],
  extractors: ReadonlyMap<number, StampExtractor>,
): ChannelInfo[] {
  const bySensor = new Map<string, ChannelInfo>();
  for (const channel of channels) {
    if (extractors.get(channel.id)?.path === 'none') continue;
    const segments = channel.topic.split('/').filter((s) => s !== '');
    if (segments.length === 0 || auxiliary.has(segments[segments.length - 1]!)) continue;
    const dataNames = new Set([
      'image',
      'image_raw',
      'compressed',
      'points',
      'scan',
      'data',
      'fix',
    ]);
    while (segments.length > 1 && dataNames.has(segments[segments.length - 1]!)) segments.pop();
    const sensor = segments.join('/');
    const known = bySensor.get(sensor);
    if (known === undefined || (channel.messageCount ?? 0) > (known.messageCount ?? 0)) {
      bySensor.set(sensor, channel);
    }
  }
  return channels.filter((c) => [...bySensor.values()].includes(c));
}

function reportReference(options: RecordingSyncOptions, chosen: readonly ChannelInfo[]): string {
  if (options.reportReference !== undefined) return options.reportReference;
  if (options.policy.policy === 'reference') return options.policy.reference;
  const lidar = chosen.find((c) => /PointCloud|lidar/i.test(`${c.schemaName} ${c.topic}`));
  if (lidar !== undefined) return lidar.topic;
  const slowest = [...chosen].sort((a, b) => (a.messageCount ?? 0) - (b.messageCount ?? 0))[0];
  return slowest!.topic;
}

/**
 * Synchronizes the channels of a recording with a policy and builds its sync quality report,
 * in one streaming pass.
 */
export async function syncRecording(
  source: RecordingSource,
  options: RecordingSyncOptions,
): Promise<RecordingSyncResult> {
  const summary = await source.summary();
  const extractors = new Map<number, StampExtractor>();
  const extractor = (channel: ChannelInfo): StampExtractor => {
    let known = extractors.get(channel.id);
    if (known === undefined) {
      known = createStampExtractor(channel, { file: options.file });
      extractors.set(channel.id, known);
    }
    return known;
  };
  let chosen: ChannelInfo[];
  if (options.channels === undefined) {
    for (const channel of summary.channels) extractor(channel);
    chosen = defaultChannels(summary.channels, extractors);
  } else {
    chosen = options.channels.map((topic) => {
      const matches = summary.channels.filter((c) => c.topic === topic);
      if (matches.length === 0) {
        throw new InvalidInput(
          `${options.file}: no channel with topic ${topic} (topics: ${summary.channels.map((c) => c.topic).join(', ')})`,
          'channels',
        );
      }
      if (matches.length > 1) {
        throw new InvalidInput(
          `${options.file}: ${matches.length} channels share topic ${topic}; synchronizing needs one`,
          'channels',
        );
      }
      return matches[0]!;
    });
  }
  if (chosen.length === 0) {
    throw new InvalidInput(
      `${options.file}: no channel with stamped messages to synchronize`,
      'channels',
    );
  }
  const topics = chosen.map((c) => c.topic);
  const stream = new Map(chosen.map((c, i) => [c.id, i]));
  const reference = reportReference(options, chosen);
  const referenceIndex = topics.indexOf(reference);
  if (referenceIndex < 0) {
    throw new InvalidInput(
      `${options.file}: reference ${reference} is not among the synchronized channels`,
      'reference',
    );
  }
  const policyTolerances =
    options.policy.policy === 'reference' ? (options.policy.tolerances ?? {}) : {};
  const fallback =
    options.policy.policy === 'reference'
      ? (options.policy.defaultTolerance ?? DEFAULT_TOLERANCE)
      : DEFAULT_TOLERANCE;
  const tolerances = topics.map((topic) =>
    Number(options.tolerances?.[topic] ?? policyTolerances[topic] ?? fallback),
  );

  const synchronizer = new Synchronizer<RecordingMessageRef>(topics, options.policy);
  const base = new TimeBase();
  const analyzer = new SyncAnalyzer(topics, base, {
    reference: referenceIndex,
    tolerancesNs: tolerances,
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
  });
  const maxOffset = options.maxClockOffset ?? 86_400_000_000_000n;
  let sets = 0;
  const emit = (out: SyncedSet<RecordingMessageRef>[]): void => {
    sets += out.length;
    if (options.onSet !== undefined) for (const set of out) options.onSet(set);
  };
  for await (const message of source.messages({ channelIds: chosen.map((c) => c.id) })) {
    const s = stream.get(message.channelId);
    if (s === undefined) continue;
    const channel = chosen[s]!;
    const stamp = extractor(channel).stamp(message);
    const offset = stamp.time - message.logTime;
    const plausible = stamp.fromHeader && offset <= maxOffset && offset >= -maxOffset;
    const syncStamp = plausible ? stamp.time : message.logTime;
    analyzer.add(
      s,
      base.offset(syncStamp, `${options.file}: ${channel.topic} stamp`),
      stamp.fromHeader ? stamp.time : undefined,
      message.logTime,
      plausible ? 'header' : 'logTime',
    );
    emit(
      synchronizer.push(s, syncStamp, {
        channelId: channel.id,
        topic: channel.topic,
        logTime: message.logTime,
        stamp: syncStamp,
        stampFromHeader: plausible,
        ...(message.location === undefined ? {} : { location: message.location }),
      }),
    );
  }
  emit(synchronizer.end());
  return { channels: topics, sets, report: analyzer.finish() };
}
