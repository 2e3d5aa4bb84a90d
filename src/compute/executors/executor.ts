import type { JobSpec } from '../job.js';
import type { JobState } from '../kubernetes/status.js';

/**
 * The seam between the platform and where jobs run. One interface, two implementations side by
 * side: `local.ts` runs child processes on this machine after drivetrain's own admission engine
 * admitted them; `kubernetes.ts` submits Jobs that the cluster's Kueue admits.
 */

/** One attempt of a job to run (local) or the job to submit (Kubernetes). */
export interface RunRequest {
  readonly jobId: string;
  /** Attempt number, from 1 (local); 0 when the cluster numbers attempts itself. */
  readonly attempt: number;
  readonly spec: JobSpec;
  /** Flavor the engine admitted the attempt to (engine admission only). */
  readonly flavor: string | null;
}

/** A job or attempt entered a state; `at` is epoch milliseconds. */
export interface ExecutorUpdate {
  readonly jobId: string;
  readonly attempt: number;
  readonly state: JobState;
  readonly at: number;
  readonly flavor?: string;
  readonly message?: string;
  readonly exitCode?: number;
}

/** One metric value a job reported. */
export interface MetricPoint {
  readonly step: number;
  readonly name: string;
  readonly value: number;
  readonly at: number;
}

/** Where an attempt's stored log ends, so that shipping resumes there after a restart. */
export interface LogPosition {
  /** Bytes of the attempt's output consumed (stored, or dropped past the limit). */
  readonly bytes: number;
  readonly chunks: number;
  readonly truncated: boolean;
}

/** What an executor reports to, and needs from, the platform. */
export interface ExecutorHost {
  update(update: ExecutorUpdate): Promise<void>;
  logPosition(jobId: string, attempt: number): Promise<LogPosition>;
  /** Stores the next piece of an attempt's log (in order) and tells live followers. */
  appendLog(
    jobId: string,
    attempt: number,
    chunk: { readonly data: Uint8Array; readonly consumed: number; readonly truncated: boolean },
  ): Promise<void>;
  recordMetrics(jobId: string, attempt: number, points: readonly MetricPoint[]): Promise<void>;
  /** Uploads every file under `dir` as an artifact of the attempt. */
  storeArtifacts(jobId: string, attempt: number, dir: string): Promise<void>;
  /** Writes the job's input dataset versions (manifest and exported messages) into `dir`. */
  materializeInputs(spec: JobSpec, dir: string): Promise<void>;
}

export interface Executor {
  readonly name: 'local' | 'kubernetes';
  /**
   * `engine`: drivetrain's admission engine admits, then `start` runs the admitted attempt.
   * `cluster`: `start` submits the job at once and the cluster's Kueue admits it.
   */
  readonly admission: 'engine' | 'cluster';
  start(run: RunRequest): Promise<void>;
  /** Stops a job: cancelled by a user, or preempted by the engine to make room. */
  stop(jobId: string, attempt: number, reason: 'cancelled' | 'preempted'): Promise<void>;
  /**
   * After a restart: adopts what still runs, reports what ended meanwhile, and starts only
   * what never started.
   */
  recover(active: readonly RunRequest[]): Promise<void>;
  close(): Promise<void>;
}
