import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A compute configuration for tests: two CPU slots on one machine, two priorities, two teams. */
export const testComputeConfig = `apiVersion: drivetrain.io/v1
kind: ComputeConfig
currency: EUR
accelerators:
  - { name: cpu, vendor: cpu, resource: cpu }
clusters:
  - { name: local, region: local }
flavors:
  - name: local-cpu
    cluster: local
    accelerator: cpu
    capacity: { nodes: 1, acceleratorsPerNode: 2 }
    prices: { onDemand: 0.5 }
priorities:
  - { name: low, value: 0 }
  - { name: high, value: 1000 }
teams:
  - name: lidar
    preemption: { withinClusterQueue: LowerPriority }
    quotas:
      - flavor: local-cpu
        resources: { cpu: { nominal: 2 } }
  - name: camera
    quotas:
      - flavor: local-cpu
        resources: { cpu: { nominal: 2 } }
`;

/** Writes the test configuration to a fresh file and returns its path. */
export function writeTestComputeConfig(text = testComputeConfig): string {
  const dir = mkdtempSync(join(tmpdir(), 'drivetrain-compute-'));
  const file = join(dir, 'compute.yaml');
  writeFileSync(file, text);
  return file;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A job command running a line of JavaScript in Node. */
export function nodeJob(script: string): string[] {
  return [process.execPath, '-e', script];
}
