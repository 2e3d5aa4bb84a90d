import { parse as parseYaml } from 'yaml';
import { InvalidInput } from '../platform/index.js';
import type {
  ClusterQueueSpec,
  ClusterTopology,
  FlavorFungibilitySpec,
  FlavorSpec,
  PreemptionSpec,
  QueueingStrategy,
  QuotaSpec,
  ResourceGroupSpec,
  Taint,
} from './admission/types.js';
import { formatQuantity, parseQuantity } from './quantity.js';
import { compileTopology } from './admission/state.js';
import {
  duration,
  known,
  list,
  name,
  num,
  object,
  oneOf,
  optStr,
  str,
  stringMap,
} from './validate-input.js';

/**
 * The platform's compute configuration: accelerators, clusters, flavors (with capacity and
 * prices), priorities, cohorts and teams with their quotas. Read from YAML, validated field by
 * field; every price comes from here, never from code.
 */

export const configApiVersion = 'drivetrain.io/v1';

/** `cpu` counts whole CPU cores as the schedulable unit: machines without accelerators. */
export type Vendor = 'nvidia' | 'qualcomm' | 'cpu';

export interface AcceleratorConfig {
  readonly name: string;
  readonly vendor: Vendor;
  /** Extended resource: nvidia.com/gpu, nvidia.com/mig-<profile>, qualcomm.com/qaic; `cpu` for CPU slots. */
  readonly resource: string;
  /** Labels that select nodes with this accelerator (e.g. nvidia.com/gpu.product). */
  readonly nodeLabels: Readonly<Record<string, string>>;
}

export interface ClusterConfig {
  readonly name: string;
  readonly region: string;
  /** Secret holding the kubeconfig MultiKueue uses to reach this cluster (worker clusters). */
  readonly kubeconfigSecret?: string;
}

export interface FlavorCapacity {
  readonly nodes: number;
  readonly acceleratorsPerNode: number;
  /** Per node, internal units (thousandths of a core; bytes). */
  readonly cpuPerNode?: number;
  readonly memoryPerNode?: number;
}

export interface FlavorConfig {
  readonly name: string;
  readonly cluster: string;
  readonly accelerator: string;
  readonly capacityType: 'on-demand' | 'spot';
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly capacity: FlavorCapacity;
  /** Price per accelerator-hour, on demand and (when offered) on spot capacity. */
  readonly prices: { readonly onDemand: number; readonly spot?: number };
}

export interface PriorityConfig {
  readonly name: string;
  readonly value: number;
  readonly description?: string;
}

export interface CohortConfig {
  readonly name: string;
  readonly parent?: string;
  readonly fairSharingWeight: number;
}

export interface TeamQuota {
  readonly flavor: string;
  /** Resource name → quota, in internal units. */
  readonly resources: Readonly<Record<string, QuotaSpec>>;
}

export interface TeamConfig {
  readonly name: string;
  readonly namespace: string;
  readonly cohort?: string;
  readonly fairSharingWeight: number;
  readonly queueingStrategy: QueueingStrategy;
  readonly preemption: PreemptionSpec;
  readonly flavorFungibility: FlavorFungibilitySpec;
  readonly quotas: readonly TeamQuota[];
  readonly maxJobDurationSeconds?: number;
}

export interface ComputeConfig {
  readonly currency: string;
  readonly accelerators: readonly AcceleratorConfig[];
  readonly clusters: readonly ClusterConfig[];
  readonly flavors: readonly FlavorConfig[];
  readonly priorities: readonly PriorityConfig[];
  readonly cohorts: readonly CohortConfig[];
  readonly teams: readonly TeamConfig[];
}

/** Taint every spot flavor carries so that only checkpointing jobs (which tolerate it) land there. */
export const spotTaint: Taint = {
  key: 'drivetrain.io/capacity-type',
  value: 'spot',
  effect: 'NoSchedule',
};

