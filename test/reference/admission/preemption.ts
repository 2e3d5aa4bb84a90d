// Reference copy of src/compute/admission/preemption.ts as it was before the optimisations of ADR 052, kept unchanged so
// property tests can check that the optimised engine decides exactly the same. Tests only.
import { compareDrs, dominantResourceShare, negativeDrs, weightedShare, type Drs } from './drs.js';
import {
  available,
  borrowingWith,
  changeUsage,
  localAvailable,
  withinNominal,
  type AdmittedEntry,
  type ClusterState,
  type CohortNode,
  type CompiledFlavor,
  type PodDemand,
  type QueueNode,
  type QuotaNode,
} from './state.js';
import type { PreemptionReason, WorkloadRequest } from '../../../src/compute/admission/types.js';

/**
 * Choosing preemption targets with Kueue's rules: classical preemption (within the queue by
 * priority, reclaiming quota lent to borrowing queues of the cohort, optionally while
 * borrowing) and fair-sharing preemption (targets from the queues with the highest dominant
 * resource share, strategies LessThanOrEqualToFinalShare then LessThanInitialShare).
 */

export interface PlacementNeed {
  readonly flavor: CompiledFlavor;
  readonly demand: PodDemand;
  readonly count: number;
}

export interface PreemptionRequest {
  readonly workload: WorkloadRequest;
  readonly queue: QueueNode;
  /** Flavor-resources that lack room. */
  readonly frs: ReadonlySet<number>;
  /** Everything the workload would use, flavor-resource → amount. */
  readonly usage: ReadonlyMap<number, number>;
  readonly placements: readonly PlacementNeed[];
}

export interface Target {
  readonly entry: AdmittedEntry;
  readonly reason: PreemptionReason;
}

export interface PreemptionContext {
  readonly state: ClusterState;
  readonly fairSharing: boolean;
  readonly resourceOf: readonly string[];
}

const enum Variant {
  Never,
  WithinQueue,
  HierarchicalReclaim,
  ReclaimWithoutBorrowing,
  ReclaimWhileBorrowing,
}

interface Candidate {
  readonly entry: AdmittedEntry;
  readonly lca: CohortNode | undefined;
  readonly variant: Variant;
}

const variantReason: Record<Variant, PreemptionReason> = {
  [Variant.Never]: 'InClusterQueue',
  [Variant.WithinQueue]: 'InClusterQueue',
  [Variant.HierarchicalReclaim]: 'InCohortReclamation',
  [Variant.ReclaimWithoutBorrowing]: 'InCohortReclamation',
  [Variant.ReclaimWhileBorrowing]: 'InCohortReclaimWhileBorrowing',
};

function queuedAt(w: WorkloadRequest): number {
  return w.queuedAt ?? w.orderKey;
}

function satisfiesPolicy(
  preemptor: WorkloadRequest,
  candidate: WorkloadRequest,
  policy: string,
): boolean {
  if (policy === 'Any') return true;
  const lower = preemptor.priority > candidate.priority;
  if (policy === 'LowerPriority') return lower;
  if (policy === 'LowerOrNewerEqualPriority') {
    return (
      lower ||
      (preemptor.priority === candidate.priority && queuedAt(preemptor) < queuedAt(candidate))
    );
  }
  return false;
}

function usesResources(entry: AdmittedEntry, frs: ReadonlySet<number>): boolean {
  for (const [fr] of entry.usage) if (frs.has(fr)) return true;
  return false;
}

/** Kueue's candidate order: other queues first, then lower priority, then most recently admitted. */
function candidateOrder(queue: QueueNode): (a: AdmittedEntry, b: AdmittedEntry) => number {
  return (a, b) => {
    const aOwn = a.queue === queue ? 1 : 0;
    const bOwn = b.queue === queue ? 1 : 0;
    if (aOwn !== bOwn) return aOwn - bOwn;
    if (a.workload.priority !== b.workload.priority)
      return a.workload.priority - b.workload.priority;
    if (a.workload.admittedAt !== b.workload.admittedAt) {
      return b.workload.admittedAt - a.workload.admittedAt;
    }
    return a.workload.id < b.workload.id ? -1 : a.workload.id > b.workload.id ? 1 : 0;
  };
}

