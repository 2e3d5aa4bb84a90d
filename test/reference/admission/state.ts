// Reference copy of src/compute/admission/state.ts as it was before the optimisations of ADR 052, kept unchanged so
// property tests can check that the optimised engine decides exactly the same. Tests only.
import { Conflict, InvalidInput, NotFound } from '../../../src/platform/errors.js';
import type {
  AdmittedWorkload,
  ClusterQueueSpec,
  ClusterTopology,
  FlavorSpec,
  PodPlacement,
  PodSetRequest,
  QuotaSpec,
  ResourceGroupSpec,
} from '../../../src/compute/admission/types.js';

/**
 * The compiled form of a cluster topology and the mutable usage the engine works on. Quotas
 * and usage are dense Float64Arrays indexed by flavor-resource id, so copying a snapshot for a
 * cycle and walking the cohort tree cost a few array reads, not map look-ups.
 */

const NO_LENDING_LIMIT = -1;

export interface QuotaNode {
  readonly name: string;
  readonly kind: 'queue' | 'cohort';
  readonly index: number;
  parent: CohortNode | undefined;
  readonly weight: number;
  /** Flavor-resources this node holds quota for (for cohorts: also every child's). */
  frs: number[];
  readonly nominal: Float64Array;
  readonly borrowingLimit: Float64Array;
  readonly lendingLimit: Float64Array;
  readonly subtreeQuota: Float64Array;
  /** Per resource name, what the cohort above could lend this node; fixed by quotas alone. */
  lendable: Map<string, number>;
  height: number;
}

export interface CohortNode extends QuotaNode {
  readonly kind: 'cohort';
  readonly childQueues: QueueNode[];
  readonly childCohorts: CohortNode[];
}

export interface CompiledGroup {
  readonly covered: ReadonlySet<string>;
  readonly flavors: readonly string[];
}

export interface QueueNode extends QuotaNode {
  readonly kind: 'queue';
  readonly spec: ClusterQueueSpec;
  readonly groups: readonly CompiledGroup[];
  readonly groupOfResource: ReadonlyMap<string, number>;
  readonly withinClusterQueue: 'Never' | 'LowerPriority' | 'LowerOrNewerEqualPriority';
  readonly reclaimWithinCohort: 'Never' | 'LowerPriority' | 'Any';
  readonly borrowWithinCohort: { policy: 'Never' | 'LowerPriority'; maxPriorityThreshold?: number };
  readonly strictFifo: boolean;
  readonly whenCanBorrow: 'MayStopSearch' | 'TryNextFlavor';
  readonly whenCanPreempt: 'MayStopSearch' | 'TryNextFlavor';
  readonly preference: 'BorrowingOverPreemption' | 'PreemptionOverBorrowing' | undefined;
}

export interface CompiledFlavor {
  readonly spec: FlavorSpec;
  readonly nodeNames: readonly string[];
  /** Non-device resources tracked per node. */
  readonly resources: readonly string[];
  readonly deviceResource: string | undefined;
  /** Capacity per node and resource: capacity[node * resources.length + r]. */
  readonly capacity: Float64Array;
  readonly deviceOffset: Int32Array;
  readonly deviceCount: Int32Array;
  readonly totalDevices: number;
  readonly nodeIndex: ReadonlyMap<string, number>;
  /** Memo of which demands fit on the flavor's empty nodes at all. */
  readonly fitsEmpty: Map<string, boolean>;
}

export class CompiledTopology {
  readonly frIds = new Map<string, Map<string, number>>();
  readonly frFlavor: string[] = [];
  readonly frResource: string[] = [];
  readonly flavors = new Map<string, CompiledFlavor>();
  readonly queues = new Map<string, QueueNode>();
  readonly cohorts = new Map<string, CohortNode>();
  readonly nodes: QuotaNode[] = [];