const resourcePattern = /^(nvidia\.com\/(gpu|mig-[0-9a-z.]+)|qualcomm\.com\/qaic)$/;
const maxNodes = 100_000;
const maxPerNode = 64;
const maxPrice = 10_000;

function unique(items: readonly { name: string }[], path: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name))
      throw new InvalidInput(
        `${path}[${i}].name: '${item.name}' is declared twice`,
        `${path}[${i}].name`,
      );
    seen.add(item.name);
  });
}

function taints(value: unknown, path: string): Taint[] {
  return list(value, path, true).map((t, i) => {
    const at = `${path}[${i}]`;
    const doc = object(t, at);
    known(doc, at, ['key', 'value', 'effect']);
    const value = optStr(doc.value, `${at}.value`);
    return {
      key: str(doc.key, `${at}.key`),
      ...(value === undefined ? {} : { value }),
      effect: oneOf(doc.effect, `${at}.effect`, [
        'NoSchedule',
        'PreferNoSchedule',
        'NoExecute',
      ] as const),
    };
  });
}

function preemption(value: unknown, path: string): PreemptionSpec {
  if (value === undefined) return {};
  const doc = object(value, path);
  known(doc, path, ['withinClusterQueue', 'reclaimWithinCohort', 'borrowWithinCohort']);
  const borrow =
    doc.borrowWithinCohort === undefined
      ? undefined
      : object(doc.borrowWithinCohort, `${path}.borrowWithinCohort`);
  if (borrow) known(borrow, `${path}.borrowWithinCohort`, ['policy', 'maxPriorityThreshold']);
  const spec: PreemptionSpec = {
    withinClusterQueue: oneOf(
      doc.withinClusterQueue,
      `${path}.withinClusterQueue`,
      ['Never', 'LowerPriority', 'LowerOrNewerEqualPriority'] as const,
      'Never',
    ),
    reclaimWithinCohort: oneOf(
      doc.reclaimWithinCohort,
      `${path}.reclaimWithinCohort`,
      ['Never', 'LowerPriority', 'Any'] as const,
      'Never',
    ),
    ...(borrow
      ? {
          borrowWithinCohort: {
            policy: oneOf(borrow.policy, `${path}.borrowWithinCohort.policy`, [
              'Never',
              'LowerPriority',
            ] as const),
            ...(borrow.maxPriorityThreshold === undefined
              ? {}
              : {
                  maxPriorityThreshold: num(
                    borrow.maxPriorityThreshold,
                    `${path}.borrowWithinCohort.maxPriorityThreshold`,
                    -1e9,
                    1e9,
                    true,
                  ),
                }),
          },
        }
      : {}),
  };
  if (
    spec.reclaimWithinCohort === 'Never' &&
    spec.borrowWithinCohort !== undefined &&
    spec.borrowWithinCohort.policy !== 'Never'
  ) {
    throw new InvalidInput(
      `${path}: borrowWithinCohort needs reclaimWithinCohort other than Never`,
      `${path}.borrowWithinCohort`,
    );
  }
  return spec;
}

function fungibility(value: unknown, path: string): FlavorFungibilitySpec {
  if (value === undefined) return {};
  const doc = object(value, path);
  known(doc, path, ['whenCanBorrow', 'whenCanPreempt', 'preference']);
  const options = ['MayStopSearch', 'TryNextFlavor'] as const;
  const spec: FlavorFungibilitySpec = {
    whenCanBorrow: oneOf(doc.whenCanBorrow, `${path}.whenCanBorrow`, options, 'MayStopSearch'),
    whenCanPreempt: oneOf(doc.whenCanPreempt, `${path}.whenCanPreempt`, options, 'TryNextFlavor'),
    ...(doc.preference === undefined
      ? {}
      : {
          preference: oneOf(doc.preference, `${path}.preference`, [
            'BorrowingOverPreemption',
            'PreemptionOverBorrowing',
          ] as const),
        }),
  };
  if (
    spec.preference !== undefined &&
    (spec.whenCanBorrow !== 'TryNextFlavor' || spec.whenCanPreempt !== 'TryNextFlavor')
  ) {
    throw new InvalidInput(
      `${path}.preference: needs whenCanBorrow and whenCanPreempt set to TryNextFlavor`,
      `${path}.preference`,
    );
  }
  return spec;
}

