import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { diffVersions } from '../../datasets/index.js';
import { principalOf } from '../access.js';
import { PageOf, PageQuery } from '../schemas.js';
import type { RouteModule } from './index.js';

const CoverageSchema = Type.Object(
  {
    requirement: Type.String(),
    attribute: Type.String(),
    unit: Type.String(),
    target: Type.Number(),
    actual: Type.Number(),
    pass: Type.Boolean(),
  },
  { additionalProperties: false },
);

const VersionSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    samples: Type.Integer(),
    recordings: Type.Integer(),
    segments: Type.Integer(),
    splits: Type.Record(Type.String(), Type.Integer()),
    coverage: Type.Array(CoverageSchema),
    requirementsMet: Type.Boolean(),
    manifestSize: Type.Integer(),
    createdBy: Type.String(),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);

const CardSchema = Type.Object(
  {
    ...VersionSchema.properties,
    definition: Type.Unknown(),
    definitionHash: Type.String(),
    splitBy: Type.String(),
    independence: Type.Array(
      Type.Object(
        {
          key: Type.String(),
          enforced: Type.Boolean(),
          shared: Type.Integer(),
          examples: Type.Array(Type.String()),
          pass: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
    ),
    tagCounts: Type.Record(Type.String(), Type.Integer()),
    notes: Type.Unknown(),
    files: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

const VersionParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

/** Dataset builds and immutable versions: cards, diffs, manifests, splits and coverage. */
export const datasetRoutes: RouteModule = (server, app) => {
  server.post(
    '/datasets/builds',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['datasets'],
        summary:
          'Build a dataset version from a definition (YAML text or object); returns the task',
        body: Type.Object(
          {
            definition: Type.Union([
              Type.String({ maxLength: 1_000_000 }),
              Type.Record(Type.String(), Type.Unknown()),
            ]),
            team: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const task = await app.datasets.submit(principalOf(request), {
        definition: request.body.definition,
        ...(request.body.team === undefined ? {} : { team: request.body.team }),
      });
      return reply.status(202).send(task);
    },
  );

  server.post(
    '/datasets/definitions/check',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Check a definition without building it; returns it normalised',
        body: Type.Object(
          {
            definition: Type.Union([
              Type.String({ maxLength: 1_000_000 }),
              Type.Record(Type.String(), Type.Unknown()),
            ]),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ definition: app.datasets.parse(request.body.definition) }),
  );

  server.get(
    '/datasets',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Dataset versions your teams built, newest first',
        querystring: Type.Object(
          { ...PageQuery, name: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(VersionSchema) },
      },
    },
    async (request) => app.datasets.list(principalOf(request), request.query),
  );

  server.get(
    '/datasets/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'The card of a version (id or unique id prefix)',
        params: VersionParams,
        response: { 200: CardSchema },
      },
    },
    async (request) => app.datasets.card(principalOf(request), request.params.id),
  );

  server.get(
    '/datasets/:id/diff/:other',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Samples added and removed from one version to another, and the coverage change',
        params: Type.Object(
          {
            id: Type.String({ minLength: 1, maxLength: 100 }),
            other: Type.String({ minLength: 1, maxLength: 100 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) =>
      diffVersions(
        app.datasets,
        app.objects,
        principalOf(request),
        request.params.id,
        request.params.other,
      ),
  );

  const file = (
    path: string,
    name: (params: Record<string, string>) => string,
    summary: string,
  ): void => {
    server.get(
      path,
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['datasets'],
          summary,
          params: Type.Object(
            {
              id: Type.String({ minLength: 1, maxLength: 100 }),
              ...(path.includes(':split')
                ? { split: Type.String({ minLength: 1, maxLength: 40 }) }
                : {}),
            },
            { additionalProperties: false },
          ),
          produces: ['application/vnd.apache.parquet', 'application/json'],
        },
      },
      async (request, reply) => {
        const params = request.params as Record<string, string>;
        const found = await app.datasets.file(principalOf(request), params.id ?? '', name(params));
        return reply.header('content-type', found.contentType).send(Readable.from(found.body));
      },
    );
  };
  file('/datasets/:id/manifest', () => 'manifest', 'The manifest (Parquet): one row per sample');
  file('/datasets/:id/coverage', () => 'coverage', 'Coverage of the data requirements (JSON)');
  file(
    '/datasets/:id/splits/:split',
    (p) => `splits/${p.split ?? ''}`,
    'The manifest rows of one split (Parquet)',
  );
};