function* ancestors(node: QuotaNode): Generator<CohortNode> {
  for (let n = node.parent; n !== undefined; n = n.parent) yield n;
}

function subtreeQueues(cohort: CohortNode, out: QueueNode[] = []): QueueNode[] {
  out.push(...cohort.childQueues);
  for (const child of cohort.childCohorts) subtreeQueues(child, out);
  return out;
}

/** True when every flavor-resource the workload needs fits in the queue now. */
export function quotaFits(
  state: ClusterState,
  queue: QueueNode,
  usage: ReadonlyMap<number, number>,
  allowBorrowing: boolean,
): boolean {
  for (const [fr, amount] of usage) {
    if (!allowBorrowing && borrowingWith(state, queue, fr, amount)) return false;
    if (amount > Math.max(0, available(state, queue, fr))) return false;
  }
  return true;
}

function placementFits(state: ClusterState, placements: readonly PlacementNeed[]): boolean {
  if (placements.length === 0) return true;
  const taken = [];
  let fits = true;
  for (const need of placements) {
    const plan = state.planPods(need.flavor, need.demand, need.count);
    if (plan === undefined) {
      fits = false;
      break;
    }
    for (const a of plan) state.allocate(a, 1);
    taken.push(...plan);
  }
  for (const a of taken) state.allocate(a, -1);
  return fits;
}

function workloadFits(
  ctx: PreemptionContext,
  req: PreemptionRequest,
  allowBorrowing: boolean,
): boolean {
  return (
    quotaFits(ctx.state, req.queue, req.usage, allowBorrowing) &&
    placementFits(ctx.state, req.placements)
  );
}

/** The workloads to preempt so that `req` fits, or an empty list when no set would do. */
export function findTargets(ctx: PreemptionContext, req: PreemptionRequest): Target[] {
  return ctx.fairSharing ? fairPreemptions(ctx, req) : classicalPreemptions(ctx, req);
}

/**
 * A cheap bound before the search: even preempting every candidate frees at most their usage,
 * so if that plus what is available now is short for some flavor-resource, no set will do.
 */
function enoughToFree(
  state: ClusterState,
  req: PreemptionRequest,
  candidates: readonly AdmittedEntry[],
): boolean {
  if (req.placements.length > 0) return true;
  for (const fr of req.frs) {
    let freed = Math.max(0, available(state, req.queue, fr));
    const needed = req.usage.get(fr) ?? 0;
    for (const c of candidates) {
      if (freed >= needed) break;
      for (const [cfr, amount] of c.usage) if (cfr === fr) freed += amount;
    }
    if (freed < needed) return false;
  }
  return true;
}

function classify(req: PreemptionRequest, entry: AdmittedEntry, advantage: boolean): Variant {
  if (!usesResources(entry, req.frs)) return Variant.Never;
  const q = req.queue;
  const own = entry.queue === q;
  const policy = own ? q.withinClusterQueue : q.reclaimWithinCohort;
  if (!satisfiesPolicy(req.workload, entry.workload, policy)) return Variant.Never;
  if (own) return Variant.WithinQueue;
  if (advantage) return Variant.HierarchicalReclaim;
  if (q.borrowWithinCohort.policy === 'Never') return Variant.ReclaimWithoutBorrowing;
  const candidate = entry.workload.priority;
  const threshold = q.borrowWithinCohort.maxPriorityThreshold;
  if (candidate >= req.workload.priority || (threshold !== undefined && candidate > threshold)) {
    return Variant.ReclaimWithoutBorrowing;
  }
  return Variant.ReclaimWhileBorrowing;
}

function fitInQuota(
  state: ClusterState,
  node: QuotaNode,
  requests: ReadonlyMap<number, number>,
): [boolean, Map<number, number>] {
  let fits = true;
  const remaining = new Map<number, number>();
  const usage = state.usage[node.index] as Float64Array;
  for (const [fr, v] of requests) {
    if ((node.subtreeQuota[fr] ?? 0) < (usage[fr] ?? 0) + v) fits = false;
    remaining.set(fr, Math.max(0, v - localAvailable(state, node, fr)));
  }
  return [fits, remaining];
}