/** Validates a parsed configuration document; throws InvalidInput naming the first bad field. */
export function validateComputeConfig(input: unknown): ComputeConfig {
  const doc = object(input, 'config');
  known(doc, 'config', [
    'apiVersion',
    'kind',
    'currency',
    'accelerators',
    'clusters',
    'flavors',
    'priorities',
    'cohorts',
    'teams',
  ]);
  if (doc.apiVersion !== configApiVersion) {
    throw new InvalidInput(
      `apiVersion: expected ${configApiVersion}, got ${JSON.stringify(doc.apiVersion)}`,
      'apiVersion',
    );
  }
  if (doc.kind !== 'ComputeConfig') throw new InvalidInput(`kind: expected ComputeConfig`, 'kind');
  const currency = str(doc.currency, 'currency');
  if (!/^[A-Z]{3}$/.test(currency))
    throw new InvalidInput(`currency: expected an ISO 4217 code such as EUR`, 'currency');

  const accelerators = list(doc.accelerators, 'accelerators').map((a, i): AcceleratorConfig => {
    const at = `accelerators[${i}]`;
    const d = object(a, at);
    known(d, at, ['name', 'vendor', 'resource', 'nodeLabels']);
    const vendor = oneOf(d.vendor, `${at}.vendor`, ['nvidia', 'qualcomm', 'cpu'] as const);
    const resource = str(d.resource, `${at}.resource`);
    if (vendor === 'cpu' && resource !== 'cpu') {
      throw new InvalidInput(
        `${at}.resource: a cpu accelerator schedules the 'cpu' resource, got '${resource}'`,
        `${at}.resource`,
      );
    }
    if (
      vendor !== 'cpu' &&
      (!resourcePattern.test(resource) ||
        (vendor === 'nvidia') !== resource.startsWith('nvidia.com/'))
    ) {
      throw new InvalidInput(
        `${at}.resource: '${resource}' is not a ${vendor} accelerator resource (nvidia.com/gpu, nvidia.com/mig-<profile>, qualcomm.com/qaic)`,
        `${at}.resource`,
      );
    }
    return {
      name: str(d.name, `${at}.name`),
      vendor,
      resource,
      nodeLabels: stringMap(d.nodeLabels, `${at}.nodeLabels`),
    };
  });
  unique(accelerators, 'accelerators');

  const clusters = list(doc.clusters, 'clusters').map((c, i): ClusterConfig => {
    const at = `clusters[${i}]`;
    const d = object(c, at);
    known(d, at, ['name', 'region', 'kubeconfigSecret']);
    const secret =
      d.kubeconfigSecret === undefined
        ? undefined
        : name(d.kubeconfigSecret, `${at}.kubeconfigSecret`);
    return {
      name: name(d.name, `${at}.name`),
      region: str(d.region, `${at}.region`),
      ...(secret ? { kubeconfigSecret: secret } : {}),
    };
  });
  unique(clusters, 'clusters');
  if (clusters.length === 0)
    throw new InvalidInput('clusters: at least one cluster is needed', 'clusters');

  const flavors = list(doc.flavors, 'flavors').map((f, i): FlavorConfig => {
    const at = `flavors[${i}]`;
    const d = object(f, at);
    known(d, at, [
      'name',
      'cluster',
      'accelerator',
      'capacityType',
      'nodeLabels',
      'taints',
      'capacity',
      'prices',
    ]);
    const cluster = str(d.cluster, `${at}.cluster`);
    if (!clusters.some((c) => c.name === cluster))
      throw new InvalidInput(`${at}.cluster: unknown cluster '${cluster}'`, `${at}.cluster`);
    const accelerator = str(d.accelerator, `${at}.accelerator`);
    if (!accelerators.some((a) => a.name === accelerator)) {
      throw new InvalidInput(
        `${at}.accelerator: unknown accelerator '${accelerator}'`,
        `${at}.accelerator`,
      );
    }
    const cap = object(d.capacity, `${at}.capacity`);
    known(cap, `${at}.capacity`, ['nodes', 'acceleratorsPerNode', 'cpuPerNode', 'memoryPerNode']);
    const capacity: FlavorCapacity = {
      nodes: num(cap.nodes, `${at}.capacity.nodes`, 1, maxNodes, true),
      acceleratorsPerNode: num(
        cap.acceleratorsPerNode,
        `${at}.capacity.acceleratorsPerNode`,
        1,
        maxPerNode,
        true,
      ),
      ...(cap.cpuPerNode === undefined
        ? {}
        : { cpuPerNode: parseQuantity(cap.cpuPerNode, 'cpu', `${at}.capacity.cpuPerNode`) }),
      ...(cap.memoryPerNode === undefined
        ? {}
        : {
            memoryPerNode: parseQuantity(
              cap.memoryPerNode,
              'memory',
              `${at}.capacity.memoryPerNode`,
            ),
          }),
    };
    if (
      capacity.cpuPerNode !== undefined &&
      accelerators.find((a) => a.name === accelerator)?.vendor === 'cpu'
    ) {
      throw new InvalidInput(
        `${at}.capacity.cpuPerNode: a cpu flavor counts its cores in acceleratorsPerNode`,
        `${at}.capacity.cpuPerNode`,
      );
    }
    const prices = object(d.prices, `${at}.prices`);
    known(prices, `${at}.prices`, ['onDemand', 'spot']);
    const capacityType = oneOf(
      d.capacityType,
      `${at}.capacityType`,
      ['on-demand', 'spot'] as const,
      'on-demand',
    );
    const spot =
      prices.spot === undefined ? undefined : num(prices.spot, `${at}.prices.spot`, 0, maxPrice);
    if (capacityType === 'spot' && spot === undefined) {
      throw new InvalidInput(
        `${at}.prices.spot: a spot flavor needs a spot price`,
        `${at}.prices.spot`,
      );
    }
    return {
      name: name(d.name, `${at}.name`),
      cluster,
      accelerator,
      capacityType,
      nodeLabels: stringMap(d.nodeLabels, `${at}.nodeLabels`),
      taints: taints(d.taints, `${at}.taints`),
      capacity,
      prices: {
        onDemand: num(prices.onDemand, `${at}.prices.onDemand`, 0, maxPrice),
        ...(spot === undefined ? {} : { spot }),
      },
    };
  });
  unique(flavors, 'flavors');

  const priorities = list(doc.priorities, 'priorities', true).map((p, i): PriorityConfig => {
    const at = `priorities[${i}]`;
    const d = object(p, at);
    known(d, at, ['name', 'value', 'description']);
    const description = optStr(d.description, `${at}.description`);
    return {
      name: name(d.name, `${at}.name`),
      value: num(d.value, `${at}.value`, -1_000_000_000, 1_000_000_000, true),
      ...(description === undefined ? {} : { description }),
    };
  });
  unique(priorities, 'priorities');

  const cohorts = list(doc.cohorts, 'cohorts', true).map((c, i): CohortConfig => {
    const at = `cohorts[${i}]`;
    const d = object(c, at);
    known(d, at, ['name', 'parent', 'fairSharingWeight']);
    const parent = d.parent === undefined ? undefined : name(d.parent, `${at}.parent`);
    return {
      name: name(d.name, `${at}.name`),
      ...(parent === undefined ? {} : { parent }),
      fairSharingWeight:
        d.fairSharingWeight === undefined
          ? 1
          : num(d.fairSharingWeight, `${at}.fairSharingWeight`, 0, 1000),
    };
  });
  unique(cohorts, 'cohorts');
  cohorts.forEach((c, i) => {
    if (c.parent !== undefined && !cohorts.some((p) => p.name === c.parent)) {
      throw new InvalidInput(
        `cohorts[${i}].parent: unknown cohort '${c.parent}'`,
        `cohorts[${i}].parent`,
      );
    }
  });

  const teams = list(doc.teams, 'teams').map((t, i) =>
    team(t, `teams[${i}]`, { flavors, accelerators, cohorts }),
  );
  unique(teams, 'teams');
  const config: ComputeConfig = {
    currency,
    accelerators,
    clusters,
    flavors,
    priorities,
    cohorts,
    teams,
  };
  compileTopology(configToTopology(config));
  return config;
}

