import { describe, expect, it } from 'vitest';
import { ApiClient } from './client.js';
import { recordingsApi } from './recordings.js';

/** What a browser's XMLHttpRequest does, played from a script: progress, then an answer. */
class ScriptedXhr {
  method = '';
  url = '';
  readonly headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  statusText = '';
  responseText = '';
  private responseHeaders: Record<string, string> = {};
  readonly upload: { onprogress: ((event: { loaded: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  aborted = false;

  constructor(
    private readonly script: (xhr: ScriptedXhr) => void,
    readonly made: ScriptedXhr[],
  ) {
    made.push(this);
  }

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  getResponseHeader(name: string): string | null {
    return this.responseHeaders[name] ?? null;
  }

  send(body: unknown): void {
    this.body = body;
    queueMicrotask(() => this.script(this));
  }

  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }

  answer(status: number, body: string, headers: Record<string, string> = {}): void {
    this.status = status;
    this.responseText = body;
    this.responseHeaders = headers;
    this.onload?.();
  }
}

function clientWith(script: (xhr: ScriptedXhr) => void, onUnauthorized?: () => void) {
  const made: ScriptedXhr[] = [];
  const client = new ApiClient({
    token: () => 'dt_secret',
    baseUrl: 'http://h',
    xhr: () => new ScriptedXhr(script, made) as unknown as XMLHttpRequest,
    ...(onUnauthorized === undefined ? {} : { onUnauthorized }),
  });
  return { api: recordingsApi(client), made };
}

describe('uploading a part', () => {
  it('sends the slice with the token, reports progress and returns the part', async () => {
    const { api, made } = clientWith((xhr) => {
      xhr.upload.onprogress?.({ loaded: 3 });
      xhr.upload.onprogress?.({ loaded: 6 });
      xhr.answer(200, JSON.stringify({ number: 2, size: 6, sha256: 'ab' }), {
        'content-type': 'application/json',
      });
    });
    const slice = new Blob([new Uint8Array(6)]);
    const progress: number[] = [];
    const part = await api.uploads.putPart('upl 1', 2, slice, {
      onProgress: (sent) => progress.push(sent),
    });
    expect(part).toEqual({ number: 2, size: 6, sha256: 'ab' });
    expect(progress).toEqual([3, 6]);
    expect(made[0]).toMatchObject({
      method: 'PUT',
      url: 'http://h/uploads/upl%201/parts/2',
      body: slice,
      headers: {
        authorization: 'Bearer dt_secret',
        'content-type': 'application/octet-stream',
        accept: 'application/json',
      },
    });
  });

  it('turns a problem answer into an ApiError naming the field, and tells about a 401', async () => {
    const refused = clientWith((xhr) =>
      xhr.answer(
        400,
        JSON.stringify({
          detail: 'part 2 must be 6 bytes; 5 arrived',
          code: 'invalid_input',
          field: 'body',
          instance: 'req_9',
        }),
        { 'content-type': 'application/problem+json' },
      ),
    );
    await expect(
      refused.api.uploads.putPart('upl_1', 2, new Blob(['12345'])),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      detail: 'part 2 must be 6 bytes; 5 arrived',
      field: 'body',
      requestId: 'req_9',
    });

    let told = 0;
    const expired = clientWith(
      (xhr) =>
        xhr.answer(401, JSON.stringify({ detail: 'token expired', code: 'unauthorized' }), {
          'content-type': 'application/problem+json',
        }),
      () => (told += 1),
    );
    await expect(expired.api.uploads.putPart('upl_1', 1, new Blob(['x']))).rejects.toThrow(
      'token expired',
    );
    expect(told).toBe(1);
  });

  it('reports a dropped connection as a network error', async () => {
    const { api } = clientWith((xhr) => xhr.onerror?.());
    await expect(api.uploads.putPart('upl_1', 1, new Blob(['x']))).rejects.toMatchObject({
      status: 0,
      code: 'network',
    });
  });

  it('names the call whose success answer is not JSON', async () => {
    const { api } = clientWith((xhr) => xhr.answer(200, '<html>'));
    await expect(api.uploads.putPart('upl_1', 1, new Blob(['x']))).rejects.toThrow(
      "the server's answer to PUT /uploads/upl_1/parts/1 is not JSON",
    );
  });

  it('stops the request when aborted', async () => {
    const controller = new AbortController();
    const { api, made } = clientWith(() => controller.abort());
    await expect(
      api.uploads.putPart('upl_1', 1, new Blob(['x']), { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(made[0]?.aborted).toBe(true);
    await expect(
      api.uploads.putPart('upl_1', 1, new Blob(['x']), { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(made).toHaveLength(1);
  });
});
