/** Row types of the compute context's tables (conventions: see platform/store/tables.ts). */

/** A training job: its validated spec, current state and the time it entered each state. */
export interface ComputeJobsTable {
  id: string;
  name: string;
  /** Team as named in the compute configuration (its ClusterQueue and LocalQueue). */
  team: string;
  /** The identity team of the same name, when one exists: its members see the job. */
  team_id: string | null;
  project: string | null;
  /** The validated JobSpec as JSON. */
  spec: string;
  executor: string;
  state: string;
  priority: number;
  /** Accelerators of all replicas together. */
  accelerators: number;
  checkpointing: number;
  /** Attempts started so far; the current attempt is this number. */
  attempt: number;
  /** Failed attempts so far, counted against `retries` of the spec. */
  failures: number;
  flavor: string | null;
  /** The admission of the current attempt (engine admissions), as JSON. */
  admission: string | null;
  /** Why it waits, as the engine said in its last cycle (JSON `{code, message}`). */
  pending_reason: string | null;
  message: string | null;
  /** Set when a user asked to cancel: no attempt starts after this. */
  cancel_requested_at: number | null;
  /** Set when the engine chose this job as a preemption target. */
  preempt_requested_at: number | null;
  created_by: string;
  created_at: number;
  pending_at: number | null;
  admitted_at: number | null;
  running_at: number | null;
  succeeded_at: number | null;
  failed_at: number | null;
  preempted_at: number | null;
  cancelled_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

/** One attempt of a job: from admission to its end, with what it held. */
export interface ComputeAttemptsTable {
  job_id: string;
  attempt: number;
  flavor: string;
  accelerators: number;
  admitted_at: number;
  started_at: number | null;
  ended_at: number | null;
  /** running, succeeded, failed, preempted, cancelled */
  outcome: string;
  exit_code: number | null;
  message: string | null;
  /** Bytes of the attempt's log stored so far (where a restarted server resumes). */
  log_bytes: number;
  log_chunks: number;
  /** The log was cut at the size limit; the rest was dropped. */
  log_truncated: number;
}

/** The state timeline of a job, one row per transition. */
export interface ComputeJobEventsTable {
  id: string;
  job_id: string;
  at: number;
  attempt: number;
  from_state: string | null;
  to_state: string;
  message: string | null;
}

/** Metric values jobs report (`step`, `name`, `value`). */
export interface ComputeMetricsTable {
  job_id: string;
  attempt: number;
  name: string;
  step: number;
  value: number;
  at: number;
}

/** One stored piece of an attempt's log, in order. */
export interface ComputeLogChunksTable {
  job_id: string;
  attempt: number;
  seq: number;
  start_offset: number;
  bytes: number;
  object_key: string;
}

/** Files an attempt left in its outputs directory, uploaded when it ended. */
export interface ComputeArtifactsTable {
  job_id: string;
  attempt: number;
  path: string;
  object_key: string;
  size: number;
  sha256: string;
  created_at: number;
}

export type ComputeTables = {
  compute_jobs: ComputeJobsTable;
  compute_attempts: ComputeAttemptsTable;
  compute_job_events: ComputeJobEventsTable;
  compute_metrics: ComputeMetricsTable;
  compute_log_chunks: ComputeLogChunksTable;
  compute_artifacts: ComputeArtifactsTable;
};
