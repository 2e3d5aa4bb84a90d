import { KubeConfig, KubernetesObjectApi, PatchStrategy, Watch } from '@kubernetes/client-node';
import { Unavailable, type Logger } from '../../platform/index.js';
import type { ComputeConfig } from '../config.js';
import { renderJob } from '../kubernetes/render.js';
import {
  initialStatus,
  reduceJobStatus,
  type JobState,
  type JobStatus,
  type WatchEvent,
} from '../kubernetes/status.js';
import type { Executor, ExecutorHost, RunRequest } from './executor.js';

/**
 * The Kubernetes executor: each job becomes a suspended batch/v1 Job (an Indexed Job for a gang)
 * labelled for its team's LocalQueue, sent with server-side apply; Kueue admits it. The executor
 * follows every drivetrain Job and its Kueue Workload through list-then-watch streams, and turns
 * their transitions into job states with the pure status reducer.
 */

export interface KubernetesExecutorOptions {
  readonly config: ComputeConfig;
  /** Kubeconfig file; the default loading rules (KUBECONFIG, ~/.kube/config, in-cluster) otherwise. */
  readonly kubeconfigFile?: string;
  readonly context?: string;
  readonly log: Logger;
  /** Wait before a watch that ended is listed and watched again. */
  readonly rewatchMs?: number;
}

export const fieldManager = 'drivetrain';
const managedSelector = 'app.kubernetes.io/managed-by=drivetrain';
const jobIdLabel = 'drivetrain.io/job-id';

/** The Kubernetes name of a job: ids are `job_<ulid>`, names must be DNS-1123 labels. */
export function kubernetesName(jobId: string): string {
  return jobId.replace(/_/g, '-');
}

interface Followed {
  readonly jobId: string;
  readonly accelerators: number;
  status: JobStatus;
  /** The Job as last seen: Job and Workload events arrive on separate streams, in any order. */
  lastJob?: WatchEvent;
}

