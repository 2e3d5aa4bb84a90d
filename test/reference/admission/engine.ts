// Reference copy of src/compute/admission/engine.ts as it was before the optimisations of ADR 052, kept unchanged so
// property tests can check that the optimised engine decides exactly the same. Tests only.
import { Conflict } from '../../../src/platform/errors.js';
import { compareDrs, dominantResourceShare, type Drs } from './drs.js';
import {
  findTargets,
  quotaFits,
  type PlacementNeed,
  type PreemptionContext,
  type Target,
} from './preemption.js';
import {
  available,
  borrowingWith,
  changeUsage,
  localAvailable,
  podDemand,
  potentialAvailable,
  toPlacement,
  type Allocation,
  type ClusterState,
  type CohortNode,
  type CompiledFlavor,
  type QueueNode,
  type QuotaNode,
} from './state.js';
import type {
  Admission,
  AdmittedWorkload,
  CycleOptions,
  CycleResult,
  Decision,
  FlavorAttempt,
  FlavorSpec,
  NodeSelectorRequirement,
  PendingCode,
  PendingReason,
  PodSetAdmission,
  PodSetRequest,
  ResourceFinding,
  Toleration,
  WorkloadRequest,
} from '../../../src/compute/admission/types.js';

/**
 * The admission cycle: Kueue's scheduler as a pure function. Each round takes the head of
 * every ClusterQueue, assigns flavors (quota, borrowing, node fit), orders the heads (by
 * borrowing and priority, or by dominant resource share with fair sharing), and admits,
 * preempts for, or parks each one. Rounds repeat until every pending workload has a decision.
 */

const enum Mode {
  NoFit = 0,
  NoCandidates = 1,
  Preempt = 2,
  Reclaim = 3,
  Fit = 4,
}

interface Granular {
  readonly mode: Mode;
  readonly borrow: number;
}

const worst: Granular = { mode: Mode.NoFit, borrow: Number.MAX_SAFE_INTEGER };

interface PodSetAssignment {
  readonly podSet: PodSetRequest;
  readonly flavors: Record<string, string>;
  placement?: { flavor: CompiledFlavor; need: PlacementNeed };
}

/** The outcome of flavor assignment for one workload. */
export interface Assignment {
  readonly podSets: PodSetAssignment[];
  readonly usage: Map<number, number>;
  readonly mode: 'Fit' | 'Preempt' | 'NoFit';
  readonly borrow: number;
  /** Flavor-resources where the workload needs preemption. */
  readonly preemptFrs: Set<number>;
  readonly attempts: FlavorAttempt[];
  readonly code: PendingCode;
  readonly message: string;
  readonly candidatesFound: boolean;
}

interface Pending {
  readonly workload: WorkloadRequest;
  readonly queue: QueueNode;
}

class Engine implements PreemptionContext {
  readonly resourceOf: readonly string[];

  constructor(
    readonly state: ClusterState,
    readonly fairSharing: boolean,
    readonly now: number,
  ) {
    this.resourceOf = state.topology.frResource;
  }

