/**
 * The `approximate` policy: the same sets, in the same order, as ROS 1 message_filters' C++
 * `sync_policies::ApproximateTime` given the same messages in the same arrival order and the
 * same parameters (ADR 041).
 *
 * The C++ policy keeps, per stream, a deque of waiting messages and a vector of "past"
 * messages it has moved aside while searching for the best candidate set around a pivot; it
 * moves them back ("recover") when the search is cancelled. Past messages always sit directly
 * before the deque's front, so here both live in one ring buffer per stream:
 * positions [pastStart, head) are the past, [head, tail) the deque. Moving a message to the
 * past is `head++`, recovering is `head = pastStart`, and the candidate set is always the
 * message at `pastStart` of every stream. All streams share one flat buffer (stream i owns
 * slots [i·capacity, (i+1)·capacity)), and the stamp at each deque's front is cached, so the
 * hot loop reads typed arrays only (ADR 041).
 */
import { InvalidInput } from '../platform/errors.js';
import type { SetSink, SyncEngine } from './engine.js';
import { rosScaledDurationAtLeast } from './time.js';

/** Parameters of the `approximate` policy, as in the C++ ApproximateTime policy. */
export interface ApproximateOptions {
  /** Messages kept per stream (deque plus past); the C++ constructor argument. */
  readonly queueSize: number;
  /** Largest span of a set in ns; `setMaxIntervalDuration`. Infinity (the default) for none. */
  readonly maxIntervalNs?: number;
  /** `setAgePenalty`; 0.1 by default as in ROS. */
  readonly agePenalty?: number;
  /** Per-stream inter-message lower bound in ns; `setInterMessageLowerBound`. 0 by default. */
  readonly lowerBoundsNs?: readonly number[];
}

const NO_PIVOT = -1;

/** Positions are rebased below this, keeping them small integers (multiples of the capacity apart). */
const REBASE_AT = 2 ** 30;

/**
 * `Duration(a) * factor >= Duration(b)` as ROS computes it. The ROS result differs from the
 * exact real product by rounding to whole ns plus a few ulps of the double detour, so outside
 * a small margin the exact comparison decides, and only near-ties pay for the emulation.
 */
function scaledAtLeast(a: number, factor: number, b: number): boolean {
  const scaled = a * factor;
  const margin = 4 + Math.abs(scaled) * 1e-14;
  const difference = scaled - b;
  if (difference > margin) return true;
  if (difference < -margin) return false;
  return rosScaledDurationAtLeast(a, factor, b);
}

/** Streaming `approximate` policy over `streamCount` streams (at least 2). */
export class ApproximatePolicy implements SyncEngine {
  readonly streamCount: number;
  private readonly queueSize: number;
  private readonly maxInterval: number;
  private readonly factor: number;
  private readonly lowerBounds: Float64Array;
  private shift: number;
  private mask: number;
  private stamps: Float64Array;
  private ids: Float64Array;
  private readonly pastStart: Int32Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /** Stamp at the front of each deque (valid while the deque is not empty). */
  private readonly heads: Float64Array;
  private readonly hasDropped: Uint8Array;
  private droppedCount = 0;
  private readonly virtualMoves: Int32Array;
  private readonly out: Float64Array;
  private numNonEmpty = 0;
  private pivot = NO_PIVOT;
  private pivotTime = 0;
  private candidateStart = 0;
  private candidateEnd = 0;

  constructor(
    streamCount: number,
    options: ApproximateOptions,
    private readonly sink: SetSink,
  ) {
    if (!Number.isInteger(streamCount) || streamCount < 2) {
      throw new InvalidInput(
        `the approximate policy needs at least 2 streams, got ${streamCount}`,
        'streams',
      );
    }
    if (!Number.isInteger(options.queueSize) || options.queueSize < 1) {
      throw new InvalidInput(
        `queue size must be a positive integer, got ${options.queueSize}`,
        'queueSize',
      );
    }
    const agePenalty = options.agePenalty ?? 0.1;
    if (!Number.isFinite(agePenalty) || agePenalty < 0) {
      throw new InvalidInput(
        `age penalty must be a finite number >= 0, got ${agePenalty}`,
        'agePenalty',
      );
    }
    const maxInterval = options.maxIntervalNs ?? Infinity;
    if (!(maxInterval >= 0)) {
      throw new InvalidInput(`max interval must be >= 0 ns, got ${maxInterval}`, 'maxInterval');
    }
    const lowerBounds = options.lowerBoundsNs ?? [];
    if (lowerBounds.length > streamCount) {
      throw new InvalidInput(
        `${lowerBounds.length} lower bounds given for ${streamCount} streams`,
        'lowerBounds',
      );
    }
    this.streamCount = streamCount;
    this.queueSize = options.queueSize;
    this.maxInterval = maxInterval;
    this.factor = 1 + agePenalty;
    this.lowerBounds = new Float64Array(streamCount);
    lowerBounds.forEach((bound, i) => {
      if (!Number.isSafeInteger(bound) || bound < 0) {
        throw new InvalidInput(
          `lower bound of stream ${i} must be whole nanoseconds >= 0, got ${bound}`,
          'lowerBounds',
        );
      }
      this.lowerBounds[i] = bound;
    });
    // A stream holds at most queueSize + 1 messages; large queues start small and grow.
    this.shift = 3;
    while (1 << this.shift < Math.min(options.queueSize + 2, 1024)) this.shift++;
    this.mask = (1 << this.shift) - 1;
    this.stamps = new Float64Array(streamCount << this.shift);
    this.ids = new Float64Array(streamCount << this.shift);
    this.pastStart = new Int32Array(streamCount);
    this.head = new Int32Array(streamCount);
    this.tail = new Int32Array(streamCount);
    this.heads = new Float64Array(streamCount);
    this.hasDropped = new Uint8Array(streamCount);
    this.virtualMoves = new Int32Array(streamCount);
    this.out = new Float64Array(streamCount);
  }