function team(
  value: unknown,
  at: string,
  ctx: {
    flavors: readonly FlavorConfig[];
    accelerators: readonly AcceleratorConfig[];
    cohorts: readonly CohortConfig[];
  },
): TeamConfig {
  const d = object(value, at);
  known(d, at, [
    'name',
    'namespace',
    'cohort',
    'fairSharingWeight',
    'queueingStrategy',
    'preemption',
    'flavorFungibility',
    'quotas',
    'maxJobDuration',
  ]);
  const teamName = name(d.name, `${at}.name`);
  const cohort = d.cohort === undefined ? undefined : str(d.cohort, `${at}.cohort`);
  if (cohort !== undefined && !ctx.cohorts.some((c) => c.name === cohort)) {
    throw new InvalidInput(`${at}.cohort: unknown cohort '${cohort}'`, `${at}.cohort`);
  }
  const quotas = list(d.quotas, `${at}.quotas`).map((q, j): TeamQuota => {
    const qat = `${at}.quotas[${j}]`;
    const qd = object(q, qat);
    known(qd, qat, ['flavor', 'resources']);
    const flavorName = str(qd.flavor, `${qat}.flavor`);
    const flavor = ctx.flavors.find((f) => f.name === flavorName);
    if (flavor === undefined)
      throw new InvalidInput(`${qat}.flavor: unknown flavor '${flavorName}'`, `${qat}.flavor`);
    const accelerator = ctx.accelerators.find(
      (a) => a.name === flavor.accelerator,
    ) as AcceleratorConfig;
    const resources: Record<string, QuotaSpec> = {};
    const rd = object(qd.resources, `${qat}.resources`);
    for (const [resource, spec] of Object.entries(rd)) {
      const rat = `${qat}.resources.${resource}`;
      if (resource !== accelerator.resource && resource !== 'cpu' && resource !== 'memory') {
        throw new InvalidInput(
          `${rat}: flavor ${flavorName} offers ${accelerator.resource}, cpu and memory, not ${resource}`,
          rat,
        );
      }
      const sd = object(spec, rat);
      known(sd, rat, ['nominal', 'borrowingLimit', 'lendingLimit']);
      const nominal = parseQuantity(sd.nominal, resource, `${rat}.nominal`);
      const borrowingLimit =
        sd.borrowingLimit === undefined
          ? undefined
          : parseQuantity(sd.borrowingLimit, resource, `${rat}.borrowingLimit`);
      const lendingLimit =
        sd.lendingLimit === undefined
          ? undefined
          : parseQuantity(sd.lendingLimit, resource, `${rat}.lendingLimit`);
      const capacity = flavorCapacity(flavor, resource, accelerator);
      if (capacity !== undefined && nominal > capacity) {
        throw new InvalidInput(
          `${rat}.nominal: ${formatQuantity(nominal, resource)} is more than flavor ${flavorName} holds in total (${formatQuantity(capacity, resource)})`,
          `${rat}.nominal`,
        );
      }
      if (resource === accelerator.resource && nominal % 1000 !== 0) {
        throw new InvalidInput(`${rat}.nominal: accelerators are whole devices`, `${rat}.nominal`);
      }
      if (lendingLimit !== undefined && lendingLimit > nominal) {
        throw new InvalidInput(
          `${rat}.lendingLimit: cannot lend more than the nominal quota`,
          `${rat}.lendingLimit`,
        );
      }
      if (borrowingLimit !== undefined && cohort === undefined) {
        throw new InvalidInput(
          `${rat}.borrowingLimit: a team outside any cohort cannot borrow`,
          `${rat}.borrowingLimit`,
        );
      }
      resources[resource] = {
        nominal,
        ...(borrowingLimit === undefined ? {} : { borrowingLimit }),
        ...(lendingLimit === undefined ? {} : { lendingLimit }),
      };
    }
    if (resources[accelerator.resource] === undefined) {
      throw new InvalidInput(
        `${qat}.resources: a quota must set ${accelerator.resource}`,
        `${qat}.resources`,
      );
    }
    return { flavor: flavorName, resources };
  });
  const seen = new Set<string>();
  quotas.forEach((q, j) => {
    if (seen.has(q.flavor))
      throw new InvalidInput(
        `${at}.quotas[${j}].flavor: '${q.flavor}' is listed twice`,
        `${at}.quotas[${j}].flavor`,
      );
    seen.add(q.flavor);
  });
  const maxJob =
    d.maxJobDuration === undefined
      ? undefined
      : duration(d.maxJobDuration, `${at}.maxJobDuration`, 365 * 86400);
  return {
    name: teamName,
    namespace:
      d.namespace === undefined ? `team-${teamName}` : name(d.namespace, `${at}.namespace`),
    ...(cohort === undefined ? {} : { cohort }),
    fairSharingWeight:
      d.fairSharingWeight === undefined
        ? 1
        : num(d.fairSharingWeight, `${at}.fairSharingWeight`, 0, 1000),
    queueingStrategy: oneOf(
      d.queueingStrategy,
      `${at}.queueingStrategy`,
      ['BestEffortFIFO', 'StrictFIFO'] as const,
      'BestEffortFIFO',
    ),
    preemption: preemption(d.preemption, `${at}.preemption`),
    flavorFungibility: fungibility(d.flavorFungibility, `${at}.flavorFungibility`),
    quotas,
    ...(maxJob === undefined ? {} : { maxJobDurationSeconds: maxJob }),
  };
}

