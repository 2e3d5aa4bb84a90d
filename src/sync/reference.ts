/**
 * The `reference` policy (ADR 043): one sample per message of a reference stream (e.g. the
 * lidar sweep). For every other stream the sample takes the message whose stamp is nearest
 * to the reference stamp, within that stream's tolerance — or, for a continuous signal (ego
 * pose, speed, IMU), the two messages around the reference stamp and the factor that
 * linearly interpolates between them.
 *
 * Streaming and bounded: a sample is decided as soon as every other stream has delivered a
 * stamp at or past the reference stamp (later messages can only be farther, stamps of a
 * stream being non-decreasing), or when the input ends, or when `queueSize` reference samples
 * are waiting (a stalled stream is then decided on what it has). Each stream buffers at most
 * `queueSize` messages; older ones are dropped and counted.
 *
 * By default a message is used by at most one sample: the next sample looks only at later
 * messages (`exclusive: false` lifts that, for measuring rather than building datasets).
 * Interpolated streams are exempt, as two neighbouring samples may well sit between the same
 * two messages. Ties between an earlier and a later message at equal distance go to the
 * earlier one.
 */
import { InvalidInput } from '../platform/errors.js';
import { StampRing, type SyncEngine } from './engine.js';

/** How a non-reference stream joins a sample. */
export type StreamMode = 'nearest' | 'interpolate';

/** Parameters of the `reference` policy, in stream indices and exact ns. */
export interface ReferenceOptions {
  readonly reference: number;
  /** Tolerance per stream in ns (the reference stream's entry is ignored). */
  readonly tolerancesNs: readonly number[];
  /** Mode per stream; `nearest` where absent. */
  readonly modes?: readonly StreamMode[];
  /** Keep samples that miss a stream (with -1 there) instead of dropping them. */
  readonly keepIncomplete?: boolean;
  /** Messages buffered per stream, and reference samples waiting; 1000 by default. */
  readonly queueSize?: number;
  /** Whether a message may serve one sample only; true by default. */
  readonly exclusive?: boolean;
}

/**
 * One decided sample, handed to the sink. Arrays are indexed by stream and reused between
 * samples: copy what you keep. For a `nearest` stream, `ids`/`stamps` hold the chosen message
 * (-1/NaN when none); for an `interpolate` stream they hold the message at or before the
 * reference stamp, `afterIds`/`afterStamps` the one at or after it, and `alphas` the weight of
 * the latter (0 when both are the same message).
 */
export interface ReferenceSample {
  time: number;
  complete: boolean;
  readonly ids: Float64Array;
  readonly stamps: Float64Array;
  readonly afterIds: Float64Array;
  readonly afterStamps: Float64Array;
  readonly alphas: Float64Array;
}

/** What the policy counted while running. */
export interface ReferenceCounters {
  /** Samples emitted (complete or kept incomplete). */
  emitted: number;
  /** Incomplete samples dropped because `keepIncomplete` is off. */
  droppedIncomplete: number;
  /** Per stream: messages dropped because its buffer was full. */
  readonly overflowed: Float64Array;
  /** Samples decided early because `queueSize` of them were waiting. */
  forced: number;
}

/** Streaming `reference` policy. */
export class ReferencePolicy implements SyncEngine {
  readonly streamCount: number;
  readonly counters: ReferenceCounters;
  private readonly reference: number;
  private readonly tolerances: Float64Array;
  private readonly interpolate: Uint8Array;
  private readonly keepIncomplete: boolean;
  private readonly exclusive: boolean;
  private readonly queueSize: number;
  private readonly rings: StampRing[];
  private readonly head: Float64Array;
  private readonly tail: Float64Array;
  private readonly maxStamp: Float64Array;
  private readonly pending: StampRing;
  private pendingHead = 0;
  private pendingTail = 0;
  /** Stamp of the head sample; Infinity while none waits. */
  private headTime = Infinity;
  /** Streams the head sample still waits for, and how many. */
  private readonly waiting: Uint8Array;
  private waitingCount = 0;
  private readonly sample: ReferenceSample;

