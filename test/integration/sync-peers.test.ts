/**
 * Equivalence of the `approximate` and `slop` policies with their ROS 1 peers, set by set, on
 * generated inputs. Needs the Debian packages libmessage-filters-dev (with g++) and
 * python3-message-filters; without them the suites are skipped with a notice.
 * SYNC_PEER_RUNS raises the number of generated inputs (default 250 per policy).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synchronizeStamps, type StampSet, type StampStream } from '../../src/sync/index.js';
import {
  ApproximatePeer,
  SlopPeer,
  approximatePeerBinary,
  peerPackages,
  peersMissing,
} from '../peers/peers.js';
import { buildStreams, queueSizes, scenarios } from '../peers/scenarios.js';

/** Parameters of one approximate case; the peer takes the bounds by position. */
interface CaseParams {
  queueSize: number;
  agePenalty: number;
  maxInterval: bigint | undefined;
  bounds: bigint[];
}

const runs = Number(process.env.SYNC_PEER_RUNS ?? 250);
const missing = peersMissing();

function describePeer(name: string, absent: readonly string[], body: () => void): void {
  if (absent.length === 0) {
    describe(name, body);
    return;
  }
  console.warn(
    `[skipped] "${name}": needs ${absent.join(', ')} (apt-get install -y ${peerPackages.join(' ')} g++)`,
  );
  describe.skip(name, body);
}

/** Describes the first set where two outputs differ, for a failure message that helps. */
function difference(ours: readonly StampSet[], theirs: readonly StampSet[]): string | undefined {
  const show = (set: StampSet | undefined): string =>
    set === undefined ? 'nothing' : `[${set.map(String).join(', ')}]`;
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i];
    const b = theirs[i];
    if (show(a) !== show(b)) {
      return `set ${i} of ${ours.length} (ours) / ${theirs.length} (peer): ours ${show(a)}, peer ${show(b)}`;
    }
  }
  return undefined;
}

function lowerBoundsByName(
  streams: readonly StampStream[],
  bounds: readonly bigint[],
): Record<string, bigint> {
  return Object.fromEntries(streams.map((stream, i) => [stream.name, bounds[i] ?? 0n]));
}

