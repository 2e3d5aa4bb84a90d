import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { spawnScript } from '../test/support/processes.js';
import { median } from './support/median.js';

// npm run bench:api — requests/s and latency of an authenticated, database-backed list endpoint
// (GET /teams?limit=20: token check, one query, response validation and serialisation) against
// a bare Fastify route returning a constant, each served by its own process, loaded by autocannon
// with 100 connections from this process. Targets: ratio >= 0.5 on SQLite, >= 0.3 on PostgreSQL.
// A control serves the list's own page as a bare constant: the most any endpoint sending those
// bytes can reach here, which separates the cost of the page's size from the cost of the platform.

const durationSeconds = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = 100;

interface Target {
  readonly url: string;
  readonly path: string;
  readonly token: string;
  readonly schema?: string;
}

async function startTarget(kind: string, env: Record<string, string>) {
  const child = spawnScript('bench/support/api-target.ts', [kind], {
    DRIVETRAIN_LOG_LEVEL: 'warn',
    ...env,
  });
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const target = await new Promise<Target>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n'))
        resolve(JSON.parse(output.slice(0, output.indexOf('\n'))) as Target);
    });
    child.once('exit', (code) =>
      reject(new Error(`${kind} target exited with ${String(code)}: ${errors}`)),
    );
  });
  return { target, child };
}

const headersOf = (target: Target): Record<string, string> =>
  target.token === '' ? {} : { authorization: `Bearer ${target.token}` };

async function load(target: Target, seconds: number) {
  const result = await autocannon({
    url: `${target.url}${target.path}`,
    connections,
    duration: seconds,
    headers: headersOf(target),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${target.url}${target.path}: ${result.non2xx} non-2xx responses, ${result.errors} errors`,
    );
  }
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/**
 * CPU seconds (user + system) a process has used so far, from /proc: the load generator shares
 * the machine, so requests/s alone do not tell how much each request costs the server.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime, in Linux's clock ticks of 1/100 s
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Served {
  readonly name: string;
  readonly target: Target;
  readonly child: ChildProcess;
  readonly rounds: Round[];
}

interface Round {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMicros: number;
}

async function serve(name: string, kind: string, env: Record<string, string> = {}) {
  const { target, child } = await startTarget(kind, env);
  await load(target, 2);
  return { name, target, child, rounds: [] } satisfies Served;
}

async function measureRound(served: Served): Promise<void> {
  const cpuBefore = cpuSeconds(served.child.pid!);
  const figures = await load(served.target, durationSeconds);
  const cpu = cpuSeconds(served.child.pid!) - cpuBefore;
  served.rounds.push({ ...figures, cpuMicros: (cpu * 1e6) / figures.requests });
}

async function stop(served: Served): Promise<void> {
  served.child.kill('SIGTERM');
  await once(served.child, 'exit');
  if (served.target.schema !== undefined) {
    const client = new pg.Client({
      connectionString:
        process.env.DRIVETRAIN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    });
    await client.connect();
    await client.query(`drop schema if exists "${served.target.schema}" cascade`);
    await client.end();
  }
}

/** The median over rounds of a's requests/s divided by b's in the same round. */
const ratio = (a: Served, b: Served) =>
  median(a.rounds.map((round, i) => round.rps / b.rounds[i]!.rps));

console.log(
  `bench:api — ${connections} connections, ${rounds} rounds of ${durationSeconds} s per target, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, load average at start ${loadAverage()}`,
);
const all: Served[] = [];
try {
  const bare = await serve('bare Fastify, constant `{"status":"ok"}`', 'bare');
  all.push(bare);
  const sqlite = await serve('GET /teams?limit=20 on SQLite', 'sqlite');
  all.push(sqlite);
  const postgres = await serve('GET /teams?limit=20 on PostgreSQL', 'postgres');
  all.push(postgres);
  const body = await (
    await fetch(`${sqlite.target.url}${sqlite.target.path}`, { headers: headersOf(sqlite.target) })
  ).text();
  const page = await serve(
    `bare Fastify, the list's ${Buffer.byteLength(body)}-byte page as a constant`,
    'bare-page',
    { BENCH_API_PAGE: body },
  );
  all.splice(1, 0, page);
  // Rounds interleave the targets, and every ratio compares figures of the same round: the
  // machine's speed drifts by more than the differences measured here over a minute or two.
  for (let round = 0; round < rounds; round += 1) {
    for (const served of all) await measureRound(served);
  }
  console.log('');
  console.log(
    '| target | requests/s | p50 ms | p99 ms | server CPU µs/request | ratio vs bare | ratio vs page constant |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const served of all) {
    const of = (pick: (round: Round) => number) => median(served.rounds.map(pick));
    console.log(
      `| ${served.name} | ${Math.round(of((r) => r.rps))} | ${of((r) => r.p50)} | ${of((r) => r.p99)} | ${of((r) => r.cpuMicros).toFixed(1)} | ${ratio(served, bare).toFixed(2)} | ${ratio(served, page).toFixed(2)} |`,
    );
  }
  const sqliteRatio = ratio(sqlite, bare);
  const postgresRatio = ratio(postgres, bare);
  console.log('');
  console.log(`load average at end ${loadAverage()}; figures are medians over the rounds`);
  console.log(
    `targets: SQLite ratio >= 0.5: ${sqliteRatio >= 0.5 ? 'met' : 'MISSED'} (${sqliteRatio.toFixed(2)}); PostgreSQL ratio >= 0.3: ${postgresRatio >= 0.3 ? 'met' : 'MISSED'} (${postgresRatio.toFixed(2)}); the list's page as a bare constant reaches ${ratio(page, bare).toFixed(2)}`,
  );
} finally {
  for (const served of all) await stop(served);
}