  constructor(
    streamCount: number,
    options: ReferenceOptions,
    private readonly sink: (sample: ReferenceSample) => void,
  ) {
    if (!Number.isInteger(streamCount) || streamCount < 1) {
      throw new InvalidInput(
        `the reference policy needs at least 1 stream, got ${streamCount}`,
        'streams',
      );
    }
    if (
      !Number.isInteger(options.reference) ||
      options.reference < 0 ||
      options.reference >= streamCount
    ) {
      throw new InvalidInput(
        `reference stream ${options.reference} is not one of the ${streamCount} streams`,
        'reference',
      );
    }
    const queueSize = options.queueSize ?? 1000;
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new InvalidInput(
        `queue size must be a positive integer, got ${queueSize}`,
        'queueSize',
      );
    }
    this.streamCount = streamCount;
    this.reference = options.reference;
    this.keepIncomplete = options.keepIncomplete ?? false;
    this.exclusive = options.exclusive ?? true;
    this.queueSize = queueSize;
    this.tolerances = new Float64Array(streamCount);
    this.interpolate = new Uint8Array(streamCount);
    for (let s = 0; s < streamCount; s++) {
      if (s === options.reference) continue;
      const tolerance = options.tolerancesNs[s];
      if (tolerance === undefined || !(tolerance >= 0)) {
        throw new InvalidInput(
          `tolerance of stream ${s} must be >= 0 ns, got ${tolerance}`,
          'tolerances',
        );
      }
      this.tolerances[s] = tolerance;
      this.interpolate[s] = options.modes?.[s] === 'interpolate' ? 1 : 0;
    }
    const capacity = Math.min(queueSize + 1, 256);
    this.rings = Array.from({ length: streamCount }, () => new StampRing(capacity));
    this.head = new Float64Array(streamCount);
    this.tail = new Float64Array(streamCount);
    this.maxStamp = new Float64Array(streamCount).fill(-Infinity);
    this.pending = new StampRing(capacity);
    this.waiting = new Uint8Array(streamCount);
    this.counters = {
      emitted: 0,
      droppedIncomplete: 0,
      overflowed: new Float64Array(streamCount),
      forced: 0,
    };
    this.sample = {
      time: 0,
      complete: false,
      ids: new Float64Array(streamCount),
      stamps: new Float64Array(streamCount),
      afterIds: new Float64Array(streamCount),
      afterStamps: new Float64Array(streamCount),
      alphas: new Float64Array(streamCount),
    };
  }

  push(stream: number, stamp: number, id: number): void {
    if (stream === this.reference) {
      this.pushReference(stamp, id);
      return;
    }
    const ring = this.rings[stream];
    if (ring === undefined) throw new InvalidInput(`no stream ${stream}`, 'stream');
    let tail = this.tail[stream]!;
    let head = this.head[stream]!;
    if (tail - head >= this.queueSize) {
      head++;
      this.head[stream] = head;
      this.counters.overflowed[stream] = this.counters.overflowed[stream]! + 1;
    }
    if (tail - head >= ring.stamps.length) ring.makeRoom(head, tail);
    const stamps = ring.stamps;
    const mask = ring.mask;
    // Keep the buffer sorted by stamp: an out-of-order message moves back to its place.
    let at = tail;
    while (at > head && stamps[(at - 1) & mask]! > stamp) {
      stamps[at & mask] = stamps[(at - 1) & mask]!;
      ring.ids[at & mask] = ring.ids[(at - 1) & mask]!;
      at--;
    }
    stamps[at & mask] = stamp;
    ring.ids[at & mask] = id;
    tail++;
    this.tail[stream] = tail;
    if (stamp > this.maxStamp[stream]!) this.maxStamp[stream] = stamp;
    if (stamp >= this.headTime && this.waiting[stream] === 1) {
      this.waiting[stream] = 0;
      this.waitingCount--;
      if (this.waitingCount === 0) this.decideReady();
    }
  }

  finish(): void {
    while (this.pendingHead < this.pendingTail) this.decideHead();
  }

  liveIdFloor(stream: number): number {
    const ring = stream === this.reference ? this.pending : this.rings[stream]!;
    const from = stream === this.reference ? this.pendingHead : this.head[stream]!;
    const to = stream === this.reference ? this.pendingTail : this.tail[stream]!;
    // Out-of-order stamps leave the buffer sorted by stamp, not id: look at all of it.
    let floor = Infinity;
    for (let p = from; p < to; p++) {
      const id = ring.ids[p & ring.mask]!;
      if (id < floor) floor = id;
    }
    return floor;
  }

  private pushReference(stamp: number, id: number): void {
    const pending = this.pending;
    pending.makeRoom(this.pendingHead, this.pendingTail);
    pending.stamps[this.pendingTail & pending.mask] = stamp;
    pending.ids[this.pendingTail & pending.mask] = id;
    this.pendingTail++;
    if (this.pendingTail - this.pendingHead === 1) {
      this.watchHead();
      if (this.waitingCount === 0) this.decideReady();
    } else if (this.pendingTail - this.pendingHead > this.queueSize) {
      this.counters.forced++;
      this.decideHead();
      this.decideReady();
    }
  }

  /** Sets up which streams the (new) head sample waits for. */
  private watchHead(): void {
    const time = this.pending.stamps[this.pendingHead & this.pending.mask]!;
    this.headTime = time;
    let count = 0;
    for (let s = 0; s < this.streamCount; s++) {
      const waits = s !== this.reference && this.maxStamp[s]! < time ? 1 : 0;
      this.waiting[s] = waits;
      count += waits;
    }
    this.waitingCount = count;
  }

  /** Decides head samples for as long as they wait for nothing. */
  private decideReady(): void {
    while (this.pendingHead < this.pendingTail && this.waitingCount === 0) this.decideHead();
  }

  /** Decides the head sample on what the buffers hold now, then moves to the next one. */
  private decideHead(): void {
    const pending = this.pending;
    const time = pending.stamps[this.pendingHead & pending.mask]!;
    const sample = this.sample;
    sample.time = time;
    let complete = true;
    for (let s = 0; s < this.streamCount; s++) {
      if (s === this.reference) {
        sample.ids[s] = pending.ids[this.pendingHead & pending.mask]!;
        sample.stamps[s] = time;
        sample.afterIds[s] = sample.ids[s]!;
        sample.afterStamps[s] = time;
        sample.alphas[s] = 0;
        continue;
      }
      const found = this.interpolate[s] === 1 ? this.bracket(s, time) : this.nearest(s, time);
      if (!found) complete = false;
    }
    sample.complete = complete;
    this.pendingHead++;
    if (this.pendingHead < this.pendingTail) this.watchHead();
    else {
      this.waitingCount = 0;
      this.headTime = Infinity;
    }
    if (complete || this.keepIncomplete) {
      this.counters.emitted++;
      this.sink(sample);
    } else {
      this.counters.droppedIncomplete++;
    }
  }

  /**
   * Drops buffered messages of stream s more than its tolerance before `time`: neither this
   * sample nor a later one (reference stamps being non-decreasing) can use them.
   */
  private trim(s: number, time: number): number {
    const ring = this.rings[s]!;
    const oldest = time - this.tolerances[s]!;
    const tail = this.tail[s]!;
    let head = this.head[s]!;
    while (head < tail && ring.stamps[head & ring.mask]! < oldest) head++;
    this.head[s] = head;
    return head;
  }

  private nearest(s: number, time: number): boolean {
    const ring = this.rings[s]!;
    const head = this.trim(s, time);
    const tail = this.tail[s]!;
    const sample = this.sample;
    sample.ids[s] = -1;
    sample.stamps[s] = NaN;
    sample.afterIds[s] = -1;
    sample.afterStamps[s] = NaN;
    sample.alphas[s] = 0;
    let p = head;
    while (p < tail && ring.stamps[p & ring.mask]! < time) p++;
    // Candidates: the last message before `time` (p - 1) and the first at or after it (p).
    let best = -1;
    if (p > head) best = p - 1;
    if (p < tail) {
      const after = ring.stamps[p & ring.mask]! - time;
      if (best < 0 || after < time - ring.stamps[best & ring.mask]!) best = p;
    }
    if (best < 0) return false;
    const stamp = ring.stamps[best & ring.mask]!;
    const distance = stamp > time ? stamp - time : time - stamp;
    if (distance > this.tolerances[s]!) return false;
    sample.ids[s] = ring.ids[best & ring.mask]!;
    sample.stamps[s] = stamp;
    sample.afterIds[s] = sample.ids[s]!;
    sample.afterStamps[s] = stamp;
    // Later samples (stamps non-decreasing) never prefer an earlier message; exclusive ones not this one either.
    this.head[s] = this.exclusive ? best + 1 : best;
    return true;
  }

  private bracket(s: number, time: number): boolean {
    const ring = this.rings[s]!;
    const head = this.trim(s, time);
    const tail = this.tail[s]!;
    const sample = this.sample;
    const tolerance = this.tolerances[s]!;
    sample.ids[s] = -1;
    sample.stamps[s] = NaN;
    sample.afterIds[s] = -1;
    sample.afterStamps[s] = NaN;
    sample.alphas[s] = 0;
    let p = head;
    while (p < tail && ring.stamps[p & ring.mask]! < time) p++;
    if (p === tail) return false;
    const afterStamp = ring.stamps[p & ring.mask]!;
    if (afterStamp - time > tolerance) return false;
    let before = p;
    if (afterStamp > time) {
      if (p === head) return false;
      before = p - 1;
    }
    const beforeStamp = ring.stamps[before & ring.mask]!;
    if (time - beforeStamp > tolerance) return false;
    sample.ids[s] = ring.ids[before & ring.mask]!;
    sample.stamps[s] = beforeStamp;
    sample.afterIds[s] = ring.ids[p & ring.mask]!;
    sample.afterStamps[s] = afterStamp;
    sample.alphas[s] =
      afterStamp === beforeStamp ? 0 : (time - beforeStamp) / (afterStamp - beforeStamp);
    return true;
  }
}
