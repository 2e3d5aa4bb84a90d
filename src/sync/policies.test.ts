/**
 * Properties every policy keeps, on generated streams: every set respects its bounds, no
 * message is used twice, memory stays within the queues, and the sets do not depend on how
 * the input is cut into batches. (Equivalence with the ROS peers: test/integration/sync-peers.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildStreams, queueSizes, scenarios } from '../../test/peers/scenarios.js';
import { feedOrder, toOffsets } from './run.js';
import type { StampStream } from './stamps.js';
import {
  Synchronizer,
  synchronizeBatches,
  type SyncInput,
  type SyncedSet,
} from './synchronizer.js';
import type { PolicySpec } from './policy.js';
import { synchronizeStamps } from './run.js';

interface Ref {
  readonly stream: number;
  readonly index: number;
}

/** The messages of the streams in arrival order, as Synchronizer inputs. */
function arrivals(streams: readonly StampStream[]): SyncInput<Ref>[] {
  const order = feedOrder(toOffsets(streams).logTimes);
  return Array.from(order.streams, (stream, k) => {
    const index = order.messages[k]!;
    return { stream, stamp: streams[stream]!.messages[index]!.stamp, message: { stream, index } };
  });
}

/** Runs a policy message by message, checking the held-message bound after every push. */
function run(
  streams: readonly StampStream[],
  spec: PolicySpec,
  heldBound: number,
): SyncedSet<Ref>[] {
  const synchronizer = new Synchronizer<Ref>(
    streams.map((s) => s.name),
    spec,
  );
  const sets: SyncedSet<Ref>[] = [];
  for (const input of arrivals(streams)) {
    sets.push(...synchronizer.push(input.stream, input.stamp, input.message));
    expect(synchronizer.heldMessages).toBeLessThanOrEqual(heldBound);
  }
  sets.push(...synchronizer.end());
  return sets;
}

function expectNoReuse(sets: readonly SyncedSet<Ref>[], streamCount: number): void {
  const used = Array.from({ length: streamCount }, () => new Set<number>());
  for (const set of sets) {
    set.messages.forEach((message, s) => {
      if (message === null) return;
      expect(message.stream).toBe(s);
      expect(used[s]!.has(message.index)).toBe(false);
      used[s]!.add(message.index);
    });
  }
}

function span(set: SyncedSet<Ref>): bigint {
  const stamps = set.stamps.filter((s): s is bigint => s !== null);
  const min = stamps.reduce((a, b) => (b < a ? b : a));
  const max = stamps.reduce((a, b) => (b > a ? b : a));
  return max - min;
}

/** Cuts the arrivals into batches at the given fractions. */
function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * items.length)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const point of [...points, items.length]) {
    out.push(items.slice(from, point));
    from = point;
  }
  return out;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const slack = 256;

