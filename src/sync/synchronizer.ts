/**
 * The streaming API of the sync context: push messages of any type in arrival order with their
 * stream and bigint stamp, get back the sets they complete, holding the messages themselves.
 * Memory is bounded by the policy's queues: a message is released as soon as the policy can no
 * longer emit it.
 */
import { InvalidInput } from '../platform/errors.js';
import type { SyncEngine } from './engine.js';
import { createEngine, type PolicySpec } from './policy.js';
import type { ReferenceSample } from './reference.js';
import { TimeBase, type Nanoseconds } from './time.js';

/** For an interpolated stream: the message after the reference stamp and its weight. */
export interface Interpolation<M> {
  /** The message at or after the reference stamp (the set's entry is the one at or before it). */
  readonly after: M;
  readonly afterStamp: Nanoseconds;
  /** Weight of `after`: the value at the reference stamp is `(1 − alpha)·before + alpha·after`. */
  readonly alpha: number;
}

/** One emitted set: per stream (in stream order) a message and its stamp, or null. */
export interface SyncedSet<M> {
  readonly messages: readonly (M | null)[];
  readonly stamps: readonly (Nanoseconds | null)[];
  /** Reference policy only: the reference stamp and, per interpolated stream, how to interpolate. */
  readonly reference?: {
    readonly time: Nanoseconds;
    readonly complete: boolean;
    readonly interpolations: readonly (Interpolation<M> | null)[];
  };
}

/** Messages of one stream the policy may still emit, in id order. */
class Held<M> {
  ids: number[] = [];
  messages: M[] = [];
  stamps: Nanoseconds[] = [];
  start = 0;

  push(id: number, message: M, stamp: Nanoseconds): void {
    this.ids.push(id);
    this.messages.push(message);
    this.stamps.push(stamp);
  }

  /** Index of `id`; ids are increasing so a binary search finds it. */
  find(id: number): number {
    let lo = this.start;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    if (this.ids[lo] !== id) throw new Error(`sync: message ${id} was released too early`);
    return lo;
  }

  release(floor: number): void {
    while (this.start < this.ids.length && this.ids[this.start]! < floor) this.start++;
    if (this.start > 1024 && this.start * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.start);
      this.messages = this.messages.slice(this.start);
      this.stamps = this.stamps.slice(this.start);
      this.start = 0;
    }
  }

  get size(): number {
    return this.ids.length - this.start;
  }
}

/** Streaming synchronization of messages of type M over named streams. */
export class Synchronizer<M> {
  readonly streams: readonly string[];
  private readonly engine: SyncEngine;
  private readonly base = new TimeBase();
  private readonly held: Held<M>[];
  private readonly sincePrune: Uint32Array;
  private nextId = 0;
  private out: SyncedSet<M>[] = [];

  constructor(streams: readonly string[], spec: PolicySpec) {
    if (new Set(streams).size !== streams.length) {
      throw new InvalidInput(`stream names must be unique: ${streams.join(', ')}`, 'streams');
    }
    this.streams = streams;
    this.held = streams.map(() => new Held<M>());
    this.sincePrune = new Uint32Array(streams.length);
    this.engine = createEngine(streams, spec, (ids, sample) => this.collect(ids, sample));
  }

  /** Feeds one message in arrival order; returns the sets it completed (usually none or one). */
  push(stream: number, stamp: Nanoseconds, message: M): SyncedSet<M>[] {
    const held = this.held[stream];
    if (held === undefined) {
      throw new InvalidInput(
        `stream ${stream} is not one of the ${this.streams.length} streams`,
        'stream',
      );
    }
    const offset = this.base.offset(stamp, `${this.streams[stream]}: stamp`);
    const id = this.nextId++;
    held.push(id, message, stamp);
    this.engine.push(stream, offset, id);
    const count = this.sincePrune[stream]! + 1;
    this.sincePrune[stream] = count;
    if (count >= 256) {
      this.sincePrune[stream] = 0;
      held.release(this.engine.liveIdFloor(stream));
    }
    return this.take();
  }

  /** Ends the input; returns the sets the policy still emits. */
  end(): SyncedSet<M>[] {
    this.engine.finish();
    return this.take();
  }

  /** Messages currently held across all streams (bounded by the policy's queues). */
  get heldMessages(): number {
    return this.held.reduce((sum, h) => sum + h.size, 0);
  }

  private take(): SyncedSet<M>[] {
    if (this.out.length === 0) return [];
    const out = this.out;
    this.out = [];
    return out;
  }

  private collect(ids: Float64Array, sample: ReferenceSample | undefined): void {
    const messages: (M | null)[] = [];
    const stamps: (Nanoseconds | null)[] = [];
    const interpolations: (Interpolation<M> | null)[] = [];
    for (let s = 0; s < ids.length; s++) {
      const id = ids[s]!;
      if (id < 0) {
        messages.push(null);
        stamps.push(null);
        interpolations.push(null);
        continue;
      }
      const held = this.held[s]!;
      const k = held.find(id);
      messages.push(held.messages[k]!);
      stamps.push(held.stamps[k]!);
      const afterId = sample?.afterIds[s];
      if (afterId === undefined || afterId === id) {
        interpolations.push(null);
      } else {
        const after = held.find(afterId);
        interpolations.push({
          after: held.messages[after]!,
          afterStamp: held.stamps[after]!,
          alpha: sample!.alphas[s]!,
        });
      }
    }
    this.out.push(
      sample === undefined
        ? { messages, stamps }
        : {
            messages,
            stamps,
            reference: {
              time: this.base.absolute(sample.time),
              complete: sample.complete,
              interpolations,
            },
          },
    );
  }
}

/** One message for `synchronizeBatches`. */
export interface SyncInput<M> {
  readonly stream: number;
  readonly stamp: Nanoseconds;
  readonly message: M;
}

/**
 * Synchronizes messages arriving in batches (of any size, in arrival order) and yields the
 * sets as they complete; the sets do not depend on how the input is cut into batches.
 */
export async function* synchronizeBatches<M>(
  streams: readonly string[],
  spec: PolicySpec,
  batches: AsyncIterable<readonly SyncInput<M>[]> | Iterable<readonly SyncInput<M>[]>,
): AsyncGenerator<SyncedSet<M>> {
  const synchronizer = new Synchronizer<M>(streams, spec);
  for await (const batch of batches) {
    for (const input of batch) yield* synchronizer.push(input.stream, input.stamp, input.message);
  }
  yield* synchronizer.end();
}