  assign(p: Pending): Assignment {
    const usage = new Map<number, number>();
    const podSets: PodSetAssignment[] = [];
    const attempts: FlavorAttempt[] = [];
    const preemptFrs = new Set<number>();
    const committed: Allocation[] = [];
    let rep: Granular = { mode: Mode.Fit, borrow: 0 };
    let code: PendingCode = 'WaitingForQuota';
    const messages: string[] = [];
    const finish = (mode: Assignment['mode']): Assignment => {
      for (const a of committed) this.state.allocate(a, -1);
      return {
        podSets,
        usage,
        mode,
        borrow: rep.borrow,
        preemptFrs,
        attempts,
        code,
        message: messages.join('; '),
        candidatesFound: mode === 'Preempt' && rep.mode >= Mode.Preempt,
      };
    };
    for (const ps of p.workload.podSets) {
      const requested = Object.keys(ps.requests).filter((r) => (ps.requests[r] ?? 0) > 0);
      const psa: PodSetAssignment = { podSet: ps, flavors: {} };
      const groups: number[] = [];
      for (const r of requested) {
        const g = p.queue.groupOfResource.get(r);
        if (g === undefined) {
          code = 'NoMatchingFlavor';
          messages.push(`resource ${r} unavailable in ClusterQueue ${p.queue.name}`);
          return finish('NoFit');
        }
        if (!groups.includes(g)) groups.push(g);
      }
      for (const g of groups) {
        const found = this.findFlavor(p, ps, g, requested, usage, attempts, psa);
        if (found.flavor === undefined) {
          code = found.code;
          messages.push(
            `couldn't assign flavors to pod set ${ps.name}: ${found.reasons.join(', ')}`,
          );
          return finish('NoFit');
        }
        const group = p.queue.groups[g];
        for (const r of requested) {
          if (!group?.covered.has(r)) continue;
          psa.flavors[r] = found.flavor;
          const fr = this.state.topology.findFr(found.flavor, r) as number;
          usage.set(fr, (usage.get(fr) ?? 0) + (ps.requests[r] ?? 0) * ps.count);
          if (found.mode.mode !== Mode.Fit) preemptFrs.add(fr);
        }
        if (found.plan !== undefined) {
          for (const a of found.plan) this.state.allocate(a, 1);
          committed.push(...found.plan);
        }
        if (found.mode.mode !== Mode.Fit) {
          code = found.code;
          messages.push(`pod set ${ps.name}: ${found.reasons.join(', ')}`);
        }
        if (found.mode.mode < rep.mode) rep = { mode: found.mode.mode, borrow: rep.borrow };
        rep = { mode: rep.mode, borrow: Math.max(rep.borrow, found.mode.borrow) };
      }
      podSets.push(psa);
    }
    if (rep.mode === Mode.Fit) return finish('Fit');
    return finish(rep.mode === Mode.NoFit ? 'NoFit' : 'Preempt');
  }

