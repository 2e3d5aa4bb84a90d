/**
 * Synchronized samples of one recording, from its timelines (never from the recording itself):
 * the sync policy runs over the messages of the streams around the selected segments, and each
 * sample it emits becomes one manifest row with, per stream, channel, log time, stamp and byte
 * location. Pure: takes timelines and returns rows.
 */
import { InvalidInput } from '../platform/errors.js';
import { createEngine, feedOrder, type PolicySpec } from '../sync/index.js';
import type { DatasetDefinition } from './definition.js';
import type { SplitAssigner } from './split.js';
import { splitKey } from './split.js';

/** The columns of one channel's timeline a build reads (see the recordings context). */
export interface StreamTimeline {
  readonly channelKey: number;
  readonly topic: string;
  readonly logTimes: BigInt64Array;
  readonly stamps: BigInt64Array;
  readonly offsets: Float64Array;
  readonly lengths: Uint32Array;
  readonly offsetsInChunk: Int32Array;
}

/** A selected segment of a recording. */
export interface PlannedSegment {
  readonly id: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly tags: readonly string[];
}

/** A recording as a build plans it: which channel each stream reads, and its segments by time. */
export interface PlannedRecording {
  readonly id: string;
  readonly vehicle: string | null;
  readonly objectKey: string;
  /** Per stream of the definition (in order): the channel, or null when the recording lacks it. */
  readonly channels: readonly ({ readonly channelKey: number; readonly topic: string } | null)[];
  readonly segments: readonly PlannedSegment[];
}

/** Growable column storage for samples, one part (row group) at a time. */
export class SampleColumns {
  rows = 0;
  private capacity: number;
  recording: Int32Array;
  segment: Int32Array;
  split: Int32Array;
  time: BigInt64Array;
  readonly streams: {
    present: Uint8Array;
    channel: Int32Array;
    topic: Int32Array;
    logTime: BigInt64Array;
    stamp: BigInt64Array;
    offset: BigInt64Array;
    length: Int32Array;
    offsetInChunk: Int32Array;
  }[];
  /** Strings of the string columns, by index. */
  readonly recordings: string[] = [];
  readonly recordingKeys: string[] = [];
  readonly vehicles: (string | null)[] = [];
  readonly segments: string[] = [];
  readonly topics: string[] = [];
  private readonly topicIndex = new Map<string, number>();
  /** Tags of each segment in `segments`, and how many samples each gave. */
  readonly segmentTags: (readonly string[])[] = [];
  segmentSamples = new Int32Array(64);
  /** Samples per split. */
  readonly splitCounts: number[];
  /** Distinct (split, recording, vehicle, cell) combinations, for the independence check. */
  readonly keys = new Set<string>();

  constructor(
    readonly streamCount: number,
    splitCount: number,
    capacity = 4096,
  ) {
    this.capacity = capacity;
    this.recording = new Int32Array(capacity);
    this.segment = new Int32Array(capacity);
    this.split = new Int32Array(capacity);
    this.time = new BigInt64Array(capacity);
    this.streams = Array.from({ length: streamCount }, () => ({
      present: new Uint8Array(capacity),
      channel: new Int32Array(capacity),
      topic: new Int32Array(capacity),
      logTime: new BigInt64Array(capacity),
      stamp: new BigInt64Array(capacity),
      offset: new BigInt64Array(capacity),
      length: new Int32Array(capacity),
      offsetInChunk: new Int32Array(capacity),
    }));
    this.splitCounts = new Array<number>(splitCount).fill(0);
  }

  /** Starts the samples of a new segment. */
  addSegment(segment: PlannedSegment, key: string): void {
    if (this.segments.length === this.segmentSamples.length) {
      const bigger = new Int32Array(this.segmentSamples.length * 2);
      bigger.set(this.segmentSamples);
      this.segmentSamples = bigger;
    }
    this.segments.push(segment.id);
    this.segmentTags.push(segment.tags);
    this.keys.add(key);
  }

