import { InvalidInput } from '../../platform/errors.js';
import { flavorPrice, type ComputeConfig, type FlavorConfig } from '../config.js';

/**
 * Cost of accelerator time: every attempt of a job (including preempted and retried ones)
 * costs its accelerator-hours times its flavor's price; idle cost is what the capacity costs
 * beyond what was allocated, split as the OpenCost specification describes (as its own line,
 * or shared proportionally or uniformly among tenants). Times are epoch seconds.
 */

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'preempted' | 'cancelled';

export interface Attempt {
  readonly flavor: string;
  readonly startedAt: number;
  /** Absent while running; the report's end is used then. */
  readonly endedAt?: number;
  /** Accelerators held: per replica × replicas. */
  readonly accelerators: number;
  readonly outcome: AttemptOutcome;
}

export interface CostedJob {
  readonly id: string;
  readonly team: string;
  readonly project?: string;
  readonly checkpointing?: boolean;
  readonly attempts: readonly Attempt[];
}

export interface AttemptCost extends Attempt {
  readonly acceleratorHours: number;
  readonly cost: number;
}

export interface JobCost {
  readonly currency: string;
  readonly acceleratorHours: number;
  readonly cost: number;
  readonly attempts: readonly AttemptCost[];
}

function flavorOf(config: ComputeConfig, name: string): FlavorConfig {
  const flavor = config.flavors.find((f) => f.name === name);
  if (flavor === undefined)
    throw new InvalidInput(`unknown flavor '${name}' in an attempt`, 'flavor');
  return flavor;
}

function hours(from: number, to: number): number {
  return Math.max(0, to - from) / 3600;
}

const cents = (v: number) => Math.round(v * 100) / 100;

/** Cost of one job over all its attempts, up to `now` for an attempt still running. */
export function jobCost(job: CostedJob, config: ComputeConfig, now: number): JobCost {
  let total = 0;
  let accHours = 0;
  const attempts = job.attempts.map((a): AttemptCost => {
    const flavor = flavorOf(config, a.flavor);
    const h = hours(a.startedAt, a.endedAt ?? now) * a.accelerators;
    const cost = h * flavorPrice(flavor);
    total += cost;
    accHours += h;
    return { ...a, acceleratorHours: h, cost: cents(cost) };
  });
  return { currency: config.currency, acceleratorHours: accHours, cost: cents(total), attempts };
}

export type GroupBy = 'team' | 'project' | 'flavor';
export type IdleSplit = 'separate' | 'proportional' | 'uniform';

export interface CostRow {
  readonly key: string;
  readonly acceleratorHours: number;
  readonly allocationCost: number;
  readonly idleCost: number;
  readonly totalCost: number;
}

export interface CostReport {
  readonly currency: string;
  readonly from: number;
  readonly to: number;
  readonly by: GroupBy;
  readonly idleSplit: IdleSplit;
  readonly rows: readonly CostRow[];
  /** Capacity cost of every flavor over the period, allocated part and idle part. */
  readonly assetCost: number;
  readonly allocationCost: number;
  readonly idleCost: number;
  /** Idle cost ÷ allocation cost, as OpenCost defines idle percentage. */
  readonly idlePercent: number;
}

/** The part of each attempt inside [from, to), with its group keys. */
function slices(jobs: readonly CostedJob[], from: number, to: number) {
  const out: {
    job: CostedJob;
    flavor: string;
    start: number;
    end: number;
    accelerators: number;
  }[] = [];
  for (const job of jobs) {
    for (const a of job.attempts) {
      const start = Math.max(from, a.startedAt);
      const end = Math.min(to, a.endedAt ?? to);
      if (end > start)
        out.push({ job, flavor: a.flavor, start, end, accelerators: a.accelerators });
    }
  }
  return out;
}

/** Totals per team, project or flavor over [from, to), with idle capacity cost split as asked. */
export function costReport(
  jobs: readonly CostedJob[],
  config: ComputeConfig,
  options: { from: number; to: number; by: GroupBy; idleSplit?: IdleSplit },
): CostReport {
  const { from, to, by } = options;
  const idleSplit = options.idleSplit ?? 'separate';
  if (!(to > from))
    throw new InvalidInput('the period must end after it starts (--to after --from)', 'to');
  const keyOf = (job: CostedJob, flavor: string) =>
    by === 'team' ? job.team : by === 'project' ? (job.project ?? '(none)') : flavor;
  const rows = new Map<
    string,
    { hours: number; cost: number; idle: number; byFlavor: Map<string, number> }
  >();
  const row = (key: string) => {
    let r = rows.get(key);
    if (r === undefined) {
      r = { hours: 0, cost: 0, idle: 0, byFlavor: new Map() };
      rows.set(key, r);
    }
    return r;
  };
  const allocatedByFlavor = new Map<string, number>();
  for (const s of slices(jobs, from, to)) {
    const flavor = flavorOf(config, s.flavor);
    const h = hours(s.start, s.end) * s.accelerators;
    const cost = h * flavorPrice(flavor);
    const r = row(keyOf(s.job, s.flavor));
    r.hours += h;
    r.cost += cost;
    r.byFlavor.set(s.flavor, (r.byFlavor.get(s.flavor) ?? 0) + cost);
    allocatedByFlavor.set(s.flavor, (allocatedByFlavor.get(s.flavor) ?? 0) + cost);
  }
  let assetCost = 0;
  let idleTotal = 0;
  for (const flavor of config.flavors) {
    const asset =
      flavor.capacity.nodes *
      flavor.capacity.acceleratorsPerNode *
      hours(from, to) *
      flavorPrice(flavor);
    assetCost += asset;
    const idle = Math.max(0, asset - (allocatedByFlavor.get(flavor.name) ?? 0));
    idleTotal += idle;
    if (idle === 0) continue;
    if (by === 'flavor') {
      row(flavor.name).idle += idle;
      continue;
    }
    const users = [...rows.entries()].filter(
      ([key, r]) => key !== '__idle__' && (r.byFlavor.get(flavor.name) ?? 0) > 0,
    );
    if (idleSplit === 'separate' || users.length === 0) {
      row('__idle__').idle += idle;
    } else if (idleSplit === 'uniform') {
      for (const [, r] of users) r.idle += idle / users.length;
    } else {
      const allocated = allocatedByFlavor.get(flavor.name) ?? 0;
      for (const [, r] of users) r.idle += (idle * (r.byFlavor.get(flavor.name) ?? 0)) / allocated;
    }
  }
  const allocationCost = [...allocatedByFlavor.values()].reduce((s, v) => s + v, 0);
  return {
    currency: config.currency,
    from,
    to,
    by,
    idleSplit,
    rows: [...rows.entries()]
      .map(([key, r]) => ({
        key,
        acceleratorHours: Math.round(r.hours * 1000) / 1000,
        allocationCost: cents(r.cost),
        idleCost: cents(r.idle),
        totalCost: cents(r.cost + r.idle),
      }))
      .sort((a, b) => b.totalCost - a.totalCost || (a.key < b.key ? -1 : 1)),
    assetCost: cents(assetCost),
    allocationCost: cents(allocationCost),
    idleCost: cents(idleTotal),
    idlePercent: allocationCost > 0 ? Math.round((idleTotal / allocationCost) * 10000) / 100 : 0,
  };
}

