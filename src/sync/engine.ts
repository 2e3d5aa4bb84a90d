/**
 * The seam between the policies and whatever feeds them. A policy engine takes messages one
 * at a time in arrival order — stream index, stamp as an exact number offset (see time.ts),
 * and a caller-chosen id — and hands each set it emits to a sink as the ids of its messages.
 * Engines keep no message objects: callers map ids back to what they hold.
 */

/** Receives one emitted set: `ids[stream]` is the id of that stream's message, -1 for none. The array is reused: copy what you keep. */
export type SetSink = (ids: Float64Array) => void;

/** A streaming synchronization policy. Memory is bounded by its queue size per stream. */
export interface SyncEngine {
  readonly streamCount: number;
  /** Feeds one message in arrival order; may emit sets synchronously. */
  push(stream: number, stamp: number, id: number): void;
  /** Ends the input; a policy that holds back sets until later messages arrive emits what it can. */
  finish(): void;
  /**
   * The smallest id of `stream` the policy may still emit; messages of the stream with smaller
   * ids (ids growing in arrival order) are gone for good. Infinity when it holds none.
   */
  liveIdFloor(stream: number): number;
}

/** A ring buffer of (stamp, id) pairs addressed by ever-increasing positions; grows by doubling. */
export class StampRing {
  stamps: Float64Array;
  ids: Float64Array;
  mask: number;

  constructor(capacity: number) {
    let size = 8;
    while (size < capacity) size *= 2;
    this.stamps = new Float64Array(size);
    this.ids = new Float64Array(size);
    this.mask = size - 1;
  }

  /**
   * Makes position `next` writable while positions [live, next) keep their values. Positions
   * may exceed 2^31: `p & mask` takes p modulo 2^32 first, and the size divides 2^32.
   */
  makeRoom(live: number, next: number): void {
    if (next - live < this.stamps.length) return;
    let size = this.stamps.length * 2;
    while (size <= next - live) size *= 2;
    const stamps = new Float64Array(size);
    const ids = new Float64Array(size);
    const mask = size - 1;
    for (let p = live; p < next; p++) {
      stamps[p & mask] = this.stamps[p & this.mask]!;
      ids[p & mask] = this.ids[p & this.mask]!;
    }
    this.stamps = stamps;
    this.ids = ids;
    this.mask = mask;
  }
}