describePeer('approximate policy = ROS 1 C++ ApproximateTime', missing.approximate, () => {
  let peer: ApproximatePeer;
  beforeAll(() => {
    approximatePeerBinary();
    peer = new ApproximatePeer();
  }, 240_000);
  afterAll(() => peer.close());

  const params = (streamCount: number): fc.Arbitrary<CaseParams> =>
    fc.record({
      queueSize: queueSizes,
      agePenalty: fc.oneof(
        fc.constantFrom(0, 0.1, 0.5, 1, 2.5),
        fc.double({ min: 0, max: 5, noNaN: true, noDefaultInfinity: true }),
      ),
      maxInterval: fc.option(fc.bigInt({ min: 0n, max: 80_000_000n }), { nil: undefined }),
      bounds: fc.array(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(0n) },
          fc.bigInt({ min: 0n, max: 60_000_000n }),
        ),
        { minLength: streamCount, maxLength: streamCount },
      ),
    });

  async function check(streams: StampStream[], p: CaseParams): Promise<void> {
    const ours = synchronizeStamps(streams, {
      policy: 'approximate',
      queueSize: p.queueSize,
      agePenalty: p.agePenalty,
      lowerBounds: lowerBoundsByName(streams, p.bounds),
      ...(p.maxInterval === undefined ? {} : { maxInterval: p.maxInterval }),
    });
    const theirs = await peer.run(streams, {
      queueSize: p.queueSize,
      agePenalty: p.agePenalty,
      lowerBounds: p.bounds,
      ...(p.maxInterval === undefined ? {} : { maxInterval: p.maxInterval }),
    });
    expect(difference(ours, theirs.sets)).toBeUndefined();
  }

  it('emits the same sets on generated streams (2 to 9 streams, all parameters)', async () => {
    let sets = 0;
    await fc.assert(
      fc.asyncProperty(
        scenarios(2, 9).chain((scenario) =>
          fc.tuple(fc.constant(scenario), params(scenario.streams.length)),
        ),
        async ([scenario, p]) => {
          const streams = buildStreams(scenario);
          await check(streams, p);
          sets += synchronizeStamps(streams, {
            policy: 'approximate',
            queueSize: p.queueSize,
          }).length;
        },
      ),
      { numRuns: runs },
    );
    // The generated inputs must exercise the policy, not only produce empty outputs.
    expect(sets).toBeGreaterThan(runs * 2);
  }, 600_000);

  it('emits the same sets on long dense streams with tiny queues', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarios(2, 4, 600).chain((scenario) =>
          fc.tuple(
            fc.constant(scenario),
            fc.record({
              queueSize: fc.integer({ min: 1, max: 3 }),
              agePenalty: fc.constantFrom(0, 0.1),
              maxInterval: fc.constant(undefined),
              bounds: fc.constant(scenario.streams.map(() => 0n)),
            }),
          ),
        ),
        async ([scenario, p]) => check(buildStreams(scenario), p),
      ),
      { numRuns: Math.ceil(runs / 5) },
    );
  }, 600_000);

  it('emits the same sets for 9 streams at the rates of a sensor rig', async () => {
    const streams = buildStreams({
      tick: 1000,
      base: 1_700_000_000_000_000_000n,
      seed: 42,
      streams: [
        ...Array.from({ length: 6 }, (_, i) => ({
          period: 33_333,
          phase: i * 1_000,
          count: 900,
          jitter: 300,
          dropRate: 0.01,
          disorder: 0,
          latency: 25_000,
          latencySpread: 8_000,
          burstRate: 0.002,
        })),
        {
          period: 100_000,
          phase: 5_000,
          count: 300,
          jitter: 20,
          dropRate: 0.002,
          disorder: 0,
          latency: 110_000,
          latencySpread: 4_000,
          burstRate: 0,
        },
        {
          period: 50_000,
          phase: 7_000,
          count: 600,
          jitter: 800,
          dropRate: 0.02,
          disorder: 0,
          latency: 40_000,
          latencySpread: 6_000,
          burstRate: 0.002,
        },
        {
          period: 50_000,
          phase: 31_000,
          count: 600,
          jitter: 800,
          dropRate: 0.02,
          disorder: 0,
          latency: 40_000,
          latencySpread: 6_000,
          burstRate: 0.002,
        },
      ],
    });
    for (const queueSize of [1, 2, 5, 10, 100]) {
      await check(streams, {
        queueSize,
        agePenalty: 0.1,
        maxInterval: undefined,
        bounds: streams.map(() => 0n),
      });
      await check(streams, {
        queueSize,
        agePenalty: 0.1,
        maxInterval: 10_000_000n,
        bounds: streams.map((_, i) => (i < 6 ? 30_000_000n : 0n)),
      });
    }
  }, 120_000);
});

describePeer('slop policy = ROS 1 Python ApproximateTimeSynchronizer', missing.slop, () => {
  let peer: SlopPeer;
  beforeAll(() => {
    peer = new SlopPeer();
  });
  afterAll(() => peer.close());

  async function check(streams: StampStream[], queueSize: number, slop: bigint): Promise<void> {
    const ours = synchronizeStamps(streams, { policy: 'slop', queueSize, slop });
    const theirs = await peer.run(streams, { queueSize, slop });
    expect(difference(ours, theirs.sets)).toBeUndefined();
  }

  it('emits the same sets on generated streams (1 to 9 streams, all parameters)', async () => {
    let sets = 0;
    await fc.assert(
      fc.asyncProperty(
        scenarios(1, 9),
        queueSizes,
        fc.oneof(
          fc.constant(0n),
          fc.bigInt({ min: 0n, max: 60n }),
          fc.bigInt({ min: 0n, max: 80_000_000n }),
        ),
        async (scenario, queueSize, slopTicks) => {
          const streams = buildStreams(scenario);
          // Slop in ticks for fine grids, in nanoseconds for the millisecond grid.
          const slop = scenario.tick === 1_000_000 ? slopTicks : slopTicks * BigInt(scenario.tick);
          await check(streams, queueSize, slop);
          sets += synchronizeStamps(streams, { policy: 'slop', queueSize, slop }).length;
        },
      ),
      { numRuns: runs },
    );
    expect(sets).toBeGreaterThan(runs * 2);
  }, 600_000);

  it('finds the same combination when many stamps per stream lie within the slop', async () => {
    // Wide slop, fine jitter and many streams: the first valid combination in Python's product
    // order is rarely the nearest stamp of every stream.
    await fc.assert(
      fc.asyncProperty(
        scenarios(3, 7, 80),
        fc.integer({ min: 3, max: 12 }),
        fc.bigInt({ min: 20n, max: 120n }),
        async (scenario, queueSize, slop) =>
          check(buildStreams({ ...scenario, tick: 1 }), queueSize, slop),
      ),
      { numRuns: Math.ceil(runs / 2) },
    );
  }, 600_000);
});
