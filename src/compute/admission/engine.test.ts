import { describe, expect, it } from 'vitest';
import { applyDecisions, scheduleCycle } from './engine.js';
import { explain } from './explain.js';
import { ClusterState, compileTopology } from './state.js';
import type {
  ClusterQueueSpec,
  ClusterTopology,
  Decision,
  FlavorSpec,
  PreemptionSpec,
  WorkloadRequest,
} from './types.js';

const GPU = 'nvidia.com/gpu';
const g = (n: number) => n * 1000;

function queue(
  name: string,
  nominal: number,
  opts: {
    cohort?: string;
    borrowingLimit?: number;
    lendingLimit?: number;
    preemption?: PreemptionSpec;
    weight?: number;
    flavors?: string[];
    strict?: boolean;
  } = {},
): ClusterQueueSpec {
  return {
    name,
    ...(opts.cohort ? { cohort: opts.cohort } : {}),
    ...(opts.preemption ? { preemption: opts.preemption } : {}),
    ...(opts.weight !== undefined ? { fairSharingWeight: opts.weight } : {}),
    ...(opts.strict ? { queueingStrategy: 'StrictFIFO' as const } : {}),
    resourceGroups: [
      {
        coveredResources: [GPU],
        flavors: (opts.flavors ?? ['h100']).map((flavor) => ({
          flavor,
          resources: {
            [GPU]: {
              nominal: g(nominal),
              ...(opts.borrowingLimit !== undefined
                ? { borrowingLimit: g(opts.borrowingLimit) }
                : {}),
              ...(opts.lendingLimit !== undefined ? { lendingLimit: g(opts.lendingLimit) } : {}),
            },
          },
        })),
      },
    ],
  };
}

function topology(
  queues: ClusterQueueSpec[],
  extra: Partial<ClusterTopology> = {},
): ClusterTopology {
  const flavors: FlavorSpec[] = extra.flavors ? [...extra.flavors] : [{ name: 'h100' }];
  const cohortNames = new Set(queues.flatMap((q) => (q.cohort ? [q.cohort] : [])));
  return {
    flavors,
    cohorts: extra.cohorts ?? [...cohortNames].map((name) => ({ name })),
    clusterQueues: queues,
  };
}

let seq = 0;
function wl(
  id: string,
  clusterQueue: string,
  gpus: number,
  opts: { priority?: number; count?: number; at?: number } = {},
): WorkloadRequest {
  return {
    id,
    clusterQueue,
    priority: opts.priority ?? 0,
    orderKey: opts.at ?? seq++,
    podSets: [{ name: 'main', count: opts.count ?? 1, requests: { [GPU]: g(gpus) } }],
  };
}

function decisionOf(decisions: readonly Decision[], id: string): Decision {
  const d = decisions.find((x) => x.workloadId === id);
  if (d === undefined) throw new Error(`no decision for ${id}`);
  return d;
}

let clock = 0;

/** Runs cycles at increasing times until nothing more is admitted, applying decisions. */
function settle(state: ClusterState, pending: WorkloadRequest[], fairSharing = false): Decision[] {
  const all: Decision[] = [];
  let waiting = [...pending];
  for (let i = 0; i < 50 && waiting.length > 0; i++) {
    const t = ++clock;
    const { decisions } = scheduleCycle(state, waiting, { fairSharing, now: t });
    applyDecisions(state, waiting, decisions, t);
    all.push(...decisions);
    const done = new Set(decisions.filter((d) => d.kind !== 'pending').map((d) => d.workloadId));
    if (done.size === 0) break;
    waiting = waiting.filter((w) => !done.has(w.id));
  }
  return all;
}

function gpusOf(state: ClusterState, queueName: string): number {
  return (
    state
      .admitted()
      .filter((w) => w.clusterQueue === queueName)
      .reduce(
        (sum, w) => sum + w.podSets.reduce((s, p) => s + (p.requests[GPU] ?? 0) * p.count, 0),
        0,
      ) / 1000
  );
}