  push(stream: number, stamp: number, id: number): void {
    if (!(stream >= 0 && stream < this.streamCount)) {
      throw new InvalidInput(`no stream ${stream}`, 'stream');
    }
    let tail = this.tail[stream]!;
    if (tail - this.pastStart[stream]! > this.mask) this.grow();
    if (tail >= REBASE_AT) {
      this.rebase(stream);
      tail = this.tail[stream]!;
    }
    const slot = (stream << this.shift) | (tail & this.mask);
    this.stamps[slot] = stamp;
    this.ids[slot] = id;
    this.tail[stream] = tail + 1;
    if (tail === this.head[stream]) {
      this.heads[stream] = stamp;
      this.numNonEmpty++;
      if (this.numNonEmpty === this.streamCount) this.process();
    }
    // The C++ policy checks the inter-message bound here too, but only to warn.
    if (this.tail[stream] - this.pastStart[stream]! > this.queueSize) this.overflow(stream);
  }

  /** The C++ policy emits nothing when its input ends: sets it could not yet prove optimal are dropped. */
  finish(): void {}

  liveIdFloor(stream: number): number {
    const first = this.pastStart[stream]!;
    return first < this.tail[stream]!
      ? this.ids[(stream << this.shift) | (first & this.mask)]!
      : Infinity;
  }

  /** Doubles every stream's share of the buffers (queues larger than the initial capacity). */
  private grow(): void {
    const shift = this.shift + 1;
    const mask = (1 << shift) - 1;
    const stamps = new Float64Array(this.streamCount << shift);
    const ids = new Float64Array(this.streamCount << shift);
    for (let i = 0; i < this.streamCount; i++) {
      for (let p = this.pastStart[i]!; p < this.tail[i]!; p++) {
        const from = (i << this.shift) | (p & this.mask);
        const to = (i << shift) | (p & mask);
        stamps[to] = this.stamps[from]!;
        ids[to] = this.ids[from]!;
      }
    }
    this.shift = shift;
    this.mask = mask;
    this.stamps = stamps;
    this.ids = ids;
  }

  /** Moves a stream's positions down by a multiple of the capacity: same slots, small numbers. */
  private rebase(stream: number): void {
    const by = this.pastStart[stream]! - (this.pastStart[stream]! & this.mask);
    this.pastStart[stream] = this.pastStart[stream]! - by;
    this.head[stream] = this.head[stream]! - by;
    this.tail[stream] = this.tail[stream]! - by;
  }

  private stampAt(i: number, p: number): number {
    return this.stamps[(i << this.shift) | (p & this.mask)]!;
  }

  /** Sets deque i's front to position p, keeping the cached front stamp and the non-empty count. */
  private setHead(i: number, p: number): void {
    this.head[i] = p;
    if (p < this.tail[i]!) this.heads[i] = this.stampAt(i, p);
  }

  /** Queue `stream` holds more than queueSize messages: cancel the search, drop its oldest. */
  private overflow(stream: number): void {
    this.numNonEmpty = 0;
    for (let i = 0; i < this.streamCount; i++) {
      this.setHead(i, this.pastStart[i]!);
      if (this.head[i]! < this.tail[i]!) this.numNonEmpty++;
    }
    this.setHead(stream, this.head[stream]! + 1);
    this.pastStart[stream] = this.head[stream]!;
    if (this.hasDropped[stream] === 0) {
      this.hasDropped[stream] = 1;
      this.droppedCount++;
    }
    if (this.pivot !== NO_PIVOT) {
      this.pivot = NO_PIVOT;
      this.process();
    }
  }

