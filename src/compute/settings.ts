import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidInput, type Logger } from '../platform/index.js';
import { parseComputeConfig, type ComputeConfig } from './config.js';
import type { Executor, ExecutorHost } from './executors/executor.js';
import { KubernetesExecutor } from './executors/kubernetes.js';
import { LocalExecutor } from './executors/local.js';
import { localConfigYaml } from './jobs/local-config.js';

/** How the compute context of one process is set up, from the environment. */
export interface ComputeSettings {
  readonly configFile: string;
  readonly config: ComputeConfig;
  /** True for the generated embedded configuration: platform teams get automatic quotas. */
  readonly autoTeams: boolean;
  readonly executor: 'local' | 'kubernetes';
  /** Local executor: where attempts run. */
  readonly attemptsDir: string;
  readonly logLimitBytes: number;
  readonly graceMs: number;
  /** Kubernetes executor: kubeconfig file (KUBECONFIG) and the context to use. */
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidInput(`${name} must be an integer from ${min} to ${max}, got '${raw}'`, name);
  return value;
}

/**
 * Reads the compute configuration: DRIVETRAIN_COMPUTE_CONFIG, or `compute.yaml` in the data
 * directory, generated for this machine on first use.
 */
export async function loadComputeSettings(env: Env, home: string): Promise<ComputeSettings> {
  const configured = env.DRIVETRAIN_COMPUTE_CONFIG;
  const configFile =
    configured === undefined || configured === ''
      ? join(home, 'compute.yaml')
      : resolve(configured);
  const generated = configured === undefined || configured === '';
  if (generated && !existsSync(configFile)) {
    await mkdir(dirname(configFile), { recursive: true });
    await writeFile(`${configFile}.tmp`, localConfigYaml());
    await rename(`${configFile}.tmp`, configFile);
  }
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (error) {
    throw new InvalidInput(
      `DRIVETRAIN_COMPUTE_CONFIG: cannot read ${configFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'DRIVETRAIN_COMPUTE_CONFIG',
    );
  }
  const executor = env.DRIVETRAIN_EXECUTOR ?? 'local';
  if (executor !== 'local' && executor !== 'kubernetes')
    throw new InvalidInput(
      `DRIVETRAIN_EXECUTOR must be local or kubernetes, got '${executor}'`,
      'DRIVETRAIN_EXECUTOR',
    );
  return {
    configFile,
    config: parseComputeConfig(text, configFile),
    autoTeams: generated,
    executor,
    attemptsDir: join(home, 'compute', 'attempts'),
    logLimitBytes: integer(env, 'DRIVETRAIN_JOB_LOG_LIMIT', 64 * 1024 * 1024, 1024, 2 ** 40),
    graceMs: integer(env, 'DRIVETRAIN_JOB_GRACE_MS', 10_000, 0, 3_600_000),
    ...(env.KUBECONFIG === undefined || env.KUBECONFIG === ''
      ? {}
      : { kubeconfig: env.KUBECONFIG }),
    ...(env.DRIVETRAIN_KUBE_CONTEXT === undefined
      ? {}
      : { kubeContext: env.DRIVETRAIN_KUBE_CONTEXT }),
  };
}

/** The executor the settings ask for, reporting to `host`. */
export function createExecutor(
  settings: ComputeSettings,
  host: ExecutorHost,
  log: Logger,
): Executor {
  if (settings.executor === 'kubernetes') {
    return new KubernetesExecutor(host, {
      config: settings.config,
      ...(settings.kubeconfig === undefined ? {} : { kubeconfigFile: settings.kubeconfig }),
      ...(settings.kubeContext === undefined ? {} : { context: settings.kubeContext }),
      log,
    });
  }
  return new LocalExecutor(host, {
    root: settings.attemptsDir,
    logLimitBytes: settings.logLimitBytes,
    graceMs: settings.graceMs,
    log,
  });
}
