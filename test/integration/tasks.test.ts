import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidInput,
  retryDelay,
  TaskQueue,
  TaskWorker,
  type Store,
  type Task,
  type TaskHandler,
} from '../../src/platform/index.js';
import { postgresAvailable } from '../support/postgres.js';
import { runScript, spawnScript } from '../support/processes.js';
import { storeImplementations, type TestStore } from '../support/stores.js';

async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

class Transient extends Error {}

describe('retry delay', () => {
  it('doubles per attempt from the base, caps at the maximum, and jitters by ±20 %', () => {
    expect(retryDelay(1, 1000, 60_000, () => 0.5)).toBe(1000);
    expect(retryDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(retryDelay(20, 1000, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelay(2, 1000, 60_000, () => 0)).toBe(1600);
    expect(retryDelay(2, 1000, 60_000, () => 1)).toBe(2400);
  });
});

for (const implementation of storeImplementations) {
  const available =
    implementation.name === 'sqlite' || (await postgresAvailable('task runner suite'));
  describe.skipIf(!available)(`task runner on ${implementation.name}`, () => {
    let testStore: TestStore;
    let store: Store;
    let queue: TaskQueue;
    const workers: TaskWorker[] = [];

    const startWorker = (handlers: Record<string, TaskHandler>, leaseMs = 30_000): TaskWorker => {
      const worker = new TaskWorker(store, queue, new Map(Object.entries(handlers)), {
        pollMs: 20,
        leaseMs,
        backoffMs: 10,
        maxBackoffMs: 50,
        progressIntervalMs: 10,
      });
      workers.push(worker);
      worker.start();
      return worker;
    };
    const settled = (id: string): Promise<Task> =>
      until(
        () => queue.get(id),
        (t) => ['succeeded', 'failed', 'cancelled'].includes(t.status),
      );

    beforeEach(async () => {
      testStore = await implementation.create();
      store = testStore.store;
      queue = new TaskQueue(store);
      await sql`create table test_task_runs (task_id text not null, worker text not null)`.execute(
        store.db,
      );
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      await testStore.dispose();
    });

    it('runs a task, stores its result and its last progress', async () => {
      startWorker({
        sum: async (payload, context) => {
          const { values } = payload as { values: number[] };
          values.forEach((_, i) => context.progress(i + 1, values.length, `value ${i + 1}`));
          return { sum: values.reduce((a, b) => a + b, 0) };
        },
      });
      const task = await queue.enqueue({
        kind: 'sum',
        payload: { values: [1, 2, 3, 4] },
        createdBy: 'user:u1',
      });
      const done = await settled(task.id);
      expect(done).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        result: { sum: 10 },
        progress: { done: 4, total: 4, message: 'value 4' },
      });
      expect(done.finishedAt).not.toBeNull();
    });

    it('shows a succeeded task complete though its last report named a step it began', async () => {
      startWorker({
        steps: async (_payload, context) => {
          context.progress(2, 3, 'writing the summary');
          return { written: true };
        },
        counted: async (_payload, context) => {
          context.progress(120, 0, '120 messages read');
          return null;
        },
      });
      const steps = await queue.enqueue({ kind: 'steps', payload: {}, createdBy: 'user:u1' });
      const counted = await queue.enqueue({ kind: 'counted', payload: {}, createdBy: 'user:u1' });
      expect((await settled(steps.id)).progress).toEqual({
        done: 3,
        total: 3,
        message: 'writing the summary',
      });
      // Without a total there is nothing to complete: the count stays as reported.
      expect((await settled(counted.id)).progress).toEqual({
        done: 120,
        total: 0,
        message: '120 messages read',
      });
    });

    it('returns the existing task for a repeated idempotency key', async () => {
      const first = await queue.enqueue({
        kind: 'sum',
        payload: { a: 1 },
        idempotencyKey: 'ingest:abc',
        createdBy: 'x',
      });
      const second = await queue.enqueue({
        kind: 'sum',
        payload: { a: 2 },
        idempotencyKey: 'ingest:abc',
        createdBy: 'x',
      });
      expect(second.id).toBe(first.id);
      expect((await queue.list()).items).toHaveLength(1);
    });

    it("lists a member's team tasks and the tasks they created, and nobody else's", async () => {
      const ours = await queue.enqueue({ kind: 'sum', payload: {}, teamId: 't1', createdBy: 'x' });
      await queue.enqueue({ kind: 'sum', payload: {}, teamId: 't2', createdBy: 'x' });
      const mine = await queue.enqueue({ kind: 'sum', payload: {}, createdBy: 'user:me' });
      await queue.enqueue({ kind: 'sum', payload: {}, createdBy: 'user:other' });
      const visible = await queue.list({ teamIds: ['t1'], createdBy: 'user:me' });
      expect(visible.items.map((t) => t.id).sort()).toEqual([ours.id, mine.id].sort());
      expect((await queue.list({ teamIds: [] })).items).toEqual([]);
      expect((await queue.list({ teamIds: [], createdBy: 'user:me' })).items).toHaveLength(1);
    });

    it('retries transient failures with backoff and succeeds', async () => {
      let calls = 0;
      startWorker({
        flaky: async () => {
          calls += 1;
          if (calls < 3) throw new Transient(`network blip ${calls}`);
          return { calls };
        },
      });
      const task = await queue.enqueue({ kind: 'flaky', payload: {}, createdBy: 'x' });
      expect(await settled(task.id)).toMatchObject({
        status: 'succeeded',
        attempts: 3,
        result: { calls: 3 },
      });
    });

    it('fails at once on a permanent error, and after max attempts on transient ones', async () => {
      startWorker({
        invalid: async () => {
          throw new InvalidInput('bad manifest', 'manifest');
        },
        down: async () => {
          throw new Transient('still down');
        },
      });
      const invalid = await queue.enqueue({ kind: 'invalid', payload: {}, createdBy: 'x' });
      const down = await queue.enqueue({
        kind: 'down',
        payload: {},
        maxAttempts: 3,
        createdBy: 'x',
      });
      expect(await settled(invalid.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'invalid_input', message: 'bad manifest' },
      });
      expect(await settled(down.id)).toMatchObject({
        status: 'failed',
        attempts: 3,
        error: { code: 'internal', message: 'still down' },
      });
    });

    it('cancels a running task: the handler sees its abort signal at the next heartbeat', async () => {
      let aborted = false;
      startWorker(
        {
          forever: async (_payload, context) => {
            await new Promise<void>((resolve) =>
              context.signal.addEventListener('abort', () => resolve()),
            );
            aborted = true;
            throw new Error('stopped');
          },
        },
        300,
      );
      const task = await queue.enqueue({ kind: 'forever', payload: {}, createdBy: 'x' });
      await until(
        () => queue.get(task.id),
        (t) => t.status === 'running',
      );
      await queue.cancel(task.id);
      await until(
        async () => aborted,
        (a) => a,
        5_000,
      );
      expect((await queue.get(task.id)).status).toBe('cancelled');
    });

    it('re-runs a task whose worker process died (SIGKILL) once its lease expires', async () => {
      const task = await queue.enqueue({ kind: 'slow', payload: { ms: 60_000 }, createdBy: 'x' });
      const doomed = spawnScript('test/support/scripts/task-worker.ts', [
        testStore.childName,
        'doomed',
        '1000',
        'no',
      ]);
      await until(
        () => queue.get(task.id),
        (t) => t.status === 'running' && t.progress.done > 0,
        30_000,
      );
      doomed.kill('SIGKILL');
      await new Promise((resolve) => doomed.once('exit', resolve));
      await store.db
        .updateTable('tasks')
        .set({ payload: JSON.stringify({ ms: 100 }) })
        .where('id', '=', task.id)
        .execute();
      // The rescuer stops as soon as it finds nothing to claim, so it starts once the dead
      // worker's lease has run out (a process used to take longer than the lease to start).
      const { lease_expires_at: leaseEnd } = await store.db
        .selectFrom('tasks')
        .select('lease_expires_at')
        .where('id', '=', task.id)
        .executeTakeFirstOrThrow();
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, (leaseEnd ?? 0) - Date.now() + 50)),
      );
      await runScript('test/support/scripts/task-worker.ts', [
        testStore.childName,
        'rescuer',
        '1000',
        'yes',
      ]);
      const done = await settled(task.id);
      expect(done).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        result: { worker: 'rescuer' },
      });
    });

    it('lets several worker processes share the queue: every task runs exactly once', async () => {
      const count = 40;
      const tasks = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          queue.enqueue({ kind: 'record', payload: { i }, createdBy: 'x' }),
        ),
      );
      const workers = ['w1', 'w2', 'w3'];
      const barrier = mkdtempSync(join(tmpdir(), 'drivetrain-task-workers-'));
      try {
        await Promise.all(
          workers.map((name) =>
            runScript(
              'test/support/scripts/task-worker.ts',
              [testStore.childName, name, '30000', 'yes'],
              { TASK_WORKER_BARRIER: barrier, TASK_WORKER_PEERS: String(workers.length) },
            ),
          ),
        );
      } finally {
        rmSync(barrier, { recursive: true, force: true });
      }
      const runs = await sql<{
        task_id: string;
        worker: string;
      }>`select task_id, worker from test_task_runs`.execute(store.db);
      expect(runs.rows).toHaveLength(count);
      expect(new Set(runs.rows.map((r) => r.task_id))).toEqual(new Set(tasks.map((t) => t.id)));
      for (const task of tasks) expect((await queue.get(task.id)).status).toBe('succeeded');
      if (store.dialect === 'postgres')
        expect(new Set(runs.rows.map((r) => r.worker)).size).toBeGreaterThan(1);
    });
  });
}
