import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDecisions, scheduleCycle } from './engine.js';
import { explain } from './explain.js';
import * as reference from '../../../test/reference/admission/engine.js';
import { explain as referenceExplain } from '../../../test/reference/admission/explain.js';
import {
  ClusterState as ReferenceState,
  compileTopology as referenceCompile,
} from '../../../test/reference/admission/state.js';
import { ClusterState, compileTopology } from './state.js';
import type {
  ClusterQueueSpec,
  ClusterTopology,
  CohortSpec,
  FlavorSpec,
  PodSetRequest,
  PreemptionSpec,
  WorkloadRequest,
} from './types.js';

/**
 * The optimised engine against the straightforward one it replaced (kept in `test/reference/admission/`):
 * random small clusters (nested cohorts, lending and borrowing limits, flavors with and without
 * nodes, taints, GPU sharing, every preemption and fungibility policy) go through several
 * cycles with admissions applied and workloads finishing in between, and every cycle must
 * decide exactly the same in both, down to the reasons given for waiting.
 */

const GPU = 'nvidia.com/gpu';

const flavorArb = (name: string): fc.Arbitrary<FlavorSpec> =>
  fc
    .record({
      nodes: fc.option(
        fc.array(
          fc.record({ gpus: fc.constantFrom(0, 2, 4, 4), cpu: fc.constantFrom(4000, 16000) }),
          { minLength: 1, maxLength: 4 },
        ),
        { nil: undefined },
      ),
      tainted: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      zone: fc.constantFrom('a', 'b'),
    })
    .map(({ nodes, tainted, zone }) => ({
      name,
      nodeLabels: { zone },
      ...(tainted
        ? { nodeTaints: [{ key: 'spot', value: 'true', effect: 'NoSchedule' as const }] }
        : {}),
      ...(nodes === undefined
        ? {}
        : {
            deviceResource: GPU,
            nodes: nodes.map((n, i) => ({
              name: `${name}-n${i}`,
              resources: { [GPU]: n.gpus * 1000, cpu: n.cpu },
            })),
          }),
    }));

interface QuotaDraw {
  nominalGpu: number;
  nominalCpu: number;
  borrowingLimit: number | undefined;
  lendingLimit: number | undefined;
}

const quotaArb: fc.Arbitrary<QuotaDraw> = fc.record({
  nominalGpu: fc.constantFrom(0, 2, 4, 4, 6, 8),
  nominalCpu: fc.constantFrom(0, 4000, 16000, 16000, 32000),
  borrowingLimit: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  lendingLimit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
});

function quota(d: QuotaDraw, resource: string, inCohort: boolean) {
  const nominal = resource === GPU ? d.nominalGpu * 1000 : d.nominalCpu;
  const scale = resource === GPU ? 1000 : 2000;
  return {
    nominal,
    ...(inCohort && d.borrowingLimit !== undefined
      ? { borrowingLimit: d.borrowingLimit * scale }
      : {}),
    ...(d.lendingLimit !== undefined && d.lendingLimit * scale <= nominal
      ? { lendingLimit: d.lendingLimit * scale }
      : {}),
  };
}

const preemptionArb: fc.Arbitrary<PreemptionSpec> = fc.record({
  withinClusterQueue: fc.constantFrom('Never', 'LowerPriority', 'LowerOrNewerEqualPriority'),
  reclaimWithinCohort: fc.constantFrom('Never', 'LowerPriority', 'Any'),
  borrowWithinCohort: fc.oneof(
    fc.constant({ policy: 'Never' as const }),
    fc.record({ policy: fc.constant('LowerPriority' as const) }),
    fc.record({
      policy: fc.constant('LowerPriority' as const),
      maxPriorityThreshold: fc.integer({ min: 0, max: 2 }),
    }),
  ),
});

