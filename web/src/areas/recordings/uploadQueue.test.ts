import { describe, expect, it } from 'vitest';
import { MemoryUploads } from './memory-uploads.js';
import { UploadQueue, type QueuedUpload } from './uploadQueue.js';

const fileOf = (name: string, size: number) =>
  Object.assign(new Blob([Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) % 256)]), {
    name,
  });

/** Resolves once the queue shows a state the test waits for. */
function until(
  queue: UploadQueue,
  check: (uploads: readonly QueuedUpload[]) => boolean,
): Promise<readonly QueuedUpload[]> {
  return new Promise((resolve) => {
    if (check(queue.snapshot())) {
      resolve(queue.snapshot());
      return;
    }
    const stop = queue.subscribe(() => {
      if (!check(queue.snapshot())) return;
      stop();
      resolve(queue.snapshot());
    });
  });
}

/** A gate per part number that the test opens, and a promise for when a part reaches it. */
function gates() {
  const waiting = new Map<number, () => void>();
  const arrivals = new Map<number, () => void>();
  return {
    gate: (number: number) =>
      new Promise<void>((resolve) => {
        waiting.set(number, resolve);
        arrivals.get(number)?.();
      }),
    open: (number: number) => waiting.get(number)?.(),
    reached: (number: number) =>
      new Promise<void>((resolve) =>
        waiting.has(number) ? resolve() : arrivals.set(number, resolve),
      ),
  };
}

const stateOf = (uploads: readonly QueuedUpload[], name: string) =>
  uploads.find((u) => u.name === name)?.state;

