import { InvalidInput } from '../../platform/errors.js';
import { runCycle } from '../admission/engine.js';
import { ClusterState, compileTopology } from '../admission/state.js';
import type {
  ClusterQueueSpec,
  ClusterTopology,
  FlavorSpec,
  PodSetRequest,
  WorkloadRequest,
} from '../admission/types.js';
import type { TraceNode, TracePod } from './alibaba.js';

/**
 * Discrete-event replay of a job trace through the admission engine in simulated time: jobs
 * arrive, every arrival or completion runs an admission cycle, admitted jobs run for their
 * recorded duration, preempted ones are queued again (from their last checkpoint if they
 * checkpoint, else from the start).
 */

export const policies = ['fifo', 'strict-fifo', 'sjf', 'fair-share'] as const;
export type PolicyName = (typeof policies)[number];

export interface SimJob {
  readonly id: string;
  /** The ClusterQueue (team) it is submitted to. */
  readonly team: string;
  readonly arrival: number;
  readonly duration: number;
  readonly priority: number;
  readonly podSets: readonly PodSetRequest[];
  readonly checkpointing?: boolean;
}

export interface SimCluster {
  readonly topology: ClusterTopology;
  /** Price per accelerator-hour of each flavor; absent when unknown. */
  readonly prices: ReadonlyMap<string, number>;
  readonly currency?: string;
}

export interface SimulationReport {
  readonly jobs: number;
  readonly completed: number;
  readonly utilization: number;
  readonly queueDelaySeconds: { readonly p50: number; readonly p95: number; readonly p99: number };
  readonly jctSeconds: { readonly mean: number; readonly p50: number; readonly p95: number };
  readonly cost: {
    readonly currency: string | null;
    readonly total: number | null;
    readonly acceleratorHours: number;
    readonly preemptions: number;
  };
}

export interface SimulationInput {
  readonly jobs: readonly SimJob[];
  readonly cluster: SimCluster;
  readonly policy: PolicyName;
}

/** Nearest-rank percentile: the smallest value with at least q of the values at or below it. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

const round = (value: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

interface Running {
  readonly end: number;
  readonly id: string;
  readonly attempt: number;
}

/** A binary min-heap of running jobs by end time. */
class EndHeap {
  private readonly items: Running[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Running | undefined {
    return this.items[0];
  }
  push(item: Running): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i] as Running, a[p] as Running)) break;
      [a[i], a[p]] = [a[p] as Running, a[i] as Running];
      i = p;
    }
  }
  pop(): Running | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l] as Running, a[m] as Running)) m = l;
        if (r < a.length && before(a[r] as Running, a[m] as Running)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Running, a[i] as Running];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Running, b: Running): boolean {
  return a.end < b.end || (a.end === b.end && a.id < b.id);
}

interface JobRecord {
  readonly job: SimJob;
  remaining: number;
  waitingSince: number;
  waited: number;
  attempt: number;
  startedAt: number;
  units: number;
  flavor: string;
  finish?: number;
}