const topologyArb: fc.Arbitrary<ClusterTopology> = fc
  .record({
    flavors: fc.tuple(flavorArb('f0'), flavorArb('f1'), flavorArb('f2')),
    flavorCount: fc.integer({ min: 1, max: 3 }),
    cohorts: fc.array(
      fc.record({
        parent: fc.option(fc.nat(), { nil: undefined }),
        weight: fc.constantFrom(undefined, 0, 1, 2),
        quota: fc.option(quotaArb, { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
    queues: fc.array(
      fc.record({
        cohort: fc.option(fc.nat(), { nil: undefined }),
        flavorOrder: fc.shuffledSubarray([0, 1, 2], { minLength: 1 }),
        split: fc.boolean(),
        quotas: fc.tuple(quotaArb, quotaArb, quotaArb),
        preemption: preemptionArb,
        weight: fc.constantFrom(undefined, 0, 1, 2),
        strict: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
        whenCanBorrow: fc.constantFrom('MayStopSearch', 'TryNextFlavor'),
        whenCanPreempt: fc.constantFrom('MayStopSearch', 'TryNextFlavor'),
        preference: fc.constantFrom(
          undefined,
          'BorrowingOverPreemption',
          'PreemptionOverBorrowing',
        ),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ flavors, flavorCount, cohorts, queues }) => {
    const used = flavors.slice(0, flavorCount);
    const cohortSpecs: CohortSpec[] = cohorts.map((c, i) => ({
      name: `c${i}`,
      ...(c.parent !== undefined && i > 0 ? { parent: `c${c.parent % i}` } : {}),
      ...(c.weight !== undefined ? { fairSharingWeight: c.weight } : {}),
      ...(c.quota !== undefined
        ? {
            resourceGroups: [
              {
                coveredResources: [GPU, 'cpu'],
                flavors: [
                  {
                    flavor: 'f0',
                    resources: {
                      [GPU]: quota(c.quota, GPU, i > 0),
                      cpu: quota(c.quota, 'cpu', i > 0),
                    },
                  },
                ],
              },
            ],
          }
        : {}),
    }));
    const clusterQueues: ClusterQueueSpec[] = queues.map((q, i) => {
      const inCohort = q.cohort !== undefined && cohorts.length > 0;
      const names = q.flavorOrder.filter((f) => f < flavorCount).map((f) => `f${f}`);
      const order = names.length > 0 ? names : ['f0'];
      const flavorQuota = (flavor: string, resources: string[]) => ({
        flavor,
        resources: Object.fromEntries(
          resources.map((r) => [
            r,
            quota(q.quotas[Number(flavor.slice(1))] as QuotaDraw, r, inCohort),
          ]),
        ),
      });
      const resourceGroups =
        q.split && order.length > 1
          ? [
              {
                coveredResources: [GPU],
                flavors: order.slice(0, 1).map((f) => flavorQuota(f, [GPU])),
              },
              {
                coveredResources: ['cpu'],
                flavors: order.slice(1).map((f) => flavorQuota(f, ['cpu'])),
              },
            ]
          : [
              {
                coveredResources: [GPU, 'cpu'],
                flavors: order.map((f) => flavorQuota(f, [GPU, 'cpu'])),
              },
            ];
      return {
        name: `q${i}`,
        ...(inCohort ? { cohort: `c${(q.cohort as number) % cohorts.length}` } : {}),
        resourceGroups,
        preemption: q.preemption,
        ...(q.weight !== undefined ? { fairSharingWeight: q.weight } : {}),
        queueingStrategy: q.strict ? 'StrictFIFO' : 'BestEffortFIFO',
        flavorFungibility: {
          whenCanBorrow: q.whenCanBorrow,
          whenCanPreempt: q.whenCanPreempt,
          ...(q.preference !== undefined ? { preference: q.preference } : {}),
        },
      };
    });
    return { flavors: used, cohorts: cohortSpecs, clusterQueues };
  });

const podSetArb: fc.Arbitrary<Omit<PodSetRequest, 'name'>> = fc
  .record({
    count: fc.constantFrom(1, 1, 2, 3),
    gpu: fc.constantFrom(0, 250, 500, 1000, 1000, 2000, 3000),
    cpu: fc.constantFrom(0, 1000, 4000),
    cpuFirst: fc.boolean(),
    tolerates: fc.integer({ min: 0, max: 2 }).map((n) => n > 0),
    zone: fc.constantFrom(undefined, undefined, undefined, undefined, 'a', 'b'),
  })
  .map(({ count, gpu, cpu, cpuFirst, tolerates, zone }) => ({
    count,
    requests: cpuFirst ? { cpu, [GPU]: gpu } : { [GPU]: gpu, cpu },
    ...(tolerates ? { tolerations: [{ key: 'spot', operator: 'Exists' as const }] } : {}),
    ...(zone !== undefined ? { nodeSelector: { zone } } : {}),
  }));

/** Workloads drawn from a few shapes, so identical requests recur as they do in real queues. */
function workloadsArb(prefix: string, queues: number): fc.Arbitrary<WorkloadRequest[]> {
  return fc
    .tuple(
      fc.array(fc.array(podSetArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 }),
      fc.array(
        fc.record({
          shape: fc.nat(),
          queue: fc.nat(),
          priority: fc.integer({ min: 0, max: 2 }),
          orderKey: fc.integer({ min: 0, max: 20 }),
          queuedAt: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        }),
        { maxLength: 16 },
      ),
    )
    .map(([shapes, draws]) =>
      draws.map((d, i) => ({
        id: `${prefix}${i}`,
        clusterQueue: d.queue % 16 === 15 ? 'missing' : `q${d.queue % queues}`,
        priority: d.priority,
        orderKey: d.orderKey,
        ...(d.queuedAt !== undefined ? { queuedAt: d.queuedAt } : {}),
        podSets: (shapes[d.shape % shapes.length] as Omit<PodSetRequest, 'name'>[]).map(
          (ps, p) => ({ name: `ps${p}`, ...ps }),
        ),
      })),
    );
}

const scenarioArb = topologyArb.chain((topology) =>
  fc.record({
    topology: fc.constant(topology),
    fairSharing: fc.boolean(),
    maxRounds: fc.constantFrom(undefined, 1, 2),
    cycles: fc.array(
      fc.record({
        arrivals: workloadsArb('w', topology.clusterQueues.length),
        finish: fc.array(fc.nat(), { maxLength: 4 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

describe('optimised engine decides exactly as the reference engine', () => {
  it('on random clusters over several cycles', () => {
    fc.assert(
      fc.property(scenarioArb, ({ topology, fairSharing, maxRounds, cycles }) => {
        const state = new ClusterState(compileTopology(topology));
        const mirror = new ReferenceState(referenceCompile(topology));
        let pending: WorkloadRequest[] = [];
        cycles.forEach((cycle, c) => {
          pending = [
            ...pending,
            ...cycle.arrivals.map((w) => ({ ...w, id: `${w.id}-${c}`, orderKey: w.orderKey + c })),
          ];
          const options = { fairSharing, now: c + 1, ...(maxRounds ? { maxRounds } : {}) };
          const result = scheduleCycle(state, pending, options);
          expect(result).toEqual(reference.scheduleCycle(mirror, pending, options));
          const target = pending[c % Math.max(1, pending.length)];
          if (target !== undefined) {
            const full = { fairSharing, now: c + 1 };
            expect(explain(state, pending, target.id, full)).toEqual(
              referenceExplain(mirror, pending, target.id, full),
            );
          }
          applyDecisions(state, pending, result.decisions, c + 1);
          reference.applyDecisions(mirror, pending, result.decisions, c + 1);
          const decided = new Set(
            result.decisions.filter((d) => d.kind !== 'pending').map((d) => d.workloadId),
          );
          pending = pending.filter((w) => !decided.has(w.id));
          const running = state
            .admitted()
            .map((w) => w.id)
            .sort();
          for (const pick of cycle.finish) {
            const id = running[pick % Math.max(1, running.length)];
            if (id === undefined || !state.entries.has(id)) continue;
            state.remove(id);
            mirror.remove(id);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
