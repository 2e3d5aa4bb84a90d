import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as reference from '../../../test/reference/admission/state.js';
import { ClusterState, compileTopology, podDemand, type Allocation } from './state.js';
import type { ClusterTopology } from './types.js';

const GPU = 'nvidia.com/gpu';

function topology(nodes: readonly { gpus: number; cpu: number }[]): ClusterTopology {
  return {
    flavors: [
      {
        name: 'f',
        deviceResource: GPU,
        nodes: nodes.map((n, i) => ({
          name: `n${i}`,
          resources: { [GPU]: n.gpus * 1000, cpu: n.cpu },
        })),
      },
    ],
    cohorts: [],
    clusterQueues: [],
  };
}

const nodesArb = fc.array(
  fc.record({ gpus: fc.constantFrom(0, 1, 2, 4, 8), cpu: fc.constantFrom(0, 8000, 64000) }),
  { minLength: 1, maxLength: 40 },
);

type Op =
  | { kind: 'place'; gpu: number; cpu: number; count: number }
  | { kind: 'pin'; node: number; amount: number }
  | { kind: 'release'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      gpu: fc.constantFrom(0, 100, 250, 500, 750, 1000, 2000, 4000, 8000),
      cpu: fc.constantFrom(0, 1000, 8000, 32000),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pin' as const),
      node: fc.nat(),
      amount: fc.constantFrom(250, 500, 1000),
    }),
  },
);

const shape = (plan: readonly Allocation[] | reference.Allocation[] | undefined) =>
  plan?.map((a) => ({ node: a.node, devices: a.devices }));

/** The index's invariant: `order` sorted by (free thousandths, index), `slot` its inverse. */
function indexIsSorted(state: ClusterState): boolean {
  for (const free of state.free.values()) {
    const { order, slot, units } = free;
    for (let i = 0; i < order.length; i++) {
      const n = order[i] as number;
      if (slot[n] !== i) return false;
      if (i === 0) continue;
      const p = order[i - 1] as number;
      const pu = units[p] as number;
      const u = units[n] as number;
      if (pu > u || (pu === u && p > n)) return false;
    }
  }
  return true;
}

describe('free node capacity index', () => {
  it('places every pod on the node a full best-fit scan picks, through allocations and releases', () => {
    fc.assert(
      fc.property(nodesArb, fc.array(opArb, { maxLength: 60 }), (nodes, ops) => {
        const state = new ClusterState(compileTopology(topology(nodes)));
        const mirror = new reference.ClusterState(reference.compileTopology(topology(nodes)));
        const flavor = state.topology.flavors.get('f');
        const mirrorFlavor = mirror.topology.flavors.get('f');
        if (flavor === undefined || mirrorFlavor === undefined) throw new Error('no flavor');
        const held: [Allocation[], reference.Allocation[]][] = [];
        for (const op of ops) {
          if (op.kind === 'release') {
            const [plan, mirrored] = held.splice(op.pick % Math.max(1, held.length), 1)[0] ?? [];
            for (const a of plan ?? []) state.allocate(a, -1);
            for (const a of mirrored ?? []) mirror.allocate(a, -1);
            expect(indexIsSorted(state)).toBe(true);
            continue;
          }
          if (op.kind === 'pin') {
            // A pod put on a chosen node, not the best fit, as an admission recorded by the
            // executors may be: the index must stay right for any sequence of changes.
            const free = state.free.get(flavor);
            const node = op.node % nodes.length;
            const offset = flavor.deviceOffset[node] as number;
            const count = flavor.deviceCount[node] as number;
            let device = -1;
            for (let d = 0; d < count && device < 0; d++) {
              if ((free?.dev[offset + d] ?? 0) >= op.amount) device = d;
            }
            if (device < 0) continue;
            const pinned = (f: typeof flavor) => ({
              flavor: f,
              node,
              amounts: f.resources.map(() => 0),
              devices: [[device, op.amount] as const],
            });
            state.allocate(pinned(flavor), 1);
            mirror.allocate({ ...pinned(flavor), flavor: mirrorFlavor }, 1);
            held.push([[pinned(flavor)], [{ ...pinned(flavor), flavor: mirrorFlavor }]]);
            expect(indexIsSorted(state)).toBe(true);
            continue;
          }
          const requests = { [GPU]: op.gpu, cpu: op.cpu };
          const demand = podDemand(flavor, requests, () => true);
          const plan = state.planPods(flavor, demand, op.count);
          const mirrored = mirror.planPods(
            mirrorFlavor,
            reference.podDemand(mirrorFlavor, requests, () => true),
            op.count,
          );
          expect(shape(plan)).toEqual(shape(mirrored));
          expect(state.planPods(flavor, demand, op.count, true) === undefined).toBe(
            mirror.planPods(
              mirrorFlavor,
              reference.podDemand(mirrorFlavor, requests, () => true),
              op.count,
              true,
            ) === undefined,
          );
          if (plan === undefined || mirrored === undefined) continue;
          for (const a of plan) state.allocate(a, 1);
          for (const a of mirrored) mirror.allocate(a, 1);
          held.push([plan, mirrored]);
          expect(indexIsSorted(state)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