  private moveFrontToPast(i: number): void {
    const head = this.head[i]! + 1;
    this.head[i] = head;
    if (head === this.tail[i]) this.numNonEmpty--;
    else this.heads[i] = this.stampAt(i, head);
  }

  /** Drops the front of deque i; only called while its past is empty. */
  private deleteFront(i: number): void {
    this.moveFrontToPast(i);
    this.pastStart[i] = this.head[i]!;
  }

  /** The fronts of all deques become the candidate; messages moved aside so far are dropped. */
  private makeCandidate(): void {
    this.pastStart.set(this.head);
  }

  private publishCandidate(): void {
    const n = this.streamCount;
    const out = this.out;
    for (let i = 0; i < n; i++) {
      out[i] = this.ids[(i << this.shift) | (this.pastStart[i]! & this.mask)]!;
    }
    this.pivot = NO_PIVOT;
    this.numNonEmpty = 0;
    for (let i = 0; i < n; i++) {
      const head = this.pastStart[i]! + 1;
      this.setHead(i, head);
      this.pastStart[i] = head;
      if (head < this.tail[i]!) this.numNonEmpty++;
    }
    this.sink(out);
  }

  private process(): void {
    const n = this.streamCount;
    const factor = this.factor;
    const heads = this.heads;
    while (this.numNonEmpty === n) {
      // End: the last stream whose front is latest; start: the first whose front is earliest.
      let endTime = heads[0]!;
      let endIndex = 0;
      let startTime = endTime;
      let startIndex = 0;
      for (let i = 1; i < n; i++) {
        const t = heads[i]!;
        if (!(t < endTime)) {
          endTime = t;
          endIndex = i;
        }
        if (t < startTime) {
          startTime = t;
          startIndex = i;
        }
      }
      let dropped = 0;
      if (this.droppedCount > 0) {
        dropped = this.hasDropped[endIndex]!;
        this.hasDropped.fill(0);
        this.hasDropped[endIndex] = dropped;
        this.droppedCount = dropped;
      }

      if (this.pivot === NO_PIVOT) {
        if (endTime - startTime > this.maxInterval || dropped === 1) {
          this.deleteFront(startIndex);
          continue;
        }
        this.makeCandidate();
        this.candidateStart = startTime;
        this.candidateEnd = endTime;
        this.pivot = endIndex;
        this.pivotTime = endTime;
        this.moveFrontToPast(startIndex);
      } else if (
        scaledAtLeast(endTime - this.candidateEnd, factor, startTime - this.candidateStart)
      ) {
        this.moveFrontToPast(startIndex);
      } else {
        this.makeCandidate();
        this.candidateStart = startTime;
        this.candidateEnd = endTime;
        this.moveFrontToPast(startIndex);
      }

      if (startIndex === this.pivot) {
        this.publishCandidate();
      } else if (
        scaledAtLeast(endTime - this.candidateEnd, factor, this.pivotTime - this.candidateStart)
      ) {
        // Any later candidate contains [pivotTime, endTime], already too wide: this one is optimal.
        this.publishCandidate();
      } else if (this.numNonEmpty < n) {
        this.virtualSearch();
      }
    }
  }

  /**
   * Some deque ran empty before optimality was proven: assume each empty stream's next
   * message comes as early as its lower bound allows and try to prove optimality with that.
   */
  private virtualSearch(): void {
    const n = this.streamCount;
    const moves = this.virtualMoves;
    moves.fill(0);
    for (;;) {
      let endTime = this.virtualTime(0);
      let startTime = endTime;
      let startIndex = 0;
      for (let i = 1; i < n; i++) {
        const t = this.virtualTime(i);
        if (t > endTime) endTime = t;
        if (t < startTime) {
          startTime = t;
          startIndex = i;
        }
      }
      if (
        scaledAtLeast(
          endTime - this.candidateEnd,
          this.factor,
          this.pivotTime - this.candidateStart,
        )
      ) {
        this.publishCandidate();
        return;
      }
      if (
        !scaledAtLeast(endTime - this.candidateEnd, this.factor, startTime - this.candidateStart)
      ) {
        // An optimistic future candidate beats the current one: undo the virtual moves and wait.
        this.numNonEmpty = 0;
        for (let i = 0; i < n; i++) {
          this.setHead(i, this.head[i]! - moves[i]!);
          if (this.head[i]! < this.tail[i]!) this.numNonEmpty++;
        }
        return;
      }
      this.moveFrontToPast(startIndex);
      moves[startIndex] = moves[startIndex]! + 1;
    }
  }

  private virtualTime(i: number): number {
    const head = this.head[i]!;
    if (head < this.tail[i]!) return this.heads[i]!;
    const bound = this.stampAt(i, head - 1) + this.lowerBounds[i]!;
    return bound > this.pivotTime ? bound : this.pivotTime;
  }
}
