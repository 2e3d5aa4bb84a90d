import { Readable } from 'node:stream';
import { Type } from 'typebox';
import {
  Forbidden,
  holdsRoleInTeam,
  InvalidInput,
  NotFound,
  requireRoleInTeam,
  teamIdsOf,
  type Principal,
} from '../../platform/index.js';
import { recordingStatuses, Uploads, type Recording } from '../../recordings/index.js';
import type { App } from '../../app/index.js';
import { principalOf } from '../access.js';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, StringEnum } from '../schemas.js';
import type { RouteModule } from './index.js';

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

const RecordingSchema = Type.Object(
  {
    id: Type.String(),
    sha256: Type.String(),
    name: Type.String(),
    format: NullableString,
    status: StringEnum(recordingStatuses),
    teamId: Type.String(),
    vehicle: NullableString,
    size: Type.Integer(),
    bytesRead: Type.Integer(),
    startTime: NullableIsoTime,
    endTime: NullableIsoTime,
    durationSeconds: NullableNumber,
    messageCount: Type.Union([Type.Integer(), Type.Null()]),
    country: NullableString,
    bbox: Type.Union([
      Type.Object(
        {
          minLat: Type.Number(),
          minLon: Type.Number(),
          maxLat: Type.Number(),
          maxLon: Type.Number(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    metadata: Type.Array(
      Type.Object(
        { name: Type.String(), entries: Type.Record(Type.String(), Type.String()) },
        { additionalProperties: false },
      ),
    ),
    library: NullableString,
    error: Type.Union([
      Type.Object(
        {
          code: Type.String(),
          message: Type.String(),
          offset: Type.Union([Type.Integer(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    taskId: NullableString,
    sync: Type.Union([
      Type.Object(
        { score: Type.Number(), passed: Type.Boolean() },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    createdBy: Type.String(),
    createdAt: IsoTime,
    ingestedAt: NullableIsoTime,
  },
  { additionalProperties: false },
);

const ChannelSchema = Type.Object(
  {
    key: Type.Integer(),
    topic: Type.String(),
    sensor: Type.String(),
    schemaName: Type.String(),
    schemaEncoding: Type.String(),
    messageEncoding: Type.String(),
    messageCount: Type.Integer(),
    frequencyHz: NullableNumber,
    startTime: NullableIsoTime,
    endTime: NullableIsoTime,
    maxGapMs: NullableNumber,
    gapCount: Type.Integer(),
  },
  { additionalProperties: false },
);

const SegmentSchema = Type.Object(
  {
    id: Type.String(),
    recordingId: Type.String(),
    seq: Type.Integer(),
    start: IsoTime,
    end: IsoTime,
    country: NullableString,
    daylight: NullableString,
    speedKmhMean: NullableNumber,
    speedKmhMax: NullableNumber,
    lat: NullableNumber,
    lon: NullableNumber,
    tags: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

const Added = Type.Object(
  { recording: RecordingSchema, duplicate: Type.Boolean() },
  { additionalProperties: false },
);

const UploadSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    teamId: Type.String(),
    vehicle: NullableString,
    size: Type.Integer(),
    partSize: Type.Integer(),
    partCount: Type.Integer(),
    parts: Type.Array(
      Type.Object(
        { number: Type.Integer(), size: Type.Integer(), sha256: Type.String() },
        { additionalProperties: false },
      ),
    ),
    createdAt: IsoTime,
    completedAt: NullableIsoTime,
    recordingId: NullableString,
  },
  { additionalProperties: false },
);

const Name = Type.String({ minLength: 1, maxLength: 255 });
const Vehicle = Type.String({ minLength: 1, maxLength: 100 });
const TeamRef = Type.String({ minLength: 1, maxLength: 100, description: 'team id or name' });

/** The team a file goes to: the one named, or the caller's only team. */
async function targetTeam(
  app: App,
  principal: Principal,
  team: string | undefined,
): Promise<string> {
  if (team !== undefined) {
    return team.startsWith('team_')
      ? (await app.identity.getTeam(team)).id
      : (await app.identity.findTeamByName(team)).id;
  }
  const teams = teamIdsOf(principal);
  if (teams.length === 1 && teams[0] !== undefined) return teams[0];
  throw new InvalidInput('name the team the recording belongs to (?team=)', 'team');
}

/** Recordings of teams the caller belongs to; platform admins see all. */
function visibleTeams(principal: Principal): string[] | undefined {
  return principal.platformAdmin ? undefined : teamIdsOf(principal);
}

async function visibleRecording(app: App, principal: Principal, id: string): Promise<Recording> {
  const recording = await app.recordings.get(id);
  if (!holdsRoleInTeam(principal, recording.teamId, 'viewer'))
    throw new Forbidden(`you cannot see recording ${id}`);
  return recording;
}

function bodyStream(body: unknown): AsyncIterable<Uint8Array> {
  if (body instanceof Readable) return body;
  if (body instanceof Uint8Array) return Readable.from([body]);
  throw new InvalidInput(
    'send the file as the request body with content-type application/octet-stream',
    'body',
  );
}

/** Uploading, ingesting and browsing drive recordings. */
export const recordingRoutes: RouteModule = (server, app) => {
  // Recording bodies are streamed straight into the object store, never buffered.
  server.addContentTypeParser('application/octet-stream', (_request, payload, done) =>
    done(null, payload),
  );
  const uploads = new Uploads(app.store.db, app.objects);

  server.post(
    '/recordings',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['recordings'],
        summary:
          'Upload a recording (the request body is the file, application/octet-stream) and queue its ingest',
        description:
          'The file is streamed into the object store while its sha256 is computed. Content that is already a recording returns that recording with `duplicate: true` (status 200). For files of many GB use the resumable `/uploads` API.',
        querystring: Type.Object(
          { name: Name, team: Type.Optional(TeamRef), vehicle: Type.Optional(Vehicle) },
          { additionalProperties: false },
        ),
        response: { 200: Added, 201: Added },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const teamId = await targetTeam(app, principal, request.query.team);
      requireRoleInTeam(principal, teamId, 'engineer');
      const added = await app.recordings.add(principal, {
        name: request.query.name,
        teamId,
        vehicle: request.query.vehicle ?? null,
        body: bodyStream(request.body),
      });
      return reply.status(added.duplicate ? 200 : 201).send(added);
    },
  );

  server.get(
    '/recordings',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recordings'],
        summary:
          'Recordings of your teams, newest first, filtered by vehicle, time, sensor, country, tag or status',
        querystring: Type.Object(
          {
            ...PageQuery,
            vehicle: Type.Optional(Vehicle),
            status: Type.Optional(StringEnum(recordingStatuses)),
            sensor: Type.Optional(Type.String({ maxLength: 20 })),
            country: Type.Optional(Type.String({ minLength: 2, maxLength: 2 })),
            tag: Type.Optional(Type.String({ maxLength: 100 })),
            from: Type.Optional(IsoTime),
            to: Type.Optional(IsoTime),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(RecordingSchema) },
      },
    },
    async (request) => {
      const { from, to, ...rest } = request.query;
      const teamIds = visibleTeams(principalOf(request));
      return app.recordings.list({
        ...rest,
        ...(teamIds === undefined ? {} : { teamIds }),
        ...(from === undefined ? {} : { from: new Date(from) }),
        ...(to === undefined ? {} : { to: new Date(to) }),
      });
    },
  );

  server.get(
    '/recordings/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recordings'],
        summary: 'A recording with its channels',
        params: IdParams,
        response: {
          200: Type.Object(
            { recording: RecordingSchema, channels: Type.Array(ChannelSchema) },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) => {
      const recording = await visibleRecording(app, principalOf(request), request.params.id);
      return { recording, channels: await app.recordings.channels(recording.id) };
    },
  );

  server.get(
    '/recordings/:id/segments',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recordings'],
        summary: "A recording's segments with their tags",
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(SegmentSchema) },
      },
    },
    async (request) => {
      await visibleRecording(app, principalOf(request), request.params.id);
      return app.recordings.segments(request.params.id, request.query);
    },
  );

  server.get(
    '/recordings/:id/rates',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recordings'],
        summary: 'Message counts per channel over time, for the rate plot',
        params: IdParams,
        querystring: Type.Object(
          { bins: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 200 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              start: NullableIsoTime,
              binSeconds: Type.Number(),
              channels: Type.Array(
                Type.Object(
                  {
                    key: Type.Integer(),
                    topic: Type.String(),
                    sensor: Type.String(),
                    counts: Type.Array(Type.Integer()),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) => {
      await visibleRecording(app, principalOf(request), request.params.id);
      return app.recordings.rates(request.params.id, request.query.bins ?? 200);
    },
  );

  server.get(
    '/recordings/:id/sync',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recordings'],
        summary:
          "The recording's sync quality report: clocks, rates, and every sensor against the reference",
        params: IdParams,
        response: {
          200: Type.Object(
            {
              version: Type.Literal(1),
              reference: Type.String(),
              score: Type.Number(),
              threshold: Type.Number(),
              passed: Type.Boolean(),
              channels: Type.Array(
                Type.Object(
                  { name: Type.String(), messages: Type.Integer() },
                  { additionalProperties: true },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) => {
      const recording = await visibleRecording(app, principalOf(request), request.params.id);
      const report = await app.recordings.syncQuality(recording.id);
      if (report === undefined) throw new NotFound('sync report of recording', recording.id);
      return { ...report, channels: [...report.channels] };
    },
  );

  server.get(
    '/recordings/:id/file',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recordings'],
        summary: 'Download the recorded file (single-file recordings)',
        params: IdParams,
        produces: ['application/octet-stream'],
      },
    },
    async (request, reply) => {
      const recording = await visibleRecording(app, principalOf(request), request.params.id);
      const stream = await app.recordings.file(recording.id);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(recording.size))
        .header(
          'content-disposition',
          `attachment; filename="${recording.name.replace(/["\\\r\n]/g, '_')}"`,
        )
        .send(Readable.from(stream));
    },
  );

  server.post(
    '/uploads',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['recordings'],
        summary: 'Start a resumable upload of a large recording',
        body: Type.Object(
          {
            name: Name,
            size: Type.Integer({ minimum: 1 }),
            team: Type.Optional(TeamRef),
            vehicle: Type.Optional(Vehicle),
          },
          { additionalProperties: false },
        ),
        response: { 201: UploadSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const teamId = await targetTeam(app, principal, request.body.team);
      requireRoleInTeam(principal, teamId, 'engineer');
      const upload = await uploads.create(principal, {
        ...request.body,
        teamId,
        vehicle: request.body.vehicle ?? null,
      });
      return reply.status(201).send(upload);
    },
  );

  const PartParams = Type.Object(
    { id: Type.String({ minLength: 1, maxLength: 100 }), number: Type.Integer({ minimum: 1 }) },
    { additionalProperties: false },
  );

  server.put(
    '/uploads/:id/parts/:number',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['recordings'],
        summary:
          'Send one part of an upload (application/octet-stream); sending a part again replaces it',
        params: PartParams,
        response: {
          200: Type.Object(
            { number: Type.Integer(), size: Type.Integer(), sha256: Type.String() },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) =>
      uploads.putPart(
        principalOf(request),
        request.params.id,
        request.params.number,
        bodyStream(request.body),
      ),
  );

  server.get(
    '/uploads/:id',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['recordings'],
        summary: 'An upload and the parts that arrived (to resume)',
        params: IdParams,
        response: { 200: UploadSchema },
      },
    },
    async (request) => uploads.get(principalOf(request), request.params.id),
  );

  server.post(
    '/uploads/:id/complete',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['recordings'],
        summary: 'Finish an upload: the parts become the recording, and its ingest is queued',
        params: IdParams,
        response: { 200: Added, 201: Added },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const added = await uploads.complete(principal, request.params.id, (upload, body) => {
        requireRoleInTeam(principal, upload.teamId, 'engineer');
        return app.recordings.add(principal, {
          name: upload.name,
          teamId: upload.teamId,
          vehicle: upload.vehicle,
          body,
        });
      });
      return reply.status(added.duplicate ? 200 : 201).send(added);
    },
  );

  server.delete(
    '/uploads/:id',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['recordings'],
        summary: 'Abandon an upload and remove its parts',
        params: IdParams,
        response: {
          200: Type.Object(
            { id: Type.String(), aborted: Type.Boolean() },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) => {
      await uploads.abort(principalOf(request), request.params.id);
      return { id: request.params.id, aborted: true };
    },
  );
};
