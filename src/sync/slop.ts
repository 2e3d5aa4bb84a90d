/**
 * The `slop` policy: the same sets as ROS 1 message_filters' Python
 * `ApproximateTimeSynchronizer(fs, queue_size, slop)` given the same messages in the same
 * arrival order (ADR 042).
 *
 * What the Python synchronizer does on each message, and what is kept here:
 * - each stream's queue is a dict keyed by stamp, in insertion order; a message whose stamp is
 *   already queued replaces that entry in place; past `queue_size` entries the smallest stamp
 *   is deleted (possibly the message just added, which then cannot be used);
 * - for every other stream it lists the queued stamps within `slop` of the new one (inclusive),
 *   sorted by distance (ties in insertion order), and gives up if a list is empty;
 * - it walks the Cartesian product of those lists (first stream slowest) and emits the first
 *   combination, with the new stamp in its own place, whose span is strictly below `slop`.
 * The product can be exponential in the number of streams; here the first combination in
 * product order is found directly, choosing each stream's entry in list order and keeping it
 * only if the remaining streams can still complete a set (a window test), so the work is
 * polynomial while the result is the same.
 */
import { InvalidInput } from '../platform/errors.js';
import type { SetSink, SyncEngine } from './engine.js';

/** Parameters of the `slop` policy, as in the Python ApproximateTimeSynchronizer. */
export interface SlopOptions {
  /** Entries kept per stream. */
  readonly queueSize: number;
  /** Largest distance between stamps of a set, in whole ns (a set's span is strictly below it). */
  readonly slopNs: number;
}

/** One stream's queue: stamps and ids in insertion order, stamps unique. */
class InsertionQueue {
  readonly stamps: Float64Array;
  readonly ids: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.stamps = new Float64Array(capacity);
    this.ids = new Float64Array(capacity);
  }

  indexOf(stamp: number): number {
    const stamps = this.stamps;
    for (let k = 0; k < this.length; k++) if (stamps[k] === stamp) return k;
    return -1;
  }

  removeAt(k: number): void {
    this.stamps.copyWithin(k, k + 1, this.length);
    this.ids.copyWithin(k, k + 1, this.length);
    this.length--;
  }
}

/** Streaming `slop` policy over `streamCount` streams. */
export class SlopPolicy implements SyncEngine {
  readonly streamCount: number;
  private readonly queueSize: number;
  private readonly slop: number;
  private readonly queues: InsertionQueue[];
  /** Per other stream (in stream order, the new message's own stream left out): candidates. */
  private readonly lists: Float64Array[];
  private readonly listLengths: Int32Array;
  private readonly deltas: Float64Array[];
  private readonly sorted: Float64Array[];
  private readonly listStreams: Int32Array;
  private readonly chosen: Float64Array;
  private readonly out: Float64Array;

  constructor(
    streamCount: number,
    options: SlopOptions,
    private readonly sink: SetSink,
  ) {
    if (!Number.isInteger(streamCount) || streamCount < 1) {
      throw new InvalidInput(
        `the slop policy needs at least 1 stream, got ${streamCount}`,
        'streams',
      );
    }
    if (!Number.isInteger(options.queueSize) || options.queueSize < 1) {
      throw new InvalidInput(
        `queue size must be a positive integer, got ${options.queueSize}`,
        'queueSize',
      );
    }
    if (!Number.isSafeInteger(options.slopNs) || options.slopNs < 0) {
      throw new InvalidInput(`slop must be whole nanoseconds >= 0, got ${options.slopNs}`, 'slop');
    }
    this.streamCount = streamCount;
    this.queueSize = options.queueSize;
    this.slop = options.slopNs;
    const capacity = options.queueSize + 1;
    this.queues = Array.from({ length: streamCount }, () => new InsertionQueue(capacity));
    this.lists = Array.from({ length: streamCount }, () => new Float64Array(capacity));
    this.deltas = Array.from({ length: streamCount }, () => new Float64Array(capacity));
    this.sorted = Array.from({ length: streamCount }, () => new Float64Array(capacity));
    this.listLengths = new Int32Array(streamCount);
    this.listStreams = new Int32Array(streamCount);
    this.chosen = new Float64Array(streamCount);
    this.out = new Float64Array(streamCount);
  }

