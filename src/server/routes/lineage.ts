import { Type } from 'typebox';
import { InvalidInput } from '../../platform/index.js';
import { StringEnum } from '../schemas.js';
import type { RouteModule } from './index.js';

const NodeSchema = Type.Object(
  {
    id: Type.String(),
    kind: StringEnum(['dataset', 'job'] as const),
    namespace: Type.String(),
    name: Type.String(),
    lastRunId: Type.String(),
    lastEventType: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);

/** OpenLineage run events as stored, and the lineage graph around a dataset or job. */
export const lineageRoutes: RouteModule = (server, app) => {
  server.get(
    '/lineage/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['lineage'],
        summary: 'OpenLineage run events in arrival order',
        querystring: Type.Object(
          {
            since: Type.Optional(
              Type.String({ format: 'date-time', description: 'events from this time on' }),
            ),
            run: Type.Optional(Type.String({ maxLength: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            cursor: Type.Optional(Type.String({ maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object(
                {
                  seq: Type.Integer(),
                  event: Type.Unknown(),
                  forwardedAt: Type.Union([Type.String(), Type.Null()]),
                  forwardError: Type.Union([Type.String(), Type.Null()]),
                },
                { additionalProperties: false },
              ),
            ),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) =>
      app.lineage.events({
        ...(request.query.since === undefined ? {} : { since: new Date(request.query.since) }),
        ...(request.query.run === undefined ? {} : { runId: request.query.run }),
        ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
        ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
      }),
  );

  server.get(
    '/lineage',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['lineage'],
        summary: 'The lineage graph around a node: upstream, downstream or both, depth-limited',
        querystring: Type.Object(
          {
            node: Type.String({
              minLength: 1,
              maxLength: 1000,
              description: 'dataset or job name, e.g. recordings/<id> or datasets/<id>',
            }),
            kind: Type.Optional(StringEnum(['dataset', 'job'] as const)),
            namespace: Type.Optional(Type.String({ maxLength: 200 })),
            depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
            direction: Type.Optional(StringEnum(['upstream', 'downstream', 'both'] as const)),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              root: Type.String(),
              nodes: Type.Array(NodeSchema),
              edges: Type.Array(
                Type.Object(
                  { source: Type.String(), target: Type.String(), runId: Type.String() },
                  { additionalProperties: false },
                ),
              ),
              truncated: Type.Boolean(),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) => {
      const { node, kind, namespace, depth, direction } = request.query;
      if (node.trim() === '') throw new InvalidInput('node must name a dataset or job', 'node');
      return app.lineage.graph(
        {
          name: node,
          ...(kind === undefined ? {} : { kind }),
          ...(namespace === undefined ? {} : { namespace }),
        },
        {
          ...(depth === undefined ? {} : { depth }),
          ...(direction === undefined ? {} : { direction }),
        },
      );
    },
  );
};