  /** Samples carrying each tag. */
  tagCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    this.segmentTags.forEach((tags, i) => {
      const n = this.segmentSamples[i]!;
      for (const tag of tags) counts.set(tag, (counts.get(tag) ?? 0) + n);
    });
    return counts;
  }

  topicId(topic: string): number {
    let id = this.topicIndex.get(topic);
    if (id === undefined) {
      id = this.topics.length;
      this.topics.push(topic);
      this.topicIndex.set(topic, id);
    }
    return id;
  }

  /** Makes room for one more row and returns its index. */
  next(): number {
    if (this.rows === this.capacity) {
      const grow = <T extends Int32Array | BigInt64Array | Uint8Array>(array: T): T => {
        const bigger = new (array.constructor as new (n: number) => T)(this.capacity * 2);
        bigger.set(array as never);
        return bigger;
      };
      this.recording = grow(this.recording);
      this.segment = grow(this.segment);
      this.split = grow(this.split);
      this.time = grow(this.time);
      for (const s of this.streams) {
        s.present = grow(s.present);
        s.channel = grow(s.channel);
        s.topic = grow(s.topic);
        s.logTime = grow(s.logTime);
        s.stamp = grow(s.stamp);
        s.offset = grow(s.offset);
        s.length = grow(s.length);
        s.offsetInChunk = grow(s.offsetInChunk);
      }
      this.capacity *= 2;
    }
    return this.rows++;
  }
}

function lowerBound(times: BigInt64Array, value: bigint): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const msToNs = 1_000_000n;

function policySpec(definition: DatasetDefinition, names: readonly string[]): PolicySpec {
  const sync = definition.sync;
  const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
  switch (sync.policy) {
    case 'reference':
      return {
        policy: 'reference',
        reference: sync.reference,
        tolerances: Object.fromEntries(
          Object.entries(sync.toleranceMs).map(([name, ms]) => [name, ns(ms)]),
        ),
        defaultTolerance: ns(sync.defaultToleranceMs),
        keepIncomplete: true,
        queueSize: 1000,
      };
    case 'approximate':
      return {
        policy: 'approximate',
        queueSize: 10,
        ...(sync.maxIntervalMs === undefined ? {} : { maxInterval: ns(sync.maxIntervalMs) }),
      };
    case 'slop':
      if (sync.slopMs === undefined)
        throw new InvalidInput('the slop policy needs slopMs', 'definition.sync.slopMs');
      return { policy: 'slop', queueSize: names.length * 10, slop: ns(sync.slopMs) };
  }
}

/**
 * Adds the samples of one recording to `out`. Runs of adjacent selected segments are
 * synchronized together; a sample belongs to the segment holding its reference message's log
 * time, and is kept only when every required stream has a message in it. With a sample rate,
 * a sample is kept when its stamp is at least one period after the last kept one.
 */