  constructor(readonly source: ClusterTopology) {
    for (const [i, flavor] of source.flavors.entries()) {
      if (this.flavors.has(flavor.name)) {
        throw new InvalidInput(`flavor '${flavor.name}' is declared twice`, `flavors[${i}].name`);
      }
      this.flavors.set(flavor.name, compileFlavor(flavor, `flavors[${i}]`));
    }
    const allGroups: [ResourceGroupSpec[], string][] = [];
    source.clusterQueues.forEach((q, i) =>
      allGroups.push([[...q.resourceGroups], `clusterQueues[${i}]`]),
    );
    source.cohorts.forEach((c, i) =>
      allGroups.push([[...(c.resourceGroups ?? [])], `cohorts[${i}]`]),
    );
    for (const [groups, path] of allGroups) {
      groups.forEach((group, g) =>
        group.flavors.forEach((fq, f) => {
          if (!this.flavors.has(fq.flavor)) {
            throw new InvalidInput(
              `unknown flavor '${fq.flavor}'`,
              `${path}.resourceGroups[${g}].flavors[${f}].flavor`,
            );
          }
          for (const resource of group.coveredResources) this.frId(fq.flavor, resource);
        }),
      );
    }
    const size = this.frFlavor.length;
    for (const [i, spec] of source.cohorts.entries()) {
      if (this.cohorts.has(spec.name)) {
        throw new InvalidInput(`cohort '${spec.name}' is declared twice`, `cohorts[${i}].name`);
      }
      const node: CohortNode = {
        ...this.quotaArrays(size),
        name: spec.name,
        kind: 'cohort',
        index: this.nodes.length,
        parent: undefined,
        weight: weightOf(spec.fairSharingWeight, `cohorts[${i}].fairSharingWeight`),
        childQueues: [],
        childCohorts: [],
      };
      this.applyGroups(node, spec.resourceGroups ?? [], `cohorts[${i}]`);
      this.cohorts.set(spec.name, node);
      this.nodes.push(node);
    }
    for (const [i, spec] of source.cohorts.entries()) {
      if (spec.parent === undefined) continue;
      const parent = this.cohorts.get(spec.parent);
      if (parent === undefined) {
        throw new InvalidInput(`unknown parent cohort '${spec.parent}'`, `cohorts[${i}].parent`);
      }
      const node = this.cohorts.get(spec.name) as CohortNode;
      node.parent = parent;
      parent.childCohorts.push(node);
    }
    for (const cohort of this.cohorts.values()) {
      const seen = new Set<CohortNode>();
      for (let c: CohortNode | undefined = cohort; c !== undefined; c = c.parent) {
        if (seen.has(c)) {
          throw new InvalidInput(`cohort '${cohort.name}' is its own ancestor`, 'cohorts');
        }
        seen.add(c);
      }
    }
    for (const [i, spec] of source.clusterQueues.entries()) {
      const path = `clusterQueues[${i}]`;
      if (this.queues.has(spec.name)) {
        throw new InvalidInput(`cluster queue '${spec.name}' is declared twice`, `${path}.name`);
      }
      const groupOfResource = new Map<string, number>();
      spec.resourceGroups.forEach((group, g) => {
        for (const resource of group.coveredResources) {
          if (groupOfResource.has(resource)) {
            throw new InvalidInput(
              `resource '${resource}' is covered by two resource groups`,
              `${path}.resourceGroups[${g}].coveredResources`,
            );
          }
          groupOfResource.set(resource, g);
        }
      });
      let parent: CohortNode | undefined;
      if (spec.cohort !== undefined) {
        parent = this.cohorts.get(spec.cohort);
        if (parent === undefined) {
          throw new InvalidInput(`unknown cohort '${spec.cohort}'`, `${path}.cohort`);
        }
      }
      const preemption = spec.preemption ?? {};
      const node: QueueNode = {
        ...this.quotaArrays(size),
        name: spec.name,
        kind: 'queue',
        index: this.nodes.length,
        parent,
        weight: weightOf(spec.fairSharingWeight, `${path}.fairSharingWeight`),
        spec,
        groups: spec.resourceGroups.map((group) => ({
          covered: new Set(group.coveredResources),
          flavors: group.flavors.map((f) => f.flavor),
        })),
        groupOfResource,
        withinClusterQueue: preemption.withinClusterQueue ?? 'Never',
        reclaimWithinCohort: preemption.reclaimWithinCohort ?? 'Never',
        borrowWithinCohort: {
          policy: preemption.borrowWithinCohort?.policy ?? 'Never',
          ...(preemption.borrowWithinCohort?.maxPriorityThreshold === undefined
            ? {}
            : { maxPriorityThreshold: preemption.borrowWithinCohort.maxPriorityThreshold }),
        },
        strictFifo: spec.queueingStrategy === 'StrictFIFO',
        whenCanBorrow: spec.flavorFungibility?.whenCanBorrow ?? 'MayStopSearch',
        whenCanPreempt: spec.flavorFungibility?.whenCanPreempt ?? 'TryNextFlavor',
        preference: spec.flavorFungibility?.preference,
      };
      if (parent === undefined && hasBorrowingLimit(spec.resourceGroups)) {
        throw new InvalidInput(
          `cluster queue '${spec.name}' sets a borrowing limit but belongs to no cohort`,
          `${path}.resourceGroups`,
        );
      }
      this.applyGroups(node, spec.resourceGroups, path);
      this.queues.set(spec.name, node);
      this.nodes.push(node);
      parent?.childQueues.push(node);
    }
    for (const cohort of this.cohorts.values()) {
      if (cohort.parent === undefined) this.accumulate(cohort);
    }
    for (const node of this.nodes) {
      node.lendable =
        node.parent === undefined ? new Map<string, number>() : this.lendableFor(node.parent);
    }
  }

