import type { Attempt } from '../cost/cost.js';
import type { JobSpec } from '../job.js';
import type { JobState } from '../kubernetes/status.js';
import type {
  ComputeArtifactsTable,
  ComputeAttemptsTable,
  ComputeJobEventsTable,
  ComputeJobsTable,
} from './tables.js';

/** Every state a job can be in, in the order a job usually passes them. */
export const jobStates = [
  'pending',
  'admitted',
  'running',
  'succeeded',
  'failed',
  'preempted',
  'cancelled',
] as const satisfies readonly JobState[];

export const terminalStates: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

/** A job as the API and the CLI show it. */
export interface Job {
  readonly id: string;
  readonly name: string;
  readonly team: string;
  /** The team's LocalQueue. */
  readonly queue: string;
  readonly project: string | null;
  readonly state: JobState;
  readonly executor: string;
  readonly priority: string;
  readonly accelerator: string;
  /** Accelerators of all replicas together. */
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
  /** When the job last entered each state. */
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

export interface JobEvent {
  readonly at: string;
  readonly attempt: number;
  readonly from: string | null;
  readonly to: string;
  readonly message: string | null;
}

export interface JobArtifact {
  readonly attempt: number;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** A job with everything its page shows. */
export interface JobDetail extends Job {
  readonly spec: JobSpec;
  readonly attempts: readonly JobAttempt[];
  readonly events: readonly JobEvent[];
  readonly artifacts: readonly JobArtifact[];
}

export const iso = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

/** The cost module's view of an attempt (epoch seconds). */
export function costAttempt(row: ComputeAttemptsTable): Attempt {
  return {
    flavor: row.flavor,
    startedAt: row.admitted_at / 1000,
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at / 1000 }),
    accelerators: row.accelerators,
    outcome: row.outcome as Attempt['outcome'],
  };
}

export function toJob(
  row: ComputeJobsTable,
  cost: { cost: number; currency: string; acceleratorHours: number },
): Job {
  const spec = JSON.parse(row.spec) as JobSpec;
  return {
    id: row.id,
    name: row.name,
    team: row.team,
    queue: row.team,
    project: row.project,
    state: row.state as JobState,
    executor: row.executor,
    priority: spec.priority,
    accelerator: spec.resources.accelerator,
    accelerators: row.accelerators,
    replicas: spec.resources.replicas,
    checkpointing: row.checkpointing === 1,
    attempt: row.attempt,
    retries: spec.retries,
    failures: row.failures,
    flavor: row.flavor,
    message: row.message,
    pendingReason:
      row.pending_reason === null
        ? null
        : (JSON.parse(row.pending_reason) as { code: string; message: string }),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    admittedAt: iso(row.admitted_at),
    startedAt: iso(row.running_at),
    finishedAt: iso(row.finished_at),
    times: {
      pending: iso(row.pending_at),
      admitted: iso(row.admitted_at),
      running: iso(row.running_at),
      succeeded: iso(row.succeeded_at),
      failed: iso(row.failed_at),
      preempted: iso(row.preempted_at),
      cancelled: iso(row.cancelled_at),
    },
    cost: cost.cost,
    currency: cost.currency,
    acceleratorHours: Math.round(cost.acceleratorHours * 1e6) / 1e6,
  };
}

export function toAttempt(row: ComputeAttemptsTable, cost: number): JobAttempt {
  return {
    attempt: row.attempt,
    flavor: row.flavor,
    accelerators: row.accelerators,
    admittedAt: new Date(row.admitted_at).toISOString(),
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    outcome: row.outcome,
    exitCode: row.exit_code,
    message: row.message,
    logBytes: row.log_bytes,
    logTruncated: row.log_truncated === 1,
    cost,
  };
}

export function toEvent(row: ComputeJobEventsTable): JobEvent {
  return {
    at: new Date(row.at).toISOString(),
    attempt: row.attempt,
    from: row.from_state,
    to: row.to_state,
    message: row.message,
  };
}

export function toArtifact(row: ComputeArtifactsTable): JobArtifact {
  return { attempt: row.attempt, path: row.path, size: row.size, sha256: row.sha256 };
}