describe('admission within one queue', () => {
  it('admits what fits in nominal quota and keeps the rest pending with the shortfall', () => {
    const state = new ClusterState(compileTopology(topology([queue('a', 8)])));
    const pending = [wl('w1', 'a', 4), wl('w2', 'a', 8)];
    const { decisions } = scheduleCycle(state, pending);
    expect(decisionOf(decisions, 'w1')).toMatchObject({ kind: 'admit', borrowing: false });
    const w2 = decisionOf(decisions, 'w2');
    expect(w2.kind).toBe('pending');
    if (w2.kind === 'pending') {
      expect(w2.reason.code).toBe('WaitingForQuota');
      expect(w2.reason.message).toContain(
        'insufficient unused quota for nvidia.com/gpu in flavor h100, 4000 more needed',
      );
    }
    expect(state.admitted()).toHaveLength(0);
  });

  it('preempts lower-priority work within the queue for a higher-priority workload', () => {
    const state = new ClusterState(
      compileTopology(
        topology([queue('a', 8, { preemption: { withinClusterQueue: 'LowerPriority' } })]),
      ),
    );
    settle(state, [wl('low', 'a', 8, { priority: 0 })]);
    const { decisions } = scheduleCycle(state, [
      wl('high', 'a', 8, { priority: 100 }),
      wl('same', 'a', 8),
    ]);
    expect(decisionOf(decisions, 'high')).toMatchObject({
      kind: 'preempt',
      targets: [{ workloadId: 'low', clusterQueue: 'a', reason: 'InClusterQueue' }],
    });
    expect(decisionOf(decisions, 'same').kind).toBe('pending');
  });

  it('never preempts equal priority under LowerPriority', () => {
    const state = new ClusterState(
      compileTopology(
        topology([queue('a', 8, { preemption: { withinClusterQueue: 'LowerPriority' } })]),
      ),
    );
    settle(state, [wl('first', 'a', 8, { priority: 5 })]);
    const { decisions } = scheduleCycle(state, [wl('second', 'a', 8, { priority: 5 })]);
    expect(decisionOf(decisions, 'second').kind).toBe('pending');
  });

  it('StrictFIFO blocks the queue behind a head that does not fit; BestEffortFIFO lets smaller work pass', () => {
    for (const strict of [true, false]) {
      const state = new ClusterState(compileTopology(topology([queue('a', 8, { strict })])));
      settle(state, [wl('running', 'a', 6)]);
      const { decisions } = scheduleCycle(state, [
        wl('big', 'a', 4, { at: 1 }),
        wl('small', 'a', 2, { at: 2 }),
      ]);
      const small = decisionOf(decisions, 'small');
      if (strict) {
        expect(small.kind).toBe('pending');
        if (small.kind === 'pending') expect(small.reason.code).toBe('BlockedByQueueHead');
      } else {
        expect(small.kind).toBe('admit');
      }
    }
  });
});

describe('borrowing and lending in a cohort', () => {
  it('borrows unused quota of the cohort and reports how much', () => {
    const state = new ClusterState(
      compileTopology(topology([queue('a', 8, { cohort: 'c' }), queue('b', 8, { cohort: 'c' })])),
    );
    const pending = [wl('w', 'a', 12)];
    const { decisions } = scheduleCycle(state, pending);
    expect(decisionOf(decisions, 'w')).toMatchObject({ kind: 'admit', borrowing: true });
    const why = explain(state, pending, 'w');
    expect(why.wouldBorrow).toEqual([{ flavor: 'h100', resource: GPU, amount: g(4) }]);
  });

  it('respects the borrowing limit: beyond nominal + limit the workload can never fit', () => {
    const state = new ClusterState(
      compileTopology(
        topology([
          queue('a', 8, { cohort: 'c', borrowingLimit: 2 }),
          queue('b', 8, { cohort: 'c' }),
        ]),
      ),
    );
    const { decisions } = scheduleCycle(state, [
      wl('w12', 'a', 12),
      wl('w10', 'a', 10, { at: 1e9 }),
    ]);
    const w12 = decisionOf(decisions, 'w12');
    expect(w12.kind === 'pending' && w12.reason.code).toBe('ExceedsMaxQuota');
    expect(decisionOf(decisions, 'w10').kind).toBe('admit');
  });

  it('respects the lending limit of the lender', () => {
    const state = new ClusterState(
      compileTopology(
        topology([queue('a', 8, { cohort: 'c' }), queue('b', 8, { cohort: 'c', lendingLimit: 2 })]),
      ),
    );
    const { decisions } = scheduleCycle(state, [
      wl('w11', 'a', 11),
      wl('w10', 'a', 10, { at: 1e9 }),
    ]);
    const w11 = decisionOf(decisions, 'w11');
    expect(w11.kind === 'pending' && w11.reason.code).toBe('ExceedsMaxQuota');
    expect(decisionOf(decisions, 'w10').kind).toBe('admit');
  });

  it('reclaims lent quota within the cohort, preempting the most recently admitted borrower first', () => {
    const reclaim: PreemptionSpec = { reclaimWithinCohort: 'Any' };
    const state = new ClusterState(
      compileTopology(
        topology([
          queue('a', 8, { cohort: 'c', preemption: reclaim }),
          queue('b', 8, { cohort: 'c', preemption: reclaim }),
        ]),
      ),
    );
    settle(state, [wl('a-old', 'a', 8, { at: 1 })]);
    settle(state, [wl('a-new', 'a', 4, { at: 2 })]);
    expect(gpusOf(state, 'a')).toBe(12);
    const { decisions } = scheduleCycle(state, [wl('b1', 'b', 8)], { now: 10 });
    expect(decisionOf(decisions, 'b1')).toMatchObject({
      kind: 'preempt',
      targets: [{ workloadId: 'a-new', clusterQueue: 'a', reason: 'InCohortReclamation' }],
    });
  });

  it('does not reclaim when the preemptor would itself have to borrow and borrowWithinCohort is Never', () => {
    const reclaim: PreemptionSpec = { reclaimWithinCohort: 'Any' };
    const state = new ClusterState(
      compileTopology(
        topology([
          queue('a', 8, { cohort: 'c', preemption: reclaim }),
          queue('b', 4, { cohort: 'c', preemption: reclaim }),
        ]),
      ),
    );
    settle(state, [wl('a1', 'a', 8)]);
    settle(state, [wl('a2', 'a', 4)]);
    const { decisions } = scheduleCycle(state, [wl('b-big', 'b', 8)]);
    expect(decisionOf(decisions, 'b-big').kind).toBe('pending');
    const ok = scheduleCycle(state, [wl('b-nominal', 'b', 4)]);
    expect(decisionOf(ok.decisions, 'b-nominal')).toMatchObject({
      kind: 'preempt',
      targets: [{ workloadId: 'a2', reason: 'InCohortReclamation' }],
    });
  });
});