  /** The id of a flavor-resource pair, created on first use. */
  frId(flavor: string, resource: string): number {
    let byResource = this.frIds.get(flavor);
    if (byResource === undefined) {
      byResource = new Map();
      this.frIds.set(flavor, byResource);
    }
    let id = byResource.get(resource);
    if (id === undefined) {
      id = this.frFlavor.length;
      byResource.set(resource, id);
      this.frFlavor.push(flavor);
      this.frResource.push(resource);
    }
    return id;
  }

  /** The id of a flavor-resource pair, or undefined when no quota names it. */
  findFr(flavor: string, resource: string): number | undefined {
    return this.frIds.get(flavor)?.get(resource);
  }

  root(node: QuotaNode): QuotaNode {
    let n = node;
    while (n.parent !== undefined) n = n.parent;
    return n;
  }

  private quotaArrays(size: number) {
    const borrowingLimit = new Float64Array(size).fill(Infinity);
    const lendingLimit = new Float64Array(size).fill(NO_LENDING_LIMIT);
    return {
      frs: [] as number[],
      nominal: new Float64Array(size),
      borrowingLimit,
      lendingLimit,
      subtreeQuota: new Float64Array(size),
      lendable: new Map<string, number>(),
      height: 0,
    };
  }

  private applyGroups(node: QuotaNode, groups: readonly ResourceGroupSpec[], path: string): void {
    const seenFlavors = new Set<string>();
    groups.forEach((group, g) => {
      group.flavors.forEach((fq, f) => {
        const at = `${path}.resourceGroups[${g}].flavors[${f}]`;
        if (seenFlavors.has(fq.flavor)) {
          throw new InvalidInput(`flavor '${fq.flavor}' appears in two resource groups`, at);
        }
        seenFlavors.add(fq.flavor);
        const names = Object.keys(fq.resources);
        const covered = new Set(group.coveredResources);
        if (names.length !== covered.size || names.some((n) => !covered.has(n))) {
          throw new InvalidInput(
            `flavor '${fq.flavor}' must set quota for exactly the covered resources (${[...covered].join(', ')})`,
            `${at}.resources`,
          );
        }
        for (const resource of names) {
          const quota = fq.resources[resource] as QuotaSpec;
          const fr = this.frId(fq.flavor, resource);
          checkQuota(quota, `${at}.resources.${resource}`);
          node.frs.push(fr);
          node.nominal[fr] = quota.nominal;
          node.subtreeQuota[fr] = quota.nominal;
          if (quota.borrowingLimit !== undefined) node.borrowingLimit[fr] = quota.borrowingLimit;
          if (quota.lendingLimit !== undefined) node.lendingLimit[fr] = quota.lendingLimit;
        }
      });
    });
  }

  private accumulate(cohort: CohortNode): void {
    const frs = new Set(cohort.frs);
    let height = Math.min(cohort.childQueues.length + cohort.childCohorts.length, 1);
    for (const child of cohort.childCohorts) {
      this.accumulate(child);
      height = Math.max(height, child.height + 1);
    }
    cohort.height = height;
    for (const child of [...cohort.childCohorts, ...cohort.childQueues]) {
      for (const fr of child.frs) {
        frs.add(fr);
        cohort.subtreeQuota[fr] =
          (cohort.subtreeQuota[fr] ?? 0) + (child.subtreeQuota[fr] ?? 0) - localQuota(child, fr);
      }
    }
    cohort.frs = [...frs];
  }

