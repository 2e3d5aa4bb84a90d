import { Command, CommanderError } from 'commander';
import type { CliEnvironment } from './command.js';
import { commandRegistrars } from './commands/index.js';
import { exitCodes } from './exit-codes.js';

/** Builds the `drivetrain` command with every registered subcommand. */
export function buildProgram(cli: CliEnvironment): Command {
  const program = new Command('drivetrain')
    .description('drivetrain: the ML platform for automated driving')
    .option('--json', 'print machine-readable JSON on stdout')
    .option(
      '--home <dir>',
      'data directory of the embedded default (default ./.drivetrain, or DRIVETRAIN_HOME)',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => cli.streams.stdout.write(text),
      writeErr: (text) => cli.streams.stderr.write(text),
    });
  for (const register of commandRegistrars) register(program, cli);
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns its exit code. */
export async function runCli(argv: readonly string[], cli: CliEnvironment): Promise<number> {
  const program = buildProgram(cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    throw error;
  }
}