function flavorCapacity(
  flavor: FlavorConfig,
  resource: string,
  accelerator: AcceleratorConfig,
): number | undefined {
  const { nodes, acceleratorsPerNode, cpuPerNode, memoryPerNode } = flavor.capacity;
  if (resource === accelerator.resource) return nodes * acceleratorsPerNode * 1000;
  if (resource === 'cpu') return cpuPerNode === undefined ? undefined : nodes * cpuPerNode;
  if (resource === 'memory') return memoryPerNode === undefined ? undefined : nodes * memoryPerNode;
  return undefined;
}

/** Parses and validates a compute configuration file (YAML or JSON text). */
export function parseComputeConfig(text: string, file: string): ComputeConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (error) {
    throw new InvalidInput(`${file}: not valid YAML: ${(error as Error).message}`, file);
  }
  try {
    return validateComputeConfig(doc);
  } catch (error) {
    if (error instanceof InvalidInput) {
      throw new InvalidInput(`${file}: ${error.message}`, error.field, { file });
    }
    throw error;
  }
}

/** The accelerator a flavor offers. */
export function acceleratorOf(config: ComputeConfig, flavor: FlavorConfig): AcceleratorConfig {
  return config.accelerators.find((a) => a.name === flavor.accelerator) as AcceleratorConfig;
}