  private lendableFor(parent: QuotaNode): Map<string, number> {
    const lendable = new Map<string, number>();
    for (const fr of this.root(parent).frs) {
      const resource = this.frResource[fr] as string;
      lendable.set(resource, (lendable.get(resource) ?? 0) + potentialAvailable(parent, fr));
    }
    return lendable;
  }
}

function hasBorrowingLimit(groups: readonly ResourceGroupSpec[]): boolean {
  return groups.some((g) =>
    g.flavors.some((f) => Object.values(f.resources).some((q) => q.borrowingLimit !== undefined)),
  );
}

function checkQuota(quota: QuotaSpec, field: string): void {
  for (const [name, value] of [
    ['nominal', quota.nominal],
    ['borrowingLimit', quota.borrowingLimit],
    ['lendingLimit', quota.lendingLimit],
  ] as const) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidInput(
        `${field}.${name}: expected a non-negative amount, got ${value}`,
        `${field}.${name}`,
      );
    }
  }
  if (quota.lendingLimit !== undefined && quota.lendingLimit > quota.nominal) {
    throw new InvalidInput(
      `${field}.lendingLimit: cannot lend more than the nominal quota`,
      `${field}.lendingLimit`,
    );
  }
}

function weightOf(weight: number | undefined, field: string): number {
  if (weight === undefined) return 1;
  if (!Number.isFinite(weight) || weight < 0) {
    throw new InvalidInput(`${field}: expected a non-negative weight, got ${weight}`, field);
  }
  return weight;
}

function compileFlavor(spec: FlavorSpec, path: string): CompiledFlavor {
  const nodes = spec.nodes ?? [];
  const deviceResource = spec.deviceResource;
  const resourceSet = new Set<string>();
  for (const node of nodes) {
    for (const r of Object.keys(node.resources)) if (r !== deviceResource) resourceSet.add(r);
  }
  const resources = [...resourceSet].sort();
  const capacity = new Float64Array(nodes.length * resources.length);
  const deviceOffset = new Int32Array(nodes.length);
  const deviceCount = new Int32Array(nodes.length);
  const nodeIndex = new Map<string, number>();
  let totalDevices = 0;
  nodes.forEach((node, n) => {
    if (nodeIndex.has(node.name)) {
      throw new InvalidInput(`node '${node.name}' is listed twice`, `${path}.nodes[${n}].name`);
    }
    nodeIndex.set(node.name, n);
    resources.forEach((r, i) => {
      const value = node.resources[r] ?? 0;
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidInput(
          `expected a non-negative amount of ${r}`,
          `${path}.nodes[${n}].resources.${r}`,
        );
      }
      capacity[n * resources.length + i] = value;
    });
    const devices = deviceResource === undefined ? 0 : (node.resources[deviceResource] ?? 0) / 1000;
    if (!Number.isSafeInteger(devices) || devices < 0) {
      throw new InvalidInput(
        `a node holds whole devices of ${deviceResource ?? ''}`,
        `${path}.nodes[${n}].resources.${deviceResource ?? ''}`,
      );
    }
    deviceOffset[n] = totalDevices;
    deviceCount[n] = devices;
    totalDevices += devices;
  });
  return {
    spec,
    nodeNames: nodes.map((n) => n.name),
    resources,
    deviceResource,
    capacity,
    deviceOffset,
    deviceCount,
    totalDevices,
    nodeIndex,
    fitsEmpty: new Map(),
  };
}

/** Capacity of a node that only its own subtree may use (kept back by its lending limit). */
export function localQuota(node: QuotaNode, fr: number): number {
  const limit = node.lendingLimit[fr] ?? NO_LENDING_LIMIT;
  if (limit === NO_LENDING_LIMIT) return 0;
  return Math.max(0, (node.subtreeQuota[fr] ?? 0) - limit);
}

