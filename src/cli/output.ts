import { SingleBar, Presets } from 'cli-progress';
import type { DrivetrainError } from '../platform/index.js';

/** A progress bar for long work; silent when output is JSON or not a terminal. */
export interface Progress {
  /** Sets the number of units done (and optionally a new total). */
  update(done: number, total?: number): void;
  stop(): void;
}

/** How a command talks to its caller: one result (JSON or human text), notes and progress. */
export interface CommandIO {
  readonly json: boolean;
  /** Prints the command's result: JSON on stdout with --json, else the human rendering. */
  result<T>(value: T, human?: (value: T) => string): void;
  /** A note for a person, on stderr so that stdout stays machine-readable. */
  note(message: string): void;
  /** Starts a progress bar for `total` units of `label`. */
  progress(label: string, total: number): Progress;
  /** Overrides the exit code of a command that finished (e.g. `partial`). */
  setExitCode(code: number): void;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const silentProgress: Progress = { update() {}, stop() {} };

/** Creates the IO of one command invocation. */
export function createCommandIO(
  json: boolean,
  streams: OutputStreams,
): CommandIO & { exitCode(): number } {
  let exitCode = 0;
  return {
    json,
    result(value, human) {
      if (json || human === undefined) {
        streams.stdout.write(`${JSON.stringify(value, null, json ? undefined : 2)}\n`);
      } else {
        const text = human(value);
        if (text !== '') streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    note(message) {
      streams.stderr.write(`${message}\n`);
    },
    progress(label, total) {
      if (json || streams.stderr.isTTY !== true) return silentProgress;
      const bar = new SingleBar(
        { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: streams.stderr },
        Presets.shades_classic,
      );
      bar.start(total, 0);
      return {
        update(done, newTotal) {
          if (newTotal !== undefined) bar.setTotal(newTotal);
          bar.update(done);
        },
        stop() {
          bar.stop();
        },
      };
    },
    setExitCode(code) {
      exitCode = code;
    },
    exitCode: () => exitCode,
  };
}

/** Renders a failure for the caller: problem-like JSON with --json, one clear line otherwise. */
export function renderError(error: DrivetrainError, json: boolean): string {
  if (json) {
    return JSON.stringify({
      error: { code: error.code, message: error.message, ...error.details },
    });
  }
  return `drivetrain: ${error.message}`;
}
