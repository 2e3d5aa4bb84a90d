import { Type } from 'typebox';
import { listAudit, verifyAudit } from '../../platform/index.js';
import { IsoTime, PageOf, PageQuery } from '../schemas.js';
import type { RouteModule } from './index.js';

const AuditEntry = Type.Object(
  {
    seq: Type.Integer(),
    id: Type.String(),
    at: IsoTime,
    actor: Type.String(),
    action: Type.String(),
    targetKind: Type.String(),
    targetId: Type.String(),
    beforeDigest: Type.Union([Type.String(), Type.Null()]),
    afterDigest: Type.Union([Type.String(), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
    prevHash: Type.String(),
    hash: Type.String(),
  },
  { additionalProperties: false },
);

const Verification = Type.Object(
  {
    ok: Type.Boolean(),
    entries: Type.Integer(),
    head: Type.Optional(Type.String()),
    firstBad: Type.Optional(
      Type.Object(
        { seq: Type.Integer(), id: Type.String(), reason: Type.String() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The append-only, hash-chained audit log: read and verify. */
export const auditRoutes: RouteModule = (server, app) => {
  server.get(
    '/audit',
    {
      config: { access: 'safety-assessor' },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first',
        querystring: Type.Object(
          {
            ...PageQuery,
            targetKind: Type.Optional(Type.String({ maxLength: 100 })),
            targetId: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(AuditEntry) },
      },
    },
    async (request) => {
      const page = await listAudit(app.store.db, request.query);
      return { items: page.items.map((e) => ({ ...e, at: e.at.toISOString() })), next: page.next };
    },
  );

  server.get(
    '/audit/verify',
    {
      config: { access: 'safety-assessor' },
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain and report the first tampered entry',
        response: { 200: Verification },
      },
    },
    async () => verifyAudit(app.store.db),
  );
};