/** Most a node could use with nothing else running, within its borrowing limits. */
export function potentialAvailable(node: QuotaNode, fr: number): number {
  if (node.parent === undefined) return node.subtreeQuota[fr] ?? 0;
  let avail = localQuota(node, fr) + potentialAvailable(node.parent, fr);
  const limit = node.borrowingLimit[fr] ?? Infinity;
  if (limit !== Infinity) avail = Math.min((node.subtreeQuota[fr] ?? 0) + limit, avail);
  return avail;
}

/** One admitted workload as the state holds it: its quota usage and node allocations. */
export interface AdmittedEntry {
  readonly workload: AdmittedWorkload;
  readonly queue: QueueNode;
  /** Pairs of flavor-resource id and amount. */
  readonly usage: readonly (readonly [number, number])[];
  readonly allocations: readonly Allocation[];
}

/** What one pod takes on one node of a flavor. */
export interface Allocation {
  readonly flavor: CompiledFlavor;
  readonly node: number;
  /** Amount per tracked resource, in the flavor's resource order. */
  readonly amounts: readonly number[];
  readonly devices: readonly (readonly [number, number])[];
}

/** Per-pod demand on the nodes of one flavor, in that flavor's resource order. */
export interface PodDemand {
  readonly amounts: readonly number[];
  readonly device: number;
}

/**
 * Quota usage and free node capacity of a cluster, plus its admitted workloads. Pure data
 * with methods; `clone()` is cheap so a cycle can work on a copy.
 */
export class ClusterState {
  readonly usage: Float64Array[];
  readonly free: Map<CompiledFlavor, FreeCapacity>;
  readonly entries: Map<string, AdmittedEntry>;
  readonly byQueue: Map<QueueNode, Set<AdmittedEntry>>;

  constructor(
    readonly topology: CompiledTopology,
    from?: ClusterState,
  ) {
    if (from === undefined) {
      this.usage = topology.nodes.map(() => new Float64Array(topology.frFlavor.length));
      this.free = new Map();
      for (const flavor of topology.flavors.values()) this.free.set(flavor, emptyCapacity(flavor));
      this.entries = new Map();
      this.byQueue = new Map([...topology.queues.values()].map((q) => [q, new Set()]));
    } else {
      this.usage = from.usage.map((u) => u.slice());
      this.free = new Map([...from.free].map(([f, v]) => [f, copyCapacity(v)]));
      this.entries = new Map(from.entries);
      this.byQueue = new Map([...from.byQueue].map(([q, s]) => [q, new Set(s)]));
    }
  }

  /** An independent copy. */
  clone(): ClusterState {
    return new ClusterState(this.topology, this);
  }

  /** Admitted workloads, in no particular order. */
  admitted(): AdmittedWorkload[] {
    return [...this.entries.values()].map((e) => e.workload);
  }

  /** Records an admitted workload: its quota usage and, where given, its node placement. */
  add(workload: AdmittedWorkload): void {
    if (this.entries.has(workload.id)) {
      throw new Conflict(`workload '${workload.id}' is already admitted`);
    }
    const entry = this.entryFor(workload);
    this.addEntry(entry);
  }

  /** Forgets an admitted workload (finished, cancelled or preempted) and frees what it used. */
  remove(id: string): AdmittedWorkload {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new NotFound('admitted workload', id);
    this.removeEntry(entry);
    return entry.workload;
  }

  entryFor(workload: AdmittedWorkload): AdmittedEntry {
    const queue = this.topology.queues.get(workload.admission.clusterQueue);
    if (queue === undefined) throw new NotFound('cluster queue', workload.admission.clusterQueue);
    const usage = new Map<number, number>();
    const allocations: Allocation[] = [];
    for (const psa of workload.admission.podSets) {
      const podSet = workload.podSets.find((p) => p.name === psa.name);
      if (podSet === undefined) {
        throw new InvalidInput(`admission names unknown podset '${psa.name}'`, 'admission.podSets');
      }
      for (const [resource, amount] of Object.entries(podSet.requests)) {
        if (amount === 0) continue;
        const flavor = psa.flavors[resource];
        const fr = flavor === undefined ? undefined : this.topology.findFr(flavor, resource);
        if (fr === undefined) {
          throw new InvalidInput(
            `admission of '${workload.id}' assigns no known flavor to ${resource}`,
            'admission.podSets',
          );
        }
        usage.set(fr, (usage.get(fr) ?? 0) + amount * psa.count);
      }
      if (psa.placement !== undefined) {
        const flavorName = placementFlavor(podSet, psa.flavors, this.topology);
        const flavor = flavorName === undefined ? undefined : this.topology.flavors.get(flavorName);
        if (flavor === undefined) continue;
        const demand = podDemand(
          flavor,
          podSet.requests,
          (r) => psa.flavors[r] === flavor.spec.name,
        );
        for (const pod of psa.placement) {
          const node = flavor.nodeIndex.get(pod.node);
          if (node === undefined)
            throw new NotFound(`node of flavor ${flavor.spec.name}`, pod.node);
          allocations.push({ flavor, node, amounts: demand.amounts, devices: pod.devices ?? [] });
        }
      }
    }
    return { workload, queue, usage: [...usage], allocations };
  }