function classicalPreemptions(ctx: PreemptionContext, req: PreemptionRequest): Target[] {
  const { state } = ctx;
  const q = req.queue;
  const fromQueue = (
    queue: QueueNode,
    lca: CohortNode | undefined,
    advantage: boolean,
    out: Candidate[],
  ) => {
    for (const entry of state.byQueue.get(queue) ?? []) {
      const variant = classify(req, entry, advantage);
      if (variant !== Variant.Never) out.push({ entry, lca, variant });
    }
  };
  const same: Candidate[] = [];
  if (q.withinClusterQueue !== 'Never') fromQueue(q, undefined, false, same);
  const hierarchy: Candidate[] = [];
  const priority: Candidate[] = [];
  if (q.parent !== undefined && q.reclaimWithinCohort !== 'Never') {
    let previous: CohortNode | undefined;
    let [advantage, remaining] = fitInQuota(state, q, req.usage);
    const collect = (
      cohort: CohortNode,
      root: CohortNode,
      skip: CohortNode | undefined,
      out: Candidate[],
    ) => {
      for (const child of cohort.childCohorts) {
        if (child === skip || withinNominal(state, child, req.frs)) continue;
        collect(child, root, skip, out);
      }
      for (const child of cohort.childQueues) {
        if (child === q || withinNominal(state, child, req.frs)) continue;
        fromQueue(child, root, advantage, out);
      }
    };
    for (const cohort of ancestors(q)) {
      collect(cohort, cohort, previous, advantage ? hierarchy : priority);
      const [fits, rest] = fitInQuota(state, cohort, remaining);
      remaining = rest;
      advantage = advantage || fits;
      previous = cohort;
    }
  }
  if (
    !enoughToFree(
      state,
      req,
      [...hierarchy, ...priority, ...same].map((c) => c.entry),
    )
  )
    return [];
  const order = candidateOrder(q);
  const byEntry = (a: Candidate, b: Candidate) => order(a.entry, b.entry);
  const all = [...hierarchy.sort(byEntry), ...priority.sort(byEntry), ...same.sort(byEntry)];
  const borrowForbidden = q.borrowWithinCohort.policy === 'Never';
  const underNominal = [...req.frs].every(
    (fr) => (q.nominal[fr] ?? 0) > (state.usage[q.index]?.[fr] ?? 0),
  );
  let attempts: boolean[];
  if ((hierarchy.length === 0 && priority.length === 0) || (borrowForbidden && !underNominal)) {
    attempts = [true];
  } else if (borrowForbidden && hierarchy.length === 0) attempts = [false, true];
  else attempts = [true, false];

  const valid = (c: Candidate, borrow: boolean): boolean => {
    if (c.entry.queue === q) return true;
    if (borrow && c.variant === Variant.ReclaimWithoutBorrowing) return false;
    if (withinNominal(state, c.entry.queue, req.frs)) return false;
    for (const node of ancestors(c.entry.queue)) {
      if (node === c.lca) break;
      if (withinNominal(state, node, req.frs)) return false;
    }
    return true;
  };
  for (const allowBorrowing of attempts) {
    let targets: Target[] = [];
    for (const c of all) {
      if (!valid(c, allowBorrowing)) continue;
      state.removeEntry(c.entry);
      targets.push({ entry: c.entry, reason: variantReason[c.variant] });
      if (workloadFits(ctx, req, allowBorrowing)) {
        targets = fillBack(ctx, req, targets, allowBorrowing);
        for (const t of targets) state.addEntry(t.entry);
        return targets;
      }
    }
    for (const t of targets) state.addEntry(t.entry);
  }
  return [];
}

/** Gives back targets (newest choice kept) that are not needed for the workload to fit. */
function fillBack(
  ctx: PreemptionContext,
  req: PreemptionRequest,
  targets: Target[],
  allowBorrowing: boolean,
): Target[] {
  const result = [...targets];
  for (let i = result.length - 2; i >= 0; i--) {
    const t = result[i] as Target;
    ctx.state.addEntry(t.entry);
    if (workloadFits(ctx, req, allowBorrowing)) {
      result[i] = result[result.length - 1] as Target;
      result.pop();
    } else {
      ctx.state.removeEntry(t.entry);
    }
  }
  return result;
}