describe('fair sharing', () => {
  function fairCluster(weightA: number, weightB: number): ClusterState {
    const reclaim: PreemptionSpec = { reclaimWithinCohort: 'Any' };
    return new ClusterState(
      compileTopology({
        flavors: [{ name: 'h100' }],
        cohorts: [
          {
            name: 'c',
            resourceGroups: [
              {
                coveredResources: [GPU],
                flavors: [{ flavor: 'h100', resources: { [GPU]: { nominal: g(12) } } }],
              },
            ],
          },
        ],
        clusterQueues: [
          queue('a', 0, { cohort: 'c', preemption: reclaim, weight: weightA }),
          queue('b', 0, { cohort: 'c', preemption: reclaim, weight: weightB }),
        ],
      }),
    );
  }

  it.each([
    [1, 1, 6, 6],
    [2, 1, 8, 4],
  ])(
    'weights %i:%i converge to %i:%i GPUs by dominant resource share',
    (wa, wb, expectA, expectB) => {
      const state = fairCluster(wa, wb);
      settle(
        state,
        Array.from({ length: 6 }, (_, i) => wl(`b${i}`, 'b', 2, { at: i })),
        true,
      );
      expect(gpusOf(state, 'b')).toBe(12);
      settle(
        state,
        Array.from({ length: 6 }, (_, i) => wl(`a${i}`, 'a', 2, { at: 100 + i })),
        true,
      );
      expect([gpusOf(state, 'a'), gpusOf(state, 'b')]).toEqual([expectA, expectB]);
    },
  );

  it('prefers the queue with the lower share when both wait', () => {
    const state = fairCluster(1, 1);
    settle(state, [wl('b0', 'b', 4)], true);
    const { decisions } = scheduleCycle(
      state,
      [wl('b1', 'b', 4, { at: 1 }), wl('a1', 'a', 4, { at: 2 })],
      {
        fairSharing: true,
      },
    );
    expect(decisions.filter((d) => d.kind === 'admit').map((d) => d.workloadId)[0]).toBe('a1');
  });
});

