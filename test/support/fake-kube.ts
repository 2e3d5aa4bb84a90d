import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  ClusterState,
  compileTopology,
  configToTopology,
  jobWorkload,
  scheduleCycle,
  type Admission,
  type ComputeConfig,
  type JobSpec,
  type KubernetesValidator,
} from '../../src/compute/index.js';

/**
 * A Kubernetes API server on loopback for the Kubernetes executor's tests. It answers exactly the
 * calls a real API server answers for the executor (API discovery, server-side apply with
 * `application/apply-patch+yaml`, get, list, watch streams, delete), checks every object it
 * receives against the real schemas and CEL rules, and plays the cluster: Kueue (admission by
 * drivetrain's own engine, which implements Kueue's rules; Workloads with their conditions;
 * preemption by eviction) and the kubelet (each pod of a Job runs its container command as a
 * local process). Every Job and Workload it emits in a watch event is validated too.
 */

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

interface Event {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
}

interface Pods {
  readonly processes: (ChildProcess | undefined)[];
  readonly done: boolean[];
  failed: number;
  succeeded: number;
  deadline?: NodeJS.Timeout;
}

const resources: Record<string, { kind: string; name: string; namespaced: boolean }[]> = {
  'batch/v1': [{ kind: 'Job', name: 'jobs', namespaced: true }],
  'kueue.x-k8s.io/v1beta2': [
    { kind: 'Workload', name: 'workloads', namespaced: true },
    { kind: 'ClusterQueue', name: 'clusterqueues', namespaced: false },
    { kind: 'LocalQueue', name: 'localqueues', namespaced: true },
    { kind: 'ResourceFlavor', name: 'resourceflavors', namespaced: false },
  ],
};

const now = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

function condition(type: string, status: 'True' | 'False', reason: string, message: string) {
  return { type, status, reason, message, lastTransitionTime: now() };
}

export class FakeKubernetes {
  /** Every request received: method, path and content type. */
  readonly requests: { method: string; path: string; contentType?: string }[] = [];
  /** Problems found in objects received or emitted; a correct run leaves this empty. */
  readonly invalid: string[] = [];
  /** Objects refused with 422, and why. */
  readonly refused: string[] = [];
  private readonly jobs = new Map<string, Obj>();
  private readonly workloads = new Map<string, Obj>();
  private readonly pods = new Map<string, Pods>();
  /** The engine's admission of each admitted Workload, by key. */
  private readonly admissions = new Map<string, Admission>();
  private readonly events: Event[] = [];
  private readonly watchers = new Set<{
    res: ServerResponse;
    kind: string;
    selector: [string, string][];
  }>();
  private rv = 1;
  private server: Server | undefined;
  private readonly topology;
  private scheduling = false;

  constructor(
    private readonly validator: KubernetesValidator,
    private readonly config: ComputeConfig,
  ) {
    this.topology = compileTopology(configToTopology(config));
  }

