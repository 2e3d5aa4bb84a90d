import { Type } from 'typebox';
import { classifications, personalDataCategories } from '../../catalog/index.js';
import { principalOf } from '../access.js';
import { IdParams, PageOf, PageQuery, StringEnum } from '../schemas.js';
import type { RouteModule } from './index.js';

const DomainSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    ownerTeamId: Type.String(),
    ownerTeamName: Type.String(),
    productCount: Type.Integer(),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);

const QualityFailureSchema = Type.Object(
  {
    check: Type.String(),
    recordings: Type.Integer(),
    example: Type.Union([Type.String(), Type.Null()]),
    detail: Type.String(),
  },
  { additionalProperties: false },
);

const ProductSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    domainId: Type.String(),
    domainName: Type.String(),
    ownerTeamId: Type.String(),
    ownerTeamName: Type.String(),
    description: Type.String(),
    classification: StringEnum(classifications),
    personalData: Type.Array(StringEnum(personalDataCategories)),
    residency: Type.String(),
    rule: Type.Unknown({ description: "which of the owner team's recordings the product serves" }),
    slos: Type.Unknown({ description: 'service levels its contract checks test' }),
    quality: Type.Object(
      {
        status: StringEnum(['passing', 'failing', 'unknown'] as const),
        failures: Type.Array(QualityFailureSchema),
        checkedAt: Type.Union([Type.String(), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    grants: Type.Array(
      Type.Object(
        { teamId: Type.String(), teamName: Type.String() },
        { additionalProperties: false },
      ),
    ),
    recordingCount: Type.Integer(),
    access: StringEnum(['owner', 'granted', 'none'] as const),
    contractVersion: Type.String(),
    hasContract: Type.Boolean(),
    revision: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);

const ProductBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    domain: Type.Optional(Type.String({ maxLength: 100 })),
    ownerTeam: Type.Optional(Type.String({ maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    classification: Type.Optional(Type.String()),
    personalData: Type.Optional(Type.Array(Type.String())),
    residency: Type.Optional(Type.String()),
    rule: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    slos: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

const SegmentSchema = Type.Object(
  {
    id: Type.String(),
    recordingId: Type.String(),
    seq: Type.Integer(),
    start: Type.String(),
    end: Type.String(),
    country: Type.Union([Type.String(), Type.Null()]),
    daylight: Type.Union([Type.String(), Type.Null()]),
    speedKmhMean: Type.Union([Type.Number(), Type.Null()]),
    speedKmhMax: Type.Union([Type.Number(), Type.Null()]),
    lat: Type.Union([Type.Number(), Type.Null()]),
    lon: Type.Union([Type.Number(), Type.Null()]),
    tags: Type.Array(Type.String()),
    matchedTags: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

const SearchBody = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 4096 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const NameParams = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100 }),
    team: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);

/** Domains, data products, contracts, grants, quality checks and scenario search. */
export const catalogRoutes: RouteModule = (server, app) => {
  server.get(
    '/domains',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'Every domain of the data mesh',
        response: { 200: Type.Object({ items: Type.Array(DomainSchema) }) },
      },
    },
    async () => ({ items: await app.catalog.listDomains() }),
  );

  server.post(
    '/domains',
    {
      config: { access: 'data-steward' },
      schema: {
        tags: ['catalog'],
        summary: 'Create a domain owned by one of your teams',
        body: Type.Object(
          {
            name: Type.String({ maxLength: 100 }),
            ownerTeam: Type.String({ maxLength: 100 }),
            description: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: DomainSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await app.catalog.createDomain(principalOf(request), request.body)),
  );

  server.get(
    '/products',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary:
          'Data products in name order (every product is discoverable; its data needs a grant)',
        querystring: Type.Object(
          {
            ...PageQuery,
            domain: Type.Optional(Type.String({ maxLength: 100 })),
            readable: Type.Optional(
              Type.Boolean({ description: 'only products your teams may read' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(ProductSchema) },
      },
    },
    async (request) => app.catalog.listProducts(principalOf(request), request.query),
  );

  server.post(
    '/products',
    {
      config: { access: 'data-steward' },
      schema: {
        tags: ['catalog'],
        summary: 'Create a data product',
        body: ProductBody,
        response: { 201: ProductSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await app.catalog.createProduct(principalOf(request), request.body)),
  );

  server.get(
    '/products/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'A data product by id or name',
        params: IdParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) => app.catalog.getProduct(principalOf(request), request.params.id),
  );

  server.patch(
    '/products/:id',
    {
      config: { access: 'data-steward' },
      schema: {
        tags: ['catalog'],
        summary:
          'Change a product (description, classification, rule, SLOs); re-evaluates what it serves',
        params: IdParams,
        body: ProductBody,
        response: { 200: ProductSchema },
      },
    },
    async (request) =>
      app.catalog.updateProduct(principalOf(request), request.params.id, request.body),
  );

  server.get(
    '/products/:id/recordings',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'Recordings a product serves (needs read access to the product)',
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: PageOf(
            Type.Object(
              {
                id: Type.String(),
                name: Type.String(),
                vehicle: Type.Union([Type.String(), Type.Null()]),
                startMs: Type.Union([Type.Number(), Type.Null()]),
                endMs: Type.Union([Type.Number(), Type.Null()]),
                status: Type.String(),
              },
              { additionalProperties: false },
            ),
          ),
        },
      },
    },
    async (request) =>
      app.catalog.productRecordings(principalOf(request), request.params.id, request.query),
  );

  server.get(
    '/products/:id/checks',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'Contract check results of a product, failing first',
        params: IdParams,
        querystring: Type.Object(
          {
            failing: Type.Optional(Type.Boolean()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object(
                {
                  recordingId: Type.String(),
                  check: Type.String(),
                  passed: Type.Boolean(),
                  detail: Type.String(),
                  checkedAt: Type.String(),
                },
                { additionalProperties: false },
              ),
            ),
          }),
        },
      },
    },
    async (request) => ({
      items: await app.catalog.checks(principalOf(request), request.params.id, {
        ...(request.query.failing === undefined ? {} : { failingOnly: request.query.failing }),
        ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
      }),
    }),
  );

  server.post(
    '/products/:id/checks',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['catalog'],
        summary: 'Run every contract check of a product now',
        params: IdParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) => app.catalog.recheck(principalOf(request), request.params.id),
  );

  server.put(
    '/products/:id/grants/:team',
    {
      config: { access: 'data-steward' },
      schema: {
        tags: ['catalog'],
        summary: 'Let a team read the product',
        params: NameParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) =>
      app.catalog.grant(principalOf(request), request.params.id, request.params.team),
  );

  server.delete(
    '/products/:id/grants/:team',
    {
      config: { access: 'data-steward' },
      schema: {
        tags: ['catalog'],
        summary: "Take a team's read access away",
        params: NameParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) =>
      app.catalog.revoke(principalOf(request), request.params.id, request.params.team),
  );

  server.get(
    '/products/:id/contract',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'The product as an ODCS v3 data contract (YAML)',
        params: IdParams,
        produces: ['application/yaml'],
      },
    },
    async (request, reply) =>
      reply
        .header('content-type', 'application/yaml; charset=utf-8')
        .send(await app.catalog.exportContract(principalOf(request), request.params.id)),
  );

  server.post(
    '/contracts',
    {
      config: { access: 'data-steward' },
      schema: {
        tags: ['catalog'],
        summary: 'Import an ODCS v3 contract (YAML or JSON text): creates or updates its product',
        body: Type.Object(
          { contract: Type.String({ minLength: 1, maxLength: 1_000_000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ product: ProductSchema, notRun: Type.Array(Type.String()) }),
        },
      },
    },
    async (request) => app.catalog.importContract(principalOf(request), request.body.contract),
  );

  server.post(
    '/search',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['search'],
        summary: 'Scenario search: segments matching a query that your teams may read',
        body: SearchBody,
        response: {
          200: Type.Object({
            items: Type.Array(SegmentSchema),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const page = await app.search.search(principalOf(request), request.body);
      return {
        items: page.items.map(({ startMs, endMs, ...hit }) => ({
          ...hit,
          start: new Date(startMs).toISOString(),
          end: new Date(endMs).toISOString(),
        })),
        next: page.next,
      };
    },
  );

  server.get(
    '/search/tracks',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['search'],
        summary: 'GNSS tracks (a point per readable segment) of recordings',
        querystring: Type.Object(
          {
            recordings: Type.String({
              minLength: 1,
              maxLength: 10_000,
              description: 'comma-separated recording ids (at most 100)',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object(
                {
                  recordingId: Type.String(),
                  points: Type.Array(
                    Type.Object(
                      {
                        seq: Type.Integer(),
                        lat: Type.Number(),
                        lon: Type.Number(),
                        startMs: Type.Number(),
                      },
                      { additionalProperties: false },
                    ),
                  ),
                },
                { additionalProperties: false },
              ),
            ),
          }),
        },
      },
    },
    async (request) => ({
      items: await app.search.tracks(
        principalOf(request),
        request.query.recordings
          .split(',')
          .filter((id) => id !== '')
          .slice(0, 100),
      ),
    }),
  );
};
