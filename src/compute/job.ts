import { InvalidInput } from '../platform/index.js';
import type { PodSetRequest, Toleration, WorkloadRequest } from './admission/types.js';
import { acceleratorOf, spotTaint, type ComputeConfig } from './config.js';
import { formatQuantity, parseQuantity } from './quantity.js';
import { duration, known, list, name, num, object, str, stringMap } from './validate-input.js';

/** A training job as submitted: what to run, on which accelerators, for which team. */
export interface JobSpec {
  readonly name: string;
  readonly team: string;
  readonly project?: string;
  readonly image?: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly inputs: readonly { readonly dataset: string; readonly version: string }[];
  readonly resources: {
    readonly accelerator: string;
    /** Accelerators per replica. */
    readonly count: number;
    /** Replicas of the gang: all start together or none does. */
    readonly replicas: number;
    /** Per replica, internal units. */
    readonly cpu?: number;
    readonly memory?: number;
  };
  readonly priority: string;
  readonly priorityValue: number;
  readonly maxDurationSeconds: number;
  /** The job saves checkpoints, so it may run on spot capacity and be preempted. */
  readonly checkpointing: boolean;
  readonly retries: number;
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const defaultMaxDuration = 7 * 86400;

/**
 * Validates a job document against the configuration: names an unknown team, accelerator or
 * priority, and refuses jobs larger than any flavor of their accelerator holds, with the field.
 */
export function validateJobSpec(input: unknown, config: ComputeConfig): JobSpec {
  const doc = object(input, 'job');
  known(doc, 'job', [
    'name',
    'team',
    'project',
    'image',
    'command',
    'args',
    'env',
    'inputs',
    'resources',
    'priority',
    'maxDuration',
    'checkpointing',
    'retries',
  ]);
  const team = str(doc.team, 'team');
  const teamConfig = config.teams.find((t) => t.name === team);
  if (teamConfig === undefined) throw new InvalidInput(`team: unknown team '${team}'`, 'team');
  const strings = (value: unknown, path: string) =>
    list(value, path, true).map((v, i) => str(v, `${path}[${i}]`));
  const image = doc.image === undefined ? undefined : str(doc.image, 'image');
  const command = strings(doc.command, 'command');
  if (image === undefined && command.length === 0) {
    throw new InvalidInput(
      'image: a job needs an image (cluster) or a command (local executor)',
      'image',
    );
  }
  const env = stringMap(doc.env, 'env');
  for (const key of Object.keys(env)) {
    if (!envName.test(key))
      throw new InvalidInput(`env.${key}: not a valid environment variable name`, `env.${key}`);
  }
  const inputs = list(doc.inputs, 'inputs', true).map((v, i) => {
    const at = `inputs[${i}]`;
    const d = object(v, at);
    known(d, at, ['dataset', 'version']);
    return { dataset: str(d.dataset, `${at}.dataset`), version: str(d.version, `${at}.version`) };
  });
  const r = object(doc.resources, 'resources');
  known(r, 'resources', ['accelerator', 'count', 'replicas', 'cpu', 'memory']);
  const acceleratorName = str(r.accelerator, 'resources.accelerator');
  const accelerator = config.accelerators.find((a) => a.name === acceleratorName);
  if (accelerator === undefined) {
    throw new InvalidInput(
      `resources.accelerator: unknown accelerator '${acceleratorName}' (known: ${config.accelerators.map((a) => a.name).join(', ')})`,
      'resources.accelerator',
    );
  }
  const count = num(r.count, 'resources.count', 1, 1024, true);
  if (accelerator.vendor === 'cpu' && r.cpu !== undefined) {
    throw new InvalidInput(
      `resources.cpu: ${accelerator.name} schedules CPU cores; set them in resources.count`,
      'resources.cpu',
    );
  }
  const replicas =
    r.replicas === undefined ? 1 : num(r.replicas, 'resources.replicas', 1, 10_000, true);
  const cpu = r.cpu === undefined ? undefined : parseQuantity(r.cpu, 'cpu', 'resources.cpu');
  const memory =
    r.memory === undefined ? undefined : parseQuantity(r.memory, 'memory', 'resources.memory');
  const flavors = config.flavors.filter((f) => f.accelerator === accelerator.name);
  if (flavors.length === 0) {
    throw new InvalidInput(
      `resources.accelerator: no flavor offers ${accelerator.name}`,
      'resources.accelerator',
    );
  }
  const perNode = Math.max(...flavors.map((f) => f.capacity.acceleratorsPerNode));
  if (count > perNode) {
    throw new InvalidInput(
      `resources.count: ${count} ${accelerator.name} per replica is more than any node holds (at most ${perNode})`,
      'resources.count',
    );
  }
  const largest = Math.max(
    ...flavors.map((f) => f.capacity.nodes * Math.floor(f.capacity.acceleratorsPerNode / count)),
  );
  if (replicas > largest) {
    throw new InvalidInput(
      `resources.replicas: ${replicas} replicas of ${count} ${accelerator.name} is more than any flavor holds (at most ${largest} such replicas)`,
      'resources.replicas',
    );
  }
  for (const [key, value, perNodeOf] of [
    ['cpu', cpu, (f: (typeof flavors)[number]) => f.capacity.cpuPerNode],
    ['memory', memory, (f: (typeof flavors)[number]) => f.capacity.memoryPerNode],
  ] as const) {
    if (value === undefined) continue;
    const fits = flavors.some((f) => {
      const limit = perNodeOf(f);
      return limit === undefined || limit >= value;
    });
    if (!fits) {
      throw new InvalidInput(
        `resources.${key}: ${formatQuantity(value, key)} per replica is more than any ${accelerator.name} node holds`,
        `resources.${key}`,
      );
    }
  }
  const teamFlavors = teamConfigFlavors(config, team);
  if (!flavors.some((f) => teamFlavors.includes(f.name))) {
    throw new InvalidInput(
      `resources.accelerator: team ${team} has no quota for ${accelerator.name}`,
      'resources.accelerator',
    );
  }
  const priorityName =
    doc.priority === undefined ? defaultPriority(config) : name(doc.priority, 'priority');
  const priority = config.priorities.find((p) => p.name === priorityName);
  if (priority === undefined && priorityName !== 'default') {
    throw new InvalidInput(`priority: unknown priority class '${priorityName}'`, 'priority');
  }
  const limit = teamConfig.maxJobDurationSeconds ?? 365 * 86400;
  const maxDurationSeconds =
    doc.maxDuration === undefined
      ? Math.min(defaultMaxDuration, limit)
      : duration(doc.maxDuration, 'maxDuration', limit);
  const project = doc.project === undefined ? undefined : name(doc.project, 'project');
  return {
    name: name(doc.name, 'name'),
    team,
    ...(project === undefined ? {} : { project }),
    ...(image === undefined ? {} : { image }),
    command,
    args: strings(doc.args, 'args'),
    env,
    inputs,
    resources: {
      accelerator: accelerator.name,
      count,
      replicas,
      ...(cpu === undefined ? {} : { cpu }),
      ...(memory === undefined ? {} : { memory }),
    },
    priority: priorityName,
    priorityValue: priority?.value ?? 0,
    maxDurationSeconds,
    checkpointing: flag(doc.checkpointing, 'checkpointing'),
    retries: doc.retries === undefined ? 0 : num(doc.retries, 'retries', 0, 100, true),
  };
}

function flag(value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidInput(`${path}: expected true or false`, path);
  return value;
}

function defaultPriority(config: ComputeConfig): string {
  const zero = config.priorities.find((p) => p.value === 0);
  return zero?.name ?? 'default';
}

function teamConfigFlavors(config: ComputeConfig, team: string): string[] {
  return config.teams.find((t) => t.name === team)?.quotas.map((q) => q.flavor) ?? [];
}

/**
 * The podset of a job: `replicas` pods selecting its accelerator, tolerating spot if it
 * checkpoints. CPU and memory count against quota only where the team's quotas cover them
 * (Kueue must then ignore them too, via its `resources.excludeResourcePrefixes`).
 */
export function jobPodSet(job: JobSpec, config: ComputeConfig): PodSetRequest {
  const accelerator = config.accelerators.find((a) => a.name === job.resources.accelerator);
  if (accelerator === undefined)
    throw new InvalidInput(
      `unknown accelerator ${job.resources.accelerator}`,
      'resources.accelerator',
    );
  const tolerations: Toleration[] = job.checkpointing
    ? [{ key: spotTaint.key, operator: 'Exists', effect: 'NoSchedule' }]
    : [];
  const flavor = config.flavors.find((f) => f.accelerator === accelerator.name);
  const quotas = config.teams.find((t) => t.name === job.team)?.quotas ?? [];
  const covers = (resource: string) => quotas.some((q) => q.resources[resource] !== undefined);
  return {
    name: 'main',
    count: job.resources.replicas,
    requests: {
      [accelerator.resource]: job.resources.count * 1000,
      ...(job.resources.cpu === undefined || !covers('cpu') ? {} : { cpu: job.resources.cpu }),
      ...(job.resources.memory === undefined || !covers('memory')
        ? {}
        : { memory: job.resources.memory }),
    },
    nodeSelector: flavor === undefined ? {} : { ...acceleratorOf(config, flavor).nodeLabels },
    tolerations,
  };
}

/** The workload the admission engine sees for a job submitted at `createdAt`. */
export function jobWorkload(
  id: string,
  job: JobSpec,
  config: ComputeConfig,
  createdAt: number,
): WorkloadRequest {
  return {
    id,
    clusterQueue: job.team,
    priority: job.priorityValue,
    orderKey: createdAt,
    queuedAt: createdAt,
    podSets: [jobPodSet(job, config)],
  };
}
