import { resolve } from 'node:path';
import { InvalidInput } from './errors.js';

/** Everything drivetrain can be configured with; see the configuration table in README.md. */
export interface Config {
  /** Data directory of the embedded default: SQLite file, local objects. */
  readonly home: string;
  readonly host: string;
  readonly port: number;
  /** `postgres://…` for PostgreSQL; undefined for the SQLite file in `home`. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema to use (created if missing); the connection's default when undefined. */
  readonly databaseSchema: string | undefined;
  /** `s3://bucket/prefix` or a local directory. */
  readonly objects: string;
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  /** Seed the demo workspace (a generated fleet) on first start. */
  readonly demo: boolean;
  /** Validate every response against its schema (on by default; a bug shows up as a 500). */
  readonly validateResponses: boolean;
  /** Platform tasks this process runs at once; 0 runs no worker in this process. */
  readonly workerConcurrency: number;
}

export interface ConfigOverrides {
  readonly home?: string;
  readonly port?: number;
  readonly host?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInput(`${name} must be an integer from ${min} to ${max}, got '${raw}'`, name);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new InvalidInput(`${name} must be true or false, got '${raw}'`, name);
}

/** Reads the configuration from the environment, with command-line overrides taking precedence. */
export function loadConfig(env: Env, cwd: string, overrides: ConfigOverrides = {}): Config {
  const home = resolve(cwd, overrides.home ?? env.DRIVETRAIN_HOME ?? '.drivetrain');
  const databaseUrl = env.DRIVETRAIN_DATABASE_URL === '' ? undefined : env.DRIVETRAIN_DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new InvalidInput(
      'DRIVETRAIN_DATABASE_URL must be a postgres:// URL',
      'DRIVETRAIN_DATABASE_URL',
    );
  }
  const port = overrides.port ?? integer(env, 'PORT', 8080, 0, 65535);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidInput(`--port must be an integer from 0 to 65535`, 'port');
  }
  return {
    home,
    host: overrides.host ?? env.DRIVETRAIN_HOST ?? 'localhost',
    port,
    databaseUrl,
    databaseSchema:
      env.DRIVETRAIN_DATABASE_SCHEMA === '' ? undefined : env.DRIVETRAIN_DATABASE_SCHEMA,
    objects: env.DRIVETRAIN_OBJECTS ?? resolve(home, 'objects'),
    bodyLimitBytes: integer(env, 'DRIVETRAIN_BODY_LIMIT', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    logLevel: env.DRIVETRAIN_LOG_LEVEL ?? 'info',
    demo: flag(env, 'DRIVETRAIN_DEMO', true),
    validateResponses: flag(env, 'DRIVETRAIN_VALIDATE_RESPONSES', true),
    workerConcurrency: integer(env, 'DRIVETRAIN_WORKERS', 2, 0, 64),
  };
}

/** The SQLite file of the embedded default. */
export function sqliteFile(config: Config): string {
  return resolve(config.home, 'drivetrain.db');
}
