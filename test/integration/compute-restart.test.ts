import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { JobDetail } from '../../src/compute/index.js';
import { nodeJob, waitFor, writeTestComputeConfig } from '../support/compute.js';
import { spawnScript } from '../support/processes.js';

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminToken: string | undefined;
}

async function serve(env: Record<string, string>): Promise<Running> {
  const child = spawnScript(
    'src/cli/main.ts',
    ['serve', '--port', '0', '--host', '127.0.0.1', '--json'],
    env,
  );
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const newline = output.indexOf('\n');
      if (newline >= 0) resolve(output.slice(0, newline));
    });
    child.once('exit', (code) =>
      reject(new Error(`server exited with ${String(code)}: ${errors}`)),
    );
  });
  const started = JSON.parse(line) as { url: string; adminToken?: string };
  return {
    child,
    url: started.url.replace('localhost', '127.0.0.1'),
    adminToken: started.adminToken,
  };
}

async function kill(running: Running): Promise<void> {
  running.child.kill('SIGKILL');
  if (running.child.exitCode === null && running.child.signalCode === null)
    await once(running.child, 'exit');
}

describe('the server killed while jobs run', () => {
  it('adopts running jobs and records jobs that ended meanwhile: none lost, none started twice', async () => {
    const home = mkdtempSync(join(tmpdir(), 'drivetrain-compute-crash-'));
    const marks = mkdtempSync(join(tmpdir(), 'drivetrain-compute-marks-'));
    const env: Record<string, string> = {
      DRIVETRAIN_HOME: home,
      DRIVETRAIN_DEMO: '0',
      DRIVETRAIN_LOG_LEVEL: 'warn',
      DRIVETRAIN_COMPUTE_CONFIG: writeTestComputeConfig(),
    };
    // Each job notes every start in a file, then prints numbered lines.
    const script = (name: string, lines: number, everyMs: number) =>
      nodeJob(
        `require('fs').appendFileSync(${JSON.stringify(join(marks, name))}, 'start\\n'); let i = 0; const t = setInterval(() => { console.log('${name} ' + i++); if (i === ${lines}) { clearInterval(t); require('fs').writeFileSync(process.env.DRIVETRAIN_OUTPUTS + '/done', '${name}'); } }, ${everyMs})`,
      );
    let second: Running | undefined;
    try {
      const first = await serve(env);
      const headers = {
        authorization: `Bearer ${first.adminToken ?? ''}`,
        'content-type': 'application/json',
      };
      const submit = async (url: string, name: string, command: string[]) => {
        const response = await fetch(`${url}/jobs`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            name,
            team: 'lidar',
            command,
            resources: { accelerator: 'cpu', count: 1 },
          }),
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { id: string }).id;
      };
      const get = async (url: string, id: string) =>
        (await (await fetch(`${url}/jobs/${id}`, { headers })).json()) as JobDetail;
      const long = await submit(first.url, 'long', script('long', 25, 200));
      const short = await submit(first.url, 'short', script('short', 3, 200));
      await waitFor('both jobs to run and log', async () => {
        const [a, b] = [await get(first.url, long), await get(first.url, short)];
        return a.state === 'running' && b.state === 'running' && (a.attempts[0]?.logBytes ?? 0) > 0
          ? true
          : undefined;
      });
      await kill(first);
      // The short job ends while no server runs; the long one keeps running.
      await waitFor('the short job to end', async () =>
        existsSync(join(home, 'compute', 'attempts', short, '1', 'exit.json')) ? true : undefined,
      );
      second = await serve(env);
      const url = second.url;
      const shortDone = await waitFor('the short job to be recorded', async () => {
        const j = await get(url, short);
        return j.state === 'succeeded' ? j : undefined;
      });
      expect(Date.parse(shortDone.finishedAt ?? '')).toBeGreaterThan(
        Date.parse(shortDone.startedAt ?? ''),
      );
      const longDone = await waitFor(
        'the long job to finish',
        async () => {
          const j = await get(url, long);
          return j.state === 'succeeded' ? j : undefined;
        },
        30_000,
      );
      for (const [name, job, lines] of [
        ['long', longDone, 25],
        ['short', shortDone, 3],
      ] as const) {
        expect(readFileSync(join(marks, name), 'utf8')).toBe('start\n');
        expect(job.attempts).toHaveLength(1);
        expect(job.events.map((e) => e.to)).toEqual([
          'pending',
          'admitted',
          'running',
          'succeeded',
        ]);
        expect(job.artifacts.map((a) => a.path)).toEqual(['done']);
        const log = await (await fetch(`${url}/jobs/${job.id}/logs`, { headers })).text();
        expect(log.trim().split('\n')).toEqual(
          Array.from({ length: lines }, (_, i) => `${name} ${i}`),
        );
      }
    } finally {
      if (second !== undefined) await kill(second);
      rmSync(home, { recursive: true, force: true });
      rmSync(marks, { recursive: true, force: true });
    }
  }, 90_000);
});