  private findFlavor(
    p: Pending,
    ps: PodSetRequest,
    g: number,
    requested: readonly string[],
    usage: ReadonlyMap<number, number>,
    attempts: FlavorAttempt[],
    psa: PodSetAssignment,
  ): {
    flavor?: string;
    mode: Granular;
    plan?: Allocation[];
    code: PendingCode;
    reasons: string[];
  } {
    const group = p.queue.groups[g];
    const covered = requested.filter((r) => group?.covered.has(r));
    let best:
      { flavor: string; mode: Granular; plan?: Allocation[]; need?: PlacementNeed } | undefined;
    let bestMode = worst;
    let code: PendingCode = 'NoMatchingFlavor';
    const reasons: string[] = [];
    for (const flavorName of group?.flavors ?? []) {
      const flavor = this.state.topology.flavors.get(flavorName) as CompiledFlavor;
      const mismatch = flavorMismatch(flavor.spec, ps);
      if (mismatch !== undefined) {
        reasons.push(mismatch);
        attempts.push({
          podSet: ps.name,
          flavor: flavorName,
          mode: 'NoFit',
          reasons: [mismatch],
          resources: [],
        });
        continue;
      }
      let rep: Granular = { mode: Mode.Fit, borrow: 0 };
      const findings: ResourceFinding[] = [];
      const values = new Map<number, number>();
      const flavorReasons: string[] = [];
      let flavorCode: PendingCode | undefined;
      for (const r of covered) {
        const fr = this.state.topology.findFr(flavorName, r) as number;
        const value = (usage.get(fr) ?? 0) + (ps.requests[r] ?? 0) * ps.count;
        values.set(fr, value);
        const out = this.fitsQuota(p, fr, value);
        findings.push(this.finding(p.queue, ps.name, flavorName, r, fr, value, out));
        if (out.reason !== undefined) flavorReasons.push(out.reason);
        if (out.code !== undefined) flavorCode = out.code;
        if (isPreferred(rep, out.mode, p.queue)) rep = out.mode;
        if (rep.mode === Mode.NoFit) break;
      }
      let plan: Allocation[] | undefined;
      let need: PlacementNeed | undefined;
      const placeHere =
        flavor.nodeNames.length > 0 &&
        (flavor.deviceResource === undefined ||
          covered.includes(flavor.deviceResource) ||
          !requested.includes(flavor.deviceResource));
      if (rep.mode !== Mode.NoFit && placeHere) {
        const demand = podDemand(flavor, ps.requests, (r) => covered.includes(r));
        need = { flavor, demand, count: ps.count };
        plan = this.state.planPods(flavor, demand, ps.count);
        if (plan === undefined) {
          if (this.state.planPods(flavor, demand, ps.count, true) === undefined) {
            rep = { mode: Mode.NoFit, borrow: rep.borrow };
            flavorCode = 'NoMatchingFlavor';
            flavorReasons.push(
              `${ps.count} pod(s) of pod set ${ps.name} do not fit on the nodes of flavor ${flavorName} even when they are empty`,
            );
          } else {
            flavorReasons.push(
              `not enough free node capacity in flavor ${flavorName} for ${ps.count} pod(s)`,
            );
            flavorCode = 'WaitingForNodeCapacity';
            if (rep.mode === Mode.Fit) {
              const oracle = this.oracle(p, new Set(values.keys()), values, [need]);
              rep = { mode: oracle.mode, borrow: Math.max(rep.borrow, oracle.borrow) };
            }
          }
        }
      }
      reasons.push(...flavorReasons);
      attempts.push({
        podSet: ps.name,
        flavor: flavorName,
        mode: rep.mode === Mode.Fit ? 'Fit' : rep.mode === Mode.NoFit ? 'NoFit' : 'Preempt',
        reasons: flavorReasons,
        resources: findings,
      });
      if (flavorCode !== undefined) code = flavorCode;
      if (!shouldTryNext(rep, p.queue)) {
        best = {
          flavor: flavorName,
          mode: rep,
          ...(plan ? { plan } : {}),
          ...(need ? { need } : {}),
        };
        bestMode = rep;
        break;
      }
      if (isPreferred(rep, bestMode, p.queue)) {
        best = {
          flavor: flavorName,
          mode: rep,
          ...(plan ? { plan } : {}),
          ...(need ? { need } : {}),
        };
        bestMode = rep;
      }
    }
    if (best === undefined) return { mode: worst, code, reasons };
    if (best.need !== undefined) psa.placement = { flavor: best.need.flavor, need: best.need };
    return {
      flavor: best.flavor,
      mode: bestMode,
      ...(best.plan ? { plan: best.plan } : {}),
      code: bestMode.mode === Mode.Fit ? 'WaitingForQuota' : code,
      reasons,
    };
  }

  private finding(
    q: QueueNode,
    podSet: string,
    flavor: string,
    resource: string,
    fr: number,
    requested: number,
    quota: { available: number; maxCapacity: number },
  ): ResourceFinding {
    const used = this.state.usage[q.index]?.[fr] ?? 0;
    const nominal = q.nominal[fr] ?? 0;
    const limit = q.borrowingLimit[fr] ?? Infinity;
    return {
      podSet,
      flavor,
      resource,
      requested,
      nominal,
      ...(limit === Infinity ? {} : { borrowingLimit: limit }),
      used,
      available: quota.available,
      maxCapacity: quota.maxCapacity,
      wouldBorrow: Math.max(0, used + requested - nominal),
    };
  }

  private fitsQuota(
    p: Pending,
    fr: number,
    value: number,
  ): {
    mode: Granular;
    available: number;
    maxCapacity: number;
    reason?: string;
    code?: PendingCode;
  } {
    const q = p.queue;
    const resource = this.state.topology.frResource[fr] as string;
    const flavor = this.state.topology.frFlavor[fr] as string;
    const avail = Math.max(0, available(this.state, q, fr));
    const maxCapacity = potentialAvailable(q, fr);
    if (value > maxCapacity) {
      return {
        mode: { mode: Mode.NoFit, borrow: 0 },
        available: avail,
        maxCapacity,
        code: 'ExceedsMaxQuota',
        reason: `insufficient quota for ${resource} in flavor ${flavor}, request (${value}) > maximum capacity (${maxCapacity})`,
      };
    }
    const [borrow, mayReclaim] = this.heightThatFits(q, fr, value);
    if (value <= avail) return { mode: { mode: Mode.Fit, borrow }, available: avail, maxCapacity };
    const reason = `insufficient unused quota for ${resource} in flavor ${flavor}, ${value - avail} more needed`;
    if ((q.nominal[fr] ?? 0) >= value || mayReclaim || this.canPreemptWhileBorrowing(q)) {
      const oracle = this.oracle(p, new Set([fr]), new Map([[fr, value]]), []);
      return { mode: oracle, available: avail, maxCapacity, reason, code: 'WaitingForQuota' };
    }
    return {
      mode: { mode: Mode.NoFit, borrow },
      available: avail,
      maxCapacity,
      reason,
      code: 'WaitingForQuota',
    };
  }

