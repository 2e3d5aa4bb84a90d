import { Type } from 'typebox';
import { asDrivetrainError } from '../../platform/index.js';
import type { RouteModule } from './index.js';

const Check = Type.Object(
  {
    name: Type.String(),
    ok: Type.Boolean(),
    location: Type.String(),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const Readiness = Type.Object(
  { ready: Type.Boolean(), checks: Type.Array(Check) },
  { additionalProperties: false },
);

/** Liveness, readiness and Prometheus metrics. */
export const systemRoutes: RouteModule = (server, app) => {
  server.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness: the process is up',
        response: {
          200: Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false }),
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  server.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Readiness: the metadata store and the object store answer',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const probe = async (name: string, location: string, check: () => Promise<void>) => {
        try {
          await check();
          return { name, ok: true, location };
        } catch (error) {
          return { name, ok: false, location, error: asDrivetrainError(error).message };
        }
      };
      const checks = await Promise.all([
        probe('database', app.store.location, () => app.store.ping()),
        probe('objects', app.objects.location, () => app.objects.ping()),
      ]);
      const ready = checks.every((c) => c.ok);
      return reply.status(ready ? 200 : 503).send({ ready, checks });
    },
  );

  server.get(
    '/metrics',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Metrics in the Prometheus text format',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const body = await app.metrics.metrics();
      return reply.header('content-type', app.metrics.contentType).send(body);
    },
  );
};
