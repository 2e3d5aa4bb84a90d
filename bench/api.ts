import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { spawnScript } from '../test/support/processes.js';

// npm run bench:api — requests/s and latency of an authenticated, database-backed list endpoint
// (GET /teams?limit=20: token check, one query, response validation and serialisation) against
// a bare Fastify route returning a constant, each served by its own process, loaded by autocannon
// with 100 connections from this process. Targets: ratio >= 0.5 on SQLite, >= 0.3 on PostgreSQL.

const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const connections = 100;

interface Target {
  readonly url: string;
  readonly path: string;
  readonly token: string;
  readonly schema?: string;
}

async function startTarget(kind: string) {
  const child = spawnScript('bench/support/api-target.ts', [kind], {
    DRIVETRAIN_LOG_LEVEL: 'warn',
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

async function load(target: Target, seconds: number) {
  const result = await autocannon({
    url: `${target.url}${target.path}`,
    connections,
    duration: seconds,
    headers: target.token === '' ? {} : { authorization: `Bearer ${target.token}` },
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

async function measure(kind: string) {
  const { target, child } = await startTarget(kind);
  try {
    await load(target, 2);
    const cpuBefore = cpuSeconds(child.pid!);
    const figures = await load(target, durationSeconds);
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    return { ...figures, cpuMicros: (cpu * 1e6) / figures.requests };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    if (target.schema !== undefined) {
      const client = new pg.Client({
        connectionString:
          process.env.DRIVETRAIN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      });
      await client.connect();
      await client.query(`drop schema if exists "${target.schema}" cascade`);
      await client.end();
    }
  }
}

console.log(
  `bench:api — ${connections} connections, ${durationSeconds} s per target, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, load average at start ${loadAverage()}`,
);
const bare = await measure('bare');
const rows = [{ target: 'bare Fastify, constant', ...bare, ratio: 1 }];
for (const kind of ['sqlite', 'postgres']) {
  const figures = await measure(kind);
  rows.push({
    target: `GET /teams?limit=20 on ${kind}`,
    ...figures,
    ratio: figures.rps / bare.rps,
  });
}
console.log('');
console.log('| target | requests/s | p50 ms | p99 ms | server CPU µs/request | ratio vs bare |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  console.log(
    `| ${row.target} | ${Math.round(row.rps)} | ${row.p50} | ${row.p99} | ${row.cpuMicros.toFixed(1)} | ${row.ratio.toFixed(2)} |`,
  );
}
const sqlite = rows[1]?.ratio ?? 0;
const postgres = rows[2]?.ratio ?? 0;
console.log('');
console.log(`load average at end ${loadAverage()}`);
console.log(
  `targets: SQLite ratio >= 0.5: ${sqlite >= 0.5 ? 'met' : 'MISSED'} (${sqlite.toFixed(2)}); PostgreSQL ratio >= 0.3: ${postgres >= 0.3 ? 'met' : 'MISSED'} (${postgres.toFixed(2)})`,
);