  private canPreemptWhileBorrowing(q: QueueNode): boolean {
    return (
      q.borrowWithinCohort.policy !== 'Never' ||
      (this.fairSharing && q.reclaimWithinCohort !== 'Never')
    );
  }

  /** Kueue's FindHeightOfLowestSubtreeThatFits: how high in the tree the workload borrows. */
  heightThatFits(q: QueueNode, fr: number, value: number): [number, boolean] {
    if (!borrowingWith(this.state, q, fr, value) || q.parent === undefined) {
      return [0, q.parent !== undefined];
    }
    let remaining = value - localAvailable(this.state, q, fr);
    let root: CohortNode = q.parent;
    for (let node: CohortNode | undefined = q.parent; node !== undefined; node = node.parent) {
      if (!borrowingWith(this.state, node, fr, remaining))
        return [node.height, node.parent !== undefined];
      remaining -= localAvailable(this.state, node, fr);
      root = node;
    }
    return [root.height, false];
  }

  private oracle(
    p: Pending,
    frs: Set<number>,
    usage: Map<number, number>,
    placements: PlacementNeed[],
  ): Granular {
    const q = p.queue;
    if (
      q.withinClusterQueue === 'Never' &&
      (q.parent === undefined || q.reclaimWithinCohort === 'Never')
    ) {
      return {
        mode: Mode.NoCandidates,
        borrow: Math.max(0, ...[...usage].map(([fr, v]) => this.heightThatFits(q, fr, v)[0])),
      };
    }
    const targets = findTargets(this, {
      workload: p.workload,
      queue: p.queue,
      frs,
      usage,
      placements,
    });
    const height = () =>
      Math.max(0, ...[...usage].map(([fr, v]) => this.heightThatFits(p.queue, fr, v)[0]));
    if (targets.length === 0) return { mode: Mode.NoCandidates, borrow: height() };
    for (const t of targets) this.state.removeEntry(t.entry);
    const borrow = height();
    for (const t of targets) this.state.addEntry(t.entry);
    return {
      mode: targets.some((t) => t.entry.queue === p.queue) ? Mode.Preempt : Mode.Reclaim,
      borrow,
    };
  }

  targetsFor(p: Pending, a: Assignment): Target[] {
    const placements = a.podSets.flatMap((ps) => (ps.placement ? [ps.placement.need] : []));
    const frs = new Set(a.preemptFrs);
    return findTargets(this, {
      workload: p.workload,
      queue: p.queue,
      frs,
      usage: a.usage,
      placements,
    });
  }

  /** Plans node placement for every podset on the current state; undefined when one does not fit. */
  place(a: Assignment): Map<PodSetAssignment, Allocation[]> | undefined {
    const plans = new Map<PodSetAssignment, Allocation[]>();
    const taken: Allocation[] = [];
    let ok = true;
    for (const psa of a.podSets) {
      if (psa.placement === undefined) continue;
      const plan = this.state.planPods(
        psa.placement.flavor,
        psa.placement.need.demand,
        psa.placement.need.count,
      );
      if (plan === undefined) {
        ok = false;
        break;
      }
      for (const x of plan) this.state.allocate(x, 1);
      taken.push(...plan);
      plans.set(psa, plan);
    }
    for (const x of taken) this.state.allocate(x, -1);
    return ok ? plans : undefined;
  }

