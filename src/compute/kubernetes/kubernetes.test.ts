import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { parseComputeConfig } from '../config.js';
import { validateJobSpec } from '../job.js';
import { exampleConfigYaml } from '../testing/example-config.js';
import {
  objectFileName,
  renderJob,
  renderKueueObjects,
  toYamlDocuments,
  type KubeObject,
} from './render.js';
import { initialStatus, reduceJobStatus, type JobStatus, type WatchEvent } from './status.js';
import { KubernetesValidator } from './validate.js';

const config = parseComputeConfig(exampleConfigYaml, 'compute.yaml');
const job = validateJobSpec(
  {
    name: 'bevformer',
    team: 'lidar',
    project: 'bev',
    image: 'registry.example/bevformer:1.0',
    command: ['python', 'train.py'],
    env: { EPOCHS: '24' },
    inputs: [{ dataset: 'nuscenes-night', version: 'sha256:abc' }],
    resources: { accelerator: 'H100', count: 8, replicas: 2, cpu: 32, memory: '256Gi' },
    priority: 'high',
    checkpointing: true,
    retries: 2,
  },
  config,
);

function validator(): KubernetesValidator {
  const dir = sharedPath('schemas', 'kueue', 'v0.19.2');
  const crds = readdirSync(dir).map((f) => parse(readFileSync(`${dir}/${f}`, 'utf8')) as unknown);
  const load = (f: string) =>
    JSON.parse(readFileSync(sharedPath('schemas', 'kubernetes', f), 'utf8')) as unknown;
  return new KubernetesValidator({
    crds,
    openapi: [
      {
        document: load('batch-v1-job.openapi3.json'),
        kinds: { 'batch/v1/Job': 'io.k8s.api.batch.v1.Job' },
      },
      {
        document: load('core-v1-podspec.openapi3.json'),
        kinds: { 'v1/PodSpec': 'io.k8s.api.core.v1.PodSpec' },
      },
    ],
  });
}

