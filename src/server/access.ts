import type { FastifyInstance, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import {
  Forbidden,
  holdsRole,
  Unauthorized,
  Internal,
  type IdentityService,
  type Principal,
  type Role,
} from '../platform/index.js';

/**
 * Who may call a route: anyone (`public`), any signed-in user (`authenticated`), or users holding
 * a role in some team. Finer checks (which team, whose token) happen in the handler.
 */
export type Access = 'public' | 'authenticated' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Routes that third-party plugins register (the interactive API docs): public by nature. */
function isDocsRoute(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/');
}

/**
 * Makes every route declare its access: a route without `config.access` fails server start, so
 * no route can ship unprotected. The declared access is copied into the OpenAPI document
 * (`x-required-role`, `security`), where the role × route test reads it.
 */
export function enforceDeclaredAccess(server: FastifyInstance): void {
  server.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { access?: Access };
    if (config.access === undefined) {
      if (!isDocsRoute(route.url)) {
        throw new Internal(`route ${String(route.method)} ${route.url} declares no access`);
      }
      route.config = { ...config, access: 'public' };
      return;
    }
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    route.schema = {
      ...schema,
      'x-required-role': config.access,
      ...(config.access === 'public' ? {} : { security: [{ bearerAuth: [] }] }),
    } as FastifySchema;
  });
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** Authenticates the bearer token and checks the route's declared role, before the body is read. */
export function authenticateRequests(server: FastifyInstance, identity: IdentityService): void {
  server.decorateRequest('principal', null);
  server.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    const token = bearerToken(request);
    if (token === undefined)
      throw new Unauthorized('sign in: send an API token as "Authorization: Bearer <token>"');
    const principal = await identity.authenticate(token);
    request.principal = principal;
    if (access !== 'authenticated' && !holdsRole(principal, access)) {
      throw new Forbidden(`this needs the ${access} role`, { role: access });
    }
  });
}

/** The authenticated principal of a request on a non-public route. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Unauthorized('not signed in');
  return request.principal;
}
