/**
 * Synchronized samples of one recording, from its timelines (never from the recording itself):
 * the sync policy runs over the messages of the streams around the selected segments, and each
 * sample it emits becomes one manifest row with, per stream, channel, log time, stamp and byte
 * location. Pure: takes timelines and returns rows.
 */
import { InvalidInput } from '../platform/errors.js';
import { createEngine, feedOrder, type PolicySpec, type SyncEngine } from '../sync/index.js';
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

/** The two 32-bit words of each value of an int64 column (little endian: low word first). */
function words(column: BigInt64Array): Int32Array {
  return new Int32Array(column.buffer, column.byteOffset, column.length * 2);
}

/** Columns of one stream; the int64 ones also as words, which copy without making bigints. */
class StreamColumns {
  present: Uint8Array;
  channel: Int32Array;
  topic: Int32Array;
  logTime: BigInt64Array;
  stamp: BigInt64Array;
  offset: BigInt64Array;
  length: Int32Array;
  offsetInChunk: Int32Array;
  logTimeWords: Int32Array;
  stampWords: Int32Array;
  offsetWords: Int32Array;

  constructor(capacity: number) {
    this.present = new Uint8Array(capacity);
    this.channel = new Int32Array(capacity);
    this.topic = new Int32Array(capacity);
    this.logTime = new BigInt64Array(capacity);
    this.stamp = new BigInt64Array(capacity);
    this.offset = new BigInt64Array(capacity);
    this.length = new Int32Array(capacity);
    this.offsetInChunk = new Int32Array(capacity);
    this.logTimeWords = words(this.logTime);
    this.stampWords = words(this.stamp);
    this.offsetWords = words(this.offset);
  }

  /** Copies the first `rows` rows into columns of `capacity` rows. */
  grown(capacity: number, rows: number): StreamColumns {
    const bigger = new StreamColumns(capacity);
    bigger.present.set(this.present.subarray(0, rows));
    bigger.channel.set(this.channel.subarray(0, rows));
    bigger.topic.set(this.topic.subarray(0, rows));
    bigger.logTime.set(this.logTime.subarray(0, rows));
    bigger.stamp.set(this.stamp.subarray(0, rows));
    bigger.offset.set(this.offset.subarray(0, rows));
    bigger.length.set(this.length.subarray(0, rows));
    bigger.offsetInChunk.set(this.offsetInChunk.subarray(0, rows));
    return bigger;
  }
}

/** Growable column storage for samples, one part (row group) at a time. */
export class SampleColumns {
  rows = 0;
  private capacity: number;
  recording: Int32Array;
  segment: Int32Array;
  split: Int32Array;
  time: BigInt64Array;
  timeWords: Int32Array;
  streams: StreamColumns[];
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
    this.timeWords = words(this.time);
    this.streams = Array.from({ length: streamCount }, () => new StreamColumns(capacity));
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

  /** Makes room for `more` rows after the current ones at once, so that adding them never grows. */
  reserve(more: number): void {
    const needed = this.rows + more;
    if (needed <= this.capacity) return;
    let capacity = this.capacity * 2;
    while (capacity < needed) capacity *= 2;
    const rows = this.rows;
    const recording = new Int32Array(capacity);
    recording.set(this.recording.subarray(0, rows));
    const segment = new Int32Array(capacity);
    segment.set(this.segment.subarray(0, rows));
    const split = new Int32Array(capacity);
    split.set(this.split.subarray(0, rows));
    const time = new BigInt64Array(capacity);
    time.set(this.time.subarray(0, rows));
    this.recording = recording;
    this.segment = segment;
    this.split = split;
    this.time = time;
    this.timeWords = words(time);
    this.streams = this.streams.map((s) => s.grown(capacity, rows));
    this.capacity = capacity;
  }

  /** Makes room for one more row and returns its index. */
  next(): number {
    if (this.rows === this.capacity) this.reserve(1);
    return this.rows++;
  }
}

/** The index of the first value of `times` not below `value`. */
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

const twoTo32 = 4294967296;

/**
 * Index in [lo, hi) of the smallest value of an int64 column given as words; comparing words
 * makes no bigint per value.
 */