  push(stream: number, stamp: number, id: number): void {
    const own = this.queues[stream];
    if (own === undefined) throw new InvalidInput(`no stream ${stream}`, 'stream');
    const existing = own.indexOf(stamp);
    if (existing >= 0) {
      own.ids[existing] = id;
    } else {
      own.stamps[own.length] = stamp;
      own.ids[own.length] = id;
      own.length++;
    }
    while (own.length > this.queueSize) own.removeAt(smallest(own));

    const slop = this.slop;
    let listCount = 0;
    for (let s = 0; s < this.streamCount; s++) {
      if (s === stream) continue;
      const queue = this.queues[s]!;
      const list = this.lists[listCount]!;
      const deltas = this.deltas[listCount]!;
      let length = 0;
      for (let k = 0; k < queue.length; k++) {
        const candidate = queue.stamps[k]!;
        const delta = candidate > stamp ? candidate - stamp : stamp - candidate;
        if (delta > slop) continue;
        // Insertion sort by delta keeps insertion order among equal deltas, like Python's sort.
        let at = length;
        while (at > 0 && deltas[at - 1]! > delta) {
          deltas[at] = deltas[at - 1]!;
          list[at] = list[at - 1]!;
          at--;
        }
        deltas[at] = delta;
        list[at] = candidate;
        length++;
      }
      if (length === 0) return;
      this.listLengths[listCount] = length;
      this.listStreams[listCount] = s;
      listCount++;
    }
    // Every combination holds the new stamp; if it was just evicted none can be emitted.
    if (own.indexOf(stamp) < 0) return;
    if (!this.firstCombination(listCount, stamp)) return;

    const out = this.out;
    for (let l = 0; l < listCount; l++) {
      const queue = this.queues[this.listStreams[l]!]!;
      const k = queue.indexOf(this.chosen[l]!);
      out[this.listStreams[l]!] = queue.ids[k]!;
      queue.removeAt(k);
    }
    const k = own.indexOf(stamp);
    out[stream] = own.ids[k]!;
    own.removeAt(k);
    this.sink(out);
  }

  /** Python's synchronizer keeps no set back for later: nothing to do when the input ends. */
  finish(): void {}

  liveIdFloor(stream: number): number {
    const queue = this.queues[stream]!;
    let floor = Infinity;
    for (let k = 0; k < queue.length; k++) if (queue.ids[k]! < floor) floor = queue.ids[k]!;
    return floor;
  }

  /** Finds the first combination in product order whose span is below slop; fills `chosen`. */
  private firstCombination(listCount: number, stamp: number): boolean {
    const slop = this.slop;
    // Fast path: the product's first combination, every stream's nearest stamp.
    let min = stamp;
    let max = stamp;
    for (let l = 0; l < listCount; l++) {
      const v = this.lists[l]![0]!;
      this.chosen[l] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min < slop) return true;
    for (let l = 0; l < listCount; l++) {
      const length = this.listLengths[l]!;
      const sorted = this.sorted[l]!;
      sorted.set(this.lists[l]!.subarray(0, length));
      sorted.subarray(0, length).sort();
    }
    min = stamp;
    max = stamp;
    if (!this.completable(0, listCount, min, max)) return false;
    for (let l = 0; l < listCount; l++) {
      const list = this.lists[l]!;
      const length = this.listLengths[l]!;
      let found = false;
      for (let k = 0; k < length; k++) {
        const v = list[k]!;
        const nextMin = v < min ? v : min;
        const nextMax = v > max ? v : max;
        if (nextMax - nextMin >= slop) continue;
        if (!this.completable(l + 1, listCount, nextMin, nextMax)) continue;
        this.chosen[l] = v;
        min = nextMin;
        max = nextMax;
        found = true;
        break;
      }
      if (!found) return false;
    }
    return true;
  }

  /**
   * Can lists [from, listCount) each contribute a stamp so that, with [min, max] already
   * chosen, the span stays below slop? A set's span is below slop exactly when all its stamps
   * lie in [w, w + slop) for its smallest stamp w, so try every possible smallest stamp.
   */
  private completable(from: number, listCount: number, min: number, max: number): boolean {
    if (max - min >= this.slop) return false;
    if (from === listCount) return true;
    if (this.windowFits(from, listCount, min, max)) return true;
    for (let l = from; l < listCount; l++) {
      const sorted = this.sorted[l]!;
      const length = this.listLengths[l]!;
      for (let k = 0; k < length; k++) {
        const w = sorted[k]!;
        if (w >= min) break;
        if (this.windowFits(from, listCount, w, max)) return true;
      }
    }
    return false;
  }

  /** Whether [w, w + slop) holds `max` and a stamp of every list in [from, listCount). */
  private windowFits(from: number, listCount: number, w: number, max: number): boolean {
    const end = w + this.slop;
    if (max >= end) return false;
    for (let l = from; l < listCount; l++) {
      const sorted = this.sorted[l]!;
      const length = this.listLengths[l]!;
      let lo = 0;
      let hi = length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid]! < w) lo = mid + 1;
        else hi = mid;
      }
      if (lo === length || sorted[lo]! >= end) return false;
    }
    return true;
  }
}

function smallest(queue: InsertionQueue): number {
  let best = 0;
  for (let k = 1; k < queue.length; k++) if (queue.stamps[k]! < queue.stamps[best]!) best = k;
  return best;
}
