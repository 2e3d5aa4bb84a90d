import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { TaskQueue, TaskWorker, type TaskHandler } from '../../../src/platform/index.js';
import { openNamedStore } from './open-store.js';

// Usage: task-worker.ts <store> <worker name> <lease ms> <stop when idle: yes|no>
// Runs a task worker in its own process with two test handlers:
//   `record`: inserts (task id, worker) into test_task_runs — so a test can count executions;
//   `slow`:   reports progress for `ms` milliseconds, then records.
const [storeName = '', workerName = 'w', leaseMs = '30000', stopWhenIdle = 'yes'] =
  process.argv.slice(2);
const store = openNamedStore(storeName);
const queue = new TaskQueue(store);

const record = async (taskId: string): Promise<void> => {
  await sql`insert into test_task_runs (task_id, worker) values (${taskId}, ${workerName})`.execute(
    store.db,
  );
};

const handlers = new Map<string, TaskHandler>([
  ['record', async (_payload, context) => record(context.task.id)],
  [
    'slow',
    async (payload, context) => {
      const { ms } = payload as { ms: number };
      const started = Date.now();
      while (Date.now() - started < ms) {
        context.signal.throwIfAborted();
        context.progress(Date.now() - started, ms, 'working');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await record(context.task.id);
      return { worker: workerName };
    },
  ],
]);

/**
 * With TASK_WORKER_BARRIER=<dir> and TASK_WORKER_PEERS=<n>: marks this worker present in <dir>
 * and waits until <n> workers are, so that a test's workers claim together instead of in the
 * order in which their processes happened to come up.
 */
async function barrier(): Promise<void> {
  const dir = process.env.TASK_WORKER_BARRIER;
  if (dir === undefined) return;
  const peers = Number(process.env.TASK_WORKER_PEERS ?? '1');
  writeFileSync(join(dir, workerName), '');
  while (readdirSync(dir).length < peers) await new Promise((resolve) => setTimeout(resolve, 10));
}

const worker = new TaskWorker(store, queue, handlers, {
  owner: workerName,
  concurrency: 2,
  leaseMs: Number(leaseMs),
  pollMs: 50,
  progressIntervalMs: 50,
});
process.stdout.write('ready\n');
await barrier();
if (stopWhenIdle === 'yes') {
  while (await worker.runOnce()) {
    // keep claiming until the queue is empty
  }
  await store.close();
} else {
  worker.start();
}
