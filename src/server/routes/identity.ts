import { Type } from 'typebox';
import { Forbidden, teamRoles } from '../../platform/index.js';
import { principalOf } from '../access.js';
import { IdParams, StringEnum, IsoTime, NullableIsoTime, PageOf, PageQuery } from '../schemas.js';
import type { RouteModule } from './index.js';

const TeamRole = StringEnum(teamRoles);

const User = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    platformAdmin: Type.Boolean(),
    createdAt: IsoTime,
    disabledAt: NullableIsoTime,
    teams: Type.Array(
      Type.Object(
        { teamId: Type.String(), teamName: Type.String(), role: TeamRole },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Team = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    createdAt: IsoTime,
    members: Type.Array(
      Type.Object(
        { userId: Type.String(), userName: Type.String(), role: TeamRole },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const TeamSummary = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    createdAt: IsoTime,
    memberCount: Type.Integer(),
  },
  { additionalProperties: false },
);

const tokenFields = {
  id: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  createdAt: IsoTime,
  expiresAt: NullableIsoTime,
  revokedAt: NullableIsoTime,
  lastUsedAt: NullableIsoTime,
};
const Token = Type.Object(tokenFields, { additionalProperties: false });
const IssuedToken = Type.Object(
  { ...tokenFields, secret: Type.String({ description: 'shown once; only its hash is stored' }) },
  { additionalProperties: false },
);

const Name = Type.String({ minLength: 1, maxLength: 63 });

/** Users, teams, memberships and API tokens. */
export const identityRoutes: RouteModule = (server, app) => {
  const identity = app.identity;

  server.get(
    '/me',
    {
      config: { access: 'authenticated' },
      schema: { tags: ['identity'], summary: 'The signed-in user', response: { 200: User } },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.userId === null) throw new Forbidden('only users have a profile');
      return identity.getUser(principal.userId);
    },
  );

  server.get(
    '/users',
    {
      config: { access: 'platform-admin' },
      schema: {
        tags: ['identity'],
        summary: 'List users',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(User) },
      },
    },
    async (request) => identity.listUsers(request.query),
  );

  server.post(
    '/users',
    {
      config: { access: 'platform-admin' },
      schema: {
        tags: ['identity'],
        summary: 'Create a user',
        body: Type.Object(
          {
            name: Name,
            email: Type.Optional(
              Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]),
            ),
            platformAdmin: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: User },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await identity.createUser(principalOf(request), request.body)),
  );

  server.get(
    '/users/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: 'Get a user (yourself, or anyone as admin)',
        params: IdParams,
        response: { 200: User },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!principal.platformAdmin && principal.userId !== request.params.id) {
        throw new Forbidden('you can only see your own user');
      }
      return identity.getUser(request.params.id);
    },
  );

  server.patch(
    '/users/:id',
    {
      config: { access: 'platform-admin' },
      schema: {
        tags: ['identity'],
        summary: 'Disable or re-enable a user',
        params: IdParams,
        body: Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: User },
      },
    },
    async (request) =>
      identity.setUserDisabled(principalOf(request), request.params.id, request.body.disabled),
  );

  server.get(
    '/teams',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['identity'],
        summary: "List teams (with member counts; a team's own page lists its members)",
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(TeamSummary) },
      },
    },
    async (request) => identity.listTeams(request.query),
  );

  server.post(
    '/teams',
    {
      config: { access: 'platform-admin' },
      schema: {
        tags: ['identity'],
        summary: 'Create a team',
        body: Type.Object(
          { name: Name, description: Type.Optional(Type.String({ maxLength: 1000 })) },
          { additionalProperties: false },
        ),
        response: { 201: Team },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await identity.createTeam(principalOf(request), request.body)),
  );

  server.get(
    '/teams/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['identity'],
        summary: 'Get a team with its members',
        params: IdParams,
        response: { 200: Team },
      },
    },
    async (request) => identity.getTeam(request.params.id),
  );

  const MemberParams = Type.Object(
    {
      id: Type.String({ minLength: 1, maxLength: 100 }),
      userId: Type.String({ minLength: 1, maxLength: 100 }),
    },
    { additionalProperties: false },
  );

  server.put(
    '/teams/:id/members/:userId',
    {
      config: { access: 'platform-admin' },
      schema: {
        tags: ['identity'],
        summary: "Add a user to a team or change the user's role in it",
        params: MemberParams,
        body: Type.Object({ role: TeamRole }, { additionalProperties: false }),
        response: { 200: Team },
      },
    },
    async (request) =>
      identity.setMembership(
        principalOf(request),
        request.params.id,
        request.params.userId,
        request.body.role,
      ),
  );

  server.delete(
    '/teams/:id/members/:userId',
    {
      config: { access: 'platform-admin' },
      schema: {
        tags: ['identity'],
        summary: 'Remove a user from a team',
        params: MemberParams,
        response: { 200: Team },
      },
    },
    async (request) =>
      identity.removeMembership(principalOf(request), request.params.id, request.params.userId),
  );

  server.get(
    '/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: "List API tokens (your own; any user's as admin)",
        querystring: Type.Object(
          { ...PageQuery, userId: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(Token) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const userId =
        request.query.userId ?? (principal.platformAdmin ? undefined : (principal.userId ?? ''));
      if (!principal.platformAdmin && userId !== principal.userId)
        throw new Forbidden('you can only list your own tokens');
      return identity.listTokens({ ...request.query, ...(userId === undefined ? {} : { userId }) });
    },
  );

  server.post(
    '/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary:
          'Issue an API token (for yourself; for any user as admin). The secret is returned once.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            userId: Type.Optional(Type.String({ maxLength: 100 })),
            expiresAt: Type.Optional(Type.Union([IsoTime, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: IssuedToken },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const userId = request.body.userId ?? principal.userId;
      if (userId === null || (!principal.platformAdmin && userId !== principal.userId)) {
        throw new Forbidden('you can only issue tokens for yourself');
      }
      const expiresAt = request.body.expiresAt == null ? null : new Date(request.body.expiresAt);
      const token = await identity.createToken(principal, {
        userId,
        name: request.body.name,
        expiresAt,
      });
      return reply.status(201).send(token);
    },
  );

  server.delete(
    '/tokens/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: 'Revoke an API token',
        params: IdParams,
        response: { 200: Token },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const token = await identity.getToken(request.params.id);
      if (!principal.platformAdmin && token.userId !== principal.userId) {
        throw new Forbidden('you can only revoke your own tokens');
      }
      return identity.revokeToken(principal, request.params.id);
    },
  );
};
