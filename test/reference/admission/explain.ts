// Reference copy of src/compute/admission/explain.ts as it was before the optimisations of ADR 052, kept unchanged so
// property tests can check that the optimised engine decides exactly the same. Tests only.
import { runCycle } from './engine.js';
import type { ClusterState, AdmittedEntry, QueueNode } from './state.js';
import type {
  CycleOptions,
  Decision,
  PreemptionTarget,
  ResourceFinding,
  WorkloadRequest,
} from '../../../src/compute/admission/types.js';
import { NotFound } from '../../../src/platform/errors.js';

/** Why a workload waits, or what admitting it would take, in terms a user can act on. */
export interface Explanation {
  readonly workloadId: string;
  readonly clusterQueue: string;
  readonly cohort?: string;
  /** 1-based position in its ClusterQueue (priority, then queue order), and who is ahead. */
  readonly position: number;
  readonly ahead: readonly string[];
  readonly decision: Decision;
  /** Per flavor and resource: requested, quota, usage, what it would borrow. */
  readonly findings: readonly ResourceFinding[];
  /** Most it would borrow beyond nominal in any flavor-resource it was assigned. */
  readonly wouldBorrow: readonly { flavor: string; resource: string; amount: number }[];
  /** Running workloads whose end (earliest expected end first) would let it in. */
  readonly mustFinish: readonly string[];
  /** Workloads it preempts (when the decision is to preempt). */
  readonly wouldPreempt: readonly PreemptionTarget[];
}

const maxFinishProbe = 2000;

/**
 * Explains the decision for one pending workload: runs the same cycle the scheduler runs
 * (everything ahead of it gets its chance first), then, when it still waits, finds which
 * running workloads would have to finish for it to fit.
 */
export function explain(
  state: ClusterState,
  pending: readonly WorkloadRequest[],
  workloadId: string,
  options: CycleOptions = {},
): Explanation {
  const target = pending.find((w) => w.id === workloadId);
  if (target === undefined) throw new NotFound('pending workload', workloadId);
  const work = state.clone();
  const run = runCycle(work, pending, options);
  const decision = run.result.decisions.find((d) => d.workloadId === workloadId) as Decision;
  const queue = state.topology.queues.get(target.clusterQueue);
  const list = queue === undefined ? [] : (run.order.get(queue) ?? []);
  const index = list.findIndex((w) => w.id === workloadId);
  const assignment = run.assignments.get(workloadId);
  const findings = assignment?.attempts.flatMap((a) => a.resources) ?? [];
  const assignedFrs = new Set<string>();
  if (decision.kind !== 'pending') {
    for (const ps of decision.admission.podSets) {
      for (const [resource, flavor] of Object.entries(ps.flavors))
        assignedFrs.add(`${flavor}\u0000${resource}`);
    }
  }
  const wouldBorrow = findings
    .filter(
      (f) =>
        f.wouldBorrow > 0 &&
        (assignedFrs.size === 0 || assignedFrs.has(`${f.flavor}\u0000${f.resource}`)),
    )
    .map((f) => ({ flavor: f.flavor, resource: f.resource, amount: f.wouldBorrow }));
  let mustFinish: string[] = [];
  if (
    decision.kind === 'pending' &&
    queue !== undefined &&
    decision.reason.code !== 'ExceedsMaxQuota'
  ) {
    mustFinish = finishSet(work, target, queue, options);
  }
  return {
    workloadId,
    clusterQueue: target.clusterQueue,
    ...(queue?.parent ? { cohort: queue.parent.name } : {}),
    position: index + 1,
    ahead: list.slice(0, Math.max(0, index)).map((w) => w.id),
    decision,
    findings,
    wouldBorrow,
    mustFinish,
    wouldPreempt: decision.kind === 'preempt' ? decision.targets : [],
  };
}

function finishSet(
  work: ClusterState,
  target: WorkloadRequest,
  queue: QueueNode,
  options: CycleOptions,
): string[] {
  const frs = new Set<number>();
  for (const ps of target.podSets) {
    for (const [resource, amount] of Object.entries(ps.requests)) {
      const g = queue.groupOfResource.get(resource);
      if (amount === 0 || g === undefined) continue;
      for (const flavor of queue.groups[g]?.flavors ?? []) {
        const fr = work.topology.findFr(flavor, resource);
        if (fr !== undefined) frs.add(fr);
      }
    }
  }
  const root = work.topology.root(queue);
  const relevant = [...work.entries.values()].filter(
    (e) =>
      (e.queue === queue || (root !== queue && work.topology.root(e.queue) === root)) &&
      e.usage.some(([fr]) => frs.has(fr)),
  );
  relevant.sort(
    (a, b) =>
      (a.workload.expectedEndAt ?? Infinity) - (b.workload.expectedEndAt ?? Infinity) ||
      a.workload.admittedAt - b.workload.admittedAt ||
      (a.workload.id < b.workload.id ? -1 : 1),
  );
  const admits = (): boolean =>
    runCycle(work.clone(), [target], options).result.decisions[0]?.kind === 'admit';
  const removed: AdmittedEntry[] = [];
  for (const entry of relevant.slice(0, maxFinishProbe)) {
    work.removeEntry(entry);
    removed.push(entry);
    if (!admits()) continue;
    const needed: AdmittedEntry[] = [];
    for (const candidate of removed) {
      work.addEntry(candidate);
      if (admits()) continue;
      work.removeEntry(candidate);
      needed.push(candidate);
    }
    return needed.map((e) => e.workload.id);
  }
  return [];
}