  addEntry(entry: AdmittedEntry): void {
    for (const [fr, amount] of entry.usage) addUsage(this, entry.queue, fr, amount);
    for (const a of entry.allocations) this.allocate(a, 1);
    this.entries.set(entry.workload.id, entry);
    this.byQueue.get(entry.queue)?.add(entry);
  }

  removeEntry(entry: AdmittedEntry): void {
    for (const [fr, amount] of entry.usage) removeUsage(this, entry.queue, fr, amount);
    for (const a of entry.allocations) this.allocate(a, -1);
    this.entries.delete(entry.workload.id);
    this.byQueue.get(entry.queue)?.delete(entry);
  }

  allocate(a: Allocation, sign: 1 | -1): void {
    const free = this.free.get(a.flavor);
    if (free !== undefined) applyAllocation(a, free, sign);
  }

  /**
   * Finds nodes for `count` pods of `demand` on the flavor's free capacity (best fit: the node
   * left with the fewest free devices), without changing anything. Undefined when not all fit.
   * With `empty`, plans on the flavor's full capacity, to tell "not now" from "never".
   */
  planPods(
    flavor: CompiledFlavor,
    demand: PodDemand,
    count: number,
    empty = false,
  ): Allocation[] | undefined {
    const live = this.free.get(flavor);
    if (live === undefined || flavor.nodeNames.length === 0) return undefined;
    if (empty) {
      const key = `${demand.amounts.join(',')}/${demand.device}/${count}`;
      let fits = flavor.fitsEmpty.get(key);
      if (fits === undefined) {
        fits = planOn(flavor, demand, count, emptyCapacity(flavor)) !== undefined;
        flavor.fitsEmpty.set(key, fits);
      }
      return fits ? [] : undefined;
    }
    const whole = demand.device >= 1000 ? demand.device / 1000 : 0;
    if (whole * count > live.totalFull) return undefined;
    const plan = planOn(flavor, demand, count, live);
    if (plan !== undefined) for (const a of plan) applyAllocation(a, live, -1);
    return plan;
  }
}

/** Free capacity of one flavor's nodes, with per-node summaries that make a search cheap. */
export interface FreeCapacity {
  readonly res: Float64Array;
  readonly dev: Float64Array;
  /** Per node: devices entirely free, free thousandths over all devices, most free on one device. */
  readonly full: Int32Array;
  readonly units: Float64Array;
  readonly maxDev: Float64Array;
  totalFull: number;
}

function emptyCapacity(flavor: CompiledFlavor): FreeCapacity {
  const nodes = flavor.nodeNames.length;
  const full = new Int32Array(nodes);
  const units = new Float64Array(nodes);
  const maxDev = new Float64Array(nodes);
  for (let n = 0; n < nodes; n++) {
    const count = flavor.deviceCount[n] ?? 0;
    full[n] = count;
    units[n] = count * 1000;
    maxDev[n] = count > 0 ? 1000 : 0;
  }
  return {
    res: flavor.capacity.slice(),
    dev: new Float64Array(flavor.totalDevices).fill(1000),
    full,
    units,
    maxDev,
    totalFull: flavor.totalDevices,
  };
}

function copyCapacity(c: FreeCapacity): FreeCapacity {
  return {
    res: c.res.slice(),
    dev: c.dev.slice(),
    full: c.full.slice(),
    units: c.units.slice(),
    maxDev: c.maxDev.slice(),
    totalFull: c.totalFull,
  };
}

