import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { parseAlibabaNodes, parseAlibabaPods } from './alibaba.js';
import {
  atArrivalRate,
  clusterFromTrace,
  jobsFromTrace,
  percentile,
  sampleNodes,
  simulate,
  type SimCluster,
  type SimJob,
} from './simulate.js';

const GPU = 'nvidia.com/gpu';

function cluster(teams: string[], nominalEach: number, preempt: boolean): SimCluster {
  return {
    topology: {
      flavors: [
        { name: 'h100', deviceResource: GPU, nodes: [{ name: 'n0', resources: { [GPU]: 2000 } }] },
      ],
      cohorts: [{ name: 'c' }],
      clusterQueues: teams.map((name) => ({
        name,
        cohort: 'c',
        ...(preempt ? { preemption: { reclaimWithinCohort: 'Any' as const } } : {}),
        resourceGroups: [
          {
            coveredResources: [GPU],
            flavors: [{ flavor: 'h100', resources: { [GPU]: { nominal: nominalEach } } }],
          },
        ],
      })),
    },
    prices: new Map([['h100', 3]]),
    currency: 'EUR',
  };
}

function job(
  id: string,
  team: string,
  arrival: number,
  gpus: number,
  duration: number,
  checkpointing = false,
): SimJob {
  return {
    id,
    team,
    arrival,
    duration,
    priority: 0,
    checkpointing,
    podSets: [{ name: 'main', count: 1, requests: { [GPU]: gpus * 1000 } }],
  };
}

const three = [job('j1', 'a', 0, 2, 3600), job('j2', 'a', 0, 1, 1800), job('j3', 'a', 100, 1, 600)];

describe('simulate (hand-computed cases)', () => {
  it('FIFO: the 2-GPU job first, the others wait for it', () => {
    expect(simulate({ jobs: three, cluster: cluster(['a'], 2000, false), policy: 'fifo' })).toEqual(
      {
        jobs: 3,
        completed: 3,
        utilization: 0.888889,
        queueDelaySeconds: { p50: 3500, p95: 3600, p99: 3600 },
        jctSeconds: { mean: 4366.667, p50: 4100, p95: 5400 },
        cost: { currency: 'EUR', total: 8, acceleratorHours: 2.667, preemptions: 0 },
      },
    );
  });

  it('SJF: short jobs run first and the 2-GPU job waits', () => {
    const report = simulate({ jobs: three, cluster: cluster(['a'], 2000, false), policy: 'sjf' });
    expect(report.queueDelaySeconds).toEqual({ p50: 0, p95: 1800, p99: 1800 });
    expect(report.jctSeconds).toEqual({ mean: 2600, p50: 1800, p95: 5400 });
    expect(report.utilization).toBe(0.888889);
  });

  it('fair-share reclaims lent quota; a checkpointing victim resumes where it stopped', () => {
    const jobs = [job('b', 'b', 0, 2, 1000, true), job('a', 'a', 10, 1, 100)];
    const fair = simulate({ jobs, cluster: cluster(['a', 'b'], 1000, true), policy: 'fair-share' });
    expect(fair.cost.preemptions).toBe(1);
    expect(fair.jctSeconds).toEqual({ mean: 600, p50: 100, p95: 1100 });
    expect(fair.queueDelaySeconds).toEqual({ p50: 0, p95: 100, p99: 100 });
    expect(fair.utilization).toBe(0.954545);
    const fifo = simulate({ jobs, cluster: cluster(['a', 'b'], 1000, false), policy: 'fifo' });
    expect(fifo.cost.preemptions).toBe(0);
    expect(fifo.jctSeconds.p50).toBe(1000);
    expect(fifo.jctSeconds.p95).toBe(1090);
  });

  it('reports jobs that can never fit as not completed, and rejects unknown teams', () => {
    const report = simulate({
      jobs: [job('huge', 'a', 0, 4, 10), job('ok', 'a', 0, 1, 10)],
      cluster: cluster(['a'], 2000, false),
      policy: 'fifo',
    });
    expect(report).toMatchObject({ jobs: 2, completed: 1 });
    expect(() =>
      simulate({
        jobs: [job('x', 'nobody', 0, 1, 1)],
        cluster: cluster(['a'], 2000, false),
        policy: 'fifo',
      }),
    ).toThrow(/team 'nobody'/);
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(percentile([], 0.5)).toBe(0);
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { minLength: 1 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (values, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          const p = percentile(sorted, q);
          expect(sorted.filter((v) => v <= p).length / sorted.length).toBeGreaterThanOrEqual(
            q - 1e-9,
          );
        },
      ),
    );
  });

  it('samples nodes evenly and re-times arrivals', () => {
    expect(sampleNodes([0, 1, 2, 3, 4, 5, 6, 7], 0.25)).toEqual([3, 7]);
    expect(() => sampleNodes([1], 0)).toThrow(/capacity/);
    expect(atArrivalRate(three, 60).map((j) => j.arrival)).toEqual([0, 1, 2]);
  });
});