function cqIsBorrowing(state: ClusterState, queue: QueueNode, frs: ReadonlySet<number>): boolean {
  if (queue.parent === undefined) return false;
  for (const fr of frs) if (borrowingWith(state, queue, fr, 0)) return true;
  return false;
}

function fairPreemptions(ctx: PreemptionContext, req: PreemptionRequest): Target[] {
  const { state } = ctx;
  const q = req.queue;
  const candidates: AdmittedEntry[] = [];
  const take = (queue: QueueNode, policy: string) => {
    for (const entry of state.byQueue.get(queue) ?? []) {
      if (satisfiesPolicy(req.workload, entry.workload, policy) && usesResources(entry, req.frs)) {
        candidates.push(entry);
      }
    }
  };
  if (q.withinClusterQueue !== 'Never') take(q, q.withinClusterQueue);
  if (q.parent !== undefined && q.reclaimWithinCohort !== 'Never') {
    const root = rootCohort(q);
    for (const other of subtreeQueues(root)) {
      if (other !== q && cqIsBorrowing(state, other, req.frs)) take(other, q.reclaimWithinCohort);
    }
  }
  if (candidates.length === 0 || !enoughToFree(state, req, candidates)) return [];
  candidates.sort(candidateOrder(q));

  const simulate = (sign: 1 | -1) => {
    for (const [fr, amount] of req.usage) changeUsage(state, q, fr, sign * amount);
  };
  const fitsFair = (): boolean => {
    simulate(-1);
    const fits = workloadFits(ctx, req, true);
    simulate(1);
    return fits;
  };
  simulate(1);
  let targets: Target[] = [];
  let fits = false;
  const retry: AdmittedEntry[] = [];
  const first = new TargetOrdering(ctx, q, candidates);
  outer: for (const target of first.iterate()) {
    if (target.queue === q) {
      const entry = first.pop(target.queue);
      state.removeEntry(entry);
      targets.push({ entry, reason: 'InClusterQueue' });
      if (fitsFair()) {
        fits = true;
        break;
      }
      continue;
    }
    const [preemptorNew, targetOld] = first.shares(target.queue);
    if (weightedShare(preemptorNew) === Infinity && weightedShare(targetOld) !== Infinity) {
      while (first.has(target.queue)) retry.push(first.pop(target.queue));
      continue;
    }
    while (first.has(target.queue)) {
      const entry = first.pop(target.queue);
      state.removeEntry(entry);
      const [, targetNew] = first.shares(target.queue);
      if (compareDrs(preemptorNew, targetNew) <= 0) {
        targets.push({ entry, reason: 'InCohortFairSharing' });
        if (fitsFair()) {
          fits = true;
          break outer;
        }
        break;
      }
      state.addEntry(entry);
      retry.push(entry);
    }
  }
  if (!fits && retry.length > 0) {
    const second = new TargetOrdering(ctx, q, retry);
    for (const target of second.iterate()) {
      const [preemptorNew, targetOld] = second.shares(target.queue);
      const entry = second.pop(target.queue);
      if (compareDrs(preemptorNew, targetOld) < 0) {
        state.removeEntry(entry);
        targets.push({ entry, reason: 'InCohortFairSharing' });
        if (fitsFair()) {
          fits = true;
          break;
        }
      }
      second.drop(target.queue);
    }
  }
  simulate(-1);
  if (!fits) {
    for (const t of targets) state.addEntry(t.entry);
    return [];
  }
  targets = fillBack(ctx, req, targets, true);
  for (const t of targets) state.addEntry(t.entry);
  return targets;
}

function rootCohort(q: QueueNode): CohortNode {
  let root = q.parent as CohortNode;
  while (root.parent !== undefined) root = root.parent;
  return root;
}