/** Places `count` pods one by one, taking capacity as it goes; undefined (and rolled back) if one fails. */
function planOn(
  flavor: CompiledFlavor,
  demand: PodDemand,
  count: number,
  free: FreeCapacity,
): Allocation[] | undefined {
  const plan: Allocation[] = [];
  for (let pod = 0; pod < count; pod++) {
    const allocation = placeOne(flavor, demand, free);
    if (allocation === undefined) {
      for (const a of plan) applyAllocation(a, free, -1);
      return undefined;
    }
    plan.push(allocation);
  }
  return plan;
}

function applyAllocation(a: Allocation, free: FreeCapacity, sign: 1 | -1): void {
  const width = a.flavor.resources.length;
  a.amounts.forEach((amount, i) => {
    const at = a.node * width + i;
    free.res[at] = (free.res[at] ?? 0) - sign * amount;
  });
  if (a.devices.length === 0) return;
  const offset = a.flavor.deviceOffset[a.node] ?? 0;
  for (const [index, amount] of a.devices) {
    free.dev[offset + index] = (free.dev[offset + index] ?? 0) - sign * amount;
  }
  const devices = a.flavor.deviceCount[a.node] ?? 0;
  let full = 0;
  let units = 0;
  let maxDev = 0;
  for (let d = 0; d < devices; d++) {
    const f = free.dev[offset + d] ?? 0;
    if (f === 1000) full++;
    units += f;
    if (f > maxDev) maxDev = f;
  }
  free.totalFull += full - (free.full[a.node] ?? 0);
  free.full[a.node] = full;
  free.units[a.node] = units;
  free.maxDev[a.node] = maxDev;
}

/** Places one pod on the best-fitting node and takes its capacity; undefined when none fits. */
function placeOne(
  flavor: CompiledFlavor,
  demand: PodDemand,
  free: FreeCapacity,
): Allocation | undefined {
  const width = flavor.resources.length;
  const whole = demand.device >= 1000 ? demand.device / 1000 : 0;
  if (demand.device >= 1000 && !Number.isInteger(whole)) return undefined;
  const { res, dev, full, units, maxDev } = free;
  let bestNode = -1;
  let bestScore = Infinity;
  const nodes = flavor.nodeNames.length;
  for (let n = 0; n < nodes; n++) {
    if (demand.device > 0) {
      if (whole > 0 ? (full[n] ?? 0) < whole : (maxDev[n] ?? 0) < demand.device) continue;
    }
    const score = units[n] ?? 0;
    if (score >= bestScore) continue;
    let fits = true;
    for (let i = 0; i < width; i++) {
      if ((res[n * width + i] ?? 0) < (demand.amounts[i] ?? 0)) {
        fits = false;
        break;
      }
    }
    if (!fits) continue;
    bestScore = score;
    bestNode = n;
  }
  if (bestNode < 0) return undefined;
  const offset = flavor.deviceOffset[bestNode] ?? 0;
  const devices = flavor.deviceCount[bestNode] ?? 0;
  const taken: [number, number][] = [];
  if (whole > 0) {
    for (let d = 0; d < devices && taken.length < whole; d++) {
      if (dev[offset + d] === 1000) taken.push([d, 1000]);
    }
  } else if (demand.device > 0) {
    let best = -1;
    for (let d = 0; d < devices; d++) {
      const f = dev[offset + d] ?? 0;
      if (f >= demand.device && (best < 0 || f < (dev[offset + best] ?? 0))) best = d;
    }
    taken.push([best, demand.device]);
  }
  const allocation: Allocation = {
    flavor,
    node: bestNode,
    amounts: demand.amounts,
    devices: taken,
  };
  applyAllocation(allocation, free, 1);
  return allocation;
}

/** Per-pod demand of a podset on a flavor's nodes, counting only resources `assigned` to it. */
export function podDemand(
  flavor: CompiledFlavor,
  requests: Readonly<Record<string, number>>,
  assigned: (resource: string) => boolean,
): PodDemand {
  return {
    amounts: flavor.resources.map((r) => (assigned(r) ? (requests[r] ?? 0) : 0)),
    device:
      flavor.deviceResource !== undefined && assigned(flavor.deviceResource)
        ? (requests[flavor.deviceResource] ?? 0)
        : 0,
  };
}