/** Replays `jobs` on `cluster` under `policy` and reports the contract's figures. */
export function simulate(input: SimulationInput): SimulationReport {
  const { cluster, policy } = input;
  const topology = compileTopology(cluster.topology);
  const state = new ClusterState(topology);
  const jobs = [...input.jobs].sort((a, b) => a.arrival - b.arrival || (a.id < b.id ? -1 : 1));
  const records = new Map<string, JobRecord>();
  for (const job of jobs) {
    if (!topology.queues.has(job.team)) {
      throw new InvalidInput(
        `job ${job.id}: team '${job.team}' has no queue in the cluster`,
        'team',
      );
    }
    if (!(job.duration >= 0) || !Number.isFinite(job.arrival)) {
      throw new InvalidInput(
        `job ${job.id}: arrival and duration must be finite, non-negative seconds`,
        'duration',
      );
    }
    if (records.has(job.id)) throw new InvalidInput(`job ${job.id} appears twice`, 'id');
    records.set(job.id, {
      job,
      remaining: job.duration,
      waitingSince: job.arrival,
      waited: 0,
      attempt: 0,
      startedAt: 0,
      units: 0,
      flavor: '',
    });
  }
  const capacityUnits = [...topology.flavors.values()].reduce(
    (s, f) => s + f.totalDevices * 1000,
    0,
  );
  const options = { fairSharing: policy === 'fair-share' };
  const running = new EndHeap();
  const pending = new Map<string, WorkloadRequest>();
  // Kueue parks a workload found inadmissible until capacity is freed; arrivals alone do not
  // make it admissible, so only new work is considered until something ends or is preempted.
  const parked = new Map<string, WorkloadRequest>();
  const reconsiderAll = policy === 'strict-fifo';
  const workloads = new Map<string, WorkloadRequest>();
  for (const job of jobs) {
    workloads.set(job.id, {
      id: job.id,
      clusterQueue: job.team,
      priority: job.priority,
      orderKey: policy === 'sjf' ? job.duration : job.arrival,
      queuedAt: job.arrival,
      podSets: job.podSets,
    });
  }
  let usedUnitSeconds = 0;
  let acceleratorUnitSeconds = 0;
  let cost = 0;
  let preemptions = 0;
  let first = Infinity;
  let last = -Infinity;
  let next = 0;
  const stop = (rec: JobRecord, at: number) => {
    const ran = at - rec.startedAt;
    usedUnitSeconds += ran * rec.units;
    acceleratorUnitSeconds += ran * rec.units;
    cost += ((ran * rec.units) / 1000 / 3600) * (cluster.prices.get(rec.flavor) ?? 0);
  };
  while (next < jobs.length || running.size > 0) {
    const arrival = jobs[next]?.arrival ?? Infinity;
    const completion = running.peek()?.end ?? Infinity;
    const now = Math.min(arrival, completion);
    first = Math.min(first, now);
    while ((running.peek()?.end ?? Infinity) <= now) {
      const done = running.pop() as Running;
      const rec = records.get(done.id) as JobRecord;
      if (rec.attempt !== done.attempt || rec.finish !== undefined) continue;
      stop(rec, done.end);
      rec.finish = done.end;
      last = Math.max(last, done.end);
      state.remove(done.id);
      for (const [id, w] of parked) pending.set(id, w);
      parked.clear();
    }
    while (next < jobs.length && (jobs[next] as SimJob).arrival <= now) {
      const job = jobs[next++] as SimJob;
      pending.set(job.id, workloads.get(job.id) as WorkloadRequest);
    }
    if (pending.size === 0) continue;
    const run = runCycle(state, [...pending.values()], { ...options, now });
    for (const d of run.result.decisions) {
      if (d.kind === 'pending') {
        if (!reconsiderAll) {
          parked.set(d.workloadId, pending.get(d.workloadId) as WorkloadRequest);
          pending.delete(d.workloadId);
        }
        continue;
      }
      if (d.kind === 'preempt') {
        for (const t of d.targets) {
          const victim = records.get(t.workloadId) as JobRecord;
          stop(victim, now);
          preemptions++;
          if (victim.job.checkpointing === true) victim.remaining -= now - victim.startedAt;
          victim.attempt++;
          victim.waitingSince = now;
          pending.set(victim.job.id, workloads.get(victim.job.id) as WorkloadRequest);
        }
        for (const [id, w] of parked) pending.set(id, w);
        parked.clear();
      }
      const rec = records.get(d.workloadId) as JobRecord;
      pending.delete(d.workloadId);
      rec.waited += now - rec.waitingSince;
      rec.startedAt = now;
      rec.attempt++;
      const flavors = topology.flavors;
      let units = 0;
      let flavorName = '';
      for (const ps of d.admission.podSets) {
        const request = rec.job.podSets.find((p) => p.name === ps.name);
        for (const [resource, flavor] of Object.entries(ps.flavors)) {
          if (flavors.get(flavor)?.spec.deviceResource !== resource) continue;
          units += (request?.requests[resource] ?? 0) * ps.count;
          flavorName = flavor;
        }
      }
      rec.units = units;
      rec.flavor = flavorName;
      running.push({ end: now + rec.remaining, id: rec.job.id, attempt: rec.attempt });
    }
  }
  const done = [...records.values()].filter((r) => r.finish !== undefined);
  const delays = done.map((r) => r.waited).sort((a, b) => a - b);
  const jcts = done.map((r) => (r.finish as number) - r.job.arrival).sort((a, b) => a - b);
  const span = last > first ? last - first : 0;
  const priced = cluster.prices.size > 0;
  return {
    jobs: jobs.length,
    completed: done.length,
    utilization:
      capacityUnits > 0 && span > 0 ? round(usedUnitSeconds / (capacityUnits * span), 6) : 0,
    queueDelaySeconds: {
      p50: round(percentile(delays, 0.5), 3),
      p95: round(percentile(delays, 0.95), 3),
      p99: round(percentile(delays, 0.99), 3),
    },
    jctSeconds: {
      mean: round(jcts.length === 0 ? 0 : jcts.reduce((s, v) => s + v, 0) / jcts.length, 3),
      p50: round(percentile(jcts, 0.5), 3),
      p95: round(percentile(jcts, 0.95), 3),
    },
    cost: {
      currency: priced ? (cluster.currency ?? null) : null,
      total: priced ? round(cost, 2) : null,
      acceleratorHours: round(acceleratorUnitSeconds / 1000 / 3600, 3),
      preemptions,
    },
  };
}

/**
 * Keeps a deterministic, evenly spread `fraction` of the nodes (0 < fraction ≤ 1), so a
 * smaller cluster keeps the same mix of machine types: "what if we had a quarter of this?".
 */
export function sampleNodes<T>(nodes: readonly T[], fraction: number): T[] {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new InvalidInput(`capacity fraction must be in (0, 1], got ${fraction}`, 'capacity');
  }
  return nodes.filter((_, i) => Math.floor((i + 1) * fraction) > Math.floor(i * fraction));
}

/**
 * Re-times arrivals to a steady rate (jobs per minute) in their original order, as the PAI
 * simulator's baseline run does (1,000 per minute), to replay a trace under load.
 */