export interface Recommendation {
  readonly kind: 'use-spot' | 'unused-quota' | 'idle-flavor';
  readonly subject: string;
  readonly message: string;
  /** Estimated saving over the same period, in the configuration's currency. */
  readonly saving: number;
}

/** Peak concurrent accelerators of the given slices. */
function peak(items: readonly { start: number; end: number; accelerators: number }[]): number {
  const events = items.flatMap(
    (s) =>
      [
        [s.start, s.accelerators],
        [s.end, -s.accelerators],
      ] as [number, number][],
  );
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of events) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}

/**
 * Savings to consider over [from, to): checkpointing jobs that ran on on-demand capacity with a
 * cheaper spot price, team quotas never used up to their nominal, and flavors whose nodes sat
 * idle; sorted by saving.
 */
export function recommendations(
  jobs: readonly CostedJob[],
  config: ComputeConfig,
  options: { from: number; to: number; idleThreshold?: number },
): Recommendation[] {
  const { from, to } = options;
  const period = hours(from, to);
  const out: Recommendation[] = [];
  const all = slices(jobs, from, to);
  for (const job of jobs) {
    if (job.checkpointing !== true) continue;
    let saving = 0;
    let onDemandHours = 0;
    for (const s of all.filter((x) => x.job === job)) {
      const flavor = flavorOf(config, s.flavor);
      if (flavor.capacityType !== 'on-demand' || flavor.prices.spot === undefined) continue;
      const h = hours(s.start, s.end) * s.accelerators;
      onDemandHours += h;
      saving += h * (flavor.prices.onDemand - flavor.prices.spot);
    }
    if (saving > 0) {
      out.push({
        kind: 'use-spot',
        subject: job.id,
        message: `job ${job.id} checkpoints but ran ${onDemandHours.toFixed(1)} accelerator-hours on on-demand capacity; spot would have cost ${saving.toFixed(2)} ${config.currency} less`,
        saving: cents(saving),
      });
    }
  }
  for (const team of config.teams) {
    for (const quota of team.quotas) {
      const flavor = flavorOf(config, quota.flavor);
      const accelerator = config.accelerators.find((a) => a.name === flavor.accelerator);
      const nominal =
        (quota.resources[accelerator?.resource ?? ''] ?? { nominal: 0 }).nominal / 1000;
      const used = peak(all.filter((s) => s.job.team === team.name && s.flavor === flavor.name));
      const unused = Math.floor(nominal - used);
      if (unused >= 1) {
        out.push({
          kind: 'unused-quota',
          subject: `${team.name}/${flavor.name}`,
          message: `team ${team.name} never used more than ${used} of its ${nominal} ${flavor.accelerator} in ${flavor.name}; ${unused} could be released`,
          saving: cents(unused * period * flavorPrice(flavor)),
        });
      }
    }
  }
  const threshold = options.idleThreshold ?? 0.3;
  for (const flavor of config.flavors) {
    const capacity = flavor.capacity.nodes * flavor.capacity.acceleratorsPerNode;
    const mine = all.filter((s) => s.flavor === flavor.name);
    const used = mine.reduce((s, x) => s + hours(x.start, x.end) * x.accelerators, 0);
    const utilization = period > 0 ? used / (capacity * period) : 0;
    const removable = Math.floor((capacity - peak(mine)) / flavor.capacity.acceleratorsPerNode);
    if (utilization < threshold && removable >= 1) {
      out.push({
        kind: 'idle-flavor',
        subject: flavor.name,
        message: `flavor ${flavor.name} was ${(utilization * 100).toFixed(1)}% utilized; ${removable} of its ${flavor.capacity.nodes} nodes were never needed at once`,
        saving: cents(
          removable * flavor.capacity.acceleratorsPerNode * period * flavorPrice(flavor),
        ),
      });
    }
  }
  return out.sort((a, b) => b.saving - a.saving);
}
