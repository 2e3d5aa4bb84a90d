import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../platform/index.js';
import type { JobSpec } from '../job.js';
import type { Executor, ExecutorHost, MetricPoint, RunRequest } from './executor.js';
import { parseMetricLine } from './metric-line.js';
import { supervisorSource } from './supervisor.js';
import { files, type ExitFile, type RunFile, type SupervisorFile } from './supervisor-files.js';

/**
 * The local executor: each admitted attempt runs under its own supervisor process (see
 * supervisor.ts) in `<root>/<job>/<attempt>/`. The server tails the attempt's log file into the
 * object store in chunks, parses metric lines, uploads `outputs/` when the attempt ends, and
 * reports state changes. Everything it needs to resume is on disk or in the store, so a server
 * killed mid-job picks its attempts up again on restart.
 */

export interface LocalExecutorOptions {
  /** Directory holding one folder per job and attempt. */
  readonly root: string;
  /** Most bytes of log kept per attempt; a job writing more is stopped and its log cut. */
  readonly logLimitBytes?: number;
  /** Time between SIGTERM and SIGKILL when a job is stopped. */
  readonly graceMs?: number;
  /** How often running attempts are looked at (log, exit). */
  readonly pollMs?: number;
  /** Variables passed through from the server's environment (PATH and the locale by default). */
  readonly passEnv?: readonly string[];
  readonly log: Logger;
}

const blockBytes = 256 * 1024;
const maxLineCarry = 64 * 1024;
const defaultLogLimit = 64 * 1024 * 1024;

interface Watched {
  readonly run: RunRequest;
  readonly dir: string;
  offset: number;
  truncated: boolean;
  carry: string;
  runningReported: boolean;
  finishing: boolean;
}

/** Replaces `$(NAME)` with the variable's value, as Kubernetes does in command and args. */
export function expandVariables(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) => {
    if (match === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name] : match;
  });
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(value));
  await rename(`${path}.tmp`, path);
}

/** Whether `pid` is alive and is the supervisor of `dir` (not a recycled pid). */
async function supervising(pid: number, dir: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(dir);
  } catch {
    return true;
  }
}

