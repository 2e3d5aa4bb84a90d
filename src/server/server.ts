import { existsSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { join } from 'node:path';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyResponseValidation from '@fastify/response-validation';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { App } from '../app/index.js';
import { newRequestId, NotFound } from '../platform/index.js';
import { authenticateRequests, enforceDeclaredAccess } from './access.js';
import { observeHttp } from './http-metrics.js';
import { toProblem } from './problem.js';
import { routeModules } from './routes/index.js';

/** The server type every route module registers on: Fastify with TypeBox schemas as types. */
export type Server = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServerOptions {
  /** Directory of the built web UI (`dist/web`); the UI is not served when absent. */
  readonly webRoot?: string;
}

/** One log line per request, when it completes (with method, route, status and duration). */
class RequestLogController extends LogController {
  override incomingRequest(request: Parameters<LogController['incomingRequest']>[0]): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }
}

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

function ajvFor(part: 'body' | 'other'): Ajv {
  // Bodies are checked strictly: a wrong type or an unknown field is an error, never coerced
  // or silently dropped. Query strings and path parameters arrive as text, so they are coerced.
  const ajv = new Ajv({
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: part === 'body' ? false : 'array',
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/** Builds the HTTP server of an opened app, with every route registered (not yet listening). */
export async function createServer(app: App, options: ServerOptions = {}): Promise<Server> {
  const server = Fastify({
    loggerInstance: app.log,
    bodyLimit: app.config.bodyLimitBytes,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : newRequestId();
    },
    logController: new RequestLogController({ requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Server;

  const bodyAjv = ajvFor('body');
  const otherAjv = ajvFor('other');
  server.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : otherAjv).compile(schema),
  );

  server.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request.id);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .status(problem.status)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(JSON.stringify(problem));
  });

  server.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  enforceDeclaredAccess(server);
  authenticateRequests(server, app.identity);
  observeHttp(server, app.metrics);

  if (app.config.validateResponses) {
    const responseAjv = new Ajv({
      removeAdditional: false,
      coerceTypes: false,
      allErrors: true,
      strict: false,
    });
    // Responses are our own output: their shapes are what validation guards. The fast format
    // checks still catch a malformed date or id, without the calendar arithmetic of the full
    // ones, which cost as much as the database query on the busiest lists.
    addFormats.default(responseAjv, { mode: 'fast' });
    await server.register(fastifyResponseValidation, { ajv: responseAjv });
  }

  await server.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'drivetrain API',
        version: '1',
        description:
          'The HTTP API of drivetrain. Every operation states the role it needs in `x-required-role`; errors are `application/problem+json` with a stable `code`; lists are paged with `limit` and `cursor`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API token (dt_…)' },
        },
      },
    },
  });
  await server.register(fastifySwaggerUi, { routePrefix: '/docs' });

  for (const register of routeModules) await register(server, app);

  server.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    server.swagger(),
  );

  const webRoot = options.webRoot;
  if (webRoot !== undefined && existsSync(join(webRoot, 'index.html'))) {
    // The UI is a single page with hash routes, so it is the index page plus its hashed assets;
    // sendFile refuses paths that leave the root.
    await server.register(fastifyStatic, { root: webRoot, serve: false });
    const page = { config: { access: 'public' as const }, schema: { hide: true } };
    server.get('/', page, (_request, reply) => reply.sendFile('index.html'));
    server.get('/assets/*', page, (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .sendFile(join('assets', file));
    });
  }
  server.setNotFoundHandler((request) => {
    throw new NotFound('route', `${request.method} ${request.url.split('?')[0] ?? ''}`);
  });
  return server;
}
