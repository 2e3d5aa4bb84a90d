import type { Command } from 'commander';
import { asDrivetrainError } from '../platform/index.js';
import { exitCodeFor } from './exit-codes.js';
import { createCommandIO, renderError, type CommandIO, type OutputStreams } from './output.js';

/** What a command can reach of the process it runs in; tests pass their own. */
export interface CliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly streams: OutputStreams;
  /** Resolves once the command has finished, with its exit code (set by `action`). */
  exitCode: number;
}

/** A module that adds its commands to the program; listed in commands/index.ts. */
export type CommandRegistrar = (program: Command, cli: CliEnvironment) => void;

/**
 * Wraps a command handler: gives it a CommandIO honouring the global --json flag, and turns
 * any thrown error into one rendered message and the stable exit code of its error code. The
 * handler receives commander's own arguments after the IO: positional arguments, the options
 * object, and the Command itself.
 */
export function action<Args extends unknown[]>(
  cli: CliEnvironment,
  handler: (io: CommandIO, ...args: Args) => Promise<void> | void,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
    const io = createCommandIO(json, cli.streams);
    try {
      await handler(io, ...(args as Args));
      cli.exitCode = io.exitCode();
    } catch (thrown) {
      const error = asDrivetrainError(thrown);
      cli.streams.stderr.write(`${renderError(error, false)}\n`);
      if (json) cli.streams.stdout.write(`${renderError(error, true)}\n`);
      cli.exitCode = exitCodeFor(error.code);
    }
  };
}
