import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageSize, toPage, type Page } from '../pagination.js';
import { isUniqueViolation } from '../store/constraints.js';
import type { Store } from '../store/store.js';
import type { PlatformTables, TasksTable } from '../store/tables.js';
import { toTask, type Task, type TaskStatus } from './task.js';

export interface TaskSpec {
  readonly kind: string;
  readonly payload: unknown;
  /** Enqueueing the same key twice yields the first task: the caller's retry is harmless. */
  readonly idempotencyKey?: string;
  readonly maxAttempts?: number;
  readonly runAt?: Date;
  readonly teamId?: string | null;
  readonly createdBy: string;
}

export interface TaskListQuery {
  readonly kind?: string;
  readonly status?: TaskStatus;
  /** Only tasks of these teams, and those created by `createdBy` whatever their team. */
  readonly teamIds?: readonly string[];
  readonly createdBy?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * The durable queue of platform tasks, stored in the metadata store. Workers (this process or
 * others) claim tasks with leases; `changes` tells same-process listeners (workers to wake up,
 * SSE streams) that a task changed.
 */
export class TaskQueue {
  readonly changes = new EventEmitter<{ change: [taskId: string] }>();

  constructor(private readonly store: Store) {
    this.changes.setMaxListeners(0);
  }

  /** Adds a task; inside `trx` when the task must commit together with other writes. */
  async enqueue(spec: TaskSpec, trx?: Kysely<PlatformTables>): Promise<Task> {
    const now = Date.now();
    const row: TasksTable = {
      id: newId('task'),
      kind: spec.kind,
      payload: JSON.stringify(spec.payload),
      status: 'queued',
      attempts: 0,
      max_attempts: spec.maxAttempts ?? 5,
      run_at: spec.runAt?.getTime() ?? now,
      lease_owner: null,
      lease_expires_at: null,
      progress_done: 0,
      progress_total: 0,
      progress_message: '',
      result: null,
      error: null,
      idempotency_key: spec.idempotencyKey ?? null,
      team_id: spec.teamId ?? null,
      created_by: spec.createdBy,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
    };
    const db = trx ?? this.store.db;
    if (spec.idempotencyKey !== undefined) {
      const existing = await db
        .selectFrom('tasks')
        .selectAll()
        .where('idempotency_key', '=', spec.idempotencyKey)
        .executeTakeFirst();
      if (existing !== undefined) return toTask(existing);
    }
    try {
      await db.insertInto('tasks').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error) && spec.idempotencyKey !== undefined) {
        const existing = await db
          .selectFrom('tasks')
          .selectAll()
          .where('idempotency_key', '=', spec.idempotencyKey)
          .executeTakeFirst();
        if (existing !== undefined) return toTask(existing);
      }
      throw error;
    }
    this.changes.emit('change', row.id);
    return toTask(row);
  }

  async get(id: string): Promise<Task> {
    const row = await this.store.db
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('task', id);
    return toTask(row);
  }

  /** Newest first. */
  async list(query: TaskListQuery = {}): Promise<Page<Task>> {
    const limit = pageSize(query.limit);
    let select = this.store.db
      .selectFrom('tasks')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.kind !== undefined) select = select.where('kind', '=', query.kind);
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    if (query.teamIds !== undefined) {
      const { teamIds, createdBy } = query;
      if (teamIds.length === 0 && createdBy === undefined) return { items: [], next: null };
      select = select.where((eb) =>
        eb.or([
          ...(teamIds.length === 0 ? [] : [eb('team_id', 'in', teamIds)]),
          ...(createdBy === undefined ? [] : [eb('created_by', '=', createdBy)]),
        ]),
      );
    }
    if (query.cursor !== undefined)
      select = select.where('id', '<', String(decodeCursor(query.cursor, 1)[0]));
    return toPage(await select.execute(), limit, (r) => [r.id], toTask);
  }

  /** Cancels a queued or running task; a running handler sees its abort signal at its next heartbeat. */
  async cancel(id: string): Promise<Task> {
    const now = Date.now();
    const updated = await this.store.db
      .updateTable('tasks')
      .set({
        status: 'cancelled',
        finished_at: now,
        updated_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      const task = await this.get(id);
      throw new Conflict(`task ${id} is already ${task.status}`, { status: task.status });
    }
    this.changes.emit('change', id);
    return this.get(id);
  }

  /** Counts of tasks per kind and status (for /metrics). */
  async counts(): Promise<{ kind: string; status: string; count: number }[]> {
    const rows = await this.store.db
      .selectFrom('tasks')
      .select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy(['kind', 'status'])
      .execute();
    return rows.map((r) => ({ kind: r.kind, status: r.status, count: Number(r.count) }));
  }
}
