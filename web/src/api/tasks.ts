import { fillPath, type ApiClient } from './client.js';
import { eventData, followEvents } from './events.js';
import { ApiError } from './problem.js';
import type { Page, Task, TaskQuery, TaskStatus } from './types.js';

const finished: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** True once a task will not change any more. */
export function isFinished(task: Task): boolean {
  return finished.has(task.status);
}

/** Platform tasks: ingests, dataset builds, compressions … with their progress. */
export function tasksApi(client: ApiClient) {
  return {
    list: (query: TaskQuery = {}, signal?: AbortSignal) =>
      client.get<Page<Task>>('/tasks', { ...query }, signal),
    get: (id: string) => client.get<Task>(fillPath('/tasks/:id', { id })),
    cancel: (id: string) => client.post<Task>(fillPath('/tasks/:id/cancel', { id }), undefined),
    watch: (id: string, onTask: (task: Task) => void, signal: AbortSignal, retryMs?: number) =>
      watchTask(client, id, onTask, signal, retryMs),
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Calls `onTask` with the task each time it changes (SSE `GET /tasks/:id/events`) until it
 * finishes or `signal` aborts. A dropped connection is opened again after `retryMs`; an error
 * answer (not found, forbidden, signed out) ends the watch with that error.
 */
export async function watchTask(
  client: ApiClient,
  id: string,
  onTask: (task: Task) => void,
  signal: AbortSignal,
  retryMs = 2_000,
): Promise<Task | undefined> {
  let last: Task | undefined;
  while (!signal.aborted && (last === undefined || !isFinished(last))) {
    try {
      await followEvents(
        client,
        fillPath('/tasks/:id/events', { id }),
        (message) => {
          if (message.event !== 'task') return;
          last = eventData<Task>(message);
          onTask(last);
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) break;
      const dropped =
        !(error instanceof ApiError) || error.code === 'network' || error.status >= 500;
      if (!dropped) throw error;
    }
    if (last === undefined || !isFinished(last)) await pause(retryMs, signal);
  }
  return last;
}