describe('Alibaba trace readers reject bad input with file and line', () => {
  const header =
    'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time';
  it('parses a well-formed pod and node list', () => {
    const pods = parseAlibabaPods(
      `${header}\np1,1000,1024,1,460,A10|T4,LS,Running,5,100,10\n`,
      'pods.csv',
    );
    expect(pods[0]).toMatchObject({
      name: 'p1',
      gpuMilli: 460,
      gpuSpec: ['A10', 'T4'],
      scheduledTime: 10,
    });
    const { jobs } = jobsFromTrace(pods);
    expect(jobs[0]).toMatchObject({ team: 'LS', arrival: 5, duration: 90 });
  });
  it.each([
    ['name,cpu_milli\n', /missing column 'memory_mib'/],
    [`${header}\np1,1000,1024,1,460,,LS,Running,5,100\n`, /pods.csv:2: expected 11 cells/],
    [`${header}\np1,-5,1024,1,460,,LS,Running,5,100,10\n`, /pods.csv:2: column cpu_milli/],
    [`${header}\np1,1000,1024,2,500,,LS,Running,5,100,10\n`, /gpu_milli 500 does not match/],
    [`${header}\np1,1000,1024,1,1000,,XX,Running,5,100,10\n`, /unknown class 'XX'/],
    [`${header}\np1,1000,1024,1,1000,,LS,Running,5,1,10\n`, /deletion_time is before/],
  ])('rejects %#', (text, message) => {
    expect(() => parseAlibabaPods(text, 'pods.csv')).toThrow(message);
  });
  it('rejects a node list with a GPU count but no model', () => {
    expect(() =>
      parseAlibabaNodes('sn,cpu_milli,memory_mib,gpu,model\nn1,1000,10,2,\n', 'nodes.csv'),
    ).toThrow(/nodes.csv:2/);
  });
  it('never crashes on arbitrary text, only InvalidInput', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseAlibabaPods(`${header}\n${text}`, 'f.csv');
        } catch (error) {
          expect((error as { code?: string }).code).toBe('invalid_input');
        }
      }),
    );
  });
});

describeShared('replaying the Alibaba GPU 2023 trace', () => {
  it('replays every pod that ran, under fifo and fair-share', () => {
    const dir = sharedPath('traces', 'alibaba-gpu-v2023');
    const pods = parseAlibabaPods(
      readFileSync(`${dir}/openb_pod_list_default.csv`, 'utf8'),
      'default',
    );
    const nodes = parseAlibabaNodes(
      readFileSync(`${dir}/openb_node_list_gpu_node.csv`, 'utf8'),
      'gpu nodes',
    );
    expect(pods).toHaveLength(8152);
    expect(nodes.reduce((s, n) => s + n.gpus, 0)).toBe(6212);
    const { jobs, neverRan } = jobsFromTrace(pods);
    expect(neverRan).toHaveLength(897);
    const teams = [...new Set(jobs.map((j) => j.team))].sort();
    for (const policy of ['fifo', 'fair-share'] as const) {
      const report = simulate({ jobs, cluster: clusterFromTrace(nodes, teams, policy), policy });
      expect(report.jobs).toBe(7255);
      expect(report.completed).toBe(7255);
      expect(report.utilization).toBeGreaterThan(0);
    }
  });
});
