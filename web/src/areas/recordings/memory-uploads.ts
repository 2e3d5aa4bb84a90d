import { ApiError, type AddedRecording, type Upload, type UploadPart } from '../../api/index.js';
import type { UploadService } from './uploader.js';

export type Fault = 'lost-request' | 'lost-answer' | 'unavailable' | 'refused';
export interface Call {
  readonly kind: 'start' | 'get' | 'put' | 'complete' | 'abort';
  readonly id?: string;
  readonly number?: number;
}

const networkDown = () =>
  new ApiError(0, 'network', 'the server cannot be reached', undefined, undefined);

/** What the fake server recognises content by (the real one uses sha256). */
export const fingerprint = (bytes: Uint8Array) => Array.from(bytes.slice(0, 8)).join('.');

interface Stored {
  upload: Upload;
  readonly parts: Map<number, Uint8Array>;
}

/**
 * An upload server in memory, for the tests of the upload driver and queue: it keeps the bytes of
 * every part and assembles them on complete, as the real one does. `fault` decides, call by
 * call, whether the connection fails before the server acts, after it acted (the answer is
 * lost), or the server answers with an error; `gate` holds a part back until the test lets it go.
 */
export class MemoryUploads implements UploadService {
  readonly calls: Call[] = [];
  readonly uploads = new Map<string, Stored>();
  /** Whole files completed, by upload id. */
  readonly assembled = new Map<string, Uint8Array>();
  /** Parts sent again after the server had them whole. */
  resends = 0;
  gate: ((number: number) => Promise<void>) | undefined;

  constructor(
    private readonly partSize: number,
    private readonly fault: (call: Call, index: number) => Fault | undefined = () => undefined,
    /** Fingerprints of content that is a recording already. */
    private readonly existing: ReadonlySet<string> = new Set(),
  ) {}

  /** The file of the only (or the last) completed upload. */
  get file(): Uint8Array | undefined {
    return [...this.assembled.values()].pop();
  }

  private async act<T>(call: Call, run: () => T | Promise<T>): Promise<T> {
    this.calls.push(call);
    if (call.kind === 'put' && this.stored(call.id).parts.has(call.number ?? 0)) this.resends += 1;
    const fault = this.fault(call, this.calls.length - 1);
    if (fault === 'lost-request') throw networkDown();
    if (fault === 'unavailable')
      throw new ApiError(503, 'unavailable', 'try again later', undefined, 'req_1');
    if (fault === 'refused')
      throw new ApiError(400, 'invalid_input', 'part 2 must be 4 bytes', 'body', 'req_2');
    const result = await run();
    if (fault === 'lost-answer') throw networkDown();
    return result;
  }

  private stored(id: string | undefined): Stored {
    const stored = id === undefined ? undefined : this.uploads.get(id);
    if (stored === undefined)
      throw new ApiError(404, 'not_found', `upload ${id} not found`, undefined, undefined);
    return stored;
  }

  private describe(id: string): Upload {
    const { upload, parts } = this.stored(id);
    return {
      ...upload,
      parts: [...parts].map(([number, bytes]) => ({ number, size: bytes.length, sha256: 'x' })),
    };
  }

  start(upload: { name: string; size: number; vehicle?: string }): Promise<Upload> {
    return this.act({ kind: 'start' }, () => {
      const id = `upl_${this.uploads.size + 1}`;
      this.uploads.set(id, {
        parts: new Map(),
        upload: {
          id,
          name: upload.name,
          teamId: 'team_1',
          vehicle: upload.vehicle ?? null,
          size: upload.size,
          partSize: this.partSize,
          partCount: Math.ceil(upload.size / this.partSize),
          parts: [],
          createdAt: '2030-01-01T00:00:00.000Z',
          completedAt: null,
          recordingId: null,
        },
      });
      return this.describe(id);
    });
  }

  get(id: string): Promise<Upload> {
    return this.act({ kind: 'get', id }, () => this.describe(id));
  }

  putPart(
    id: string,
    number: number,
    part: Blob,
    options: { signal?: AbortSignal; onProgress?: (sent: number) => void },
  ): Promise<UploadPart> {
    return this.act({ kind: 'put', id, number }, async () => {
      const { signal } = options;
      if (this.gate !== undefined) {
        await Promise.race([
          this.gate(number),
          new Promise((_resolve, reject) =>
            signal?.addEventListener('abort', () =>
              reject(new DOMException('aborted', 'AbortError')),
            ),
          ),
        ]);
      }
      if (signal?.aborted === true) throw new DOMException('aborted', 'AbortError');
      const bytes = new Uint8Array(await part.arrayBuffer());
      options.onProgress?.(Math.floor(bytes.length / 2));
      options.onProgress?.(bytes.length);
      this.stored(id).parts.set(number, bytes);
      return { number, size: bytes.length, sha256: 'x' };
    });
  }

  complete(id: string): Promise<AddedRecording> {
    return this.act({ kind: 'complete', id }, () => {
      const stored = this.stored(id);
      const upload = this.describe(id);
      const whole = new Uint8Array(upload.size);
      for (let n = 1; n <= upload.partCount; n += 1) {
        const part = stored.parts.get(n);
        if (part === undefined)
          throw new ApiError(400, 'invalid_input', `missing part ${n}`, 'parts', undefined);
        whole.set(part, (n - 1) * upload.partSize);
      }
      this.assembled.set(id, whole);
      const recordingId = `rec_${id.slice(4)}`;
      stored.upload = { ...upload, completedAt: '2030-01-01T00:01:00.000Z', recordingId };
      return {
        recording: { id: recordingId } as AddedRecording['recording'],
        duplicate: this.existing.has(fingerprint(whole)),
      };
    });
  }

  abort(id: string): Promise<{ id: string; aborted: boolean }> {
    return this.act({ kind: 'abort', id }, () => {
      this.stored(id);
      this.uploads.delete(id);
      return { id, aborted: true };
    });
  }

  /** The part numbers sent, in order. */
  puts(): (number | undefined)[] {
    return this.calls.filter((c) => c.kind === 'put').map((c) => c.number);
  }
}
