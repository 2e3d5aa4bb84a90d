import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  dropSchema,
  freshSchemaName,
  postgresAvailable,
  testDatabaseUrl,
} from '../support/postgres.js';
import { spawnScript } from '../support/processes.js';

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminToken: string | undefined;
}

/** Starts `drivetrain serve --json` as its own process and reads its address from stdout. */
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

const databases = ['sqlite', ...((await postgresAvailable('crash test')) ? ['postgres'] : [])];

describe.each(databases)('SIGKILL during a burst of writes (%s)', (database) => {
  it('keeps every acknowledged write, shows nothing half-written, and the audit chain verifies', async () => {
    const home = mkdtempSync(join(tmpdir(), 'drivetrain-crash-'));
    const schema = freshSchemaName('crash');
    const env: Record<string, string> = {
      DRIVETRAIN_HOME: home,
      DRIVETRAIN_DEMO: '0',
      DRIVETRAIN_LOG_LEVEL: 'warn',
      ...(database === 'postgres'
        ? { DRIVETRAIN_DATABASE_URL: testDatabaseUrl, DRIVETRAIN_DATABASE_SCHEMA: schema }
        : {}),
    };
    try {
      const first = await serve(env);
      const token = first.adminToken ?? '';
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const acknowledged: string[] = [];
      let next = 0;
      let killed = false;
      const writer = async (): Promise<void> => {
        while (!killed && next < 2000) {
          const name = `burst-${next++}`;
          try {
            const response = await fetch(`${first.url}/teams`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ name }),
            });
            if (response.status === 201) acknowledged.push(name);
          } catch {
            return; // the server is gone
          }
        }
      };
      const writers = Array.from({ length: 16 }, writer);
      while (acknowledged.length < 150) await new Promise((resolve) => setTimeout(resolve, 10));
      await kill(first);
      killed = true;
      await Promise.all(writers);

      const second = await serve(env);
      try {
        const collect = async <T>(path: string): Promise<T[]> => {
          const items: T[] = [];
          let cursor: string | null = null;
          do {
            const separator = path.includes('?') ? '&' : '?';
            const url = `${second.url}${path}${separator}limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
            const page = (await (await fetch(url, { headers })).json()) as {
              items: T[];
              next: string | null;
            };
            items.push(...page.items);
            cursor = page.next;
          } while (cursor !== null);
          return items;
        };
        const names = new Set((await collect<{ name: string }>('/teams')).map((team) => team.name));
        expect(acknowledged.filter((name) => !names.has(name))).toEqual([]);
        // Every team that exists has its audit entry: the write and its entry committed together.
        const audit = await collect<{ action: string }>('/audit?targetKind=team');
        expect(audit.filter((e) => e.action === 'team.create').length).toBe(names.size);
        const verification = (await (
          await fetch(`${second.url}/audit/verify`, { headers })
        ).json()) as { ok: boolean };
        expect(verification.ok).toBe(true);
      } finally {
        await kill(second);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
      if (database === 'postgres') await dropSchema(schema);
    }
  }, 120_000);
});
