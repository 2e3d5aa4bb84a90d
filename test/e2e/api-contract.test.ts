import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AuditEntry,
  AuditVerification,
  IssuedToken,
  NewTeam,
  NewToken,
  NewUser,
  Task,
  Team,
  TeamSummary,
  Token,
  User,
} from '../../web/src/api/types.js';
import { startTestServer, type TestServer } from '../support/server.js';

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** Each field of T, saying whether T has it always; the compiler holds this to T's definition. */
type Fields<T> = { readonly [K in keyof T]-?: K extends OptionalKeys<T> ? 'optional' : 'required' };

const fields = <T>(shape: Fields<T>): Fields<T> => shape;

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

type OpenApi = { paths: Record<string, Record<string, Operation>> };

/** The fields of an object schema as `Fields` would list them. */
function fieldsOf(schema: JsonSchema | undefined): Record<string, 'optional' | 'required'> {
  const required = new Set(schema?.required ?? []);
  return Object.fromEntries(
    Object.keys(schema?.properties ?? {}).map((key) => [
      key,
      required.has(key) ? 'required' : 'optional',
    ]),
  );
}

/**
 * The UI's hand-written API types (web/src/api/types.ts) against the OpenAPI document of a
 * running server: a field renamed, added or made optional on either side fails here.
 */
describe('web API types match the OpenAPI document', () => {
  let server: TestServer;
  let doc: OpenApi;

  const operation = (method: string, path: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (found === undefined) throw new Error(`the API has no ${method.toUpperCase()} ${path}`);
    return found;
  };
  const response = (method: string, path: string, status = '200'): JsonSchema | undefined =>
    operation(method, path).responses[status]?.content?.['application/json']?.schema;
  const body = (method: string, path: string): JsonSchema | undefined =>
    operation(method, path).requestBody?.content['application/json']?.schema;
  const pageItem = (path: string): JsonSchema | undefined =>
    response('get', path)?.properties?.items?.items;

  beforeAll(async () => {
    server = await startTestServer({ listen: true });
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApi;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('has every operation the UI calls', () => {
    const called = [
      ['get', '/me'],
      ['get', '/users'],
      ['post', '/users'],
      ['get', '/users/{id}'],
      ['patch', '/users/{id}'],
      ['get', '/teams'],
      ['post', '/teams'],
      ['get', '/teams/{id}'],
      ['put', '/teams/{id}/members/{userId}'],
      ['delete', '/teams/{id}/members/{userId}'],
      ['get', '/tokens'],
      ['post', '/tokens'],
      ['delete', '/tokens/{id}'],
      ['get', '/audit'],
      ['get', '/audit/verify'],
      ['get', '/tasks'],
      ['get', '/tasks/{id}'],
      ['post', '/tasks/{id}/cancel'],
      ['get', '/tasks/{id}/events'],
    ] as const;
    for (const [method, path] of called) expect(() => operation(method, path)).not.toThrow();
  });

  it('users', () => {
    const user = fields<User>({
      id: 'required',
      name: 'required',
      email: 'required',
      platformAdmin: 'required',
      createdAt: 'required',
      disabledAt: 'required',
      teams: 'required',
    });
    expect(fieldsOf(response('get', '/me'))).toEqual(user);
    expect(fieldsOf(pageItem('/users'))).toEqual(user);
    expect(fieldsOf(response('post', '/users', '201'))).toEqual(user);
    expect(fieldsOf(body('post', '/users'))).toEqual(
      fields<NewUser>({ name: 'required', email: 'optional', platformAdmin: 'optional' }),
    );
  });

  it('teams', () => {
    const team = fields<Team>({
      id: 'required',
      name: 'required',
      description: 'required',
      createdAt: 'required',
      members: 'required',
    });
    expect(fieldsOf(response('get', '/teams/{id}'))).toEqual(team);
    expect(fieldsOf(response('post', '/teams', '201'))).toEqual(team);
    expect(fieldsOf(response('put', '/teams/{id}/members/{userId}'))).toEqual(team);
    expect(fieldsOf(pageItem('/teams'))).toEqual(
      fields<TeamSummary>({
        id: 'required',
        name: 'required',
        description: 'required',
        createdAt: 'required',
        memberCount: 'required',
      }),
    );
    expect(fieldsOf(body('post', '/teams'))).toEqual(
      fields<NewTeam>({ name: 'required', description: 'optional' }),
    );
  });

  it('tokens', () => {
    const token = fields<Token>({
      id: 'required',
      userId: 'required',
      name: 'required',
      createdAt: 'required',
      expiresAt: 'required',
      revokedAt: 'required',
      lastUsedAt: 'required',
    });
    expect(fieldsOf(pageItem('/tokens'))).toEqual(token);
    expect(fieldsOf(response('delete', '/tokens/{id}'))).toEqual(token);
    expect(fieldsOf(response('post', '/tokens', '201'))).toEqual(
      fields<IssuedToken>({ ...token, secret: 'required' }),
    );
    expect(fieldsOf(body('post', '/tokens'))).toEqual(
      fields<NewToken>({ name: 'required', userId: 'optional', expiresAt: 'optional' }),
    );
  });

  it('audit', () => {
    expect(fieldsOf(pageItem('/audit'))).toEqual(
      fields<AuditEntry>({
        seq: 'required',
        id: 'required',
        at: 'required',
        actor: 'required',
        action: 'required',
        targetKind: 'required',
        targetId: 'required',
        beforeDigest: 'required',
        afterDigest: 'required',
        details: 'required',
        prevHash: 'required',
        hash: 'required',
      }),
    );
    expect(fieldsOf(response('get', '/audit/verify'))).toEqual(
      fields<AuditVerification>({
        ok: 'required',
        entries: 'required',
        head: 'optional',
        firstBad: 'optional',
      }),
    );
  });

  it('tasks', () => {
    const task = fields<Task>({
      id: 'required',
      kind: 'required',
      payload: 'required',
      status: 'required',
      attempts: 'required',
      maxAttempts: 'required',
      progress: 'required',
      result: 'required',
      error: 'required',
      teamId: 'required',
      createdBy: 'required',
      createdAt: 'required',
      updatedAt: 'required',
      runAt: 'required',
      startedAt: 'required',
      finishedAt: 'required',
    });
    expect(fieldsOf(pageItem('/tasks'))).toEqual(task);
    expect(fieldsOf(response('get', '/tasks/{id}'))).toEqual(task);
  });
});