  admission(p: Pending, a: Assignment, plans: Map<PodSetAssignment, Allocation[]>): Admission {
    return {
      clusterQueue: p.queue.name,
      podSets: a.podSets.map((psa): PodSetAdmission => {
        const plan = plans.get(psa);
        return {
          name: psa.podSet.name,
          count: psa.podSet.count,
          flavors: { ...psa.flavors },
          ...(plan ? { placement: toPlacement(plan) } : {}),
        };
      }),
    };
  }
}

function isPreferred(a: Granular, b: Granular, q: QueueNode): boolean {
  if (a.mode === Mode.NoFit) return false;
  if (b.mode === Mode.NoFit) return true;
  const aNone = a.mode === Mode.NoCandidates;
  const bNone = b.mode === Mode.NoCandidates;
  if (aNone !== bNone) return !aNone;
  if (q.preference === 'PreemptionOverBorrowing') {
    if (a.borrow !== b.borrow) return a.borrow < b.borrow;
    return a.mode > b.mode;
  }
  if (a.mode !== b.mode) return a.mode > b.mode;
  return a.borrow < b.borrow;
}

function shouldTryNext(rep: Granular, q: QueueNode): boolean {
  if (rep.mode === Mode.NoFit || rep.mode === Mode.NoCandidates) return true;
  if (
    (rep.mode === Mode.Preempt || rep.mode === Mode.Reclaim) &&
    q.whenCanPreempt === 'TryNextFlavor'
  ) {
    return true;
  }
  return rep.borrow !== 0 && q.whenCanBorrow === 'TryNextFlavor';
}

function tolerates(
  tolerations: readonly Toleration[],
  key: string,
  value: string | undefined,
  effect: string,
): boolean {
  return tolerations.some((t) => {
    if (t.effect !== undefined && t.effect !== effect) return false;
    if (t.key === undefined) return t.operator === 'Exists';
    if (t.key !== key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (value ?? '');
  });
}

function matches(req: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
      return value !== undefined && (req.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(req.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}

/** Why a podset cannot use a flavor at all (untolerated taint, selector mismatch), if it cannot. */
export function flavorMismatch(flavor: FlavorSpec, ps: PodSetRequest): string | undefined {
  const tolerations = [...(ps.tolerations ?? []), ...(flavor.tolerations ?? [])];
  for (const taint of flavor.nodeTaints ?? []) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!tolerates(tolerations, taint.key, taint.value, taint.effect)) {
      return `untolerated taint ${taint.key}=${taint.value ?? ''}:${taint.effect} in flavor ${flavor.name}`;
    }
  }
  const labels = flavor.nodeLabels ?? {};
  for (const [key, value] of Object.entries(ps.nodeSelector ?? {})) {
    if (key in labels && labels[key] !== value)
      return `flavor ${flavor.name} doesn't match node affinity`;
  }
  for (const req of ps.nodeAffinity ?? []) {
    if (req.key in labels && !matches(req, labels)) {
      return `flavor ${flavor.name} doesn't match node affinity`;
    }
  }
  return undefined;
}

interface Entry {
  readonly pending: Pending;
  readonly assignment: Assignment;
  readonly targets: Target[];
}

function byQueueOrder(a: WorkloadRequest, b: WorkloadRequest): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.orderKey !== b.orderKey) return a.orderKey - b.orderKey;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function pendingReason(a: Assignment): PendingReason {
  return { code: a.code, message: a.message, attempts: a.attempts };
}

/** The full state of a cycle, kept for explanations. */
export interface CycleRun {
  readonly result: CycleResult;
  readonly engine: Engine;
  readonly order: Map<QueueNode, WorkloadRequest[]>;
  readonly assignments: Map<string, Assignment>;
}

