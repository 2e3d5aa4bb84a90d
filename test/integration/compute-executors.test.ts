import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allMigrations } from '../../src/app/migrations.js';
import {
  ComputeService,
  KubernetesExecutor,
  KubernetesValidator,
  LocalExecutor,
  parseComputeConfig,
  renderKueueObjects,
  validateJobSpec,
  type Executor,
  type ExecutorHost,
  type JobDetail,
} from '../../src/compute/index.js';
import {
  createLogger,
  openObjectStore,
  openSqliteStore,
  operatorPrincipal,
} from '../../src/platform/index.js';
import { nodeJob, testComputeConfig, waitFor } from '../support/compute.js';
import { FakeKubernetes } from '../support/fake-kube.js';
import { sharedDir, sharedPath } from '../support/shared.js';

/**
 * One suite, every executor: the same jobs run on the local executor and on the Kubernetes
 * executor (against a loopback API server that validates every object against the real
 * schemas and plays Kueue and the kubelet). Cases an executor does not support are listed with
 * the reason, never silently skipped.
 */

const config = parseComputeConfig(testComputeConfig, 'compute.yaml');
const admin = operatorPrincipal('suite');
const log = createLogger('silent');

interface Harness {
  readonly compute: ComputeService;
  /** Checks that belong to the implementation (e.g. every object sent was valid). */
  verify(): void;
  close(): Promise<void>;
}

interface Implementation {
  readonly name: 'local' | 'kubernetes';
  /** Case name → why this executor does not support it. */
  readonly unsupported: Readonly<Record<string, string>>;
  readonly available: () => string | undefined;
  setup(dir: string): Promise<Harness>;
}

function validator(): KubernetesValidator {
  const dir = sharedPath('schemas', 'kueue', 'v0.19.2');
  const crds = readdirSync(dir).map((f) => parse(readFileSync(join(dir, f), 'utf8')) as unknown);
  const load = (f: string) =>
    JSON.parse(readFileSync(sharedPath('schemas', 'kubernetes', f), 'utf8')) as unknown;
  return new KubernetesValidator({
    crds,
    openapi: [
      {
        document: load('batch-v1-job.openapi3.json'),
        kinds: { 'batch/v1/Job': 'io.k8s.api.batch.v1.Job' },
      },
    ],
  });
}

async function service(
  dir: string,
  name: 'local' | 'kubernetes',
  executor: (compute: ComputeService) => Executor,
) {
  const store = openSqliteStore(join(dir, 'drivetrain.db'));
  await store.migrate(allMigrations);
  const objects = await openObjectStore(join(dir, 'objects'));
  const compute = new ComputeService({
    store,
    objects,
    log,
    config,
    autoTeams: false,
    executorName: name,
    tickMs: 300,
  });
  await compute.start(executor(compute));
  return {
    compute,
    async close() {
      await compute.close();
      await objects.close();
      await store.close();
    },
  };
}

const implementations: readonly Implementation[] = [
  {
    name: 'local',
    unsupported: {},
    available: () => undefined,
    async setup(dir) {
      const s = await service(
        dir,
        'local',
        (compute) =>
          new LocalExecutor(compute, {
            root: join(dir, 'attempts'),
            graceMs: 300,
            pollMs: 100,
            log,
          }),
      );
      return { ...s, verify() {} };
    },
  },
  {
    name: 'kubernetes',
    unsupported: {
      'keeps the log and the metrics the job printed':
        'pod logs stay in the cluster; the executor follows Job and Workload states only',
    },
    available: () =>
      sharedDir() === undefined
        ? 'set DRIVETRAIN_SHARED=../shared: the fake API server validates against the real schemas'
        : undefined,
    async setup(dir) {
      const fake = new FakeKubernetes(validator(), config);
      const kubeconfig = await fake.start();
      const s = await service(
        dir,
        'kubernetes',
        (compute) =>
          new KubernetesExecutor(compute, {
            config,
            kubeconfigFile: kubeconfig,
            log,
            rewatchMs: 200,
          }),
      );
      return {
        compute: s.compute,
        verify() {
          expect(fake.invalid).toEqual([]);
          expect(fake.refused).toEqual([]);
          const applies = fake.requests.filter((r) => r.method === 'PATCH');
          expect(applies.length).toBeGreaterThan(0);
          expect(new Set(applies.map((r) => r.contentType))).toEqual(
            new Set(['application/apply-patch+yaml']),
          );
        },
        async close() {
          await s.close();
          await fake.close();
        },
      };
    },
  },
];

