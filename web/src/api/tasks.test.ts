import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiClient } from './client.js';
import { watchTask } from './tasks.js';
import type { Task, TaskStatus } from './types.js';

function task(status: TaskStatus, done: number, at: number): Task {
  return {
    id: 'task_1',
    kind: 'ingest',
    payload: {},
    status,
    attempts: 1,
    maxAttempts: 5,
    progress: { done, total: 10, message: `Schritt ${done} – Fahrt geprüft` },
    result: null,
    error: null,
    teamId: null,
    createdBy: 'user:usr_1',
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(at).toISOString(),
    runAt: new Date(0).toISOString(),
    startedAt: new Date(0).toISOString(),
    finishedAt: status === 'succeeded' ? new Date(at).toISOString() : null,
  };
}

const sse = (tasks: readonly Task[]): string =>
  `: keep-alive\n\n${tasks.map((t) => `event: task\ndata: ${JSON.stringify(t)}\n\n`).join('')}`;

/** A response streaming `text` in the given chunk sizes, as a slow network would. */
function streamed(text: string, cuts: readonly number[] = []): Response {
  const bytes = new TextEncoder().encode(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  );
}

function clientAnswering(...answers: (() => Response)[]) {
  const urls: string[] = [];
  const headers: unknown[] = [];
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    urls.push(input instanceof Request ? input.url : input.toString());
    headers.push(init?.headers);
    const answer = answers.shift();
    if (answer === undefined) return Promise.reject(new TypeError('no more answers'));
    return Promise.resolve(answer());
  }) as typeof fetch;
  return { client: new ApiClient({ token: () => 'dt_x', fetch: fetchImpl }), urls, headers };
}

describe('watchTask', () => {
  it('reports every state the stream sends until the task finishes, with the token', async () => {
    const states = [task('running', 1, 1), task('running', 5, 2), task('succeeded', 10, 3)];
    const { client, urls, headers } = clientAnswering(() => streamed(sse(states)));
    const seen: Task[] = [];
    const last = await watchTask(
      client,
      'task_1',
      (t) => seen.push(t),
      new AbortController().signal,
      1,
    );
    expect(seen).toEqual(states);
    expect(last?.status).toBe('succeeded');
    expect(urls).toEqual(['/tasks/task_1/events']);
    expect(headers[0]).toMatchObject({ authorization: 'Bearer dt_x', accept: 'text/event-stream' });
  });

  it('parses the same events however the stream is cut into chunks', async () => {
    const states = [task('queued', 0, 1), task('running', 3, 2), task('failed', 3, 3)];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 5000 }), { maxLength: 40 }), async (cuts) => {
        const { client } = clientAnswering(() => streamed(sse(states), cuts));
        const seen: Task[] = [];
        await watchTask(client, 'task_1', (t) => seen.push(t), new AbortController().signal, 1);
        expect(seen).toEqual(states);
      }),
      { numRuns: 50 },
    );
  });

  it('opens the stream again when it ends before the task finished', async () => {
    const { client, urls } = clientAnswering(
      () => streamed(sse([task('running', 2, 1)])),
      () => new Response('', { status: 503, headers: { 'content-type': 'text/plain' } }),
      () => streamed(sse([task('running', 6, 2), task('succeeded', 10, 3)])),
    );
    const seen: number[] = [];
    const last = await watchTask(
      client,
      'task_1',
      (t) => seen.push(t.progress.done),
      new AbortController().signal,
      1,
    );
    expect(seen).toEqual([2, 6, 10]);
    expect(last?.status).toBe('succeeded');
    expect(urls).toHaveLength(3);
  });

  it('ends with the error when the task cannot be seen', async () => {
    const { client } = clientAnswering(() =>
      Response.json({ detail: "task 'task_1' not found", code: 'not_found' }, { status: 404 }),
    );
    await expect(
      watchTask(client, 'task_1', () => undefined, new AbortController().signal, 1),
    ).rejects.toThrow("task 'task_1' not found");
  });

  it('ends with an error naming the event when its data is not JSON', async () => {
    const { client } = clientAnswering(() => streamed('event: task\ndata: {broken\n\n'));
    await expect(
      watchTask(client, 'task_1', () => undefined, new AbortController().signal, 1),
    ).rejects.toThrow("the server sent a 'task' event whose data is not JSON");
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const { client } = clientAnswering(
      () => streamed(sse([task('running', 1, 1)])),
      () => streamed(sse([task('running', 2, 2)])),
    );
    const seen: number[] = [];
    const last = await watchTask(
      client,
      'task_1',
      (t) => {
        seen.push(t.progress.done);
        controller.abort();
      },
      controller.signal,
      1,
    );
    expect(seen).toEqual([1]);
    expect(last?.status).toBe('running');
  });
});