/** Node labels of a flavor: the accelerator's selecting labels plus the flavor's own. */
export function flavorNodeLabels(
  config: ComputeConfig,
  flavor: FlavorConfig,
): Record<string, string> {
  return { ...acceleratorOf(config, flavor).nodeLabels, ...flavor.nodeLabels };
}

/** Taints of a flavor, with the spot taint on spot capacity. */
export function flavorTaints(flavor: FlavorConfig): Taint[] {
  return flavor.capacityType === 'spot' ? [...flavor.taints, spotTaint] : [...flavor.taints];
}

/** The price per accelerator-hour a flavor charges for its own capacity type. */
export function flavorPrice(flavor: FlavorConfig): number {
  return flavor.capacityType === 'spot'
    ? (flavor.prices.spot ?? flavor.prices.onDemand)
    : flavor.prices.onDemand;
}

/**
 * The admission engine's view of a configuration: flavors with their nodes, cohorts, and one
 * ClusterQueue per team whose resource groups gather the team's flavors by accelerator
 * resource (flavors tried in the order the team lists them).
 */
export function configToTopology(config: ComputeConfig): ClusterTopology {
  const flavors: FlavorSpec[] = config.flavors.map((f) => {
    const accelerator = acceleratorOf(config, f);
    return {
      name: f.name,
      nodeLabels: flavorNodeLabels(config, f),
      nodeTaints: flavorTaints(f),
      deviceResource: accelerator.resource,
      nodes: Array.from({ length: f.capacity.nodes }, (_, i) => ({
        name: `${f.name}-${i}`,
        resources: {
          [accelerator.resource]: f.capacity.acceleratorsPerNode * 1000,
          ...(f.capacity.cpuPerNode === undefined ? {} : { cpu: f.capacity.cpuPerNode }),
          ...(f.capacity.memoryPerNode === undefined ? {} : { memory: f.capacity.memoryPerNode }),
        },
      })),
    };
  });
  const clusterQueues: ClusterQueueSpec[] = config.teams.map((t, i) => {
    const groups = new Map<
      string,
      { covered: string[]; flavors: { flavor: string; resources: Record<string, QuotaSpec> }[] }
    >();
    for (const [j, q] of t.quotas.entries()) {
      const flavor = config.flavors.find((f) => f.name === q.flavor) as FlavorConfig;
      const resource = acceleratorOf(config, flavor).resource;
      const covered = Object.keys(q.resources).sort();
      const group = groups.get(resource);
      if (group === undefined)
        groups.set(resource, {
          covered,
          flavors: [{ flavor: q.flavor, resources: { ...q.resources } }],
        });
      else {
        if (group.covered.join() !== covered.join()) {
          throw new InvalidInput(
            `teams[${i}].quotas[${j}].resources: every ${resource} flavor of a team must set the same resources (${group.covered.join(', ')})`,
            `teams[${i}].quotas[${j}].resources`,
          );
        }
        group.flavors.push({ flavor: q.flavor, resources: { ...q.resources } });
      }
    }
    const resourceGroups: ResourceGroupSpec[] = [...groups.values()].map((g) => ({
      coveredResources: g.covered,
      flavors: g.flavors,
    }));
    const shared = new Set<string>();
    for (const g of resourceGroups) {
      for (const r of g.coveredResources) {
        if (shared.has(r)) {
          throw new InvalidInput(
            `teams[${i}].quotas: ${r} quota can only be set for flavors of one accelerator resource`,
            `teams[${i}].quotas`,
          );
        }
        shared.add(r);
      }
    }
    return {
      name: t.name,
      ...(t.cohort === undefined ? {} : { cohort: t.cohort }),
      resourceGroups,
      preemption: t.preemption,
      fairSharingWeight: t.fairSharingWeight,
      queueingStrategy: t.queueingStrategy,
      flavorFungibility: t.flavorFungibility,
    };
  });
  return {
    flavors,
    cohorts: config.cohorts.map((c) => ({
      name: c.name,
      ...(c.parent === undefined ? {} : { parent: c.parent }),
      fairSharingWeight: c.fairSharingWeight,
    })),
    clusterQueues,
  };
}
