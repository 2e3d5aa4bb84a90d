import { hostname } from 'node:os';
import { sql } from 'kysely';
import { asDrivetrainError, type DrivetrainError } from '../errors.js';
import { newId } from '../ids.js';
import type { Store } from '../store/store.js';
import type { TasksTable } from '../store/tables.js';
import type { TaskQueue } from './queue.js';
import { toTask, type Task } from './task.js';

/** What a handler gets besides its payload. */
export interface TaskContext {
  readonly task: Task;
  /** Aborted when the task is cancelled, its lease is lost, or the worker stops. */
  readonly signal: AbortSignal;
  /** Reports progress; written to the store at most every `progressIntervalMs`. */
  progress(done: number, total?: number, message?: string): void;
}

/**
 * Runs one task. Delivery is at-least-once (a task whose worker died runs again), so a handler
 * must be idempotent: doing its work twice must leave the same state as doing it once.
 */
export type TaskHandler = (payload: unknown, context: TaskContext) => Promise<unknown>;

export interface WorkerOptions {
  /** Distinguishes this worker in leases; defaults to host:pid:random. */
  readonly owner?: string;
  readonly concurrency?: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly progressIntervalMs?: number;
  /** First retry delay; doubled per attempt up to `maxBackoffMs`, with ±20 % jitter. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onError?: (task: Task, error: DrivetrainError) => void;
}

/** Errors that will fail the same way on every attempt, so retrying them only wastes time. */
const permanentCodes = new Set([
  'invalid_input',
  'not_found',
  'forbidden',
  'corrupt_recording',
  'unsupported',
  'conflict',
]);

/** Delay before retry number `attempt` (1-based). */
export function retryDelay(
  attempt: number,
  backoffMs: number,
  maxBackoffMs: number,
  random = Math.random,
): number {
  const base = Math.min(maxBackoffMs, backoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Claims tasks of the kinds it has handlers for and runs them. A claim is a lease that the
 * worker renews (heartbeat) while the handler runs; if the worker dies, the lease expires and
 * any worker claims the task again. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so many
 * worker processes share one queue without taking the same task.
 */
export class TaskWorker {
  private readonly owner: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly progressIntervalMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopController = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly queue: TaskQueue,
    private readonly handlers: ReadonlyMap<string, TaskHandler>,
    private readonly options: WorkerOptions = {},
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${newId('w')}`;
    this.concurrency = options.concurrency ?? 2;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 500;
    this.backoffMs = options.backoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 300_000;
  }

  start(): void {
    if (this.loop !== undefined) return;
    const onChange = (): void => this.wake?.();
    this.queue.changes.on('change', onChange);
    this.loop = this.run().finally(() => this.queue.changes.off('change', onChange));
  }

  /** Stops claiming, aborts running handlers, and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.wake?.();
    await this.loop;
    await Promise.allSettled(this.running.values());
  }

  /** Claims and runs at most one task now; for tests and one-shot CLI runs. */
  async runOnce(): Promise<boolean> {
    const row = await this.claim();
    if (row === undefined) return false;
    await this.execute(row);
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopController.signal.aborted) {
      let claimed = false;
      while (this.running.size < this.concurrency && !this.stopController.signal.aborted) {
        const row = await this.claim().catch(() => undefined);
        if (row === undefined) break;
        claimed = true;
        const execution = this.execute(row).finally(() => {
          this.running.delete(row.id);
          this.wake?.();
        });
        this.running.set(row.id, execution);
      }
      if (claimed && this.running.size < this.concurrency) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async claim(): Promise<TasksTable | undefined> {
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return undefined;
    const now = Date.now();
    const lockClause = this.store.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<TasksTable>`
      update tasks set
        status = 'running', lease_owner = ${this.owner}, lease_expires_at = ${now + this.leaseMs},
        attempts = attempts + 1, started_at = coalesce(started_at, ${now}), updated_at = ${now}
      where id = (
        select id from tasks
        where kind in (${sql.join(kinds)})
          and ((status = 'queued' and run_at <= ${now}) or (status = 'running' and lease_expires_at < ${now}))
        order by run_at, id
        limit 1
        ${lockClause}
      )
      returning *`.execute(this.store.db);
    return result.rows[0];
  }

  private async execute(row: TasksTable): Promise<void> {
    const handler = this.handlers.get(row.kind);
    const task = toTask(row);
    if (handler === undefined) return;
    if (row.attempts > row.max_attempts) {
      await this.finish(row.id, 'failed', null, {
        code: 'internal',
        message: `gave up after ${row.max_attempts} attempts`,
      });
      return;
    }
    const controller = new AbortController();
    const onStop = (): void => controller.abort(new Error('worker stopping'));
    this.stopController.signal.addEventListener('abort', onStop);
    let pending: { done: number; total: number; message: string } | undefined;
    let lastWrite = 0;
    const flushProgress = async (): Promise<void> => {
      if (pending === undefined) return;
      const { done, total, message } = pending;
      pending = undefined;
      lastWrite = Date.now();
      await this.store.db
        .updateTable('tasks')
        .set({
          progress_done: done,
          progress_total: total,
          progress_message: message,
          updated_at: lastWrite,
        })
        .where('id', '=', row.id)
        .where('lease_owner', '=', this.owner)
        .execute();
      this.queue.changes.emit('change', row.id);
    };
    let progressWrite: Promise<void> = Promise.resolve();
    const heartbeat = setInterval(
      () => {
        void this.renewLease(row.id).then((held) => {
          if (!held) controller.abort(new Error('lease lost or task cancelled'));
        });
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    try {
      const result = await handler(task.payload, {
        task,
        signal: controller.signal,
        progress: (done, total, message) => {
          pending = {
            done,
            total: total ?? pending?.total ?? row.progress_total,
            message: message ?? pending?.message ?? '',
          };
          if (Date.now() - lastWrite >= this.progressIntervalMs) {
            progressWrite = progressWrite.then(flushProgress).catch(() => undefined);
          }
        },
      });
      await progressWrite;
      await flushProgress().catch(() => undefined);
      await this.finish(row.id, 'succeeded', result ?? null, null);
    } catch (thrown) {
      await progressWrite;
      const error = asDrivetrainError(thrown);
      this.options.onError?.(task, error);
      const problem = { code: error.code, message: error.message };
      if (controller.signal.aborted) {
        // Cancelled, lease lost, or stopping: whoever holds the task now decides its fate.
        if (this.stopController.signal.aborted) await this.release(row.id, problem);
      } else if (!permanentCodes.has(error.code) && row.attempts < row.max_attempts) {
        await this.retryLater(row.id, row.attempts, problem);
      } else {
        await this.finish(row.id, 'failed', null, problem);
      }
    } finally {
      clearInterval(heartbeat);
      this.stopController.signal.removeEventListener('abort', onStop);
    }
  }

  private async renewLease(id: string): Promise<boolean> {
    const now = Date.now();
    const updated = await this.store.db
      .updateTable('tasks')
      .set({ lease_expires_at: now + this.leaseMs, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', this.owner)
      .executeTakeFirst()
      .catch(() => undefined);
    // A failed write is not a lost lease: the lease is still valid until it expires.
    return updated === undefined || Number(updated.numUpdatedRows) === 1;
  }

  private async finish(
    id: string,
    status: 'succeeded' | 'failed',
    result: unknown,
    error: unknown,
  ): Promise<void> {
    const now = Date.now();
    await this.store.db
      .updateTable('tasks')
      .set({
        status,
        // A task that succeeded did all its work, whatever step it last reported: its progress
        // reads complete rather than stopping at the last step's start.
        ...(status === 'succeeded'
          ? {
              progress_done: sql<number>`case when progress_total > 0 then progress_total else progress_done end`,
            }
          : {}),
        result: result === null ? null : JSON.stringify(result),
        error: error === null ? null : JSON.stringify(error),
        finished_at: now,
        updated_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', this.owner)
      .execute();
    this.queue.changes.emit('change', id);
  }

  private async retryLater(id: string, attempts: number, error: unknown): Promise<void> {
    const now = Date.now();
    await this.store.db
      .updateTable('tasks')
      .set({
        status: 'queued',
        run_at: now + retryDelay(attempts, this.backoffMs, this.maxBackoffMs),
        error: JSON.stringify(error),
        updated_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', this.owner)
      .execute();
    this.queue.changes.emit('change', id);
  }

  /** Hands a task back at once when this worker stops, so another can take it without waiting. */
  private async release(id: string, error: unknown): Promise<void> {
    const now = Date.now();
    await this.store.db
      .updateTable('tasks')
      .set({
        status: 'queued',
        attempts: sql<number>`attempts - 1`,
        run_at: now,
        error: JSON.stringify(error),
        updated_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', this.owner)
      .execute();
  }
}