describe('flavors, taints and gangs on nodes', () => {
  const nodes = (prefix: string, count: number, gpus: number) =>
    Array.from({ length: count }, (_, i) => ({
      name: `${prefix}-${i}`,
      resources: { [GPU]: g(gpus) },
    }));

  it('skips a tainted spot flavor for a workload without the toleration', () => {
    const topo = topology([queue('a', 8, { flavors: ['spot', 'ondemand'] })], {
      flavors: [
        { name: 'spot', nodeTaints: [{ key: 'spot', value: 'true', effect: 'NoSchedule' }] },
        { name: 'ondemand' },
      ],
    });
    const state = new ClusterState(compileTopology(topo));
    const plain = wl('plain', 'a', 2);
    const tolerant: WorkloadRequest = {
      ...wl('tolerant', 'a', 2),
      podSets: [
        {
          name: 'main',
          count: 1,
          requests: { [GPU]: g(2) },
          tolerations: [{ key: 'spot', operator: 'Exists' }],
        },
      ],
    };
    const { decisions } = scheduleCycle(state, [plain, tolerant]);
    const flavorOf = (id: string) => {
      const d = decisionOf(decisions, id);
      return d.kind === 'admit' ? d.admission.podSets[0]?.flavors[GPU] : undefined;
    };
    expect(flavorOf('plain')).toBe('ondemand');
    expect(flavorOf('tolerant')).toBe('spot');
  });

  it('falls back to the next flavor when the first is full', () => {
    const state = new ClusterState(
      compileTopology(
        topology([queue('a', 4, { flavors: ['h100', 'a100'] })], {
          flavors: [{ name: 'h100' }, { name: 'a100' }],
        }),
      ),
    );
    const { decisions } = scheduleCycle(state, [
      wl('x', 'a', 4, { at: 1 }),
      wl('y', 'a', 4, { at: 2 }),
    ]);
    const flavors = decisions.map((d) =>
      d.kind === 'admit' ? d.admission.podSets[0]?.flavors[GPU] : d.kind,
    );
    expect(flavors).toEqual(['h100', 'a100']);
  });

  it('admits a gang only when every replica has a node, never part of it', () => {
    const topo = topology([queue('a', 8)], {
      flavors: [{ name: 'h100', deviceResource: GPU, nodes: nodes('n', 3, 2) }],
    });
    const state = new ClusterState(compileTopology(topo));
    const tooBig = scheduleCycle(state, [wl('gang4', 'a', 2, { count: 4 })]);
    const d = decisionOf(tooBig.decisions, 'gang4');
    expect(d.kind === 'pending' && d.reason.message).toContain(
      'do not fit on the nodes of flavor h100 even when they are empty',
    );
    settle(state, [wl('one', 'a', 1)]);
    const busy = scheduleCycle(state, [wl('gang3', 'a', 2, { count: 3 })]);
    const b = decisionOf(busy.decisions, 'gang3');
    expect(b.kind === 'pending' && b.reason.code).toBe('WaitingForNodeCapacity');
    expect(state.admitted()).toHaveLength(1);
    state.remove('one');
    const free = scheduleCycle(state, [wl('gang3', 'a', 2, { count: 3 })]);
    const f = decisionOf(free.decisions, 'gang3');
    expect(f.kind).toBe('admit');
    if (f.kind === 'admit')
      expect(f.admission.podSets[0]?.placement?.map((p) => p.node).sort()).toEqual([
        'n-0',
        'n-1',
        'n-2',
      ]);
  });

  it('packs GPU-sharing pods onto one device before opening another', () => {
    const topo = topology([queue('a', 8)], {
      flavors: [{ name: 'h100', deviceResource: GPU, nodes: nodes('n', 1, 2) }],
    });
    const state = new ClusterState(compileTopology(topo));
    const share = (id: string, milli: number): WorkloadRequest => ({
      id,
      clusterQueue: 'a',
      priority: 0,
      orderKey: seq++,
      podSets: [{ name: 'main', count: 1, requests: { [GPU]: milli } }],
    });
    settle(state, [share('s1', 600), share('s2', 400), share('s3', 1000)]);
    expect(state.admitted()).toHaveLength(3);
    const devices = state
      .admitted()
      .flatMap((w) => w.admission.podSets[0]?.placement?.[0]?.devices ?? []);
    expect(devices.filter(([d]) => d === devices[0]?.[0]).reduce((s, [, m]) => s + m, 0)).toBe(
      1000,
    );
  });
});

describe('explain', () => {
  it('names the position, the shortfall and the running work that must finish', () => {
    const state = new ClusterState(compileTopology(topology([queue('a', 8)])));
    settle(state, [wl('r1', 'a', 4), wl('r2', 'a', 4)]);
    const ahead = wl('ahead', 'a', 2, { at: 1 });
    const me = wl('me', 'a', 6, { at: 2 });
    const why = explain(state, [ahead, me], 'me');
    expect(why.position).toBe(2);
    expect(why.ahead).toEqual(['ahead']);
    expect(why.decision.kind).toBe('pending');
    expect(why.mustFinish).toHaveLength(2);
  });
});
