/**
 * The supervisor of one local attempt: a small detached process that outlives the server. It
 * starts the attempt's replicas with a clean environment, sends their output straight to the
 * attempt's log file, enforces the maximum duration and the log size limit (SIGTERM, then
 * SIGKILL after a grace period), and writes how the attempt ended to `exit.json`. A restarted
 * server reads these files to adopt a running attempt or to record how it ended, so an attempt is
 * never lost and never started twice (`supervisor.json` is created exclusively).
 *
 * It runs as `node -e <supervisorSource()> <attempt dir>`: one self-contained function using only
 * Node's standard library, so it starts in milliseconds and is the same code from source and
 * from the build.
 */
import type * as ChildProcesses from 'node:child_process';
import type * as Fs from 'node:fs';
import type * as Path from 'node:path';
import type { ExitFile, RunFile, StopReason, SupervisorFile } from './supervisor-files.js';

/** The source of the supervisor program, for `node -e`; its one argument is the attempt dir. */
export function supervisorSource(): string {
  // Bundlers may wrap named functions in a naming helper; give the program a no-op one.
  return `var __name = (f) => f;\n(${supervise.toString()})(require, process.argv[1]);`;
}

function supervise(load: NodeJS.Require, dir: string): void {
  const { spawn } = load('node:child_process') as typeof ChildProcesses;
  const { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync } =
    load('node:fs') as typeof Fs;
  const path = load('node:path') as typeof Path;
  const join = (...parts: string[]): string => path.join(...parts);
  // The names of supervisor-files.ts; repeated because this function must stand alone.
  const files = {
    run: 'run.json',
    supervisor: 'supervisor.json',
    exit: 'exit.json',
    stop: 'stop.json',
    log: 'output.log',
  } as const;

  function writeAtomic(path: string, value: unknown): void {
    writeFileSync(`${path}.tmp`, JSON.stringify(value));
    renameSync(`${path}.tmp`, path);
  }

  const main = (): void => {
    const lock = join(dir, files.supervisor);
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      return; // another supervisor owns this attempt
    }
    const startedAt = Date.now();
    writeFileSync(fd, JSON.stringify({ pid: process.pid, startedAt, children: [] }));
    closeSync(fd);
    const run = JSON.parse(readFileSync(join(dir, files.run), 'utf8')) as RunFile;
    const logPath = join(dir, files.log);
    const log = openSync(logPath, 'a');
    const children: ChildProcesses.ChildProcess[] = [];
    const codes: (number | null)[] = Array.from({ length: run.replicas }, () => null);
    const signals: (string | null)[] = Array.from({ length: run.replicas }, () => null);
    let running = 0;
    let stopped: StopReason | null = null;
    let error: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      writeAtomic(join(dir, files.exit), {
        codes,
        signals,
        stopped,
        error,
        endedAt: Date.now(),
      } satisfies ExitFile);
      process.exit(0);
    };
    const signalAll = (signal: NodeJS.Signals): void => {
      for (const child of children) {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
          continue;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      }
    };
    const stop = (reason: StopReason): void => {
      if (stopped !== null) return;
      stopped = reason;
      signalAll('SIGTERM');
      killTimer = setTimeout(() => signalAll('SIGKILL'), run.graceMs);
    };

    const [command, ...args] = run.command;
    for (let replica = 0; replica < run.replicas; replica++) {
      const child = spawn(command ?? '', args, {
        cwd: run.cwd,
        env: {
          ...run.env,
          DRIVETRAIN_REPLICA: String(replica),
          DRIVETRAIN_REPLICAS: String(run.replicas),
        },
        stdio: ['ignore', log, log],
        // Its own process group, so that stopping it also stops whatever it started.
        detached: true,
      });
      running += 1;
      children.push(child);
      child.on('error', (e) => {
        error ??= `cannot start ${JSON.stringify(command)}: ${e.message}`;
        codes[replica] = null;
        if (child.pid === undefined) {
          running -= 1;
          signalAll('SIGTERM');
          if (running === 0) finish();
        }
      });
      child.on('exit', (code, signal) => {
        codes[replica] = code;
        signals[replica] = signal;
        running -= 1;
        // A gang fails as a whole: once one replica fails, the others are stopped.
        if (code !== 0 && stopped === null) {
          signalAll('SIGTERM');
          killTimer ??= setTimeout(() => signalAll('SIGKILL'), run.graceMs);
        }
        if (running === 0) {
          if (killTimer !== undefined) clearTimeout(killTimer);
          finish();
        }
      });
    }
    writeAtomic(lock, {
      pid: process.pid,
      startedAt,
      children: children.map((c) => c.pid ?? 0),
    } satisfies SupervisorFile);

    const deadline = startedAt + run.maxDurationMs;
    const poll = setInterval(() => {
      if (Date.now() >= deadline) stop('timeout');
      try {
        if (statSync(logPath).size > run.logLimitBytes) stop('log-limit');
      } catch {
        // the log file is created above; a failed stat only delays the check
      }
      const stopFile = join(dir, files.stop);
      if (existsSync(stopFile)) {
        try {
          const { reason } = JSON.parse(readFileSync(stopFile, 'utf8')) as { reason: StopReason };
          stop(reason);
        } catch {
          stop('cancelled');
        }
      }
    }, 200);
    poll.unref();
    process.on('SIGTERM', () => {
      const stopFile = join(dir, files.stop);
      const reason = existsSync(stopFile)
        ? ((JSON.parse(readFileSync(stopFile, 'utf8')) as { reason?: StopReason }).reason ??
          'cancelled')
        : 'cancelled';
      stop(reason);
    });
  };

  main();
}
