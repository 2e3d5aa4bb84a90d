/**
 * Running a policy over whole stamp streams: the feed order (log time, then stream order,
 * then message order) and the mapping between bigint stamps and the engines' number offsets.
 */
import { createEngine, type PolicySpec } from './policy.js';
import type { StampSet, StampStream } from './stamps.js';
import { TimeBase } from './time.js';

/** The arrival order of a set of streams: parallel arrays of stream and message index. */
export interface FeedOrder {
  readonly streams: Uint32Array;
  readonly messages: Uint32Array;
}

/**
 * Orders messages by log time; ties go to the earlier stream, then to the earlier message of
 * the stream. A stream whose log times are not sorted is put in order first (stably): the
 * file's order of messages does not matter, only their log times.
 */
export function feedOrder(logTimes: readonly Float64Array[]): FeedOrder {
  const total = logTimes.reduce((sum, times) => sum + times.length, 0);
  const orders = logTimes.map(sortedIndices);
  const streams = new Uint32Array(total);
  const messages = new Uint32Array(total);
  // A binary heap of stream indices keyed by (log time of the stream's next message, stream).
  const next = new Uint32Array(logTimes.length);
  const heap: number[] = [];
  const key = (s: number): number => logTimes[s]![orders[s]![next[s]!]!]!;
  const less = (a: number, b: number): boolean => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb || (ka === kb && a < b);
  };
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let s = 0; s < logTimes.length; s++) {
    if (logTimes[s]!.length === 0) continue;
    heap.push(s);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }
  for (let k = 0; k < total; k++) {
    const s = heap[0]!;
    streams[k] = s;
    messages[k] = orders[s]![next[s]!]!;
    next[s] = next[s]! + 1;
    if (next[s] === logTimes[s]!.length) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    siftDown(0);
  }
  return { streams, messages };
}

function sortedIndices(times: Float64Array): Uint32Array {
  const order = new Uint32Array(times.length);
  let sorted = true;
  for (let i = 0; i < times.length; i++) {
    order[i] = i;
    if (i > 0 && times[i]! < times[i - 1]!) sorted = false;
  }
  if (!sorted) order.sort((a, b) => times[a]! - times[b]! || a - b);
  return order;
}

/** Stamps and log times of streams as exact offsets from the first stamp and first log time. */
export interface OffsetStreams {
  readonly stampBase: TimeBase;
  readonly stamps: Float64Array[];
  readonly logTimes: Float64Array[];
}

/** Converts bigint stamps and log times to exact number offsets; throws on a run wider than 52 days. */
export function toOffsets(streams: readonly StampStream[]): OffsetStreams {
  const stampBase = new TimeBase();
  const logBase = new TimeBase();
  const stamps = streams.map((stream, s) =>
    Float64Array.from(stream.messages, (m, i) =>
      stampBase.offset(m.stamp, `streams[${s}].messages[${i}].stamp`),
    ),
  );
  const logTimes = streams.map((stream, s) =>
    Float64Array.from(stream.messages, (m, i) =>
      logBase.offset(m.logTime, `streams[${s}].messages[${i}].logTime`),
    ),
  );
  return { stampBase, stamps, logTimes };
}

/**
 * Runs a policy over whole streams, feeding their messages in arrival order, and returns the
 * sets in emission order: one stamp per stream, null where a kept incomplete sample misses a
 * stream. For an interpolated stream of the reference policy the set holds the reference
 * stamp, the time its value is interpolated to.
 */
export function synchronizeStamps(streams: readonly StampStream[], spec: PolicySpec): StampSet[] {
  const { stampBase, stamps, logTimes } = toOffsets(streams);
  const order = feedOrder(logTimes);
  const sets: StampSet[] = [];
  const engine = createEngine(
    streams.map((stream) => stream.name),
    spec,
    (ids, sample) => {
      const set: (bigint | null)[] = [];
      for (let s = 0; s < ids.length; s++) {
        const id = ids[s]!;
        if (id < 0) set.push(null);
        else if (sample !== undefined && sample.afterIds[s] !== id)
          set.push(stampBase.absolute(sample.time));
        else set.push(streams[s]!.messages[id]!.stamp);
      }
      sets.push(set);
    },
  );
  for (let k = 0; k < order.streams.length; k++) {
    const s = order.streams[k]!;
    const m = order.messages[k]!;
    engine.push(s, stamps[s]![m]!, m);
  }
  engine.finish();
  return sets;
}
