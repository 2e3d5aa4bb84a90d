/**
 * Generated sensor streams for the sync tests: rates, stamp jitter, drops, phase offsets,
 * bursty arrivals (a transport stall releasing several messages at once), equal stamps across
 * streams, duplicate and out-of-order stamps within a stream. A scenario is a small record of
 * parameters plus a seed, so fast-check shrinks the parameters and the streams follow.
 */
import fc from 'fast-check';
import type { StampStream } from '../../src/sync/index.js';

/** Parameters of one generated stream. */
export interface StreamShape {
  /** Nominal period in ticks. */
  readonly period: number;
  /** Phase of the first message, ticks. */
  readonly phase: number;
  readonly count: number;
  /** Stamp jitter amplitude, ticks (0: stamps on the exact grid, so streams share stamps). */
  readonly jitter: number;
  readonly dropRate: number;
  /** Probability that a message repeats the previous stamp or goes back before it. */
  readonly disorder: number;
  /** Constant and random parts of the latency, ticks. */
  readonly latency: number;
  readonly latencySpread: number;
  /** Probability that a transport stall starts: following messages arrive together. */
  readonly burstRate: number;
}

/** A generated input: streams plus the seed that draws their randomness. */
export interface Scenario {
  /** Nanoseconds per tick: 1 gives dense equal stamps, 1e6 realistic millisecond grids. */
  readonly tick: number;
  /** First stamp, ns since 1970. */
  readonly base: bigint;
  readonly streams: readonly StreamShape[];
  readonly seed: number;
}

/** A small, fast, seeded generator (mulberry32). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Expands a scenario into stamp streams (named s0, s1, …). */
export function buildStreams(scenario: Scenario): StampStream[] {
  const random = seeded(scenario.seed);
  const tick = BigInt(scenario.tick);
  return scenario.streams.map((shape, index) => {
    const messages: { stamp: bigint; logTime: bigint }[] = [];
    let previousStamp = 0;
    let previousLog = 0;
    let stallUntil = -1;
    for (let k = 0; k < shape.count; k++) {
      if (random() < shape.dropRate) continue;
      const grid = shape.phase + k * shape.period;
      let stamp = grid + (shape.jitter === 0 ? 0 : Math.round((random() * 2 - 1) * shape.jitter));
      if (messages.length > 0 && random() < shape.disorder) {
        stamp =
          random() < 0.5 ? previousStamp : previousStamp - Math.floor(random() * shape.period);
      }
      stamp = Math.max(0, stamp);
      let log =
        Math.max(grid, stamp) + shape.latency + Math.floor(random() * (shape.latencySpread + 1));
      if (stallUntil < 0 && random() < shape.burstRate) {
        stallUntil = log + shape.period * (2 + Math.floor(random() * 4));
      }
      if (stallUntil >= 0) {
        if (log < stallUntil) log = stallUntil;
        else stallUntil = -1;
      }
      // A transport delivers a topic's messages in order.
      log = Math.max(log, previousLog);
      previousStamp = stamp;
      previousLog = log;
      messages.push({
        stamp: scenario.base + BigInt(stamp) * tick,
        logTime: scenario.base + BigInt(log) * tick,
      });
    }
    return { name: `s${index}`, messages };
  });
}

const shape = (maxCount: number): fc.Arbitrary<StreamShape> =>
  fc.record({
    period: fc.integer({ min: 1, max: 60 }),
    phase: fc.integer({ min: 0, max: 60 }),
    count: fc.integer({ min: 0, max: maxCount }),
    jitter: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 })),
    dropRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.4, noNaN: true })),
    disorder: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      fc.double({ min: 0, max: 0.2, noNaN: true }),
    ),
    latency: fc.integer({ min: 0, max: 40 }),
    latencySpread: fc.integer({ min: 0, max: 40 }),
    burstRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.1, noNaN: true })),
  });

/** Scenarios of `minStreams`..`maxStreams` streams of up to `maxCount` messages each. */
export function scenarios(
  minStreams: number,
  maxStreams: number,
  maxCount = 120,
): fc.Arbitrary<Scenario> {
  return fc.record({
    tick: fc.constantFrom(1, 1000, 1_000_000),
    base: fc.oneof(
      { weight: 4, arbitrary: fc.constant(1_700_000_000_123_456_789n) },
      fc.bigInt({ min: 0n, max: 4_000_000_000_000_000_000n }),
    ),
    streams: fc.array(shape(maxCount), { minLength: minStreams, maxLength: maxStreams }),
    seed: fc.integer(),
  });
}

/** Queue sizes from 1 to large, weighted towards the small ones ROS users pick. */
export const queueSizes: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 13, max: 2000 }) },
);