export function synchronizeRecording(
  definition: DatasetDefinition,
  recording: PlannedRecording,
  timelines: ReadonlyMap<number, StreamTimeline>,
  splits: SplitAssigner,
  out: SampleColumns,
): number {
  const names = Object.keys(definition.sync.streams);
  const reference = names.indexOf(definition.sync.reference);
  const required = definition.sync.required.map((name) => names.indexOf(name));
  const streams = recording.channels.map((channel) =>
    channel === null ? null : (timelines.get(channel.channelKey) ?? null),
  );
  const referenceTimeline = streams[reference];
  if (referenceTimeline === null || referenceTimeline === undefined) return 0;
  for (const r of required) if (streams[r] === null) return 0;
  const margin =
    BigInt(
      Math.ceil(
        Math.max(
          definition.sync.defaultToleranceMs,
          ...Object.values(definition.sync.toleranceMs),
          definition.sync.slopMs ?? 0,
          definition.sync.maxIntervalMs ?? 0,
        ) + 1000,
      ),
    ) * msToNs;
  const period =
    definition.sampleRateHz === null ? 0n : BigInt(Math.round(1e9 / definition.sampleRateHz));
  const recordingIndex = out.recordings.length;
  out.recordings.push(recording.id);
  out.recordingKeys.push(recording.objectKey);
  out.vehicles.push(recording.vehicle);
  const topicIds = recording.channels.map((channel) =>
    channel === null ? -1 : out.topicId(channel.topic),
  );
  let lastKept: bigint | null = null;
  let added = 0;
  let currentSplit = 0;
  const cellRule = { ...definition.split, by: 'cell' as const };

  // Runs of segments that touch each other are synchronized in one pass.
  const segments = recording.segments;
  let runStart = 0;
  while (runStart < segments.length) {
    let runEnd = runStart + 1;
    while (runEnd < segments.length && segments[runEnd]!.startMs <= segments[runEnd - 1]!.endMs)
      runEnd++;
    const fromNs = BigInt(segments[runStart]!.startMs) * msToNs;
    const toNs = BigInt(segments[runEnd - 1]!.endMs) * msToNs;
    const ranges = streams.map((timeline) =>
      timeline === null
        ? [0, 0]
        : [
            lowerBound(timeline.logTimes, fromNs - margin),
            lowerBound(timeline.logTimes, toNs + margin),
          ],
    );
    let stampBase: bigint | null = null;
    let logBase: bigint | null = null;
    streams.forEach((timeline, s) => {
      if (timeline === null) return;
      const [lo, hi] = ranges[s]!;
      for (let i = lo!; i < hi!; i++) {
        const stamp = timeline.stamps[i]!;
        if (stampBase === null || stamp < stampBase) stampBase = stamp;
      }
      if (hi! > lo! && (logBase === null || timeline.logTimes[lo!]! < logBase))
        logBase = timeline.logTimes[lo!]!;
    });
    if (stampBase === null || logBase === null) {
      runStart = runEnd;
      continue;
    }
    const sBase: bigint = stampBase;
    const lBase: bigint = logBase;
    const logOffsets = streams.map((timeline, s) => {
      if (timeline === null) return new Float64Array(0);
      const [lo, hi] = ranges[s]!;
      const offsets = new Float64Array(hi! - lo!);
      for (let i = lo!; i < hi!; i++) offsets[i - lo!] = Number(timeline.logTimes[i]! - lBase);
      return offsets;
    });
    let segmentIndex = runStart;
    const emit = (ids: Float64Array): void => {
      const refId = ids[reference]!;
      if (refId < 0) return;
      for (const r of required) if (ids[r]! < 0) return;
      const refIndex = ranges[reference]![0]! + refId;
      const refLog = referenceTimeline.logTimes[refIndex]!;
      const refMs = Number(refLog / msToNs);
      while (segmentIndex < runEnd && segments[segmentIndex]!.endMs <= refMs) segmentIndex++;
      const segment = segments[segmentIndex];
      if (segment === undefined || refMs < segment.startMs) return;
      const time = referenceTimeline.stamps[refIndex]!;
      if (period > 0n && lastKept !== null && time - lastKept < period) return;
      lastKept = time;
      const row = out.next();
      out.recording[row] = recordingIndex;
      if (out.segments[out.segments.length - 1] !== segment.id) {
        const subject = {
          recordingId: recording.id,
          vehicle: recording.vehicle,
          lat: segment.lat,
          lon: segment.lon,
        };
        currentSplit = splits.assign(subject);
        out.addSegment(
          segment,
          `${currentSplit}\u0000${recording.id}\u0000${recording.vehicle ?? ''}\u0000${splitKey(cellRule, subject)}`,
        );
      }
      const segmentId = out.segments.length - 1;
      out.segment[row] = segmentId;
      out.segmentSamples[segmentId]! += 1;
      out.split[row] = currentSplit;
      out.splitCounts[currentSplit] = out.splitCounts[currentSplit]! + 1;
      out.time[row] = time;
      for (let s = 0; s < streams.length; s++) {
        const column = out.streams[s]!;
        const timeline = streams[s];
        const id = ids[s]!;
        if (timeline === null || timeline === undefined || id < 0) {
          column.present[row] = 0;
          continue;
        }
        const index = ranges[s]![0]! + id;
        column.present[row] = 1;
        column.channel[row] = recording.channels[s]!.channelKey;
        column.topic[row] = topicIds[s]!;
        column.logTime[row] = timeline.logTimes[index]!;
        column.stamp[row] = timeline.stamps[index]!;
        column.offset[row] = BigInt(timeline.offsets[index]!);
        column.length[row] = timeline.lengths[index]!;
        column.offsetInChunk[row] = timeline.offsetsInChunk[index]!;
      }
      added++;
    };
    const engine = createEngine(names, policySpec(definition, names), emit);
    const order = feedOrder(logOffsets);
    for (let k = 0; k < order.streams.length; k++) {
      const s = order.streams[k]!;
      const m = order.messages[k]!;
      const timeline = streams[s]!;
      engine.push(s, Number(timeline.stamps[ranges[s]![0]! + m]! - sBase), m);
    }
    engine.finish();
    runStart = runEnd;
  }
  return added;
}