  /** Starts listening on 127.0.0.1; returns the path of a kubeconfig file that points here. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const dir = mkdtempSync(join(tmpdir(), 'drivetrain-kube-'));
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `  - name: fake\n    cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }`,
        'users:',
        `  - name: drivetrain\n    user: { token: "${randomBytes(8).toString('hex')}" }`,
        'contexts:',
        '  - name: fake\n    context: { cluster: fake, user: drivetrain }',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  async close(): Promise<void> {
    for (const pods of this.pods.values()) this.killPods(pods);
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private key(o: { metadata: { namespace?: string; name: string } }): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: code < 400 ? 'Success' : 'Failure',
        message,
        reason,
        code,
      }),
    );
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const contentType = req.headers['content-type'];
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      ...(contentType === undefined ? {} : { contentType }),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    // /apis/<group>/<version>[/namespaces/<ns>]/<resource>[/<name>]
    if (parts[0] !== 'apis' || parts.length < 3)
      return this.status(res, 404, 'NotFound', 'not served');
    const groupVersion = `${parts[1]}/${parts[2]}`;
    const served = resources[groupVersion];
    if (served === undefined)
      return this.status(res, 404, 'NotFound', `${groupVersion} not served`);
    if (parts.length === 3 && req.method === 'GET') {
      return this.json(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion,
        resources: served.map((r) => ({
          name: r.name,
          singularName: r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        })),
      });
    }
    let rest = parts.slice(3);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces') {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = served.find((r) => r.name === rest[0]);
    if (resource === undefined)
      return this.status(res, 404, 'NotFound', `no resource ${rest[0] ?? ''}`);
    const name = rest[1];
    const store =
      resource.kind === 'Job'
        ? this.jobs
        : resource.kind === 'Workload'
          ? this.workloads
          : undefined;
    if (store === undefined) return this.status(res, 405, 'MethodNotAllowed', 'read only here');
    if (name === undefined && req.method === 'GET') {
      const selector = (url.searchParams.get('labelSelector') ?? '')
        .split(',')
        .filter((s) => s !== '')
        .map((s) => s.split('=') as [string, string]);
      if (url.searchParams.get('watch') === 'true') {
        return this.watch(
          res,
          resource.kind,
          selector,
          Number(url.searchParams.get('resourceVersion') ?? '0'),
        );
      }
      const items = [...store.values()].filter(
        (o) =>
          (namespace === undefined || o.metadata.namespace === namespace) &&
          this.matches(o, selector),
      );
      return this.json(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: groupVersion,
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }
    if (name === undefined || namespace === undefined)
      return this.status(res, 405, 'MethodNotAllowed', 'expected a namespaced name');
    const existing = store.get(`${namespace}/${name}`);
    if (req.method === 'GET') {
      if (existing === undefined)
        return this.status(res, 404, 'NotFound', `${resource.name} "${name}" not found`);
      return this.json(res, 200, existing);
    }
    if (req.method === 'DELETE') {
      if (existing === undefined)
        return this.status(res, 404, 'NotFound', `${resource.name} "${name}" not found`);
      if (resource.kind !== 'Job')
        return this.status(res, 405, 'MethodNotAllowed', 'delete Jobs only');
      this.deleteJob(existing);
      return this.status(res, 200, 'Deleted', `job ${name} deleted`);
    }
    if (req.method === 'PATCH') {
      if (resource.kind !== 'Job')
        return this.status(res, 405, 'MethodNotAllowed', 'apply Jobs only');
      if (contentType !== 'application/apply-patch+yaml')
        return this.status(
          res,
          415,
          'UnsupportedMediaType',
          `expected server-side apply, got ${String(contentType)}`,
        );
      if (url.searchParams.get('fieldManager') === null)
        return this.status(res, 422, 'Invalid', 'fieldManager is required for apply patch');
      let object: Obj;
      try {
        object = parseYaml(body) as Obj;
      } catch (error) {
        return this.status(res, 400, 'BadRequest', (error as Error).message);
      }
      if (object.metadata?.name !== name || (object.metadata.namespace ?? namespace) !== namespace)
        return this.status(res, 400, 'BadRequest', 'name or namespace does not match the path');
      const { issues } = this.validator.validate(object, existing);
      if (issues.length > 0) {
        const message = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
        this.refused.push(message);
        return this.status(res, 422, 'Invalid', `Job.batch "${name}" is invalid: ${message}`);
      }
      if (existing !== undefined) {
        const updated = {
          ...existing,
          spec: { ...object.spec, suspend: existing.spec?.suspend },
        } as Obj;
        updated.metadata = { ...existing.metadata, labels: object.metadata.labels ?? {} };
        this.put('MODIFIED', this.jobs, updated);
        return this.json(res, 200, updated);
      }
      const created: Obj = {
        ...object,
        metadata: {
          ...object.metadata,
          namespace,
          uid: randomUUID(),
          creationTimestamp: now(),
          generation: 1,
        },
        status: {},
      };
      this.put('ADDED', this.jobs, created);
      this.createWorkload(created);
      this.json(res, 201, created);
      this.schedule();
      return;
    }
    return this.status(res, 405, 'MethodNotAllowed', `${req.method ?? ''} not allowed`);
  }

  private matches(o: Obj, selector: [string, string][]): boolean {
    return selector.every(([k, v]) => o.metadata.labels?.[k] === v);
  }

  private watch(
    res: ServerResponse,
    kind: string,
    selector: [string, string][],
    from: number,
  ): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher = { res, kind, selector };
    for (const e of this.events)
      if (e.rv > from && e.object.kind === kind && this.matches(e.object, selector))
        res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  /** Stores an object, validates it as the API server would, and tells the watchers. */
  private put(type: Event['type'], store: Map<string, Obj>, object: Obj): void {
    const stamped = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(++this.rv) },
    } as Obj;
    const { issues } = this.validator.validate(stamped);
    for (const i of issues)
      this.invalid.push(
        `${stamped.kind} ${stamped.metadata.name} (${type}): ${i.path}: ${i.message}`,
      );
    if (type === 'DELETED') store.delete(this.key(stamped));
    else store.set(this.key(stamped), stamped);
    const event: Event = { rv: this.rv, type, object: stamped };
    this.events.push(event);
    for (const w of this.watchers)
      if (w.kind === stamped.kind && this.matches(stamped, w.selector))
        w.res.write(`${JSON.stringify({ type, object: stamped })}\n`);
  }

  private workloadOf(job: Obj): Obj | undefined {
    return [...this.workloads.values()].find(
      (w) =>
        (w.metadata.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid ===
        job.metadata.uid,
    );
  }

  private createWorkload(job: Obj): void {
    const labels = job.metadata.labels ?? {};
    const spec = job.spec as { parallelism: number; template: unknown };
    const priorityClass = labels['kueue.x-k8s.io/priority-class'];
    const priority = this.config.priorities.find((p) => p.name === priorityClass)?.value ?? 0;
    this.put('ADDED', this.workloads, {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'Workload',
      metadata: {
        name: `job-${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
        namespace: job.metadata.namespace ?? '',
        uid: randomUUID(),
        creationTimestamp: now(),
        labels: { 'kueue.x-k8s.io/job-uid': job.metadata.uid ?? '' },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid: job.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        queueName: labels['kueue.x-k8s.io/queue-name'] ?? '',
        priority,
        ...(priorityClass === undefined
          ? {}
          : {
              priorityClassRef: {
                group: 'kueue.x-k8s.io',
                kind: 'WorkloadPriorityClass',
                name: priorityClass,
              },
            }),
        podSets: [{ name: 'main', count: spec.parallelism, template: spec.template }],
      },
      status: {
        conditions: [condition('QuotaReserved', 'False', 'Pending', 'waiting for quota')],
      },
    });
  }

  /** The drivetrain job spec behind a Job, enough for the engine: team, resources, priority. */
  private specOf(job: Obj): JobSpec {
    const labels = job.metadata.labels ?? {};
    const spec = job.spec as {
      parallelism: number;
      activeDeadlineSeconds: number;
      template: {
        spec: {
          containers: { resources: { requests: Record<string, string> } }[];
          tolerations?: unknown[];
        };
      };
    };
    const requests = spec.template.spec.containers[0]?.resources.requests ?? {};
    const accelerator = this.config.accelerators.find((a) => requests[a.resource] !== undefined);
    const priorityClass = labels['kueue.x-k8s.io/priority-class'];
    return {
      name: job.metadata.name,
      team: labels['drivetrain.io/team'] ?? '',
      command: [],
      args: [],
      env: {},
      inputs: [],
      resources: {
        accelerator: accelerator?.name ?? '',
        count: Number(requests[accelerator?.resource ?? ''] ?? 0),
        replicas: spec.parallelism,
      },
      priority: priorityClass ?? 'default',
      priorityValue: this.config.priorities.find((p) => p.name === priorityClass)?.value ?? 0,
      maxDurationSeconds: spec.activeDeadlineSeconds,
      checkpointing: (spec.template.spec.tolerations ?? []).length > 0,
      retries: 0,
    };
  }

  private isAdmitted(w: Obj): boolean {
    const conditions = ((w.status ?? {}).conditions ?? []) as { type: string; status: string }[];
    return conditions.some((c) => c.type === 'QuotaReserved' && c.status === 'True');
  }

  private isFinished(w: Obj): boolean {
    const conditions = ((w.status ?? {}).conditions ?? []) as { type: string; status: string }[];
    return conditions.some((c) => c.type === 'Finished' && c.status === 'True');
  }

  private jobOf(w: Obj): Obj | undefined {
    const owner = (w.metadata.ownerReferences as { name: string }[])[0];
    return this.jobs.get(`${w.metadata.namespace ?? ''}/${owner?.name ?? ''}`);
  }

  /** One Kueue scheduling pass over the Workloads, soon (after the current request). */
  private schedule(): void {
    if (this.scheduling) return;
    this.scheduling = true;
    setTimeout(() => {
      this.scheduling = false;
      this.admitPending();
    }, 20);
  }

  private admitPending(): void {
    const state = new ClusterState(this.topology);
    const pending = [];
    const byId = new Map<string, Obj>();
    for (const w of this.workloads.values()) {
      if (this.isFinished(w)) continue;
      const job = this.jobOf(w);
      if (job === undefined) continue;
      const id = w.metadata.name;
      byId.set(id, w);
      const request = jobWorkload(
        id,
        this.specOf(job),
        this.config,
        Date.parse(String(w.metadata.creationTimestamp)),
      );
      if (this.isAdmitted(w)) {
        const admission = this.admissions.get(this.key(w));
        if (admission !== undefined) state.add({ ...request, admission, admittedAt: 0 });
      } else pending.push(request);
    }
    if (pending.length === 0) return;
    const { decisions } = scheduleCycle(state, pending, { now: Date.now() });
    for (const d of decisions) {
      const w = byId.get(d.workloadId);
      if (w === undefined) continue;
      if (d.kind === 'admit') this.admit(w, d.admission);
      if (d.kind === 'preempt') {
        for (const t of d.targets) {
          const target = byId.get(t.workloadId);
          if (target !== undefined) this.evict(target, t.reason);
        }
        this.schedule();
      }
    }
  }

  private admit(w: Obj, admission: Admission): void {
    const job = this.jobOf(w);
    if (job === undefined) return;
    const podSet = admission.podSets[0];
    const count = podSet?.count ?? 1;
    const requests =
      (
        job.spec as {
          template: { spec: { containers: { resources: { requests: Record<string, string> } }[] } };
        }
      ).template.spec.containers[0]?.resources.requests ?? {};
    const workload = {
      ...w,
      status: {
        conditions: [
          condition(
            'QuotaReserved',
            'True',
            'QuotaReserved',
            `Quota reserved in ClusterQueue ${admission.clusterQueue}`,
          ),
          condition('Admitted', 'True', 'Admitted', 'The workload is admitted'),
        ],
        admission: {
          clusterQueue: admission.clusterQueue,
          podSetAssignments: [
            {
              name: 'main',
              count,
              flavors: podSet?.flavors ?? {},
              resourceUsage: Object.fromEntries(
                Object.entries(requests).map(([r, q]) => [r, String(Number(q) * count)]),
              ),
            },
          ],
        },
      },
    } as Obj;
    this.put('MODIFIED', this.workloads, workload);
    this.admissions.set(this.key(workload), admission);
    const started = { ...job, spec: { ...job.spec, suspend: false } } as Obj;
    this.put('MODIFIED', this.jobs, started);
    this.runPods(started);
  }

  private evict(w: Obj, reason: string): void {
    const job = this.jobOf(w);
    this.admissions.delete(this.key(w));
    this.put('MODIFIED', this.workloads, {
      ...w,
      status: {
        conditions: [
          condition(
            'Evicted',
            'True',
            'Preempted',
            `Preempted to accommodate a workload (${reason})`,
          ),
          condition(
            'Preempted',
            'True',
            reason,
            'Preempted to accommodate a higher priority workload',
          ),
          condition('QuotaReserved', 'False', 'Pending', 'Preempted'),
          condition('Admitted', 'False', 'NoReservation', 'The workload has no reservation'),
        ],
      },
    });
    if (job === undefined) return;
    const pods = this.pods.get(this.key(job));
    if (pods !== undefined) this.killPods(pods);
    this.pods.delete(this.key(job));
    this.put('MODIFIED', this.jobs, {
      ...job,
      spec: { ...job.spec, suspend: true },
      status: {
        active: 0,
        ...((job.status ?? {}).startTime === undefined
          ? {}
          : { startTime: (job.status ?? {}).startTime }),
      },
    });
  }

  /** The kubelet: every pod of the Job runs its container's command here, with its env. */
  private runPods(job: Obj): void {
    const spec = job.spec as {
      parallelism: number;
      backoffLimit: number;
      activeDeadlineSeconds: number;
      template: {
        spec: {
          containers: {
            command?: string[];
            args?: string[];
            env?: { name: string; value: string }[];
          }[];
        };
      };
    };
    const container = spec.template.spec.containers[0];
    const pods: Pods = {
      processes: [],
      done: Array.from({ length: spec.parallelism }, () => false),
      failed: 0,
      succeeded: 0,
    };
    const key = this.key(job);
    this.pods.set(key, pods);
    const startTime = now();
    const update = (status: Record<string, unknown>) => {
      const current = this.jobs.get(key);
      if (current === undefined || this.pods.get(key) !== pods) return;
      this.put('MODIFIED', this.jobs, { ...current, status: { startTime, ...status } });
    };
    const finish = (type: 'Complete' | 'Failed', reason: string, message: string) => {
      if (this.pods.get(key) !== pods) return;
      this.killPods(pods);
      const end = now();
      update({
        active: 0,
        succeeded: pods.succeeded,
        failed: pods.failed,
        ...(type === 'Complete' ? { completionTime: end } : {}),
        conditions: [
          condition(
            type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget',
            'True',
            reason,
            message,
          ),
          condition(type, 'True', reason, message),
        ],
      });
      this.pods.delete(key);
      const w = this.workloadOf(job);
      if (w !== undefined) {
        const conditions = ((w.status ?? {}).conditions ?? []) as unknown[];
        this.put('MODIFIED', this.workloads, {
          ...w,
          status: {
            ...(w.status ?? {}),
            conditions: [
              ...conditions,
              condition('Finished', 'True', type === 'Complete' ? 'Succeeded' : 'Failed', message),
            ],
          },
        });
        this.admissions.delete(this.key(w));
      }
      this.schedule();
    };
    const start = (index: number) => {
      const [command, ...rest] = [...(container?.command ?? []), ...(container?.args ?? [])];
      const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
      for (const e of container?.env ?? []) env[e.name] = e.value;
      env.JOB_COMPLETION_INDEX = String(index);
      const child = spawn(command ?? 'true', rest, { env, stdio: 'ignore' });
      pods.processes[index] = child;
      child.on('error', () => undefined);
      child.on('exit', (code) => {
        if (this.pods.get(key) !== pods || pods.processes[index] !== child) return;
        if (code === 0) {
          pods.succeeded += 1;
          pods.done[index] = true;
          if (pods.done.every(Boolean))
            finish('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
          else
            update({
              active: pods.done.filter((d) => !d).length,
              succeeded: pods.succeeded,
              failed: pods.failed,
            });
          return;
        }
        pods.failed += 1;
        if (pods.failed > spec.backoffLimit) {
          finish('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
          return;
        }
        update({
          active: pods.done.filter((d) => !d).length,
          succeeded: pods.succeeded,
          failed: pods.failed,
        });
        start(index);
      });
    };
    for (let i = 0; i < spec.parallelism; i++) start(i);
    pods.deadline = setTimeout(
      () => finish('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline'),
      spec.activeDeadlineSeconds * 1000,
    );
    update({ active: spec.parallelism, ready: 0 });
  }

  private killPods(pods: Pods): void {
    if (pods.deadline !== undefined) clearTimeout(pods.deadline);
    for (const p of pods.processes) if (p !== undefined && p.exitCode === null) p.kill('SIGKILL');
  }

  private deleteJob(job: Obj): void {
    const pods = this.pods.get(this.key(job));
    if (pods !== undefined) this.killPods(pods);
    this.pods.delete(this.key(job));
    const w = this.workloadOf(job);
    if (w !== undefined) {
      this.admissions.delete(this.key(w));
      this.put('DELETED', this.workloads, w);
    }
    this.put('DELETED', this.jobs, job);
    this.schedule();
  }
}
