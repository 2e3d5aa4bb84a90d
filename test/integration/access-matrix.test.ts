import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  operatorPrincipal,
  roles,
  roleSatisfies,
  teamRoles,
  type Role,
} from '../../src/platform/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly access: string;
}

type Caller = 'anonymous' | 'no role' | Role;

/**
 * Walks every operation of the OpenAPI document with a caller of every role: a route that
 * forgets to declare its role fails the server start; a route whose declared role is not
 * enforced fails here.
 */
describe('role × route matrix', () => {
  let t: TestServer;
  const tokens = new Map<Caller, string>();
  let operations: Operation[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    const system = operatorPrincipal('test');
    const team = await t.app.identity.createTeam(system, { name: 'matrix' });
    for (const role of teamRoles) {
      const user = await t.app.identity.createUser(system, { name: `u-${role}` });
      await t.app.identity.setMembership(system, team.id, user.id, role);
      tokens.set(
        role,
        (await t.app.identity.createToken(system, { userId: user.id, name: 't' })).secret,
      );
    }
    const loner = await t.app.identity.createUser(system, { name: 'loner' });
    tokens.set(
      'no role',
      (await t.app.identity.createToken(system, { userId: loner.id, name: 't' })).secret,
    );
    tokens.set('platform-admin', t.adminToken);

    const document = (await t.server.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { 'x-required-role'?: string }>>;
    }>();
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        access: operation['x-required-role'] ?? 'undeclared',
      })),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('documents the required role of every operation', () => {
    expect(operations.length).toBeGreaterThan(10);
    const valid = new Set<string>(['public', 'authenticated', ...roles]);
    expect(operations.filter((op) => !valid.has(op.access))).toEqual([]);
  });

  it('answers every operation as its declared role says, for every kind of caller', async () => {
    const callers: Caller[] = ['anonymous', 'no role', ...roles];
    const violations: string[] = [];
    for (const op of operations) {
      const url = op.path.replace(/\{[^}]+\}/g, 'x_does_not_exist');
      for (const caller of callers) {
        const token = tokens.get(caller);
        const response = await t.server.inject({
          method: op.method as 'GET',
          url,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
          ...(['POST', 'PUT', 'PATCH'].includes(op.method) ? { payload: {} } : {}),
        });
        const body = String(response.headers['content-type']).includes('json')
          ? response.json<{ code?: string; role?: string }>()
          : {};
        const deniedByAccess = response.statusCode === 403 && body.role === op.access;
        const shouldPass =
          op.access === 'public' ||
          (caller !== 'anonymous' &&
            (op.access === 'authenticated' ||
              (caller !== 'no role' && roleSatisfies(caller, op.access as Role))));
        const label = `${op.method} ${op.path} as ${caller} -> ${response.statusCode}`;
        if (shouldPass) {
          if (response.statusCode === 401 || deniedByAccess)
            violations.push(`${label} (should be allowed)`);
        } else if (caller === 'anonymous') {
          if (response.statusCode !== 401 || body.code !== 'unauthorized')
            violations.push(`${label} (should be 401)`);
        } else if (!deniedByAccess) {
          violations.push(`${label} (should be 403 for role ${op.access})`);
        }
        if (response.statusCode >= 500) violations.push(`${label} (server error)`);
      }
    }
    expect(violations).toEqual([]);
  });
});
