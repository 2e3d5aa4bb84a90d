import { describe, expect, it } from 'vitest';
import { ApiClient, fillPath, withQuery } from './client.js';
import { ApiError } from './problem.js';

interface Call {
  url: string;
  init: RequestInit;
}

function recordingFetch(answer: () => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetchImpl = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({ url: input instanceof Request ? input.url : input.toString(), init: init ?? {} });
    return Promise.resolve(answer());
  };
  return { calls, fetchImpl };
}

const problem = (status: number, body: object) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

describe('fillPath and withQuery', () => {
  it('encodes path parameters', () => {
    expect(fillPath('/teams/:id/members/:userId', { id: 'team 1', userId: 'a/b' })).toBe(
      '/teams/team%201/members/a%2Fb',
    );
  });

  it('refuses a template parameter without a value', () => {
    expect(() => fillPath('/teams/:id', {})).toThrow('path /teams/:id needs a value for :id');
  });

  it('leaves out undefined query values', () => {
    expect(withQuery('/tasks', { limit: 25, cursor: undefined, status: 'running' })).toBe(
      '/tasks?limit=25&status=running',
    );
    expect(withQuery('/tasks', { cursor: undefined })).toBe('/tasks');
  });
});

describe('ApiClient', () => {
  it('sends the bearer token and a JSON body, and parses the JSON answer', async () => {
    const { calls, fetchImpl } = recordingFetch(() =>
      Response.json({ id: 'team_1', name: 'perception' }, { status: 201 }),
    );
    const client = new ApiClient({
      token: () => 'dt_secret',
      fetch: fetchImpl,
      baseUrl: 'http://h',
    });
    const team = await client.post<{ name: string }>('/teams', { name: 'perception' });
    expect(team.name).toBe('perception');
    expect(calls[0]?.url).toBe('http://h/teams');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.headers).toMatchObject({
      authorization: 'Bearer dt_secret',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(calls[0]?.init.body).toBe('{"name":"perception"}');
  });

  it('sends no authorization header when signed out', async () => {
    const { calls, fetchImpl } = recordingFetch(() => Response.json({ status: 'ok' }));
    await new ApiClient({ token: () => null, fetch: fetchImpl }).get('/healthz');
    expect(calls[0]?.init.headers).not.toHaveProperty('authorization');
  });

  it('throws the problem as an ApiError', async () => {
    const { fetchImpl } = recordingFetch(() =>
      problem(409, {
        detail: "team 'perception' already exists",
        code: 'conflict',
        instance: 'req_1',
      }),
    );
    const client = new ApiClient({ token: () => 't', fetch: fetchImpl });
    const error = await client.post('/teams', { name: 'perception' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: 'conflict',
      detail: "team 'perception' already exists",
      requestId: 'req_1',
    });
  });

  it('tells about a 401 of the session token, but not of a token being checked', async () => {
    const { fetchImpl } = recordingFetch(() =>
      problem(401, { detail: 'token revoked', code: 'unauthorized' }),
    );
    const told: string[] = [];
    const client = new ApiClient({
      token: () => 't',
      fetch: fetchImpl,
      onUnauthorized: (e) => told.push(e.detail),
    });
    await expect(client.get('/me')).rejects.toThrow('token revoked');
    await expect(client.request('GET', '/me', { token: 'candidate' })).rejects.toThrow(
      'token revoked',
    );
    expect(told).toEqual(['token revoked']);
  });

  it('turns a failed connection into a network error', async () => {
    const fetchImpl = (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch;
    const error = await new ApiClient({ token: () => 't', fetch: fetchImpl })
      .get('/me')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, code: 'network' });
  });

  it('rethrows an abort as it is', async () => {
    const controller = new AbortController();
    const fetchImpl = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () =>
          reject(new DOMException('aborted', 'AbortError')),
        );
      })) as typeof fetch;
    const pending = new ApiClient({ token: () => 't', fetch: fetchImpl }).get(
      '/tasks',
      {},
      controller.signal,
    );
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('names the call whose success answer is not JSON', async () => {
    const { fetchImpl } = recordingFetch(() => new Response('<html>', { status: 200 }));
    await expect(
      new ApiClient({ token: () => 't', fetch: fetchImpl }).get('/teams'),
    ).rejects.toThrow("the server's answer to GET /teams is not JSON");
  });
});
