import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

describe('HTTP API', () => {
  let t: TestServer;
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await startTestServer({ env: { DRIVETRAIN_BODY_LIMIT: '4096' } });
    auth = { authorization: `Bearer ${t.adminToken}` };
  });
  afterAll(async () => {
    await t.close();
  });

  const counts = async () => ({
    teams: (await t.app.store.db.selectFrom('teams').select('id').execute()).length,
    audit: (await t.app.store.db.selectFrom('audit_log').select('id').execute()).length,
  });

  it('serves health, readiness with both stores, and Prometheus metrics', async () => {
    expect((await t.server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = (await t.server.inject({ url: '/readyz' })).json<{
      ready: boolean;
      checks: { name: string; ok: boolean }[];
    }>();
    expect(ready.ready).toBe(true);
    expect(ready.checks.map((c) => [c.name, c.ok])).toEqual([
      ['database', true],
      ['objects', true],
    ]);
    await t.server.inject({ url: '/teams', headers: auth });
    const metrics = await t.server.inject({ url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(
      /drivetrain_http_request_duration_seconds_count\{method="GET",route="\/teams",status="200"\} \d+/,
    );
    expect(metrics.body).toContain('drivetrain_process_cpu_seconds_total');
  });

  it('publishes an OpenAPI 3 document and interactive docs', async () => {
    const document = (await t.server.inject({ url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/teams',
        '/users',
        '/tokens',
        '/audit/verify',
        '/tasks/{id}/events',
      ]),
    );
    const docs = await t.server.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('echoes a given request id, or makes one, in header and problem instance', async () => {
    const given = await t.server.inject({
      url: '/teams',
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(given.headers['x-request-id']).toBe('trace-123');
    expect(given.json()).toMatchObject({
      instance: 'trace-123',
      code: 'unauthorized',
      status: 401,
    });
    const made = await t.server.inject({
      url: '/teams',
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(made.headers['x-request-id']).toMatch(/^req_/);
  });

  it('answers bad input with problem+json, never a 500 and never a partial write', async () => {
    const before = await counts();
    const post = (payload: string, contentType = 'application/json') =>
      t.server.inject({
        method: 'POST',
        url: '/teams',
        headers: { ...auth, 'content-type': contentType },
        payload,
      });

    const malformed = await post('{"name": "x",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    expect(malformed.json()).toMatchObject({
      code: 'invalid_input',
      type: '/problems/invalid_input',
      title: 'Invalid input',
    });

    const wrongType = await post(JSON.stringify({ name: 42 }));
    expect(wrongType.json()).toMatchObject({
      status: 400,
      code: 'invalid_input',
      field: 'body.name',
    });

    const unknownField = await post(JSON.stringify({ name: 'ok-name', colour: 'red' }));
    expect(unknownField.json()).toMatchObject({
      status: 400,
      code: 'invalid_input',
      field: 'body.colour',
    });
    expect(unknownField.json<{ detail: string }>().detail).toContain('colour');

    const oversized = await post(JSON.stringify({ name: 'big', description: 'x'.repeat(10_000) }));
    expect(oversized.json()).toMatchObject({ status: 413, code: 'payload_too_large' });

    const traversal = await post(JSON.stringify({ name: '../../etc/passwd' }));
    expect(traversal.json()).toMatchObject({ status: 400, code: 'invalid_input', field: 'name' });

    const notJson = await post('name=x', 'text/plain');
    expect(notJson.statusCode).toBeGreaterThanOrEqual(400);
    expect(notJson.statusCode).toBeLessThan(500);

    const cursor = await t.server.inject({ url: '/teams?cursor=%E2%98%83garbage', headers: auth });
    expect(cursor.json()).toMatchObject({ status: 400, code: 'invalid_input', field: 'cursor' });
    const limit = await t.server.inject({ url: '/teams?limit=100000', headers: auth });
    expect(limit.json()).toMatchObject({ status: 400, code: 'invalid_input' });

    const pathTraversal = await t.server.inject({
      url: '/teams/..%2F..%2Fetc%2Fpasswd',
      headers: auth,
    });
    expect(pathTraversal.json()).toMatchObject({ status: 404, code: 'not_found' });

    expect(await counts()).toEqual(before);
  });

  it('never answers random JSON bodies with a server error or a partial write', async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const response = await t.server.inject({
          method: 'POST',
          url: '/teams',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify(value),
        });
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode !== 201)
          expect(response.headers['content-type']).toContain('application/problem+json');
        if (response.statusCode === 201) await t.app.store.db.deleteFrom('teams').execute();
      }),
      { numRuns: 150 },
    );
    expect((await counts()).teams).toBe(before.teams);
  });

  it('pages every list with cursors', async () => {
    for (let i = 0; i < 5; i += 1) {
      await t.server.inject({
        method: 'POST',
        url: '/teams',
        headers: auth,
        payload: { name: `page-${i}` },
      });
    }
    const names: string[] = [];
    let url = '/teams?limit=2';
    for (;;) {
      const page = (await t.server.inject({ url, headers: auth })).json<{
        items: { name: string }[];
        next: string | null;
      }>();
      names.push(...page.items.map((item) => item.name));
      if (page.next === null) break;
      url = `/teams?limit=2&cursor=${encodeURIComponent(page.next)}`;
    }
    expect(names.filter((n) => n.startsWith('page-'))).toEqual([
      'page-0',
      'page-1',
      'page-2',
      'page-3',
      'page-4',
    ]);
  });

  it('lets a user manage their own tokens, and only their own', async () => {
    const user = (
      await t.server.inject({
        method: 'POST',
        url: '/users',
        headers: auth,
        payload: { name: 'erin' },
      })
    ).json<{ id: string }>();
    const issued = (
      await t.server.inject({
        method: 'POST',
        url: '/tokens',
        headers: auth,
        payload: { name: 'erin laptop', userId: user.id },
      })
    ).json<{ id: string; secret: string }>();
    const erin = { authorization: `Bearer ${issued.secret}` };
    expect((await t.server.inject({ url: '/me', headers: erin })).json()).toMatchObject({
      name: 'erin',
      platformAdmin: false,
    });
    const own = (
      await t.server.inject({
        method: 'POST',
        url: '/tokens',
        headers: erin,
        payload: { name: 'second' },
      })
    ).json<{ id: string }>();
    const adminTokens = (
      await t.server.inject({ url: '/tokens?userId=' + user.id, headers: auth })
    ).json<{ items: unknown[] }>();
    expect(adminTokens.items).toHaveLength(2);
    const foreign = await t.server.inject({ url: '/tokens?userId=someone-else', headers: erin });
    expect(foreign.statusCode).toBe(403);
    const adminToken = (await t.server.inject({ url: '/tokens', headers: auth }))
      .json<{ items: { id: string; userId: string }[] }>()
      .items.find((x) => x.userId !== user.id);
    const revokeForeign = await t.server.inject({
      method: 'DELETE',
      url: `/tokens/${adminToken?.id ?? ''}`,
      headers: erin,
    });
    expect(revokeForeign.statusCode).toBe(403);
    expect(
      (await t.server.inject({ method: 'DELETE', url: `/tokens/${own.id}`, headers: erin })).json(),
    ).toMatchObject({ id: own.id });
    const revoked = await t.server.inject({
      method: 'DELETE',
      url: `/tokens/${issued.id}`,
      headers: erin,
    });
    expect(revoked.statusCode).toBe(200);
    expect((await t.server.inject({ url: '/me', headers: erin })).statusCode).toBe(401);
  });
});
