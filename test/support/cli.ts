import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/index.js';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the raw output when it is not JSON). */
  json<T = unknown>(): T;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs the `drivetrain` CLI in this process, as a user would call it, and captures its output. */
export async function cli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const exitCode = await runCli(args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    streams: { stdout: stdout.stream, stderr: stderr.stream },
    exitCode: 0,
  });
  const out = stdout.text();
  return {
    exitCode,
    stdout: out,
    stderr: stderr.text(),
    json<T>() {
      try {
        return JSON.parse(out) as T;
      } catch {
        throw new Error(`CLI output is not JSON:\n${out}\n--- stderr ---\n${stderr.text()}`);
      }
    },
  };
}
