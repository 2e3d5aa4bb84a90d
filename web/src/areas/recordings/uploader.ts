import {
  ApiError,
  type AddedRecording,
  type NewUpload,
  type Upload,
  type UploadPart,
} from '../../api/index.js';

/** The calls a resumable upload makes (`api.recordings.uploads`). */
export interface UploadService {
  start(upload: NewUpload): Promise<Upload>;
  get(id: string, signal?: AbortSignal): Promise<Upload>;
  putPart(
    id: string,
    number: number,
    part: Blob,
    options: { signal?: AbortSignal; onProgress?: (sent: number) => void },
  ): Promise<UploadPart>;
  complete(id: string): Promise<AddedRecording>;
}

/** What came of an upload: the recording, and whether it was there already. */
export interface UploadOutcome {
  readonly recordingId: string;
  /** Null when the answer to completing was lost and the upload was found complete afterwards. */
  readonly duplicate: boolean | null;
}

export interface UploadOptions {
  readonly service: UploadService;
  readonly file: Blob;
  /** Name, team and vehicle of a new upload. */
  readonly describe: Omit<NewUpload, 'size'>;
  /** An upload of this file that was interrupted: only its missing parts are sent. */
  readonly resumeId?: string | undefined;
  readonly signal: AbortSignal;
  /** Told the upload as soon as it exists, so it can be resumed or abandoned by id. */
  readonly onUpload?: (upload: Upload) => void;
  /** Told the bytes of the file that reached the server, counting parts sent before. */
  readonly onProgress?: (sent: number) => void;
  /** Told when the connection failed and the upload waits to try again. */
  readonly onRetry?: (error: ApiError, attempt: number, delayMs: number) => void;
  /** Tries per step before giving up; the wait doubles each time. */
  readonly retries?: number;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** The byte range [start, end) of part `number` (from 1). */
export function partRange(
  number: number,
  partSize: number,
  size: number,
): { start: number; end: number } {
  const start = (number - 1) * partSize;
  return { start, end: Math.min(size, start + partSize) };
}

/** Whether an error may pass by trying again: no answer, or the server was briefly unwell. */
export function isTransient(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.code === 'network' || error.status >= 500);
}

function checkPlan(upload: Upload, size: number): void {
  if (upload.size !== size) {
    throw new Error(
      `upload ${upload.id} is for a file of ${upload.size} bytes, but this file has ${size}`,
    );
  }
  if (
    !Number.isSafeInteger(upload.partSize) ||
    upload.partSize < 1 ||
    upload.partCount !== Math.ceil(size / upload.partSize)
  ) {
    throw new Error(
      `upload ${upload.id} has ${upload.partCount} parts of ${upload.partSize} bytes, which do not make ${size} bytes`,
    );
  }
}

/** Part numbers the server holds whole. */
function arrived(upload: Upload): Set<number> {
  const have = new Set<number>();
  for (const part of upload.parts) {
    const { start, end } = partRange(part.number, upload.partSize, upload.size);
    if (part.number >= 1 && part.number <= upload.partCount && part.size === end - start)
      have.add(part.number);
  }
  return have;
}

function abortError(): DOMException {
  return new DOMException('the upload was stopped', 'AbortError');
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    function stop(): void {
      clearTimeout(timer);
      reject(abortError());
    }
    signal.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Uploads a file with the resumable API: parts in sequence, each a slice of the file read as it
 * is sent. When the connection fails it waits, asks the server which parts arrived
 * (`GET /uploads/:id`) and goes on from the first missing one; an error the server means (a
 * refusal, a bad part) ends the upload at once. Resolves with the recording once completed.
 */
export async function uploadFile(options: UploadOptions): Promise<UploadOutcome> {
  const { service, file, signal } = options;
  const retries = options.retries ?? 6;
  const firstDelayMs = options.firstDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;

  /**
   * Runs a step, trying again after transient failures (each step has its own count);
   * `recover` runs before each new try.
   */
  async function step<T>(run: () => Promise<T>, recover?: () => Promise<void>): Promise<T> {
    for (let failures = 0; ; failures += 1) {
      try {
        return await run();
      } catch (error) {
        if (signal.aborted) throw abortError();
        if (!isTransient(error) || failures >= retries) throw error;
        const delayMs = Math.min(maxDelayMs, firstDelayMs * 2 ** failures);
        options.onRetry?.(error, failures + 1, delayMs);
        await wait(delayMs, signal);
        if (recover !== undefined) await step(recover);
      }
    }
  }

  let upload =
    options.resumeId === undefined
      ? await service.start({ ...options.describe, size: file.size })
      : await step(() => service.get(options.resumeId ?? '', signal));
  checkPlan(upload, file.size);
  options.onUpload?.(upload);
  if (signal.aborted) throw abortError();
  if (upload.completedAt !== null && upload.recordingId !== null)
    return { recordingId: upload.recordingId, duplicate: null };

  let have = arrived(upload);
  const id = upload.id;
  /** Bytes of the parts the server holds. */
  const held = (): number => {
    let bytes = 0;
    for (const n of have) {
      const { start, end } = partRange(n, upload.partSize, file.size);
      bytes += end - start;
    }
    return bytes;
  };
  const refresh = async (): Promise<void> => {
    upload = await service.get(id, signal);
    have = arrived(upload);
  };
  options.onProgress?.(held());

  for (let number = 1; number <= upload.partCount; number += 1) {
    if (have.has(number)) continue;
    const { start, end } = partRange(number, upload.partSize, file.size);
    await step(async () => {
      // After a refresh the part may have arrived after all (its answer was what got lost).
      if (have.has(number)) return;
      const base = held();
      await service.putPart(id, number, file.slice(start, end), {
        signal,
        onProgress: (sent) => options.onProgress?.(base + Math.min(sent, end - start)),
      });
      have.add(number);
      options.onProgress?.(base + end - start);
    }, refresh);
  }

  return step(async () => {
    if (upload.completedAt !== null && upload.recordingId !== null)
      return { recordingId: upload.recordingId, duplicate: null };
    const added = await service.complete(id);
    return { recordingId: added.recording.id, duplicate: added.duplicate };
  }, refresh);
}

/**
 * The rate of a transfer over the last `windowMs`, from samples of the bytes sent so far; smooth
 * enough to read, recent enough to show a slowdown.
 */
export class RateMeter {
  private samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 5_000) {}

  /** Notes that `bytes` had been sent at time `at` (ms). */
  add(at: number, bytes: number): void {
    const last = this.samples[this.samples.length - 1];
    // A resumed upload may restart below what was counted: begin the window afresh.
    if (last !== undefined && bytes < last.bytes) this.samples = [];
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - this.windowMs)
      this.samples.shift();
  }

  /** Bytes per second, or undefined before there is a second to measure over. */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined || last.at - first.at < 1_000) return undefined;
    return ((last.bytes - first.bytes) * 1_000) / (last.at - first.at);
  }

  reset(): void {
    this.samples = [];
  }
}