/** Runs one admission cycle on `state` itself (callers pass a copy). */
export function runCycle(
  state: ClusterState,
  pending: readonly WorkloadRequest[],
  options: CycleOptions = {},
): CycleRun {
  const engine = new Engine(state, options.fairSharing === true, options.now ?? 0);
  const decisions: Decision[] = [];
  const order = new Map<QueueNode, WorkloadRequest[]>();
  const seen = new Set<string>();
  for (const w of pending) {
    if (seen.has(w.id) || state.entries.has(w.id)) {
      throw new Conflict(`workload '${w.id}' is listed twice or already admitted`);
    }
    seen.add(w.id);
    const queue = state.topology.queues.get(w.clusterQueue);
    if (queue === undefined) {
      decisions.push({
        kind: 'pending',
        workloadId: w.id,
        reason: {
          code: 'ClusterQueueNotFound',
          message: `ClusterQueue ${w.clusterQueue} not found`,
          attempts: [],
        },
      });
      continue;
    }
    const list = order.get(queue);
    if (list === undefined) order.set(queue, [w]);
    else list.push(w);
  }
  for (const list of order.values()) list.sort(byQueueOrder);
  const cursor = new Map<QueueNode, number>([...order.keys()].map((q) => [q, 0]));
  const blockedBy = new Map<QueueNode, string>();
  const assignments = new Map<string, Assignment>();
  let rounds = 0;
  for (;;) {
    const heads: Pending[] = [];
    for (const [queue, list] of order) {
      const at = cursor.get(queue) ?? 0;
      const w = list[at];
      if (w !== undefined && !blockedBy.has(queue)) heads.push({ workload: w, queue });
    }
    if (heads.length === 0 || rounds >= (options.maxRounds ?? Infinity)) break;
    rounds++;
    const entries: Entry[] = heads.map((pending) => {
      const assignment = engine.assign(pending);
      assignments.set(pending.workload.id, assignment);
      const targets = assignment.mode === 'Preempt' ? engine.targetsFor(pending, assignment) : [];
      return { pending, assignment, targets };
    });
    let progress = false;
    const settle = (e: Entry, decision: Decision) => {
      decisions.push(decision);
      progress = true;
      const queue = e.pending.queue;
      cursor.set(queue, (cursor.get(queue) ?? 0) + 1);
      if (decision.kind === 'pending' && queue.strictFifo)
        blockedBy.set(queue, e.pending.workload.id);
    };
    const skipped: Entry[] = [];
    for (const e of iterate(engine, entries)) {
      const { assignment: a, pending: p } = e;
      if (a.mode === 'NoFit' || (a.mode === 'Preempt' && e.targets.length === 0)) {
        settle(e, { kind: 'pending', workloadId: p.workload.id, reason: pendingReason(a) });
        continue;
      }
      if (e.targets.some((t) => !state.entries.has(t.entry.workload.id))) {
        skipped.push(e);
        continue;
      }
      for (const t of e.targets) state.removeEntry(t.entry);
      const plans = quotaFits(state, p.queue, a.usage, true) ? engine.place(a) : undefined;
      if (plans === undefined) {
        for (const t of e.targets) state.addEntry(t.entry);
        skipped.push(e);
        continue;
      }
      const admission = engine.admission(p, a, plans);
      state.add({ ...p.workload, admission, admittedAt: engine.now });
      const borrowing = [...a.usage.keys()].some((fr) => borrowingWith(state, p.queue, fr, 0));
      if (e.targets.length > 0) {
        settle(e, {
          kind: 'preempt',
          workloadId: p.workload.id,
          admission,
          targets: e.targets.map((t) => ({
            workloadId: t.entry.workload.id,
            clusterQueue: t.entry.queue.name,
            reason: t.reason,
          })),
          borrowing,
        });
      } else {
        settle(e, { kind: 'admit', workloadId: p.workload.id, admission, borrowing });
      }
    }
    if (!progress) {
      for (const e of skipped) {
        settle(e, {
          kind: 'pending',
          workloadId: e.pending.workload.id,
          reason: {
            code: 'WaitingForQuota',
            message: 'Workload no longer fits after processing another workload',
            attempts: e.assignment.attempts,
          },
        });
      }
    }
  }
  for (const [queue, head] of blockedBy) {
    if (rounds >= (options.maxRounds ?? Infinity)) break;
    const list = order.get(queue) ?? [];
    for (const w of list.slice(cursor.get(queue) ?? 0)) {
      decisions.push({
        kind: 'pending',
        workloadId: w.id,
        reason: {
          code: 'BlockedByQueueHead',
          message: `StrictFIFO: waiting behind ${head}, the head of ClusterQueue ${queue.name}`,
          attempts: [],
        },
      });
    }
  }
  return { result: { decisions, rounds }, engine, order, assignments };
}

