import { stringify } from 'yaml';
import {
  acceleratorOf,
  flavorNodeLabels,
  flavorTaints,
  spotTaint,
  type ComputeConfig,
} from '../config.js';
import type { JobSpec } from '../job.js';
import { formatQuantity } from '../quantity.js';

/**
 * Kubernetes and Kueue objects for a compute configuration (for GitOps) and for each job
 * (for the Kubernetes executor). Kueue objects use its storage version, kueue.x-k8s.io/v1beta2.
 */

export type KubeObject = Readonly<Record<string, unknown>> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
};

const kueue = 'kueue.x-k8s.io/v1beta2';
const managedBy = { 'app.kubernetes.io/managed-by': 'drivetrain' };
export const multiKueueCheck = 'multikueue';
export const queueNameLabel = 'kueue.x-k8s.io/queue-name';
export const priorityClassLabel = 'kueue.x-k8s.io/priority-class';

/** True when the configuration spans clusters that MultiKueue dispatches to. */
function usesMultiKueue(config: ComputeConfig): boolean {
  return config.clusters.some((c) => c.kubeconfigSecret !== undefined);
}

/**
 * ResourceFlavors, Cohorts, ClusterQueues, LocalQueues and WorkloadPriorityClasses for the
 * configuration, plus MultiKueue's AdmissionCheck, MultiKueueConfig and MultiKueueClusters
 * when clusters with a kubeconfig secret are listed (they become MultiKueue workers).
 */
export function renderKueueObjects(config: ComputeConfig): KubeObject[] {
  const out: KubeObject[] = [];
  for (const f of config.flavors) {
    const taints = flavorTaints(f);
    out.push({
      apiVersion: kueue,
      kind: 'ResourceFlavor',
      metadata: { name: f.name, labels: { ...managedBy, 'drivetrain.io/cluster': f.cluster } },
      spec: {
        nodeLabels: flavorNodeLabels(config, f),
        ...(taints.length > 0
          ? {
              nodeTaints: taints.map((t) => ({
                key: t.key,
                ...(t.value === undefined ? {} : { value: t.value }),
                effect: t.effect,
              })),
            }
          : {}),
      },
    });
  }
  for (const c of config.cohorts) {
    out.push({
      apiVersion: kueue,
      kind: 'Cohort',
      metadata: { name: c.name, labels: { ...managedBy } },
      spec: {
        ...(c.parent === undefined ? {} : { parentName: c.parent }),
        fairSharing: { weight: String(c.fairSharingWeight) },
      },
    });
  }
  const multi = usesMultiKueue(config);
  for (const t of config.teams) {
    const groups = new Map<string, { covered: string[]; flavors: unknown[] }>();
    for (const q of t.quotas) {
      const flavor = config.flavors.find((f) => f.name === q.flavor);
      if (flavor === undefined) continue;
      const resource = acceleratorOf(config, flavor).resource;
      const covered = Object.keys(q.resources).sort();
      const group = groups.get(resource) ?? { covered, flavors: [] };
      group.flavors.push({
        name: q.flavor,
        resources: covered.map((name) => {
          const quota = q.resources[name] as {
            nominal: number;
            borrowingLimit?: number;
            lendingLimit?: number;
          };
          return {
            name,
            nominalQuota: formatQuantity(quota.nominal, name),
            ...(quota.borrowingLimit === undefined
              ? {}
              : { borrowingLimit: formatQuantity(quota.borrowingLimit, name) }),
            ...(quota.lendingLimit === undefined
              ? {}
              : { lendingLimit: formatQuantity(quota.lendingLimit, name) }),
          };
        }),
      });
      groups.set(resource, group);
    }
    const p = t.preemption;
    out.push({
      apiVersion: kueue,
      kind: 'ClusterQueue',
      metadata: { name: t.name, labels: { ...managedBy, 'drivetrain.io/team': t.name } },
      spec: {
        ...(t.cohort === undefined ? {} : { cohortName: t.cohort }),
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': t.namespace } },
        queueingStrategy: t.queueingStrategy,
        resourceGroups: [...groups.values()].map((g) => ({
          coveredResources: g.covered,
          flavors: g.flavors,
        })),
        preemption: {
          withinClusterQueue: p.withinClusterQueue ?? 'Never',
          reclaimWithinCohort: p.reclaimWithinCohort ?? 'Never',
          ...(p.borrowWithinCohort === undefined
            ? {}
            : { borrowWithinCohort: { ...p.borrowWithinCohort } }),
        },
        flavorFungibility: { ...t.flavorFungibility },
        fairSharing: { weight: String(t.fairSharingWeight) },
        ...(multi
          ? { admissionChecksStrategy: { admissionChecks: [{ name: multiKueueCheck }] } }
          : {}),
      },
    });
    out.push({
      apiVersion: kueue,
      kind: 'LocalQueue',
      metadata: {
        name: t.name,
        namespace: t.namespace,
        labels: { ...managedBy, 'drivetrain.io/team': t.name },
      },
      spec: { clusterQueue: t.name },
    });
  }
  for (const pr of config.priorities) {
    out.push({
      apiVersion: kueue,
      kind: 'WorkloadPriorityClass',
      metadata: { name: pr.name, labels: { ...managedBy } },
      value: pr.value,
      ...(pr.description === undefined ? {} : { description: pr.description }),
    });
  }
  if (multi) {
    const workers = config.clusters.filter((c) => c.kubeconfigSecret !== undefined);
    out.push({
      apiVersion: kueue,
      kind: 'AdmissionCheck',
      metadata: { name: multiKueueCheck, labels: { ...managedBy } },
      spec: {
        controllerName: 'kueue.x-k8s.io/multikueue',
        parameters: { apiGroup: 'kueue.x-k8s.io', kind: 'MultiKueueConfig', name: 'drivetrain' },
      },
    });
    out.push({
      apiVersion: kueue,
      kind: 'MultiKueueConfig',
      metadata: { name: 'drivetrain', labels: { ...managedBy } },
      spec: { clusters: workers.map((c) => c.name) },
    });
    for (const c of workers) {
      out.push({
        apiVersion: kueue,
        kind: 'MultiKueueCluster',
        metadata: { name: c.name, labels: { ...managedBy, 'drivetrain.io/region': c.region } },
        spec: {
          clusterSource: {
            kubeConfig: { locationType: 'Secret', location: c.kubeconfigSecret as string },
          },
        },
      });
    }
  }
  return out;
}