export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly admission = 'engine';
  private readonly watched = new Map<string, Watched>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;
  private closed = false;
  private readonly logLimit: number;
  private readonly grace: number;

  constructor(
    private readonly host: ExecutorHost,
    private readonly options: LocalExecutorOptions,
  ) {
    this.logLimit = options.logLimitBytes ?? defaultLogLimit;
    this.grace = options.graceMs ?? 10_000;
    this.timer = setInterval(() => void this.poll(), options.pollMs ?? 250);
  }

  private dirOf(jobId: string, attempt: number): string {
    return join(this.options.root, jobId, String(attempt));
  }

  /** The environment of a job: a clean one, the platform's variables, then the job's own. */
  private environment(run: RunRequest, dir: string): Record<string, string> {
    const passed: Record<string, string> = {};
    for (const name of this.options.passEnv ?? ['PATH', 'LANG', 'LC_ALL', 'TZ']) {
      const value = process.env[name];
      if (value !== undefined) passed[name] = value;
    }
    const platform: Record<string, string> = {
      HOME: join(dir, 'work'),
      TMPDIR: join(dir, 'work'),
      DRIVETRAIN_JOB_ID: run.jobId,
      DRIVETRAIN_ATTEMPT: String(run.attempt),
      DRIVETRAIN_INPUTS: join(dir, 'inputs'),
      DRIVETRAIN_OUTPUTS: join(dir, 'outputs'),
      ...(run.spec.checkpointing
        ? {
            DRIVETRAIN_CHECKPOINTING: 'true',
            DRIVETRAIN_CHECKPOINTS: join(this.options.root, run.jobId, 'checkpoints'),
          }
        : {}),
      ...(run.flavor === null ? {} : { DRIVETRAIN_FLAVOR: run.flavor }),
    };
    const env = { ...passed, ...platform };
    for (const [name, value] of Object.entries(run.spec.env))
      env[name] = expandVariables(value, env);
    return env;
  }

  async start(run: RunRequest): Promise<void> {
    const dir = this.dirOf(run.jobId, run.attempt);
    if (existsSync(join(dir, files.run))) {
      // Already prepared (a retry of start after a crash): launching is idempotent.
      await this.launch(run, dir);
      return;
    }
    for (const sub of ['work', 'inputs', 'outputs'])
      await mkdir(join(dir, sub), { recursive: true });
    if (run.spec.checkpointing)
      await mkdir(join(this.options.root, run.jobId, 'checkpoints'), { recursive: true });
    try {
      if (run.spec.inputs.length > 0)
        await this.host.materializeInputs(run.spec, join(dir, 'inputs'));
    } catch (error) {
      await this.host.update({
        jobId: run.jobId,
        attempt: run.attempt,
        state: 'failed',
        at: Date.now(),
        message: `inputs could not be prepared: ${(error as Error).message}`,
      });
      return;
    }
    const env = this.environment(run, dir);
    const command = [...run.spec.command, ...run.spec.args].map((part) =>
      expandVariables(part, env),
    );
    const runFile: RunFile = {
      command,
      replicas: run.spec.resources.replicas,
      env,
      cwd: join(dir, 'work'),
      maxDurationMs: run.spec.maxDurationSeconds * 1000,
      graceMs: this.grace,
      logLimitBytes: this.logLimit,
    };
    await writeJson(join(dir, files.run), runFile);
    await this.launch(run, dir);
  }

  private async launch(run: RunRequest, dir: string): Promise<void> {
    if (!existsSync(join(dir, files.supervisor))) {
      const child = spawn(process.execPath, ['-e', supervisorSource(), dir], {
        detached: true,
        stdio: 'ignore',
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
      });
      child.on('error', (error) =>
        this.options.log.error({ err: error, jobId: run.jobId }, 'cannot start a job supervisor'),
      );
      child.unref();
    }
    await this.watch(run, dir);
  }

  private async watch(run: RunRequest, dir: string): Promise<void> {
    const position = await this.host.logPosition(run.jobId, run.attempt);
    this.watched.set(`${run.jobId}/${run.attempt}`, {
      run,
      dir,
      offset: position.bytes,
      truncated: position.truncated,
      carry: '',
      runningReported: false,
      finishing: false,
    });
  }

  async stop(jobId: string, attempt: number, reason: 'cancelled' | 'preempted'): Promise<void> {
    const dir = this.dirOf(jobId, attempt);
    if (!existsSync(dir)) return;
    await writeJson(join(dir, files.stop), { reason });
    const supervisor = await readJson<SupervisorFile>(join(dir, files.supervisor));
    if (supervisor !== undefined && (await supervising(supervisor.pid, dir))) {
      try {
        process.kill(supervisor.pid, 'SIGTERM');
      } catch {
        // it ended meanwhile; exit.json tells how
      }
    }
  }

  async recover(active: readonly RunRequest[]): Promise<void> {
    for (const run of active) {
      const dir = this.dirOf(run.jobId, run.attempt);
      if (!existsSync(join(dir, files.run))) {
        await this.start(run);
        continue;
      }
      if (existsSync(join(dir, files.exit))) {
        await this.watch(run, dir);
        continue;
      }
      const supervisor = await readJson<SupervisorFile>(join(dir, files.supervisor));
      if (supervisor === undefined) {
        await this.launch(run, dir);
        continue;
      }
      if (await supervising(supervisor.pid, dir)) {
        await this.watch(run, dir);
        continue;
      }
      // The supervisor is gone without saying how the attempt ended (the machine restarted):
      // stop whatever of it survived and record the attempt as lost.
      for (const pid of supervisor.children) {
        try {
          if (pid > 0) process.kill(-pid, 'SIGKILL');
        } catch {
          // not running
        }
      }
      await writeJson(join(dir, files.exit), {
        codes: [],
        signals: [],
        stopped: null,
        error: 'the attempt was lost: its supervisor ended without recording an exit',
        endedAt: Date.now(),
      } satisfies ExitFile);
      await this.watch(run, dir);
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      for (const [key, w] of this.watched) {
        try {
          await this.check(key, w);
        } catch (error) {
          this.options.log.warn({ err: error, job: key }, 'local executor: check failed');
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private async check(key: string, w: Watched): Promise<void> {
    if (!w.runningReported) {
      const supervisor = await readJson<SupervisorFile>(join(w.dir, files.supervisor));
      // The supervisor writes its file before it starts the job, so without the file there is
      // no output and no exit yet. Looking at the log anyway could ship output that the job
      // wrote in the meantime while the attempt still reads as admitted.
      if (supervisor === undefined) return;
      await this.host.update({
        jobId: w.run.jobId,
        attempt: w.run.attempt,
        state: 'running',
        at: supervisor.startedAt,
      });
      w.runningReported = true;
    }
    const exit = await readJson<ExitFile>(join(w.dir, files.exit));
    await this.ship(w);
    if (exit === undefined || w.finishing) return;
    w.finishing = true;
    await this.ship(w, true);
    await this.host.storeArtifacts(w.run.jobId, w.run.attempt, join(w.dir, 'outputs'));
    this.watched.delete(key);
    await this.host.update({
      jobId: w.run.jobId,
      attempt: w.run.attempt,
      ...outcomeOf(exit, w.run.spec, this.logLimit),
      at: exit.endedAt,
    });
  }

  /** Moves what the attempt wrote since the last look into the store, block by block. */
  private async ship(w: Watched, final = false): Promise<void> {
    if (w.truncated) return;
    let handle;
    try {
      handle = await open(join(w.dir, files.log), 'r');
    } catch {
      return;
    }
    try {
      const buffer = new Uint8Array(blockBytes);
      for (let blocks = 0; final || blocks < 8; blocks++) {
        const room = this.logLimit - w.offset;
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(blockBytes, Math.max(room, 0)),
          w.offset,
        );
        if (bytesRead > 0) {
          const data = buffer.slice(0, bytesRead);
          const points = this.metrics(w, data);
          if (points.length > 0) await this.host.recordMetrics(w.run.jobId, w.run.attempt, points);
          w.offset += bytesRead;
          await this.host.appendLog(w.run.jobId, w.run.attempt, {
            data,
            consumed: w.offset,
            truncated: false,
          });
        }
        if (w.offset >= this.logLimit) {
          const { size } = await handle.stat();
          if (size > this.logLimit) {
            const marker = new TextEncoder().encode(
              `\n[drivetrain] log truncated: the job wrote more than ${this.logLimit} bytes, the limit per attempt; the rest was dropped and the job stopped\n`,
            );
            w.truncated = true;
            await this.host.appendLog(w.run.jobId, w.run.attempt, {
              data: marker,
              consumed: size,
              truncated: true,
            });
          }
          return;
        }
        if (bytesRead < blockBytes) return;
      }
    } finally {
      await handle.close();
    }
  }

  private metrics(w: Watched, data: Uint8Array): MetricPoint[] {
    const text = w.carry + Buffer.from(data).toString('utf8');
    const lines = text.split('\n');
    const rest = lines.pop() ?? '';
    w.carry = rest.length > maxLineCarry ? '' : rest;
    const points: MetricPoint[] = [];
    const now = Date.now();
    for (const line of lines) {
      const parsed = parseMetricLine(line.replace(/\r$/, ''), now);
      if (parsed !== null && !('error' in parsed)) points.push(parsed);
    }
    return points;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    while (this.polling) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The state an attempt ended in, from its supervisor's record. */
export function outcomeOf(
  exit: ExitFile,
  spec: JobSpec,
  logLimit: number,
): {
  state: 'succeeded' | 'failed' | 'cancelled' | 'preempted';
  message?: string;
  exitCode?: number;
} {
  if (exit.stopped === 'cancelled') return { state: 'cancelled', message: 'cancelled' };
  if (exit.stopped === 'preempted')
    return { state: 'preempted', message: 'preempted to admit a job of higher priority' };
  if (exit.stopped === 'timeout')
    return {
      state: 'failed',
      message: `exceeded its maximum duration of ${spec.maxDurationSeconds} s and was stopped`,
    };
  if (exit.stopped === 'log-limit')
    return {
      state: 'failed',
      message: `wrote more than ${logLimit} bytes of log and was stopped`,
    };
  if (exit.error !== null) return { state: 'failed', message: exit.error };
  const failed = exit.codes.findIndex((code) => code !== 0);
  if (failed < 0 && exit.codes.length > 0) return { state: 'succeeded', exitCode: 0 };
  const code = exit.codes[failed];
  const signal = exit.signals[failed];
  return {
    state: 'failed',
    message:
      signal !== null && signal !== undefined
        ? `replica ${failed} was killed by ${signal}`
        : `replica ${failed} exited with code ${String(code)}`,
    ...(typeof code === 'number' ? { exitCode: code } : {}),
  };
}
