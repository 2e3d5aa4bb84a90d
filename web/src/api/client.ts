import { ApiError, parseProblem } from './problem.js';

/** Values a query string can carry; undefined leaves the parameter out. */
export type QueryValue = string | number | boolean | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface ClientOptions {
  /** Origin and path prefix of the API; empty for the page's own origin. */
  readonly baseUrl?: string;
  /** The bearer token of the signed-in user, read at each call. */
  readonly token: () => string | null;
  /** Told about every 401, so the app can end the session it no longer has. */
  readonly onUnauthorized?: (error: ApiError) => void;
  readonly fetch?: typeof fetch;
  /** Makes the request object file bodies are sent with (a test gives its own). */
  readonly xhr?: () => XMLHttpRequest;
}

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  readonly accept?: string;
  /** A token to use instead of the session's (the sign-in page checks one before keeping it). */
  readonly token?: string;
}

export interface FileOptions {
  readonly signal?: AbortSignal | undefined;
  /** Told how many bytes of the body were sent so far. */
  readonly onProgress?: (sent: number) => void;
}

function networkError(): ApiError {
  return new ApiError(
    0,
    'network',
    'the server cannot be reached; check the connection and try again',
    undefined,
    undefined,
  );
}

function notJson(status: number, method: string, path: string, requestId: string | null): ApiError {
  return new ApiError(
    status,
    'internal',
    `the server's answer to ${method} ${path} is not JSON`,
    undefined,
    requestId ?? undefined,
  );
}

/** Fills `:name` segments of a path template, encoding each value. */
export function fillPath(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/:([A-Za-z][A-Za-z0-9]*)/g, (_segment, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path ${template} needs a value for :${name}`);
    return encodeURIComponent(value);
  });
}

/** Appends the defined query values to a path. */
export function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * The one way the UI talks to the server: adds the bearer token, sends and reads JSON, and turns
 * every failure (problem+json, another error page, no answer) into an ApiError.
 */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl ?? '';
    // Bound, because a detached `fetch` throws "Illegal invocation" in browsers.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Sends a request and returns the raw response once it is known to be a success. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    const token = options.token ?? this.options.token();
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.signal !== undefined) init.signal = options.signal;
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + withQuery(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      throw networkError();
    }
    if (response.ok) return response;
    const error = parseProblem(
      response.status,
      response.statusText,
      response.headers.get('content-type'),
      await response.text().catch(() => ''),
      response.headers.get('x-request-id'),
    );
    // A token given for one call is being checked, not the session's: its 401 ends nothing.
    if (error.status === 401 && options.token === undefined) this.options.onUnauthorized?.(error);
    throw error;
  }

  /** Sends a request and parses the JSON answer. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const body = await response.text();
    if (body === '') return undefined as T;
    try {
      return JSON.parse(body) as T;
    } catch {
      throw notJson(response.status, method, path, response.headers.get('x-request-id'));
    }
  }

  /**
   * Sends a file, or a slice of one, as the request body (application/octet-stream) and parses
   * the JSON answer. Uses XMLHttpRequest because fetch reports no upload progress; the slice is
   * read from disk as it is sent, never held in memory.
   */
  sendFile<T>(method: string, path: string, body: Blob, options: FileOptions = {}): Promise<T> {
    const { signal, onProgress } = options;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new DOMException('the upload was aborted', 'AbortError'));
        return;
      }
      const xhr = this.options.xhr?.() ?? new XMLHttpRequest();
      const onAbort = (): void => xhr.abort();
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      xhr.open(method, this.baseUrl + path);
      const token = this.options.token();
      if (token !== null) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('accept', 'application/json');
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      if (onProgress !== undefined) xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        settle();
        const requestId = xhr.getResponseHeader('x-request-id');
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve((xhr.responseText === '' ? undefined : JSON.parse(xhr.responseText)) as T);
          } catch {
            reject(notJson(xhr.status, method, path, requestId));
          }
          return;
        }
        const error = parseProblem(
          xhr.status,
          xhr.statusText,
          xhr.getResponseHeader('content-type'),
          xhr.responseText,
          requestId,
        );
        if (error.status === 401) this.options.onUnauthorized?.(error);
        reject(error);
      };
      xhr.onerror = () => {
        settle();
        reject(networkError());
      };
      xhr.onabort = () => {
        settle();
        reject(new DOMException('the upload was aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      xhr.send(body);
    });
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query && { query }), signal });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}