function* iterate(engine: Engine, entries: Entry[]): Generator<Entry> {
  if (!engine.fairSharing) {
    const sorted = [...entries].sort((a, b) => {
      if (a.assignment.borrow !== b.assignment.borrow)
        return a.assignment.borrow - b.assignment.borrow;
      return byQueueOrder(a.pending.workload, b.pending.workload);
    });
    yield* sorted;
    return;
  }
  const remaining = new Map<QueueNode, Entry>(entries.map((e) => [e.pending.queue, e]));
  while (remaining.size > 0) {
    const [queue, first] = remaining.entries().next().value as [QueueNode, Entry];
    if (queue.parent === undefined) {
      remaining.delete(queue);
      yield first;
      continue;
    }
    let root: CohortNode = queue.parent;
    while (root.parent !== undefined) root = root.parent;
    const drs = new Map<string, Drs>();
    for (const [q, e] of remaining) {
      let top: QuotaNode = q;
      while (top.parent !== undefined) top = top.parent;
      if (top !== root) continue;
      for (const [fr, v] of e.assignment.usage) changeUsage(engine.state, q, fr, v);
      let share = dominantResourceShare(engine.state, q, engine.resourceOf);
      for (let a: CohortNode | undefined = q.parent; a !== undefined; a = a.parent) {
        drs.set(`${a.name}\u0000${e.pending.workload.id}`, share);
        share = dominantResourceShare(engine.state, a, engine.resourceOf);
      }
      for (const [fr, v] of e.assignment.usage) changeUsage(engine.state, q, fr, -v);
    }
    const winner = tournament(root, remaining, drs) as Entry;
    remaining.delete(winner.pending.queue);
    yield winner;
  }
}

function tournament(
  cohort: CohortNode,
  remaining: Map<QueueNode, Entry>,
  drs: Map<string, Drs>,
): Entry | undefined {
  const candidates: Entry[] = [];
  for (const child of cohort.childCohorts) {
    const c = tournament(child, remaining, drs);
    if (c !== undefined) candidates.push(c);
  }
  for (const q of cohort.childQueues) {
    const e = remaining.get(q);
    if (e !== undefined) candidates.push(e);
  }
  let best: Entry | undefined;
  for (const c of candidates) {
    if (best === undefined) {
      best = c;
      continue;
    }
    const a = drs.get(`${cohort.name}\u0000${c.pending.workload.id}`);
    const b = drs.get(`${cohort.name}\u0000${best.pending.workload.id}`);
    const cmp = a && b ? compareDrs(a, b) : 0;
    if (cmp < 0 || (cmp === 0 && byQueueOrder(c.pending.workload, best.pending.workload) < 0))
      best = c;
  }
  return best;
}

/** Runs one admission cycle over `pending` without changing `state`; returns the decisions. */
export function scheduleCycle(
  state: ClusterState,
  pending: readonly WorkloadRequest[],
  options: CycleOptions = {},
): CycleResult {
  return runCycle(state.clone(), pending, options).result;
}

/** Applies a cycle's decisions to `state`: evicts preemption targets, records admissions. */
export function applyDecisions(
  state: ClusterState,
  pending: readonly WorkloadRequest[],
  decisions: readonly Decision[],
  now: number,
): AdmittedWorkload[] {
  const byId = new Map(pending.map((w) => [w.id, w]));
  const admitted: AdmittedWorkload[] = [];
  for (const d of decisions) {
    if (d.kind === 'pending') continue;
    if (d.kind === 'preempt') for (const t of d.targets) state.remove(t.workloadId);
    const w = byId.get(d.workloadId);
    if (w === undefined) continue;
    const record: AdmittedWorkload = { ...w, admission: d.admission, admittedAt: now };
    state.add(record);
    admitted.push(record);
  }
  return admitted;
}

export type { Engine };
