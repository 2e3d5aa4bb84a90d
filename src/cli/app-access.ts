import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openApp, type App } from '../app/index.js';
import {
  createLogger,
  loadConfig,
  operatorPrincipal,
  type Config,
  type Principal,
} from '../platform/index.js';
import type { CliEnvironment } from './command.js';

/** The configuration a command runs with: environment plus the global `--home`. */
export function configOf(
  cli: CliEnvironment,
  command: Command,
  overrides: { port?: number } = {},
): Config {
  const { home } = command.optsWithGlobals<{ home?: string }>();
  return loadConfig(cli.env, cli.cwd, { ...(home === undefined ? {} : { home }), ...overrides });
}

/**
 * Opens the platform for one command and closes it afterwards. Logs go to stderr at warn level
 * so that stdout carries only the command's result. With `worker`, the command runs platform
 * tasks itself (as `ingest` does, so that it works with no server running).
 */
export async function withApp<T>(
  cli: CliEnvironment,
  command: Command,
  work: (app: App) => Promise<T>,
  options: { worker?: boolean } = {},
): Promise<T> {
  const config = configOf(cli, command);
  const app = await openApp(config, {
    logger: createLogger(cli.env.DRIVETRAIN_LOG_LEVEL ?? 'warn', process.stderr),
    worker: options.worker === true,
  });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/** Commands run on the host act as the operator: a platform admin named after the OS user. */
export function operator(): Principal {
  return operatorPrincipal(userInfo().username);
}