/**
 * A job as a suspended batch/v1 Job in its team's namespace, labelled for the team's LocalQueue.
 * A multi-replica gang is an Indexed Job with parallelism = completions = replicas: Kueue
 * admits it as one Workload with one podset of `replicas` pods, so all replicas get quota
 * together or none does.
 */
export function renderJob(id: string, job: JobSpec, config: ComputeConfig): KubeObject {
  const team = config.teams.find((t) => t.name === job.team);
  const flavor = config.flavors.find((f) => f.accelerator === job.resources.accelerator);
  const accelerator = config.accelerators.find((a) => a.name === job.resources.accelerator);
  const resource = accelerator?.resource ?? 'nvidia.com/gpu';
  const requests: Record<string, string> = { [resource]: String(job.resources.count) };
  if (job.resources.cpu !== undefined) requests.cpu = formatQuantity(job.resources.cpu, 'cpu');
  if (job.resources.memory !== undefined)
    requests.memory = formatQuantity(job.resources.memory, 'memory');
  const labels = {
    ...managedBy,
    [queueNameLabel]: job.team,
    ...(job.priority === 'default' ? {} : { [priorityClassLabel]: job.priority }),
    'drivetrain.io/job-id': id,
    'drivetrain.io/team': job.team,
    ...(job.project === undefined ? {} : { 'drivetrain.io/project': job.project }),
  };
  const gang = job.resources.replicas > 1;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: id, namespace: team?.namespace ?? `team-${job.team}`, labels },
    spec: {
      suspend: true,
      parallelism: job.resources.replicas,
      completions: job.resources.replicas,
      ...(gang ? { completionMode: 'Indexed' } : {}),
      backoffLimit: job.retries,
      activeDeadlineSeconds: Math.ceil(job.maxDurationSeconds),
      template: {
        metadata: { labels: { 'drivetrain.io/job-id': id } },
        spec: {
          restartPolicy: 'Never',
          ...(flavor === undefined ? {} : { nodeSelector: { ...(accelerator?.nodeLabels ?? {}) } }),
          ...(job.checkpointing
            ? { tolerations: [{ key: spotTaint.key, operator: 'Exists', effect: 'NoSchedule' }] }
            : {}),
          containers: [
            {
              name: 'train',
              image: job.image ?? 'drivetrain/runner:latest',
              ...(job.command.length > 0 ? { command: [...job.command] } : {}),
              ...(job.args.length > 0 ? { args: [...job.args] } : {}),
              env: [
                ...Object.entries(job.env).map(([name, value]) => ({ name, value })),
                ...job.inputs.map((input, i) => ({
                  name: `DRIVETRAIN_INPUT_${i}`,
                  value: `${input.dataset}@${input.version}`,
                })),
                ...(job.checkpointing ? [{ name: 'DRIVETRAIN_CHECKPOINTING', value: 'true' }] : []),
              ],
              resources: { requests, limits: { [resource]: String(job.resources.count) } },
            },
          ],
        },
      },
    },
  };
}

/** One YAML document per object, as `kubectl apply -f` and GitOps tools read them. */
export function toYamlDocuments(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** A file name for an object: `<kind>-<namespace>-<name>.yaml` in lower case. */
export function objectFileName(o: KubeObject): string {
  return `${[o.kind, o.metadata.namespace, o.metadata.name]
    .filter((p) => p !== undefined)
    .join('-')
    .toLowerCase()}.yaml`;
}