describe('approximate policy', () => {
  it('emits one unused message per stream, within the max interval, in stream order', () => {
    fc.assert(
      fc.property(
        scenarios(2, 9),
        queueSizes,
        fc.option(fc.bigInt({ min: 0n, max: 60_000_000n }), { nil: undefined }),
        (scenario, queueSize, maxInterval) => {
          const streams = buildStreams(scenario);
          const spec: PolicySpec = {
            policy: 'approximate',
            queueSize,
            ...(maxInterval === undefined ? {} : { maxInterval }),
          };
          const sets = run(streams, spec, streams.length * (queueSize + 1 + slack));
          expectNoReuse(sets, streams.length);
          const last = streams.map(() => -1);
          for (const set of sets) {
            expect(set.messages.every((m) => m !== null)).toBe(true);
            if (maxInterval !== undefined) expect(span(set)).toBeLessThanOrEqual(maxInterval);
            // Sets come in arrival order of each stream's messages.
            set.messages.forEach((m, s) => {
              expect(m!.index).toBeGreaterThan(last[s]!);
              last[s] = m!.index;
            });
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('does not depend on how the input is cut into batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarios(2, 6),
        queueSizes,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        async (scenario, queueSize, cuts) => {
          const streams = buildStreams(scenario);
          const spec: PolicySpec = { policy: 'approximate', queueSize };
          const whole = synchronizeStamps(streams, spec);
          const sets = await collect(
            synchronizeBatches(
              streams.map((s) => s.name),
              spec,
              batches(arrivals(streams), cuts),
            ),
          );
          expect(sets.map((set) => set.stamps)).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('slop policy', () => {
  it('emits sets whose span is below the slop, using no message twice', () => {
    fc.assert(
      fc.property(
        scenarios(1, 9),
        queueSizes,
        fc.bigInt({ min: 0n, max: 80n }),
        (scenario, queueSize, slopTicks) => {
          const streams = buildStreams(scenario);
          const slop = slopTicks * BigInt(scenario.tick);
          const sets = run(
            streams,
            { policy: 'slop', queueSize, slop },
            streams.length * (queueSize + slack),
          );
          expectNoReuse(sets, streams.length);
          for (const set of sets) {
            expect(set.messages.every((m) => m !== null)).toBe(true);
            expect(span(set)).toBeLessThan(slop);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('does not depend on how the input is cut into batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarios(1, 6),
        queueSizes,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        async (scenario, queueSize, cuts) => {
          const streams = buildStreams(scenario);
          const spec: PolicySpec = { policy: 'slop', queueSize, slop: 30n * BigInt(scenario.tick) };
          const whole = synchronizeStamps(streams, spec);
          const sets = await collect(
            synchronizeBatches(
              streams.map((s) => s.name),
              spec,
              batches(arrivals(streams), cuts),
            ),
          );
          expect(sets.map((set) => set.stamps)).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('reference policy', () => {
  /** Scenarios whose streams deliver stamps in order, as the nearest-message guarantee assumes. */
  const ordered = scenarios(2, 6).map((scenario) => ({
    ...scenario,
    streams: scenario.streams.map((shape) => ({
      ...shape,
      disorder: 0,
      jitter: Math.min(shape.jitter, Math.floor((shape.period - 1) / 2)),
    })),
  }));

  /** Brute force: the nearest stamp within tolerance over the whole stream (ties: earlier). */
  function nearest(stream: StampStream, time: bigint, tolerance: bigint): number {
    let best = -1;
    let bestDistance = 0n;
    stream.messages.forEach((m, i) => {
      const distance = m.stamp > time ? m.stamp - time : time - m.stamp;
      if (distance > tolerance) return;
      if (best < 0 || distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    });
    return best;
  }

  it('takes the nearest message of each stream within its tolerance, at every reference message', () => {
    fc.assert(
      fc.property(ordered, fc.bigInt({ min: 0n, max: 40n }), (scenario, toleranceTicks) => {
        const streams = buildStreams(scenario);
        const tolerance = toleranceTicks * BigInt(scenario.tick);
        const sets = run(
          streams,
          {
            policy: 'reference',
            reference: 's0',
            defaultTolerance: tolerance,
            keepIncomplete: true,
            queueSize: 100_000,
          },
          Infinity,
        );
        // Without reuse limits every reference message is a sample, in order.
        expect(sets.map((set) => set.messages[0]!.index)).toEqual(
          streams[0]!.messages.map((_, i) => i),
        );
        const takenEarlier = (set: SyncedSet<Ref>, s: number, index: number): boolean =>
          sets.slice(0, sets.indexOf(set)).some((other) => other.messages[s]?.index === index);
        for (const set of sets) {
          const time = set.reference!.time;
          expect(set.stamps[0]).toBe(time);
          for (let s = 1; s < streams.length; s++) {
            const expected = nearest(streams[s]!, time, tolerance);
            const got = set.messages[s] ?? null;
            if (got === null) {
              // Missing only when nothing lies within tolerance, or its nearest went to an earlier sample.
              if (expected >= 0) {
                expect(takenEarlier(set, s, expected)).toBe(true);
              }
            } else {
              const distance =
                set.stamps[s]! > time ? set.stamps[s]! - time : time - set.stamps[s]!;
              expect(distance).toBeLessThanOrEqual(tolerance);
              // Another message than the nearest only when an earlier sample took the nearest.
              if (got.index !== expected) expect(takenEarlier(set, s, expected)).toBe(true);
            }
          }
          expect(set.reference!.complete).toBe(set.messages.every((m) => m !== null));
        }
        expectNoReuse(sets, streams.length);
      }),
      { numRuns: 150 },
    );
  });

  it('drops incomplete samples unless asked to keep them', () => {
    fc.assert(
      fc.property(ordered, fc.bigInt({ min: 0n, max: 20n }), (scenario, toleranceTicks) => {
        const streams = buildStreams(scenario);
        const spec = {
          policy: 'reference' as const,
          reference: 's0',
          defaultTolerance: toleranceTicks * BigInt(scenario.tick),
        };
        const kept = synchronizeStamps(streams, { ...spec, keepIncomplete: true });
        const dropped = synchronizeStamps(streams, spec);
        expect(dropped).toEqual(kept.filter((set) => set.every((stamp) => stamp !== null)));
      }),
      { numRuns: 100 },
    );
  });

  it('interpolates a continuous signal to the reference stamp', () => {
    fc.assert(
      fc.property(ordered, fc.bigInt({ min: 1n, max: 60n }), (scenario, toleranceTicks) => {
        const streams = buildStreams(scenario);
        const tolerance = toleranceTicks * BigInt(scenario.tick);
        const sets = run(
          streams,
          {
            policy: 'reference',
            reference: 's0',
            defaultTolerance: tolerance,
            interpolate: ['s1'],
            keepIncomplete: true,
          },
          Infinity,
        );
        // A signal linear in time: interpolated to the reference stamp it must be exact.
        const value = (stamp: bigint): number => Number(stamp - scenario.base) * 0.5 + 3;
        for (const set of sets) {
          const before = set.stamps[1];
          if (before === null || before === undefined) continue;
          const time = set.reference!.time;
          const interpolation = set.reference!.interpolations[1];
          expect(before).toBeLessThanOrEqual(time);
          expect(time - before).toBeLessThanOrEqual(tolerance);
          if (interpolation === null || interpolation === undefined) {
            expect(before).toBe(time);
            continue;
          }
          expect(interpolation.afterStamp).toBeGreaterThanOrEqual(time);
          expect(interpolation.afterStamp - time).toBeLessThanOrEqual(tolerance);
          expect(interpolation.alpha).toBeGreaterThanOrEqual(0);
          expect(interpolation.alpha).toBeLessThanOrEqual(1);
          const interpolated =
            (1 - interpolation.alpha) * value(before) +
            interpolation.alpha * value(interpolation.afterStamp);
          expect(interpolated).toBeCloseTo(value(time), 3);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('does not depend on how the input is cut into batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarios(2, 6),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        async (scenario, cuts) => {
          const streams = buildStreams(scenario);
          const spec: PolicySpec = {
            policy: 'reference',
            reference: 's1',
            defaultTolerance: 10n * BigInt(scenario.tick),
            keepIncomplete: true,
            queueSize: 8,
          };
          const whole = synchronizeStamps(streams, spec);
          const sets = await collect(
            synchronizeBatches(
              streams.map((s) => s.name),
              spec,
              batches(arrivals(streams), cuts),
            ),
          );
          expect(sets.map((set) => set.stamps)).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps memory within its queue when a stream stalls', () => {
    const streams = buildStreams({
      tick: 1_000_000,
      base: 1_700_000_000_000_000_000n,
      seed: 1,
      streams: [
        {
          period: 100,
          phase: 0,
          count: 5000,
          jitter: 1,
          dropRate: 0,
          disorder: 0,
          latency: 5,
          latencySpread: 5,
          burstRate: 0,
        },
        {
          period: 33,
          phase: 0,
          count: 15000,
          jitter: 1,
          dropRate: 0,
          disorder: 0,
          latency: 5,
          latencySpread: 5,
          burstRate: 0,
        },
        // delivers a few messages, then nothing more
        {
          period: 50,
          phase: 0,
          count: 10,
          jitter: 1,
          dropRate: 0,
          disorder: 0,
          latency: 5,
          latencySpread: 5,
          burstRate: 0,
        },
      ],
    });
    const sets = run(
      streams,
      {
        policy: 'reference',
        reference: 's0',
        defaultTolerance: 20_000_000n,
        keepIncomplete: true,
        queueSize: 50,
      },
      3 * (50 + 1 + slack),
    );
    expect(sets.length).toBe(5000);
    expect(sets.filter((set) => set.messages[2] !== null).length).toBeLessThanOrEqual(10);
  });
});
