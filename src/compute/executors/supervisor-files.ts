/** The files through which the local executor and its supervisors talk (see supervisor.ts). */

/** What the executor writes to `run.json` before starting the supervisor. */
export interface RunFile {
  readonly command: readonly string[];
  readonly replicas: number;
  /** Environment of every replica; the replica index is added as DRIVETRAIN_REPLICA. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly maxDurationMs: number;
  readonly graceMs: number;
  readonly logLimitBytes: number;
}

/** Written exclusively when the supervisor starts, then updated with the replicas' pids. */
export interface SupervisorFile {
  readonly pid: number;
  readonly startedAt: number;
  readonly children: readonly number[];
}

export type StopReason = 'cancelled' | 'preempted' | 'timeout' | 'log-limit';

/** How the attempt ended. */
export interface ExitFile {
  /** Exit code of each replica (null when it ended by a signal or never started). */
  readonly codes: readonly (number | null)[];
  readonly signals: readonly (string | null)[];
  /** Why the supervisor stopped it, when it did. */
  readonly stopped: StopReason | null;
  readonly error: string | null;
  readonly endedAt: number;
}

/** File names inside an attempt directory. */
export const files = {
  run: 'run.json',
  supervisor: 'supervisor.json',
  exit: 'exit.json',
  stop: 'stop.json',
  log: 'output.log',
} as const;
