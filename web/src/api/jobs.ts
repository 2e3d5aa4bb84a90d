import { fillPath, type ApiClient } from './client.js';
import { eventData, followEvents } from './events.js';
import type { Page } from './types.js';

/** Job states in the order a job usually passes them. */
export const jobStates = [
  'pending',
  'admitted',
  'running',
  'succeeded',
  'failed',
  'preempted',
  'cancelled',
] as const;
export type JobState = (typeof jobStates)[number];

/** A training job as the API lists it. */
export interface Job {
  readonly id: string;
  readonly name: string;
  readonly team: string;
  readonly queue: string;
  readonly project: string | null;
  readonly state: JobState;
  readonly executor: string;
  readonly priority: string;
  readonly accelerator: string;
  readonly accelerators: number;
  readonly replicas: number;
  readonly checkpointing: boolean;
  readonly attempt: number;
  readonly retries: number;
  readonly failures: number;
  readonly flavor: string | null;
  readonly message: string | null;
  readonly pendingReason: { readonly code: string; readonly message: string } | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly admittedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly times: Readonly<Record<JobState, string | null>>;
  readonly cost: number;
  readonly currency: string;
  readonly acceleratorHours: number;
}

export interface JobAttempt {
  readonly attempt: number;
  readonly flavor: string;
  readonly accelerators: number;
  readonly admittedAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly outcome: string;
  readonly exitCode: number | null;
  readonly message: string | null;
  readonly logBytes: number;
  readonly logTruncated: boolean;
  readonly cost: number;
}

/** A job with its attempts, state timeline and artifacts. */
export interface JobDetail extends Job {
  readonly spec: Readonly<Record<string, unknown>>;
  readonly attempts: readonly JobAttempt[];
  readonly events: readonly {
    readonly at: string;
    readonly attempt: number;
    readonly from: JobState | null;
    readonly to: JobState;
    readonly message: string | null;
  }[];
  readonly artifacts: readonly {
    readonly attempt: number;
    readonly path: string;
    readonly size: number;
    readonly sha256: string;
  }[];
}

export interface ResourceFinding {
  readonly podSet: string;
  readonly flavor: string;
  readonly resource: string;
  readonly requested: number;
  readonly nominal: number;
  readonly used: number;
  readonly available: number;
  readonly maxCapacity: number;
  readonly wouldBorrow: number;
}

/** Why a pending job waits (GET /jobs/:id/explain). */
export interface JobExplanation {
  readonly workloadId: string;
  readonly clusterQueue: string;
  readonly cohort?: string;
  readonly position: number;
  readonly ahead: readonly string[];
  readonly decision:
    | { readonly kind: 'admit' }
    | {
        readonly kind: 'preempt';
        readonly targets: readonly { workloadId: string; reason: string }[];
      }
    | { readonly kind: 'pending'; readonly reason: { code: string; message: string } };
  readonly findings: readonly ResourceFinding[];
  readonly wouldBorrow: readonly { flavor: string; resource: string; amount: number }[];
  readonly mustFinish: readonly string[];
}

export interface MetricSeries {
  readonly name: string;
  readonly points: readonly { attempt: number; step: number; value: number; at: string }[];
}

export interface CostRow {
  readonly key: string;
  readonly acceleratorHours: number;
  readonly allocationCost: number;
  readonly idleCost: number;
  readonly totalCost: number;
}

export type CostGroup = 'team' | 'project' | 'flavor';

export interface CostReport {
  readonly currency: string;
  readonly rows: readonly CostRow[];
  readonly assetCost: number;
  readonly allocationCost: number;
  readonly idleCost: number;
  readonly idlePercent: number;
}

export interface CostSeries {
  readonly currency: string;
  readonly buckets: readonly { from: string; to: string; rows: readonly CostRow[] }[];
}

export interface Recommendation {
  readonly kind: 'use-spot' | 'unused-quota' | 'idle-flavor';
  readonly subject: string;
  readonly message: string;
  readonly saving: number;
}

const ended: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

/** True once a job will not change any more. */
export function isJobFinished(job: Job): boolean {
  return ended.has(job.state);
}

/** Training jobs: list, inspect, cancel, explain, metrics and live logs. */
export function jobsApi(client: ApiClient) {
  return {
    list: (query: { limit?: number; cursor?: string; state?: JobState }, signal?: AbortSignal) =>
      client.get<Page<Job>>('/jobs', { ...query }, signal),
    get: (id: string, signal?: AbortSignal) =>
      client.get<JobDetail>(fillPath('/jobs/:id', { id }), undefined, signal),
    cancel: (id: string) => client.post<Job>(fillPath('/jobs/:id/cancel', { id }), undefined),
    explain: (id: string, signal?: AbortSignal) =>
      client.get<JobExplanation>(fillPath('/jobs/:id/explain', { id }), undefined, signal),
    metrics: (id: string, signal?: AbortSignal) =>
      client.get<MetricSeries[]>(fillPath('/jobs/:id/metrics', { id }), undefined, signal),
    /** One file an attempt wrote, as a response whose body streams it. */
    artifact: (id: string, attempt: number, path: string, signal?: AbortSignal) =>
      client.send('GET', fillPath('/jobs/:id/artifact', { id }), {
        query: { attempt, path },
        accept: 'application/octet-stream',
        signal,
      }),
    /**
     * Follows an attempt's log (`GET /jobs/:id/logs?follow=true`): every stored piece in order,
     * then new ones as the job writes them; resolves when the attempt has ended.
     */
    followLog: (id: string, attempt: number, onText: (text: string) => void, signal: AbortSignal) =>
      followEvents(
        client,
        `${fillPath('/jobs/:id/logs', { id })}?attempt=${attempt}&follow=true`,
        (message) => {
          if (message.event === 'log') onText(eventData<{ text: string }>(message).text);
        },
        signal,
      ),
  };
}

/** Cost of accelerator time: reports, series over time, savings. */
export function costApi(client: ApiClient) {
  return {
    report: (query: { from: string; to: string; by: CostGroup }, signal?: AbortSignal) =>
      client.get<CostReport>('/cost/report', { ...query }, signal),
    series: (
      query: { from: string; to: string; by: CostGroup; bucket: number },
      signal?: AbortSignal,
    ) => client.get<CostSeries>('/cost/series', { ...query }, signal),
    recommendations: (query: { from: string; to: string }, signal?: AbortSignal) =>
      client.get<Recommendation[]>('/cost/recommendations', { ...query }, signal),
  };
}