describe('rendering', () => {
  it('renders every kind once per config entity, in YAML documents', () => {
    const objects = renderKueueObjects(config);
    const count = (kind: string) => objects.filter((o) => o.kind === kind).length;
    expect([
      count('ResourceFlavor'),
      count('Cohort'),
      count('ClusterQueue'),
      count('LocalQueue'),
      count('WorkloadPriorityClass'),
    ]).toEqual([4, 1, 2, 2, 2]);
    expect([
      count('AdmissionCheck'),
      count('MultiKueueConfig'),
      count('MultiKueueCluster'),
    ]).toEqual([1, 1, 1]);
    const yaml = toYamlDocuments(objects);
    expect(yaml.split('---\n')).toHaveLength(objects.length);
    expect(objectFileName(objects.find((o) => o.kind === 'LocalQueue') as KubeObject)).toBe(
      'localqueue-team-lidar-lidar.yaml',
    );
    const lidar = objects.find(
      (o) => o.kind === 'ClusterQueue' && o.metadata.name === 'lidar',
    ) as unknown as {
      spec: { resourceGroups: unknown[] };
    };
    expect(lidar.spec.resourceGroups[0]).toEqual({
      coveredResources: ['nvidia.com/gpu'],
      flavors: [
        {
          name: 'h100-ondemand',
          resources: [
            { name: 'nvidia.com/gpu', nominalQuota: '16', borrowingLimit: '8', lendingLimit: '8' },
          ],
        },
        { name: 'h100-spot', resources: [{ name: 'nvidia.com/gpu', nominalQuota: '8' }] },
      ],
    });
  });

  it('renders a gang job as a suspended Indexed Job labelled for the LocalQueue', () => {
    const rendered = renderJob('job-7', job, config) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(rendered.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('lidar');
    expect(rendered.metadata.labels['kueue.x-k8s.io/priority-class']).toBe('high');
    expect(rendered.spec).toMatchObject({
      suspend: true,
      parallelism: 2,
      completions: 2,
      completionMode: 'Indexed',
      backoffLimit: 2,
    });
  });
});

describeShared('validation against the official schemas and CEL rules', () => {
  let v: KubernetesValidator;
  beforeAll(() => {
    v = validator();
  });

  it('accepts every rendered Kueue object and the rendered Job and its pod spec', () => {
    for (const o of [...renderKueueObjects(config), renderJob('job-7', job, config)]) {
      expect({ kind: o.kind, name: o.metadata.name, issues: v.validate(o).issues }).toEqual({
        kind: o.kind,
        name: o.metadata.name,
        issues: [],
      });
    }
    const pod = (
      renderJob('job-7', job, config) as unknown as { spec: { template: { spec: unknown } } }
    ).spec.template.spec;
    expect(
      v
        .validate({
          apiVersion: 'v1',
          kind: 'PodSpec',
          metadata: { name: 'x' },
          ...(pod as object),
        })
        .issues.filter(
          (i) => !i.path.startsWith('metadata') && i.path !== 'apiVersion' && i.path !== 'kind',
        ),
    ).toEqual([]);
  });

  it('rejects unknown fields in a CRD object and in a Job', () => {
    const flavor = renderKueueObjects(config)[0] as KubeObject;
    const typo = { ...flavor, spec: { ...(flavor.spec as object), nodeLabel: { a: 'b' } } };
    expect(v.validate(typo).issues).toContainEqual({
      path: 'spec.nodeLabel',
      message: 'unknown field',
    });
    const j = renderJob('job-7', job, config) as unknown as { spec: Record<string, unknown> };
    expect(v.validate({ ...j, spec: { ...j.spec, parallelizm: 2 } }).issues).toContainEqual({
      path: 'spec.parallelizm',
      message: 'unknown field',
    });
  });

  it('evaluates CEL rules: borrowing limit without cohort, mismatched covered resources, bad taint effect', () => {
    const cq = renderKueueObjects(config).find((o) => o.kind === 'ClusterQueue') as KubeObject & {
      spec: Record<string, unknown>;
    };
    const { cohortName: _c, ...noCohort } = cq.spec;
    const issues = v.validate({ ...cq, spec: noCohort }).issues.map((i) => i.message);
    expect(issues).toContain('borrowingLimit must be nil when cohort is empty');
    const mismatch = {
      ...cq,
      spec: {
        ...cq.spec,
        resourceGroups: [
          {
            coveredResources: ['nvidia.com/gpu', 'cpu'],
            flavors: [
              { name: 'h100-ondemand', resources: [{ name: 'nvidia.com/gpu', nominalQuota: '1' }] },
            ],
          },
        ],
      },
    };
    expect(
      v
        .validate(mismatch)
        .issues.map((i) => i.message)
        .join(),
    ).toMatch(/flavors must have the same number of resources as the coveredResources/);
    const preference = {
      ...cq,
      spec: { ...cq.spec, flavorFungibility: { preference: 'BorrowingOverPreemption' } },
    };
    expect(v.validate(preference).issues.length).toBeGreaterThan(0);
    const flavor = renderKueueObjects(config).find(
      (o) => o.metadata.name === 'ai100',
    ) as KubeObject & { spec: Record<string, unknown> };
    const badTaint = {
      ...flavor,
      spec: { ...flavor.spec, nodeTaints: [{ key: 'k', effect: 'Sometimes' }] },
    };
    expect(v.validate(badTaint).issues.length).toBeGreaterThan(0);
    const mk = renderKueueObjects(config).find((o) => o.kind === 'MultiKueueConfig') as KubeObject;
    expect(v.validate({ ...mk, spec: { clusters: ['a', 'a'] } }).issues.length).toBeGreaterThan(0);
  });

  it('evaluates transition rules only with the old object', () => {
    const lq = renderKueueObjects(config).find((o) => o.kind === 'LocalQueue') as KubeObject & {
      spec: Record<string, unknown>;
    };
    const moved = { ...lq, spec: { clusterQueue: 'camera' } };
    expect(v.validate(moved).issues).toEqual([]);
    expect(v.validate(moved, lq).issues.map((i) => i.message)).toContain('field is immutable');
  });

  it('follows a job through watch events that themselves validate against the Job and Workload schemas', () => {
    const rendered = renderJob('job-7', job, config) as unknown as Record<string, unknown> & {
      spec: Record<string, unknown>;
    };
    const workload = (conditions: unknown[], admission?: unknown) => ({
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'Workload',
      metadata: { name: 'job-job-7', namespace: 'team-lidar' },
      spec: {
        queueName: 'lidar',
        priority: 1000,
        priorityClassRef: { group: 'kueue.x-k8s.io', kind: 'WorkloadPriorityClass', name: 'high' },
        podSets: [
          { name: 'main', count: 2, template: (rendered.spec as { template: unknown }).template },
        ],
      },
      status: { conditions, ...(admission ? { admission } : {}) },
    });
    const cond = (type: string, reason: string, at: string, message = type) => ({
      type,
      status: 'True',
      reason,
      message,
      lastTransitionTime: at,
    });
    const admission = {
      clusterQueue: 'lidar',
      podSetAssignments: [
        {
          name: 'main',
          count: 2,
          flavors: { 'nvidia.com/gpu': 'h100-spot' },
          resourceUsage: { 'nvidia.com/gpu': '16' },
        },
      ],
    };
    const events: WatchEvent[] = [
      { type: 'ADDED', object: rendered },
      {
        type: 'MODIFIED',
        object: workload(
          [
            cond('QuotaReserved', 'QuotaReserved', '2026-01-01T00:00:00Z'),
            cond('Admitted', 'Admitted', '2026-01-01T00:00:00Z'),
          ],
          admission,
        ),
      },
      {
        type: 'MODIFIED',
        object: {
          ...rendered,
          spec: { ...rendered.spec, suspend: false },
          status: { active: 2, startTime: '2026-01-01T00:01:00Z' },
        },
      },
      {
        type: 'MODIFIED',
        object: workload([
          cond('Evicted', 'Preempted', '2026-01-01T01:00:00Z'),
          cond('Preempted', 'InCohortReclamation', '2026-01-01T01:00:00Z'),
        ]),
      },
      { type: 'MODIFIED', object: { ...rendered, status: { active: 0 } } },
      {
        type: 'MODIFIED',
        object: workload(
          [
            cond('QuotaReserved', 'QuotaReserved', '2026-01-01T02:00:00Z'),
            cond('Admitted', 'Admitted', '2026-01-01T02:00:00Z'),
          ],
          admission,
        ),
      },
      {
        type: 'MODIFIED',
        object: {
          ...rendered,
          spec: { ...rendered.spec, suspend: false },
          status: { active: 2, startTime: '2026-01-01T02:00:30Z' },
        },
      },
      {
        type: 'MODIFIED',
        object: {
          ...rendered,
          spec: { ...rendered.spec, suspend: false },
          status: {
            succeeded: 2,
            startTime: '2026-01-01T02:00:30Z',
            completionTime: '2026-01-01T04:00:00Z',
            conditions: [
              cond('SuccessCriteriaMet', 'CompletionsReached', '2026-01-01T04:00:00Z'),
              cond('Complete', 'CompletionsReached', '2026-01-01T04:00:00Z'),
            ],
          },
        },
      },
      { type: 'DELETED', object: rendered },
    ];
    for (const e of events)
      expect({
        kind: (e.object as { kind: string }).kind,
        issues: v.validate(e.object).issues,
      }).toEqual({ kind: (e.object as { kind: string }).kind, issues: [] });
    let status: JobStatus = initialStatus(Date.parse('2025-12-31T23:59:00Z') / 1000);
    const seen: string[] = [];
    for (const e of events) {
      status = reduceJobStatus(status, e, 16, Date.parse('2026-01-02T00:00:00Z') / 1000);
      seen.push(status.state);
    }
    expect(seen).toEqual([
      'pending',
      'admitted',
      'running',
      'preempted',
      'pending',
      'admitted',
      'running',
      'succeeded',
      'succeeded',
    ]);
    const t = (iso: string) => Date.parse(iso) / 1000;
    expect(status.attempts).toEqual([
      {
        flavor: 'h100-spot',
        startedAt: t('2026-01-01T00:00:00Z'),
        endedAt: t('2026-01-01T01:00:00Z'),
        accelerators: 16,
        outcome: 'preempted',
      },
      {
        flavor: 'h100-spot',
        startedAt: t('2026-01-01T02:00:00Z'),
        endedAt: t('2026-01-01T04:00:00Z'),
        accelerators: 16,
        outcome: 'succeeded',
      },
    ]);
    expect(status.at.running).toBe(t('2026-01-01T02:00:30Z'));
  });
});
