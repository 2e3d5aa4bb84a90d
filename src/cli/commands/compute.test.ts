import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli } from '../../../test/support/cli.js';
import { exampleConfigYaml } from '../../compute/testing/example-config.js';

const dir = mkdtempSync(join(tmpdir(), 'drivetrain-compute-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('drivetrain plan simulate / k8s render', () => {
  it('simulates a trace and prints exactly the contract keys', async () => {
    writeFileSync(
      join(dir, 'pods.csv'),
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n' +
        'p1,1000,1024,2,1000,,LS,Succeeded,0,3600,0\np2,1000,1024,1,1000,,LS,Succeeded,0,1800,0\n',
    );
    writeFileSync(
      join(dir, 'nodes.csv'),
      'sn,cpu_milli,memory_mib,gpu,model\nn1,8000,65536,2,T4\n',
    );
    const run = await cli([
      'plan',
      'simulate',
      '--trace',
      join(dir, 'pods.csv'),
      '--nodes',
      join(dir, 'nodes.csv'),
      '--policy',
      'fifo',
      '--json',
    ]);
    expect(run.exitCode).toBe(0);
    const out = run.json<Record<string, unknown>>();
    expect(Object.keys(out)).toEqual([
      'jobs',
      'completed',
      'utilization',
      'queueDelaySeconds',
      'jctSeconds',
      'cost',
    ]);
    expect(out).toMatchObject({
      jobs: 2,
      completed: 2,
      queueDelaySeconds: { p50: 0, p95: 3600, p99: 3600 },
    });
  });

  it('rejects an unknown policy and a missing file with invalid-input exit code', async () => {
    const bad = await cli([
      'plan',
      'simulate',
      '--trace',
      join(dir, 'pods.csv'),
      '--nodes',
      join(dir, 'nodes.csv'),
      '--policy',
      'lottery',
      '--json',
    ]);
    expect(bad.exitCode).toBe(3);
    const missing = await cli([
      'plan',
      'simulate',
      '--trace',
      join(dir, 'nope.csv'),
      '--nodes',
      join(dir, 'nodes.csv'),
    ]);
    expect(missing.stderr).toContain('nope.csv: cannot read');
  });

  it('renders one object per YAML file', async () => {
    writeFileSync(join(dir, 'compute.yaml'), exampleConfigYaml);
    const run = await cli([
      'k8s',
      'render',
      '--config',
      join(dir, 'compute.yaml'),
      '--out',
      join(dir, 'out'),
      '--json',
    ]);
    expect(run.exitCode).toBe(0);
    const files = readdirSync(join(dir, 'out'));
    expect(files).toHaveLength(run.json<{ objects: number }>().objects);
    const cq = parse(readFileSync(join(dir, 'out', 'clusterqueue-lidar.yaml'), 'utf8')) as {
      kind: string;
    };
    expect(cq.kind).toBe('ClusterQueue');
  });
});