/**
 * The flavor whose nodes a podset's pods are placed on: the one assigned to its device
 * resource if it requests one, else the first assigned flavor that has nodes.
 */
export function placementFlavor(
  podSet: PodSetRequest,
  flavors: Readonly<Record<string, string>>,
  topology: CompiledTopology,
): string | undefined {
  let fallback: string | undefined;
  for (const [resource, amount] of Object.entries(podSet.requests)) {
    if (amount === 0) continue;
    const name = flavors[resource];
    const flavor = name === undefined ? undefined : topology.flavors.get(name);
    if (flavor === undefined || flavor.nodeNames.length === 0) continue;
    if (flavor.deviceResource === resource) return name;
    fallback ??= name;
  }
  return fallback;
}

/** Converts an allocation plan into the placement recorded in an admission. */
export function toPlacement(plan: readonly Allocation[]): PodPlacement[] {
  return plan.map((a) => ({
    node: a.flavor.nodeNames[a.node] as string,
    ...(a.devices.length > 0
      ? { devices: a.devices.map(([d, amount]) => [d, amount] as const) }
      : {}),
  }));
}

function localAvailableOf(state: ClusterState, node: QuotaNode, fr: number): number {
  return Math.max(0, localQuota(node, fr) - (state.usage[node.index]?.[fr] ?? 0));
}

/** Guaranteed quota of `node` not yet used and not visible to its parent. */
export function localAvailable(state: ClusterState, node: QuotaNode, fr: number): number {
  return localAvailableOf(state, node, fr);
}

/** What `node` can still use now: its own unused quota plus what its cohort would lend. */
export function available(state: ClusterState, node: QuotaNode, fr: number): number {
  const usage = state.usage[node.index]?.[fr] ?? 0;
  if (node.parent === undefined) return (node.subtreeQuota[fr] ?? 0) - usage;
  let parentAvailable = available(state, node.parent, fr);
  const limit = node.borrowingLimit[fr] ?? Infinity;
  if (limit !== Infinity) {
    const lq = localQuota(node, fr);
    const storedInParent = (node.subtreeQuota[fr] ?? 0) - lq;
    const usedInParent = Math.max(0, usage - lq);
    parentAvailable = Math.min(storedInParent - usedInParent + limit, parentAvailable);
  }
  return localAvailableOf(state, node, fr) + parentAvailable;
}

function addUsage(state: ClusterState, node: QuotaNode, fr: number, amount: number): void {
  const localAvail = localAvailableOf(state, node, fr);
  const usage = state.usage[node.index] as Float64Array;
  usage[fr] = (usage[fr] ?? 0) + amount;
  if (node.parent !== undefined && amount > localAvail) {
    addUsage(state, node.parent, fr, amount - localAvail);
  }
}

function removeUsage(state: ClusterState, node: QuotaNode, fr: number, amount: number): void {
  const usage = state.usage[node.index] as Float64Array;
  const storedInParent = (usage[fr] ?? 0) - localQuota(node, fr);
  usage[fr] = (usage[fr] ?? 0) - amount;
  if (storedInParent <= 0 || node.parent === undefined) return;
  removeUsage(state, node.parent, fr, Math.min(amount, storedInParent));
}

/** Adds (or with a negative amount removes) usage as the engine simulates an admission. */
export function changeUsage(
  state: ClusterState,
  node: QuotaNode,
  fr: number,
  amount: number,
): void {
  if (amount >= 0) addUsage(state, node, fr, amount);
  else removeUsage(state, node, fr, -amount);
}

/** True when the node would use more than its (subtree) quota with `amount` more. */
export function borrowingWith(
  state: ClusterState,
  node: QuotaNode,
  fr: number,
  amount: number,
): boolean {
  return (node.subtreeQuota[fr] ?? 0) < (state.usage[node.index]?.[fr] ?? 0) + amount;
}

/** True when the node uses no more than its quota in every one of `frs`. */
export function withinNominal(
  state: ClusterState,
  node: QuotaNode,
  frs: Iterable<number>,
): boolean {
  for (const fr of frs) if (borrowingWith(state, node, fr, 0)) return false;
  return true;
}

/** Creates the compiled form of a topology; throws InvalidInput naming the bad field. */
export function compileTopology(topology: ClusterTopology): CompiledTopology {
  return new CompiledTopology(topology);
}
