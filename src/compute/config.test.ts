import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { configToTopology, parseComputeConfig } from './config.js';
import { jobWorkload, validateJobSpec } from './job.js';
import { parseQuantity, formatQuantity } from './quantity.js';
import { exampleConfigYaml } from './testing/example-config.js';
import { ClusterState, compileTopology } from './admission/state.js';
import { scheduleCycle } from './admission/engine.js';
import fc from 'fast-check';

function edited(path: (string | number)[], value: unknown): string {
  const doc = parseDocument(exampleConfigYaml);
  if (value === undefined) doc.deleteIn(path);
  else doc.setIn(path, value);
  return doc.toString();
}

describe('compute configuration', () => {
  const config = parseComputeConfig(exampleConfigYaml, 'compute.yaml');

  it('reads accelerators, flavors with prices and capacity, and team quotas in internal units', () => {
    expect(config.flavors.map((f) => [f.name, f.capacityType, f.prices.onDemand])).toEqual([
      ['h100-ondemand', 'on-demand', 4],
      ['h100-spot', 'spot', 4],
      ['a100-mig', 'on-demand', 1.2],
      ['ai100', 'on-demand', 0.8],
    ]);
    expect(config.flavors[0]?.capacity.memoryPerNode).toBe(2 * 2 ** 40);
    expect(config.teams[0]?.quotas[0]?.resources['nvidia.com/gpu']).toEqual({
      nominal: 16000,
      borrowingLimit: 8000,
      lendingLimit: 8000,
    });
    const topology = configToTopology(config);
    expect(topology.clusterQueues[0]?.resourceGroups.map((g) => g.coveredResources)).toEqual([
      ['nvidia.com/gpu'],
      ['qualcomm.com/qaic'],
    ]);
    expect(topology.flavors[1]?.nodeTaints).toContainEqual({
      key: 'drivetrain.io/capacity-type',
      value: 'spot',
      effect: 'NoSchedule',
    });
  });

  it.each([
    [
      ['teams', 0, 'quotas', 0, 'resources', 'nvidia.com/gpu', 'nominal'],
      -4,
      /nominal: quantity must not be negative/,
    ],
    [
      ['teams', 0, 'quotas', 0, 'resources', 'nvidia.com/gpu', 'nominal'],
      1000,
      /nominal: 1000 is more than flavor h100-ondemand holds in total \(32\)/,
    ],
    [['teams', 0, 'quotas', 0, 'resources', 'nvidia.com/gpu', 'nominal'], '1e30', /absurdly large/],
    [
      ['teams', 0, 'quotas', 0, 'resources', 'nvidia.com/gpu', 'lendingLimit'],
      20,
      /cannot lend more than the nominal/,
    ],
    [
      ['teams', 1, 'quotas', 0, 'resources', 'amd.com/gpu'],
      { nominal: 1 },
      /offers nvidia.com\/gpu, cpu and memory, not amd.com\/gpu/,
    ],
    [['flavors', 0, 'accelerator'], 'B200', /flavors\[0\].accelerator: unknown accelerator 'B200'/],
    [
      ['flavors', 0, 'prices', 'onDemand'],
      -1,
      /flavors\[0\].prices.onDemand: expected a number from 0/,
    ],
    [['flavors', 1, 'prices', 'spot'], undefined, /a spot flavor needs a spot price/],
    [['accelerators', 0, 'resource'], 'amd.com/gpu', /not a nvidia accelerator resource/],
    [['teams', 0, 'quota'], [], /teams\[0\].quota: unknown field/],
    [['cohorts', 0, 'parent'], 'perception', /its own ancestor/],
  ])('rejects %j = %j', (path, value, message) => {
    expect(() => parseComputeConfig(edited(path, value), 'compute.yaml')).toThrow(message);
  });

  it('names the file and never throws anything but InvalidInput on arbitrary YAML', () => {
    expect(() => parseComputeConfig('teams: [', 'bad.yaml')).toThrow(/bad.yaml: not valid YAML/);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseComputeConfig(JSON.stringify(value), 'fuzz.json');
        } catch (error) {
          expect((error as { code?: string }).code).toBe('invalid_input');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('parses and renders Kubernetes quantities exactly', () => {
    expect(parseQuantity('500m', 'cpu', 'f')).toBe(500);
    expect(parseQuantity('0.1', 'cpu', 'f')).toBe(100);
    expect(parseQuantity('1.5Gi', 'memory', 'f')).toBe(1610612736);
    expect(parseQuantity('1e3', 'nvidia.com/gpu', 'f')).toBe(1_000_000);
    expect(formatQuantity(2 * 2 ** 40, 'memory')).toBe('2Ti');
    expect(formatQuantity(1500, 'cpu')).toBe('1500m');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
        expect(parseQuantity(formatQuantity(n, 'memory'), 'memory', 'f')).toBe(n);
        expect(parseQuantity(formatQuantity(n, 'cpu'), 'cpu', 'f')).toBe(n);
      }),
    );
  });
});

describe('job specs', () => {
  const config = parseComputeConfig(exampleConfigYaml, 'compute.yaml');
  const base = {
    name: 'bevformer',
    team: 'lidar',
    project: 'bev',
    image: 'registry.example/bevformer:1.0',
    resources: { accelerator: 'H100', count: 8, replicas: 2, memory: '256Gi' },
    priority: 'high',
    maxDuration: '48h',
    checkpointing: true,
    retries: 2,
  };

  it('validates a job and turns it into a gang workload that tolerates spot', () => {
    const job = validateJobSpec(base, config);
    expect(job).toMatchObject({
      priorityValue: 1000,
      maxDurationSeconds: 172800,
      checkpointing: true,
    });
    const w = jobWorkload('j1', job, config, 10);
    expect(w.podSets[0]).toMatchObject({
      count: 2,
      requests: { 'nvidia.com/gpu': 8000 },
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      tolerations: [
        { key: 'drivetrain.io/capacity-type', operator: 'Exists', effect: 'NoSchedule' },
      ],
    });
    const state = new ClusterState(compileTopology(configToTopology(config)));
    const { decisions } = scheduleCycle(state, [w]);
    expect(decisions[0]?.kind).toBe('admit');
  });

  it.each([
    [
      { resources: { accelerator: 'B200', count: 1 } },
      /resources.accelerator: unknown accelerator 'B200'/,
    ],
    [
      { resources: { accelerator: 'H100', count: 16 } },
      /resources.count: 16 H100 per replica is more than any node holds \(at most 8\)/,
    ],
    [
      { resources: { accelerator: 'H100', count: 8, replicas: 7 } },
      /resources.replicas: 7 replicas of 8 H100 is more than any flavor holds/,
    ],
    [
      { resources: { accelerator: 'H100', count: 1, memory: '9Ti' } },
      /resources.memory: 9Ti per replica is more than any H100 node holds/,
    ],
    [{ resources: { accelerator: 'A100-3g', count: 1 } }, /team lidar has no quota for A100-3g/],
    [{ team: 'nobody' }, /team: unknown team 'nobody'/],
    [{ priority: 'urgent' }, /unknown priority class 'urgent'/],
    [{ maxDuration: '-3h' }, /maxDuration/],
    [{ image: undefined }, /needs an image/],
    [{ env: { '1BAD': 'x' } }, /env.1BAD/],
  ])('rejects %j', (change, message) => {
    const doc: Record<string, unknown> = { ...base, ...change };
    if ('image' in change && change.image === undefined) delete doc.image;
    expect(() => validateJobSpec(doc, config)).toThrow(message);
  });
});