/**
 * Walks the cohort tree from the root toward the queues with the highest dominant resource
 * share, as Kueue's fair-sharing target ordering does; queues and cohorts that do not borrow
 * are pruned.
 */
class TargetOrdering {
  private readonly byQueue = new Map<QueueNode, AdmittedEntry[]>();
  private readonly prunedQueues = new Set<QueueNode>();
  private readonly prunedCohorts = new Set<CohortNode>();
  private readonly path = new Set<CohortNode>();

  constructor(
    private readonly ctx: PreemptionContext,
    private readonly preemptor: QueueNode,
    candidates: readonly AdmittedEntry[],
  ) {
    for (const c of ancestors(preemptor)) this.path.add(c);
    for (const entry of candidates) {
      const list = this.byQueue.get(entry.queue);
      if (list === undefined) this.byQueue.set(entry.queue, [entry]);
      else list.push(entry);
    }
  }

  has(queue: QueueNode): boolean {
    return (this.byQueue.get(queue)?.length ?? 0) > 0;
  }

  pop(queue: QueueNode): AdmittedEntry {
    return (this.byQueue.get(queue) as AdmittedEntry[]).shift() as AdmittedEntry;
  }

  drop(queue: QueueNode): void {
    this.prunedQueues.add(queue);
  }

  *iterate(): Generator<{ queue: QueueNode }> {
    if (this.preemptor.parent === undefined) {
      while (!this.prunedQueues.has(this.preemptor) && this.has(this.preemptor)) {
        yield { queue: this.preemptor };
      }
      return;
    }
    const root = rootCohort(this.preemptor);
    while (!this.prunedCohorts.has(root)) {
      const next = this.next(root);
      if (next !== undefined) yield { queue: next };
    }
  }

  private drs(node: QuotaNode): Drs {
    return dominantResourceShare(this.ctx.state, node, this.ctx.resourceOf);
  }

  private next(cohort: CohortNode): QueueNode | undefined {
    let best: QueueNode | undefined;
    let bestDrs = negativeDrs;
    const order = candidateOrder(this.preemptor);
    for (const cq of cohort.childQueues) {
      if (this.prunedQueues.has(cq)) continue;
      const drs = this.drs(cq);
      const cmp = compareDrs(drs, bestDrs);
      if ((!drs.borrowing && cq !== this.preemptor) || !this.has(cq)) {
        this.prunedQueues.add(cq);
      } else if (cmp === 0 && best !== undefined) {
        const mine = (this.byQueue.get(cq) as AdmittedEntry[])[0] as AdmittedEntry;
        const theirs = (this.byQueue.get(best) as AdmittedEntry[])[0] as AdmittedEntry;
        if (order(mine, theirs) < 0) best = cq;
      } else if (cmp > 0) {
        best = cq;
        bestDrs = drs;
      }
    }
    let bestCohort: CohortNode | undefined;
    let bestCohortDrs = negativeDrs;
    for (const child of cohort.childCohorts) {
      if (this.prunedCohorts.has(child)) continue;
      const drs = this.drs(child);
      if (!drs.borrowing && !this.path.has(child)) this.prunedCohorts.add(child);
      else if (compareDrs(drs, bestCohortDrs) >= 0) {
        bestCohort = child;
        bestCohortDrs = drs;
      }
    }
    if (bestCohort === undefined && best === undefined) {
      this.prunedCohorts.add(cohort);
      return undefined;
    }
    if (bestCohort !== undefined && compareDrs(bestCohortDrs, bestDrs) >= 0) {
      return this.next(bestCohort);
    }
    return best;
  }

  /** Shares of the preemptor's and the target's subtrees just below their common ancestor. */
  shares(target: QueueNode): [Drs, Drs] {
    let lca: CohortNode | undefined;
    for (const a of ancestors(target)) {
      if (this.path.has(a)) {
        lca = a;
        break;
      }
    }
    const almost = (node: QuotaNode): QuotaNode => {
      let current: QuotaNode = node;
      for (const a of ancestors(node)) {
        if (a === lca) return current;
        current = a;
      }
      return current;
    };
    return [this.drs(almost(this.preemptor)), this.drs(almost(target))];
  }
}
