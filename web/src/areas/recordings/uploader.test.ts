import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Upload } from '../../api/index.js';
import { fingerprint, MemoryUploads, type Fault } from './memory-uploads.js';
import { partRange, RateMeter, uploadFile } from './uploader.js';

const fileOf = (size: number, seed = 7): { blob: Blob; bytes: Uint8Array } => {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251);
  return { blob: new Blob([bytes]), bytes };
};

const describe_ = { name: 'drive.mcap', team: 'fleet', vehicle: 'veh-001' };

describe('partRange', () => {
  it('cuts the file into parts of partSize, the last one the rest', () => {
    expect([1, 2, 3].map((n) => partRange(n, 4, 10))).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
    ]);
  });
});

describe('uploadFile', () => {
  it('sends the parts in sequence and completes; the server holds the file byte for byte', async () => {
    const server = new MemoryUploads(4);
    const { blob, bytes } = fileOf(10);
    const progress: number[] = [];
    const started: Upload[] = [];
    const outcome = await uploadFile({
      service: server,
      file: blob,
      describe: describe_,
      signal: new AbortController().signal,
      onUpload: (u) => started.push(u),
      onProgress: (sent) => progress.push(sent),
    });
    expect(outcome).toEqual({ recordingId: 'rec_1', duplicate: false });
    expect(server.calls.map((c) => c.kind)).toEqual(['start', 'put', 'put', 'put', 'complete']);
    expect(server.puts()).toEqual([1, 2, 3]);
    expect([...(server.uploads.get('upl_1')?.parts.values() ?? [])].map((p) => p.length)).toEqual([
      4, 4, 2,
    ]);
    expect(server.file).toEqual(bytes);
    expect(started[0]?.id).toBe('upl_1');
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[progress.length - 1]).toBe(10);
  });

  it('after a dropped connection asks which parts arrived and sends only the missing ones', async () => {
    // Part 2 is stored but its answer is lost; part 3's request is lost.
    const server: MemoryUploads = new MemoryUploads(4, (call): Fault | undefined =>
      call.kind === 'put' && call.number === 2 && !server.uploads.get('upl_1')?.parts.has(2)
        ? 'lost-answer'
        : call.kind === 'put' &&
            call.number === 3 &&
            server.puts().filter((n) => n === 3).length === 1
          ? 'lost-request'
          : undefined,
    );
    const { blob, bytes } = fileOf(10);
    const retries: number[] = [];
    await uploadFile({
      service: server,
      file: blob,
      describe: describe_,
      signal: new AbortController().signal,
      onRetry: (error, attempt) => {
        expect(error.code).toBe('network');
        retries.push(attempt);
      },
      firstDelayMs: 0,
    });
    expect(
      server.calls.map((c) => (c.number === undefined ? c.kind : `${c.kind} ${c.number}`)),
    ).toEqual(['start', 'put 1', 'put 2', 'get', 'put 3', 'get', 'put 3', 'complete']);
    expect(retries).toEqual([1, 1]);
    expect(server.file).toEqual(bytes);
  });

  it('resumes an interrupted upload by id, sending only what the server lacks', async () => {
    const { blob, bytes } = fileOf(13);
    const server = new MemoryUploads(4);
    await server.start({ name: 'drive.mcap', size: 13 });
    await server.putPart('upl_1', 1, blob.slice(0, 4), {});
    await server.putPart('upl_1', 3, blob.slice(8, 12), {});
    server.calls.length = 0;
    const progress: number[] = [];
    await uploadFile({
      service: server,
      file: blob,
      describe: describe_,
      resumeId: 'upl_1',
      signal: new AbortController().signal,
      onProgress: (sent) => progress.push(sent),
    });
    expect(server.puts()).toEqual([2, 4]);
    expect(progress[0]).toBe(8);
    expect(server.file).toEqual(bytes);
  });

  it('refuses to resume an upload made for a file of another size', async () => {
    const server = new MemoryUploads(4);
    await server.start({ name: 'drive.mcap', size: 12 });
    await expect(
      uploadFile({
        service: server,
        file: fileOf(13).blob,
        describe: describe_,
        resumeId: 'upl_1',
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow('upload upl_1 is for a file of 12 bytes, but this file has 13');
  });

  it('stops at once on an error the server means, and gives up after the retries', async () => {
    const refused = new MemoryUploads(4, (call) =>
      call.kind === 'put' && call.number === 2 ? 'refused' : undefined,
    );
    await expect(
      uploadFile({
        service: refused,
        file: fileOf(10).blob,
        describe: describe_,
        signal: new AbortController().signal,
        firstDelayMs: 0,
      }),
    ).rejects.toMatchObject({ status: 400, detail: 'part 2 must be 4 bytes' });
    expect(refused.puts()).toEqual([1, 2]);

    const down = new MemoryUploads(4, (call) => (call.kind === 'put' ? 'unavailable' : undefined));
    const delays: number[] = [];
    await expect(
      uploadFile({
        service: down,
        file: fileOf(10).blob,
        describe: describe_,
        signal: new AbortController().signal,
        retries: 3,
        firstDelayMs: 1,
        onRetry: (_error, _attempt, delayMs) => delays.push(delayMs),
      }),
    ).rejects.toMatchObject({ status: 503 });
    expect(down.puts()).toEqual([1, 1, 1, 1]);
    expect(delays).toEqual([1, 2, 4]);
  });

  it('finds the upload complete when the answer to completing was lost', async () => {
    const server: MemoryUploads = new MemoryUploads(4, (call): Fault | undefined =>
      call.kind === 'complete' && server.file === undefined ? 'lost-answer' : undefined,
    );
    const outcome = await uploadFile({
      service: server,
      file: fileOf(6).blob,
      describe: describe_,
      signal: new AbortController().signal,
      firstDelayMs: 0,
    });
    expect(outcome).toEqual({ recordingId: 'rec_1', duplicate: null });
    expect(server.calls.filter((c) => c.kind === 'complete')).toHaveLength(1);
  });

  it('says when the content was a recording already', async () => {
    const { blob, bytes } = fileOf(6);
    const server = new MemoryUploads(4, undefined, new Set([fingerprint(bytes)]));
    const outcome = await uploadFile({
      service: server,
      file: blob,
      describe: describe_,
      signal: new AbortController().signal,
    });
    expect(outcome.duplicate).toBe(true);
  });

  it('stops when aborted, also while waiting to try again', async () => {
    const controller = new AbortController();
    const server = new MemoryUploads(4, (call) => {
      if (call.kind !== 'put') return undefined;
      controller.abort();
      return 'lost-request';
    });
    await expect(
      uploadFile({
        service: server,
        file: fileOf(10).blob,
        describe: describe_,
        signal: controller.signal,
        firstDelayMs: 60_000,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.puts()).toEqual([1]);

    const waiting = new AbortController();
    const slow = new MemoryUploads(4, (call) => (call.kind === 'put' ? 'lost-request' : undefined));
    const pending = uploadFile({
      service: slow,
      file: fileOf(10).blob,
      describe: describe_,
      signal: waiting.signal,
      firstDelayMs: 60_000,
      onRetry: () => waiting.abort(),
    });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('delivers the file whole whatever the sizes and however the connection fails', async () => {
    const faults: Fault[] = ['lost-request', 'lost-answer', 'unavailable'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.option(fc.constantFrom(...faults), { freq: 3 }), { maxLength: 60 }),
        async (size, partSize, schedule) => {
          const server = new MemoryUploads(partSize, (call, index) =>
            call.kind === 'start' ? undefined : (schedule[index] ?? undefined),
          );
          const { blob, bytes } = fileOf(size, size);
          let last = 0;
          const outcome = await uploadFile({
            service: server,
            file: blob,
            describe: describe_,
            signal: new AbortController().signal,
            firstDelayMs: 0,
            retries: schedule.length,
            onProgress: (sent) => {
              expect(sent).toBeLessThanOrEqual(size);
              last = sent;
            },
          });
          expect(outcome.recordingId).toBe('rec_1');
          expect(server.file).toEqual(bytes);
          expect(last).toBe(size);
          expect(server.resends).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('RateMeter', () => {
  it('measures bytes per second over the recent window', () => {
    const meter = new RateMeter(5_000);
    meter.add(0, 0);
    expect(meter.rate()).toBeUndefined();
    meter.add(500, 1_000);
    expect(meter.rate()).toBeUndefined();
    meter.add(2_000, 4_000);
    expect(meter.rate()).toBe(2_000);
    // A slowdown shows once the fast samples leave the window.
    for (let t = 3_000; t <= 10_000; t += 1_000) meter.add(t, 4_000 + (t - 2_000) / 10);
    expect(meter.rate()).toBeCloseTo(100, 0);
  });

  it('starts afresh when the count goes back (a resumed upload)', () => {
    const meter = new RateMeter();
    meter.add(0, 5_000);
    meter.add(2_000, 9_000);
    meter.add(2_500, 1_000);
    expect(meter.rate()).toBeUndefined();
  });
});
