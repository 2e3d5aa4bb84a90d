import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const tsxLoader = resolve('node_modules/tsx/dist/esm/index.mjs');

/** Starts a TypeScript file as a separate Node process (through tsx), as a second user or worker would be. */
export function spawnScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, resolve(script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a script to completion; rejects with its stderr when it exits non-zero. */
export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnScript(script, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new Error(`${script} exited with ${String(code)}:\n${stderr}`));
    });
  });
}