export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes';
  readonly admission = 'cluster';
  private readonly kc = new KubeConfig();
  private readonly api: KubernetesObjectApi;
  private readonly followed = new Map<string, Followed>();
  private readonly byName = new Map<string, string>();
  private watches: AbortController[] = [];
  private watching = false;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: ExecutorHost,
    private readonly options: KubernetesExecutorOptions,
  ) {
    if (options.kubeconfigFile !== undefined) this.kc.loadFromFile(options.kubeconfigFile);
    else this.kc.loadFromDefault();
    if (options.context !== undefined) this.kc.setCurrentContext(options.context);
    this.api = KubernetesObjectApi.makeApiClient(this.kc);
  }

  private follow(run: RunRequest): void {
    if (this.followed.has(run.jobId)) return;
    this.followed.set(run.jobId, {
      jobId: run.jobId,
      accelerators: run.spec.resources.count * run.spec.resources.replicas,
      status: initialStatus(Date.now() / 1000),
    });
    this.byName.set(kubernetesName(run.jobId), run.jobId);
  }

  async start(run: RunRequest): Promise<void> {
    this.follow(run);
    const job = renderJob(kubernetesName(run.jobId), run.spec, this.options.config);
    const labelled = {
      ...job,
      metadata: {
        ...job.metadata,
        labels: { ...job.metadata.labels, [jobIdLabel]: run.jobId },
      },
    };
    try {
      await this.api.patch(
        labelled,
        undefined,
        undefined,
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      throw new Unavailable(
        `Kubernetes refused job ${run.jobId}: ${describe(error)}`,
        {},
        {
          cause: error,
        },
      );
    }
    await this.ensureWatching();
  }

  async stop(jobId: string, _attempt: number, _reason: 'cancelled' | 'preempted'): Promise<void> {
    const followed = this.followed.get(jobId);
    const namespace = followed === undefined ? undefined : this.namespaceOf(jobId);
    try {
      await this.api.delete(
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: kubernetesName(jobId), ...(namespace ? { namespace } : {}) },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
    } catch (error) {
      if (statusCode(error) !== 404)
        throw new Unavailable(`cannot delete job ${jobId}: ${describe(error)}`);
    }
  }

  private namespace = new Map<string, string>();

  private namespaceOf(jobId: string): string | undefined {
    return this.namespace.get(jobId);
  }

  async recover(active: readonly RunRequest[]): Promise<void> {
    for (const run of active) {
      this.follow(run);
      const team = this.options.config.teams.find((t) => t.name === run.spec.team);
      if (team !== undefined) this.namespace.set(run.jobId, team.namespace);
    }
    await this.ensureWatching();
  }

  private async ensureWatching(): Promise<void> {
    if (this.watching || this.closed) return;
    this.watching = true;
    // Workloads first: a Job's progress only counts once its admission is known.
    await this.listAndWatch(
      'kueue.x-k8s.io/v1beta2',
      'Workload',
      '/apis/kueue.x-k8s.io/v1beta2/workloads',
    );
    await this.listAndWatch('batch/v1', 'Job', '/apis/batch/v1/jobs', managedSelector);
  }

  private async listAndWatch(
    apiVersion: string,
    kind: string,
    path: string,
    labelSelector?: string,
  ): Promise<void> {
    if (this.closed) return;
    let resourceVersion: string | undefined;
    try {
      const list = await this.api.list(
        apiVersion,
        kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      resourceVersion = list.metadata?.resourceVersion;
      for (const item of list.items)
        this.observe({ type: 'ADDED', object: { apiVersion, kind, ...item } });
    } catch (error) {
      this.options.log.warn({ err: error, kind }, 'kubernetes: list failed; retrying');
      this.rewatch(apiVersion, kind, path, labelSelector);
      return;
    }
    const watch = new Watch(this.kc);
    const controller = await watch.watch(
      path,
      {
        ...(labelSelector === undefined ? {} : { labelSelector }),
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
        allowWatchBookmarks: true,
      },
      (type, object) => {
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')
          this.observe({ type, object: object as unknown });
      },
      (error: unknown) => {
        if (this.closed) return;
        if (error !== null && error !== undefined)
          this.options.log.warn({ err: error, kind }, 'kubernetes: watch ended');
        this.rewatch(apiVersion, kind, path, labelSelector);
      },
    );
    this.watches.push(controller);
  }

  private rewatch(apiVersion: string, kind: string, path: string, labelSelector?: string): void {
    if (this.closed) return;
    setTimeout(
      () => void this.listAndWatch(apiVersion, kind, path, labelSelector),
      this.options.rewatchMs ?? 1_000,
    ).unref();
  }

  /** The job a Job or Workload belongs to: the Job's label, or the Workload's owner. */
  private jobIdOf(object: Record<string, unknown>): string | undefined {
    const metadata = (object.metadata ?? {}) as {
      name?: string;
      labels?: Record<string, string>;
      ownerReferences?: { kind?: string; name?: string }[];
    };
    if (object.kind === 'Job')
      return metadata.labels?.[jobIdLabel] ?? this.byName.get(metadata.name ?? '');
    const owner = metadata.ownerReferences?.find((o) => o.kind === 'Job');
    return owner?.name === undefined ? undefined : this.byName.get(owner.name);
  }

  private observe(event: WatchEvent): void {
    const object = event.object as Record<string, unknown>;
    const jobId = this.jobIdOf(object);
    if (jobId === undefined) return;
    const followed = this.followed.get(jobId);
    if (followed === undefined) return;
    const namespace = (object.metadata as { namespace?: string } | undefined)?.namespace;
    if (namespace !== undefined) this.namespace.set(jobId, namespace);
    const now = Date.now() / 1000;
    const before = followed.status;
    const steps: JobStatus[] = [];
    let current = reduceJobStatus(before, event, followed.accelerators, now);
    if (current !== before) steps.push(current);
    if (object.kind === 'Job') followed.lastJob = event;
    else if (current.state !== before.state && followed.lastJob !== undefined) {
      // Job and Workload events come on separate streams: the Job may have moved on (started,
      // or been suspended after an eviction) before the Workload event arrived.
      const replayed = reduceJobStatus(current, followed.lastJob, followed.accelerators, now);
      if (replayed.state !== current.state) steps.push(replayed);
      current = replayed;
    }
    followed.status = current;
    let previous = before;
    for (const step of steps) {
      if (step.state !== previous.state || step.attempts.length !== previous.attempts.length) {
        this.report(
          jobId,
          step.state,
          step,
          step.state === 'failed' || step.state === 'preempted' ? step.message : undefined,
        );
      } else if (
        step.state === 'pending' &&
        step.message !== undefined &&
        step.message !== previous.message
      ) {
        this.report(jobId, 'pending', step, step.message);
      }
      previous = step;
    }
    if (
      current.state === 'succeeded' ||
      current.state === 'failed' ||
      current.state === 'cancelled'
    )
      this.followed.delete(jobId);
  }

  private report(jobId: string, state: JobState, status: JobStatus, message?: string): void {
    const at = Math.round((status.at[state] ?? Date.now() / 1000) * 1000);
    this.queue = this.queue.then(() =>
      this.host
        .update({
          jobId,
          attempt: status.attempts.length,
          state,
          at,
          ...(status.flavor === undefined ? {} : { flavor: status.flavor }),
          ...(message === undefined || message === '' ? {} : { message }),
        })
        .catch((error: unknown) =>
          this.options.log.error({ err: error, jobId }, 'kubernetes: cannot record a job update'),
        ),
    );
  }

  /** Resolves once every update seen so far has been recorded. */
  async settled(): Promise<void> {
    await this.queue;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watches) w.abort();
    this.watches = [];
    await this.queue;
  }
}

function statusCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'body' in error) {
    const body = error.body;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: string };
        if (status.message !== undefined) return status.message;
      } catch {
        return body;
      }
    }
  }
  return error instanceof Error ? error.message : String(error);
}