describe('UploadQueue', () => {
  it('uploads the files one after the other and reports each recording', async () => {
    const server = new MemoryUploads(4);
    const done: string[] = [];
    const queue = new UploadQueue(server, { onDone: (o) => done.push(o.recordingId) });
    queue.add([fileOf('a.mcap', 10), fileOf('b.mcap', 5)], { team: 'fleet', vehicle: 'veh-001' });
    const uploads = await until(queue, (u) => u.every((x) => x.state === 'done'));
    expect(uploads.map((u) => [u.name, u.sent, u.uploadId, u.outcome?.recordingId])).toEqual([
      ['a.mcap', 10, 'upl_1', 'rec_1'],
      ['b.mcap', 5, 'upl_2', 'rec_2'],
    ]);
    expect(done).toEqual(['rec_1', 'rec_2']);
    // One at a time: the second file starts after the first completed.
    const kinds = server.calls.map((c) => c.kind);
    expect(kinds.lastIndexOf('start')).toBeGreaterThan(kinds.indexOf('complete'));
    expect(server.assembled.get('upl_2')).toEqual(
      new Uint8Array(await fileOf('b.mcap', 5).arrayBuffer()),
    );
  });

  it('pauses a file, goes on with the next, and resumes it from the parts the server has', async () => {
    const server = new MemoryUploads(4);
    const { gate, open, reached } = gates();
    server.gate = async (number) => {
      if (server.calls.filter((c) => c.kind === 'start').length === 1 && number === 2)
        await gate(number);
    };
    const queue = new UploadQueue(server);
    queue.add([fileOf('a.mcap', 10), fileOf('b.mcap', 3)], {});
    await reached(2);
    const first = queue.snapshot()[0];
    expect(first?.sent).toBe(4);
    queue.pause(first?.key ?? 0);
    await until(queue, (u) => stateOf(u, 'b.mcap') === 'done');
    expect(stateOf(queue.snapshot(), 'a.mcap')).toBe('paused');

    server.gate = undefined;
    open(2);
    queue.resume(first?.key ?? 0);
    const uploads = await until(queue, (u) => stateOf(u, 'a.mcap') === 'done');
    expect(uploads[0]?.uploadId).toBe('upl_1');
    expect(
      server.calls.filter((c) => c.id === 'upl_1').map((c) => `${c.kind} ${c.number ?? ''}`),
    ).toEqual(['put 1', 'put 2', 'get ', 'put 2', 'put 3', 'complete ']);
    expect(server.resends).toBe(0);
    expect(server.assembled.get('upl_1')).toEqual(
      new Uint8Array(await fileOf('a.mcap', 10).arrayBuffer()),
    );
  });

  it('cancels a file being sent and removes its parts from the server', async () => {
    const server = new MemoryUploads(4);
    const { gate, reached } = gates();
    server.gate = (number) => (number === 2 ? gate(number) : Promise.resolve());
    const queue = new UploadQueue(server);
    queue.add([fileOf('a.mcap', 10)], {});
    await reached(2);
    queue.cancel(queue.snapshot()[0]?.key ?? 0);
    const [cancelled] = await until(queue, (u) => u[0]?.state === 'cancelled');
    expect(cancelled?.error).toBeUndefined();
    expect(server.uploads.has('upl_1')).toBe(false);
    expect(server.calls.map((c) => c.kind)).toEqual(['start', 'put', 'put', 'abort']);
  });

  it('keeps a failed file with its error, and resumes it on request', async () => {
    let refuse = true;
    const server = new MemoryUploads(4, (call) =>
      refuse && call.kind === 'put' && call.number === 2 ? 'refused' : undefined,
    );
    const queue = new UploadQueue(server);
    queue.add([fileOf('a.mcap', 10)], {});
    const [failed] = await until(queue, (u) => u[0]?.state === 'failed');
    expect(failed?.error).toMatchObject({ detail: 'part 2 must be 4 bytes' });
    refuse = false;
    queue.resume(failed?.key ?? 0);
    const [done] = await until(queue, (u) => u[0]?.state === 'done');
    expect(done?.error).toBeUndefined();
    expect(server.puts()).toEqual([1, 2, 2, 3]);
  });

  it('says when the connection is being tried again', async () => {
    let drops = 1;
    const server = new MemoryUploads(4, (call) =>
      call.kind === 'put' && drops-- > 0 ? 'lost-request' : undefined,
    );
    const queue = new UploadQueue(server, { firstDelayMs: 0 });
    const seen: QueuedUpload[] = [];
    queue.subscribe(() => seen.push(...queue.snapshot()));
    queue.add([fileOf('a.mcap', 6)], {});
    await until(queue, (u) => u[0]?.state === 'done');
    expect(seen.some((u) => u.retrying?.attempt === 1)).toBe(true);
    expect(queue.snapshot()[0]?.retrying).toBeUndefined();
  });

  it('refuses an empty file without calling the server', () => {
    const server = new MemoryUploads(4);
    const queue = new UploadQueue(server);
    queue.add([fileOf('empty.mcap', 0)], {});
    expect(queue.snapshot()[0]).toMatchObject({ state: 'failed' });
    expect(String(queue.snapshot()[0]?.error)).toContain('the file is empty');
    expect(server.calls).toEqual([]);
  });

  it('measures the rate from the clock it is given', async () => {
    let now = 0;
    const server = new MemoryUploads(4);
    server.gate = async () => {
      now += 1_000;
    };
    const queue = new UploadQueue(server, { now: () => now });
    const rates: (number | undefined)[] = [];
    queue.subscribe(() => rates.push(queue.snapshot()[0]?.rate));
    queue.add([fileOf('a.mcap', 12)], {});
    await until(queue, (u) => u[0]?.state === 'done');
    // Four bytes a part, a part a second.
    expect(rates.filter((r) => r !== undefined).at(-1)).toBe(4);
  });

  it('takes finished files off the list, but not ones still going', async () => {
    const server = new MemoryUploads(4);
    const queue = new UploadQueue(server);
    queue.add([fileOf('a.mcap', 3)], {});
    const [done] = await until(queue, (u) => u[0]?.state === 'done');
    queue.dismiss(done?.key ?? 0);
    expect(queue.snapshot()).toEqual([]);
  });
});