describe.each(implementations)('executor suite: $name', (impl) => {
  const skip = impl.available();
  if (skip !== undefined) {
    it.skip(`(skipped: ${skip})`, () => undefined);
    return;
  }
  let dir: string;
  let h: Harness;
  const submit = (doc: Record<string, unknown>) =>
    h.compute.submit(admin, {
      team: 'lidar',
      resources: { accelerator: 'cpu', count: 1 },
      ...doc,
    });
  const until = (id: string, states: string[], timeoutMs = 20_000): Promise<JobDetail> =>
    waitFor(
      `${id} to reach ${states.join('/')}`,
      async () => {
        const j = await h.compute.get(id);
        return states.includes(j.state) ? j : undefined;
      },
      timeoutMs,
    );
  const cases = (name: string, body: () => Promise<void>) => {
    const reason = impl.unsupported[name];
    if (reason !== undefined) it.skip(`${name} — unsupported: ${reason}`, body);
    else it(name, body);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `drivetrain-executor-${impl.name}-`));
    h = await impl.setup(dir);
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  cases('runs a job to success, with a timestamp for each state in order', async () => {
    const job = await submit({ name: 'ok', command: nodeJob('setTimeout(() => {}, 300)') });
    const done = await until(job.id, ['succeeded']);
    const times = (['pending', 'admitted', 'running', 'succeeded'] as const).map((s) =>
      Date.parse(done.times[s] ?? 'missing'),
    );
    expect(times.every(Number.isFinite)).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(done.attempts.map((a) => [a.outcome, a.flavor])).toEqual([['succeeded', 'local-cpu']]);
    expect(done.events.map((e) => e.to)).toEqual(['pending', 'admitted', 'running', 'succeeded']);
    h.verify();
  });

  cases('records a failed job', async () => {
    const job = await submit({ name: 'boom', command: nodeJob('process.exit(3)') });
    const done = await until(job.id, ['failed']);
    expect(done.attempts.at(-1)?.outcome).toBe('failed');
    expect(done.times.failed).not.toBeNull();
    h.verify();
  });

  cases('stops a job at its maximum duration', async () => {
    const job = await submit({
      name: 'slow',
      command: nodeJob('setTimeout(() => {}, 30000)'),
      maxDuration: 1,
    });
    const done = await until(job.id, ['failed']);
    expect(done.message).toMatch(/maximum duration|deadline/i);
    h.verify();
  });

  cases('cancels a running job', async () => {
    const job = await submit({ name: 'long', command: nodeJob('setTimeout(() => {}, 30000)') });
    await until(job.id, ['running']);
    await h.compute.cancel(admin, job.id);
    const done = await until(job.id, ['cancelled']);
    expect(done.times.cancelled).not.toBeNull();
    h.verify();
  });

  cases('admits the replicas of a gang together, or none', async () => {
    const blocker = await submit({ name: 'one', command: nodeJob('setTimeout(() => {}, 1500)') });
    await until(blocker.id, ['running']);
    const gang = await submit({
      name: 'gang',
      resources: { accelerator: 'cpu', count: 1, replicas: 2 },
      command: nodeJob('setTimeout(() => {}, 200)'),
    });
    // One slot is free, the gang needs two: it waits whole rather than starting one replica.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await h.compute.get(gang.id)).state).toBe('pending');
    const done = await until(gang.id, ['succeeded']);
    expect(done.accelerators).toBe(2);
    expect(Date.parse(done.admittedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse((await h.compute.get(blocker.id)).finishedAt ?? '') - 1000,
    );
    h.verify();
  });

  cases('preempts a lower-priority job for a higher one and runs it again afterwards', async () => {
    const low = await submit({
      name: 'low',
      checkpointing: true,
      resources: { accelerator: 'cpu', count: 2 },
      command: nodeJob(
        "const f = process.env.MARK; const again = require('fs').existsSync(f); require('fs').writeFileSync(f, 'x'); setTimeout(() => {}, again ? 200 : 30000)",
      ),
      env: { MARK: join(dir, 'preempted-once') },
    });
    await until(low.id, ['running']);
    // Preempt only once the first attempt has really started (and left its mark).
    await waitFor('the first attempt to start', async () =>
      existsSync(join(dir, 'preempted-once')) ? true : undefined,
    );
    const high = await submit({
      name: 'high',
      priority: 'high',
      command: nodeJob('setTimeout(() => {}, 300)'),
    });
    await until(high.id, ['succeeded']);
    const done = await until(low.id, ['succeeded']);
    expect(done.attempts.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    expect(done.times.preempted).not.toBeNull();
    expect(done.events.map((e) => e.to)).toEqual([
      'pending',
      'admitted',
      'running',
      'preempted',
      'pending',
      'admitted',
      'running',
      'succeeded',
    ]);
    h.verify();
  });

  cases('keeps the log and the metrics the job printed', async () => {
    const job = await submit({
      name: 'talk',
      command: nodeJob(
        "console.log('hello'); console.log('##drivetrain metric ' + JSON.stringify({ step: 1, name: 'acc', value: 0.9 }))",
      ),
    });
    await until(job.id, ['succeeded']);
    const parts: Buffer[] = [];
    for await (const c of h.compute.readLog(job.id)) parts.push(Buffer.from(c.data));
    expect(Buffer.concat(parts).toString()).toContain('hello');
    expect((await h.compute.metrics(job.id))[0]?.points[0]?.value).toBe(0.9);
  });
});

describe('local executor: order of what it reports', () => {
  it('reports an attempt running before it ships any of its output', async () => {
    const root = mkdtempSync(join(tmpdir(), 'drivetrain-local-order-'));
    const reported: string[] = [];
    let log = '';
    const host: ExecutorHost = {
      async update(update) {
        reported.push(update.state);
      },
      async logPosition() {
        return { bytes: 0, chunks: 0, truncated: false };
      },
      async appendLog(_jobId, _attempt, chunk) {
        reported.push('log');
        log += Buffer.from(chunk.data).toString();
      },
      async recordMetrics() {},
      async storeArtifacts() {},
      async materializeInputs() {},
    };
    // An attempt whose log already holds output while its supervisor has not yet written its
    // file: the moment a poll can fall into when the job prints at once after it starts.
    const dir = join(root, 'job-1', '1');
    mkdirSync(join(dir, 'work'), { recursive: true });
    writeFileSync(join(dir, 'output.log'), 'first line\n');
    writeFileSync(
      join(dir, 'run.json'),
      JSON.stringify({
        command: nodeJob("console.log('second line')"),
        replicas: 1,
        env: { PATH: process.env.PATH ?? '' },
        cwd: join(dir, 'work'),
        maxDurationMs: 60_000,
        graceMs: 300,
        logLimitBytes: 1 << 20,
      }),
    );
    const spec = validateJobSpec(
      {
        name: 'order',
        team: 'lidar',
        resources: { accelerator: 'cpu', count: 1 },
        command: ['unused'],
      },
      config,
    );
    const executor = new LocalExecutor(host, {
      root,
      graceMs: 300,
      pollMs: 2,
      log: createLogger('silent'),
    });
    try {
      await executor.recover([{ jobId: 'job-1', attempt: 1, spec, flavor: 'local-cpu' }]);
      await waitFor('the attempt to end', async () =>
        reported.includes('succeeded') ? true : undefined,
      );
      expect(reported[0]).toBe('running');
      expect(reported.at(-1)).toBe('succeeded');
      expect(log).toBe('first line\nsecond line\n');
    } finally {
      await executor.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('Kueue objects for the suite configuration', () => {
  it.skipIf(sharedDir() === undefined)(
    'pass the real schemas and CEL rules (CPU-slot flavors included)',
    () => {
      const v = validator();
      for (const o of renderKueueObjects(config))
        expect({ name: o.metadata.name, issues: v.validate(o).issues }).toEqual({
          name: o.metadata.name,
          issues: [],
        });
    },
  );
});
