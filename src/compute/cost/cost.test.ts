import { describe, expect, it } from 'vitest';
import { parseComputeConfig } from '../config.js';
import { exampleConfigYaml } from '../testing/example-config.js';
import { costReport, jobCost, recommendations, type CostedJob } from './cost.js';

const config = parseComputeConfig(exampleConfigYaml, 'compute.yaml');
const H = 3600;

// h100-ondemand: 4 nodes x 8 = 32 H100 at 4.0/h; h100-spot: 16 at 1.5/h; a100-mig: 4 at 1.2/h; ai100: 8 at 0.8/h.
const jobs: CostedJob[] = [
  {
    id: 'train-1',
    team: 'lidar',
    project: 'bev',
    checkpointing: true,
    attempts: [
      {
        flavor: 'h100-ondemand',
        startedAt: 0,
        endedAt: 1 * H,
        accelerators: 8,
        outcome: 'preempted',
      },
      {
        flavor: 'h100-spot',
        startedAt: 2 * H,
        endedAt: 4 * H,
        accelerators: 8,
        outcome: 'succeeded',
      },
    ],
  },
  {
    id: 'train-2',
    team: 'camera',
    project: 'bev',
    attempts: [
      {
        flavor: 'h100-ondemand',
        startedAt: 0,
        endedAt: 2 * H,
        accelerators: 16,
        outcome: 'succeeded',
      },
    ],
  },
];

describe('cost', () => {
  it('charges every attempt, the preempted one included', () => {
    const cost = jobCost(jobs[0] as CostedJob, config, 10 * H);
    expect(cost.acceleratorHours).toBe(8 + 16);
    expect(cost.cost).toBe(8 * 4 + 16 * 1.5);
    expect(cost.attempts.map((a) => a.cost)).toEqual([32, 24]);
  });

  it('charges a running attempt up to now', () => {
    const running: CostedJob = {
      id: 'r',
      team: 'lidar',
      attempts: [{ flavor: 'ai100', startedAt: 0, accelerators: 2, outcome: 'running' }],
    };
    expect(jobCost(running, config, 3 * H).cost).toBe(4.8);
  });

  it('totals per team over a period with idle cost as its own line (OpenCost: idle = asset - allocation)', () => {
    const report = costReport(jobs, config, { from: 0, to: 4 * H, by: 'team' });
    // Assets over 4h: 32*4*4 + 16*4*1.5 + 4*4*1.2 + 8*4*0.8 = 512 + 96 + 19.2 + 25.6 = 652.8
    expect(report.assetCost).toBe(652.8);
    // Allocation: lidar 32 + 24 = 56; camera 16*2*4 = 128.
    expect(report.allocationCost).toBe(184);
    expect(report.idleCost).toBe(468.8);
    expect(report.rows).toEqual([
      {
        key: '__idle__',
        acceleratorHours: 0,
        allocationCost: 0,
        idleCost: 468.8,
        totalCost: 468.8,
      },
      { key: 'camera', acceleratorHours: 32, allocationCost: 128, idleCost: 0, totalCost: 128 },
      { key: 'lidar', acceleratorHours: 24, allocationCost: 56, idleCost: 0, totalCost: 56 },
    ]);
    expect(report.idlePercent).toBe(254.78);
  });

  it('shares idle cost proportionally per flavor, and clips attempts to the period', () => {
    const report = costReport(jobs, config, {
      from: 0,
      to: 2 * H,
      by: 'team',
      idleSplit: 'proportional',
    });
    // h100-ondemand over 2h: asset 32*2*4 = 256; lidar 32, camera 128 -> idle 96 split 1:4.
    const rows = Object.fromEntries(report.rows.map((r) => [r.key, r]));
    expect(rows.lidar).toMatchObject({ allocationCost: 32, idleCost: 19.2 });
    expect(rows.camera).toMatchObject({ allocationCost: 128, idleCost: 76.8 });
    // Flavors nobody used in the period stay as separate idle.
    expect(rows.__idle__?.idleCost).toBe(cents(16 * 2 * 1.5 + 4 * 2 * 1.2 + 8 * 2 * 0.8));
    const byFlavor = costReport(jobs, config, { from: 0, to: 2 * H, by: 'flavor' });
    expect(byFlavor.rows.find((r) => r.key === 'h100-ondemand')).toMatchObject({
      allocationCost: 160,
      idleCost: 96,
    });
  });

  it('recommends spot for checkpointing jobs, releasing unused quota and shrinking idle flavors', () => {
    const recs = recommendations(jobs, config, { from: 0, to: 4 * H });
    const spot = recs.find((r) => r.kind === 'use-spot');
    expect(spot).toMatchObject({ subject: 'train-1', saving: 8 * (4 - 1.5) });
    const quota = recs.find(
      (r) => r.kind === 'unused-quota' && r.subject === 'lidar/h100-ondemand',
    );
    expect(quota).toMatchObject({ saving: 8 * 4 * 4 });
    const idle = recs.find((r) => r.kind === 'idle-flavor' && r.subject === 'ai100');
    expect(idle).toMatchObject({ saving: 8 * 4 * 0.8 });
    expect(recs.map((r) => r.saving)).toEqual([...recs.map((r) => r.saving)].sort((a, b) => b - a));
  });

  it('rejects an empty period and unknown flavors', () => {
    expect(() => costReport(jobs, config, { from: 5, to: 5, by: 'team' })).toThrow(
      /--to after --from/,
    );
    const bad: CostedJob = {
      id: 'x',
      team: 'lidar',
      attempts: [{ flavor: 'nope', startedAt: 0, endedAt: 1, accelerators: 1, outcome: 'failed' }],
    };
    expect(() => jobCost(bad, config, 1)).toThrow(/unknown flavor 'nope'/);
  });
});

function cents(v: number): number {
  return Math.round(v * 100) / 100;
}