function smallestAt(column: Int32Array, lo: number, hi: number): number {
  let best = lo;
  let bestHigh = column[2 * lo + 1]!;
  let bestLow = column[2 * lo]! >>> 0;
  for (let i = lo + 1; i < hi; i++) {
    const high = column[2 * i + 1]!;
    if (high > bestHigh) continue;
    const low = column[2 * i]! >>> 0;
    if (high < bestHigh || low < bestLow) {
      best = i;
      bestHigh = high;
      bestLow = low;
    }
  }
  return best;
}

/**
 * `Number(column[i] - base)` for i in [lo, hi), from words. Exact while the difference is
 * below 2^53, and rounded as `Number` rounds beyond: both terms are exact, and their sum is
 * rounded once, to nearest.
 */
function offsetsFrom(column: Int32Array, lo: number, hi: number, base: bigint): Float64Array {
  const baseHigh = Number(base >> 32n);
  const baseLow = Number(base & 0xffffffffn);
  const out = new Float64Array(hi - lo);
  for (let i = lo; i < hi; i++)
    out[i - lo] = (column[2 * i + 1]! - baseHigh) * twoTo32 + ((column[2 * i]! >>> 0) - baseLow);
  return out;
}

/** Whether values never decrease. */
function ascending(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
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
 * Pushes every message of a run into the engine in `feedOrder`'s order: by log time, ties to
 * the earlier stream, then to the earlier message. Streams already in log-time order (the
 * usual case) are merged as they are, without building that order. A function of its own: V8
 * compiles the whole function around a hot loop, and this one is small.
 */
function feed(engine: SyncEngine, logOffsets: Float64Array[], stampOffsets: Float64Array[]): void {
  if (!logOffsets.every(ascending)) {
    const order = feedOrder(logOffsets);
    for (let k = 0; k < order.streams.length; k++) {
      const s = order.streams[k]!;
      const m = order.messages[k]!;
      engine.push(s, stampOffsets[s]![m]!, m);
    }
    return;
  }
  const streamCount = logOffsets.length;
  const next = new Int32Array(streamCount);
  for (;;) {
    let chosen = -1;
    let earliest = 0;
    for (let s = 0; s < streamCount; s++) {
      const times = logOffsets[s]!;
      const m = next[s]!;
      if (m < times.length && (chosen < 0 || times[m]! < earliest)) {
        chosen = s;
        earliest = times[m]!;
      }
    }
    if (chosen < 0) return;
    const m = next[chosen]!;
    next[chosen] = m + 1;
    engine.push(chosen, stampOffsets[chosen]![m]!, m);
  }
}

/** Floor division of an int64 by 10^6, and the remainder, as numbers. */
function splitMs(ns: bigint): { ms: number; rest: number } {
  let ms = ns / msToNs;
  if (ms * msToNs > ns) ms -= 1n;
  return { ms: Number(ms), rest: Number(ns - ms * msToNs) };
}

/**
 * Adds the samples of one recording to `out`. Runs of adjacent selected segments are
 * synchronized together; a sample belongs to the segment holding its reference message's log
 * time, and is kept only when every required stream has a message in it. With a sample rate,
 * a sample is kept when its stamp is at least one period after the last kept one.
 *
 * Stamps and log times stay in their int64 columns and are read as 32-bit words: offsets
 * for the policy, comparisons and copies into `out` make no bigint per message.
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
  const required = Int32Array.from(definition.sync.required, (name) => names.indexOf(name));
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
  const streamCount = streams.length;
  const topicIds = Int32Array.from(recording.channels, (channel) =>
    channel === null ? -1 : out.topicId(channel.topic),
  );
  const channelKeys = Int32Array.from(recording.channels, (channel) =>
    channel === null ? -1 : channel.channelKey,
  );
  const logWords = streams.map((t) => (t === null ? new Int32Array(0) : words(t.logTimes)));
  const stampWords = streams.map((t) => (t === null ? new Int32Array(0) : words(t.stamps)));
  const referenceStamps = stampWords[reference]!;
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
    const starts = new Int32Array(streamCount);
    const ends = new Int32Array(streamCount);
    let stampBase: bigint | null = null;
    let logBase: bigint | null = null;
    for (let s = 0; s < streamCount; s++) {
      const timeline = streams[s];
      if (timeline === null || timeline === undefined) continue;
      const lo = lowerBound(timeline.logTimes, fromNs - margin);
      const hi = lowerBound(timeline.logTimes, toNs + margin);
      starts[s] = lo;
      ends[s] = hi;
      if (hi === lo) continue;
      const stamp = timeline.stamps[smallestAt(stampWords[s]!, lo, hi)]!;
      if (stampBase === null || stamp < stampBase) stampBase = stamp;
      if (logBase === null || timeline.logTimes[lo]! < logBase) logBase = timeline.logTimes[lo]!;
    }
    if (stampBase === null || logBase === null) {
      runStart = runEnd;
      continue;
    }
    const logOffsets = streams.map((_, s) =>
      offsetsFrom(logWords[s]!, starts[s]!, ends[s]!, logBase),
    );
    const stampOffsets = streams.map((_, s) =>
      offsetsFrom(stampWords[s]!, starts[s]!, ends[s]!, stampBase),
    );
    const referenceLogOffsets = logOffsets[reference]!;
    const referenceStart = starts[reference]!;
    const { ms: logBaseMs, rest: logBaseRest } = splitMs(logBase);
    // Every sample is a distinct message of the reference stream: rows never grow inside a run.
    out.reserve(ends[reference]! - referenceStart);
    let segmentIndex = runStart;
    const emit = (ids: Float64Array): void => {
      const refId = ids[reference]!;
      if (refId < 0) return;
      for (let k = 0; k < required.length; k++) if (ids[required[k]!]! < 0) return;
      const refIndex = referenceStart + refId;
      // The reference log time in whole ms, truncated towards zero as bigint division does.
      const logOffset = referenceLogOffsets[refId]!;
      let refMs: number;
      if (Math.abs(logOffset) < 2 ** 52) {
        const ns = logBaseRest + logOffset;
        let ms = Math.floor(ns / 1e6);
        if (ms * 1e6 > ns) ms -= 1;
        else if ((ms + 1) * 1e6 <= ns) ms += 1;
        refMs = logBaseMs + ms;
        if (refMs < 0 && ns !== ms * 1e6) refMs += 1;
      } else {
        refMs = Number(referenceTimeline.logTimes[refIndex]! / msToNs);
      }
      while (segmentIndex < runEnd && segments[segmentIndex]!.endMs <= refMs) segmentIndex++;
      const segment = segments[segmentIndex];
      if (segment === undefined || refMs < segment.startMs) return;
      if (period > 0n) {
        const time = referenceTimeline.stamps[refIndex]!;
        if (lastKept !== null && time - lastKept < period) return;
        lastKept = time;
      }
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
      out.timeWords[2 * row] = referenceStamps[2 * refIndex]!;
      out.timeWords[2 * row + 1] = referenceStamps[2 * refIndex + 1]!;
      for (let s = 0; s < streamCount; s++) {
        const column = out.streams[s]!;
        const timeline = streams[s];
        const id = ids[s]!;
        if (timeline === null || timeline === undefined || id < 0) {
          column.present[row] = 0;
          continue;
        }
        const index = starts[s]! + id;
        column.present[row] = 1;
        column.channel[row] = channelKeys[s]!;
        column.topic[row] = topicIds[s]!;
        const log = logWords[s]!;
        column.logTimeWords[2 * row] = log[2 * index]!;
        column.logTimeWords[2 * row + 1] = log[2 * index + 1]!;
        const stamp = stampWords[s]!;
        column.stampWords[2 * row] = stamp[2 * index]!;
        column.stampWords[2 * row + 1] = stamp[2 * index + 1]!;
        const offset = timeline.offsets[index]!;
        const high = Math.floor(offset / twoTo32);
        column.offsetWords[2 * row] = (offset - high * twoTo32) | 0;
        column.offsetWords[2 * row + 1] = high;
        column.length[row] = timeline.lengths[index]!;
        column.offsetInChunk[row] = timeline.offsetsInChunk[index]!;
      }
      added++;
    };
    const engine = createEngine(names, policySpec(definition, names), emit);
    feed(engine, logOffsets, stampOffsets);
    engine.finish();
    runStart = runEnd;
  }
  return added;
}