export function atArrivalRate(jobs: readonly SimJob[], perMinute: number): SimJob[] {
  if (!(perMinute > 0) || !Number.isFinite(perMinute)) {
    throw new InvalidInput(
      `arrival rate must be a positive number of jobs per minute, got ${perMinute}`,
      'arrivalRate',
    );
  }
  return [...jobs]
    .sort((a, b) => a.arrival - b.arrival || (a.id < b.id ? -1 : 1))
    .map((job, i) => ({ ...job, arrival: (i * 60) / perMinute }));
}

export const gpuModelLabel = 'drivetrain.io/gpu-model';
const GPU = 'nvidia.com/gpu';

/**
 * Jobs from trace pods: one single-pod job each, submitted to the queue of its QoS class,
 * running for its recorded time (deletion − scheduling). Pods the trace never scheduled have
 * no run time and are returned separately.
 */
export function jobsFromTrace(pods: readonly TracePod[]): { jobs: SimJob[]; neverRan: string[] } {
  const jobs: SimJob[] = [];
  const neverRan: string[] = [];
  for (const pod of pods) {
    if (
      pod.scheduledTime === undefined ||
      pod.deletionTime === undefined ||
      pod.creationTime === undefined
    ) {
      neverRan.push(pod.name);
      continue;
    }
    const requests: Record<string, number> = {
      cpu: pod.cpuMilli,
      memory: pod.memoryMiB * 2 ** 20,
    };
    if (pod.numGpu > 0) requests[GPU] = pod.numGpu * pod.gpuMilli;
    jobs.push({
      id: pod.name,
      team: pod.qos ?? 'default',
      arrival: pod.creationTime,
      duration: pod.deletionTime - pod.scheduledTime,
      priority: 0,
      podSets: [
        {
          name: 'main',
          count: 1,
          requests,
          ...(pod.gpuSpec.length > 0
            ? {
                nodeAffinity: [
                  { key: gpuModelLabel, operator: 'In' as const, values: pod.gpuSpec },
                ],
              }
            : {}),
        },
      ],
    });
  }
  return { jobs, neverRan };
}

/**
 * A cluster from a trace node list: one flavor per GPU model (and one for CPU-only machines),
 * one queue per team in a single cohort with an equal share of every flavor as nominal quota
 * and unlimited borrowing. Under fair-share, queues reclaim lent quota (Kueue's
 * reclaimWithinCohort: Any); under the other policies nothing is preempted.
 */
export function clusterFromTrace(
  nodes: readonly TraceNode[],
  teams: readonly string[],
  policy: PolicyName,
  prices: ReadonlyMap<string, number> = new Map(),
  currency?: string,
): SimCluster {
  if (teams.length === 0) throw new InvalidInput('the trace has no jobs to replay', 'trace');
  const byModel = new Map<string, TraceNode[]>();
  for (const node of nodes) {
    const key = node.model === '' ? 'cpu' : node.model;
    const list = byModel.get(key);
    if (list === undefined) byModel.set(key, [node]);
    else list.push(node);
  }
  const names = [...byModel.keys()].sort((a, b) =>
    a === 'cpu' ? -1 : b === 'cpu' ? 1 : a < b ? -1 : 1,
  );
  const flavors: FlavorSpec[] = names.map((model) => ({
    name: model === 'cpu' ? 'cpu' : `gpu-${model.toLowerCase()}`,
    nodeLabels: model === 'cpu' ? {} : { [gpuModelLabel]: model },
    deviceResource: GPU,
    nodes: (byModel.get(model) ?? []).map((n) => ({
      name: n.name,
      resources: { cpu: n.cpuMilli, memory: n.memoryMiB * 2 ** 20, [GPU]: n.gpus * 1000 },
    })),
  }));
  const share = (total: number, i: number) =>
    Math.floor(total / teams.length) + (i === 0 ? total % teams.length : 0);
  const clusterQueues: ClusterQueueSpec[] = teams.map((team, i) => ({
    name: team,
    cohort: 'trace',
    queueingStrategy: policy === 'strict-fifo' ? 'StrictFIFO' : 'BestEffortFIFO',
    preemption: policy === 'fair-share' ? { reclaimWithinCohort: 'Any' } : {},
    resourceGroups: [
      {
        coveredResources: ['cpu', 'memory', GPU],
        flavors: flavors.map((f) => {
          const total = (key: string) =>
            (f.nodes ?? []).reduce((s, n) => s + (n.resources[key] ?? 0), 0);
          return {
            flavor: f.name,
            resources: {
              cpu: { nominal: share(total('cpu'), i) },
              memory: { nominal: share(total('memory'), i) },
              [GPU]: { nominal: share(total(GPU), i) },
            },
          };
        }),
      },
    ],
  }));
  const flavorPrices = new Map<string, number>();
  for (const [model, price] of prices) {
    const name = model === 'cpu' ? 'cpu' : `gpu-${model.toLowerCase()}`;
    if (flavors.some((f) => f.name === name)) flavorPrices.set(name, price);
  }
  return {
    topology: { flavors, cohorts: [{ name: 'trace' }], clusterQueues },
    prices: flavorPrices,
    ...(currency === undefined ? {} : { currency }),
  };
}
