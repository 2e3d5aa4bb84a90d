import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { jobStates, type LogEvent } from '../../compute/index.js';
import { InvalidInput } from '../../platform/index.js';
import { principalOf } from '../access.js';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, StringEnum } from '../schemas.js';
import type { RouteModule } from './index.js';

const JobState = StringEnum(jobStates);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

const jobFields = {
  id: Type.String(),
  name: Type.String(),
  team: Type.String(),
  queue: Type.String({ description: "the team's LocalQueue" }),
  project: Nullable(Type.String()),
  state: JobState,
  executor: Type.String(),
  priority: Type.String(),
  accelerator: Type.String(),
  accelerators: Type.Integer({ description: 'accelerators of all replicas together' }),
  replicas: Type.Integer(),
  checkpointing: Type.Boolean(),
  attempt: Type.Integer(),
  retries: Type.Integer(),
  failures: Type.Integer(),
  flavor: Nullable(Type.String()),
  message: Nullable(Type.String()),
  pendingReason: Nullable(
    Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
  ),
  createdBy: Type.String(),
  createdAt: IsoTime,
  admittedAt: NullableIsoTime,
  startedAt: NullableIsoTime,
  finishedAt: NullableIsoTime,
  times: Type.Object(
    Object.fromEntries(jobStates.map((s) => [s, NullableIsoTime])) as Record<
      (typeof jobStates)[number],
      typeof NullableIsoTime
    >,
    { additionalProperties: false },
  ),
  cost: Type.Number({ description: 'accelerator-hours × flavor price over every attempt' }),
  currency: Type.String(),
  acceleratorHours: Type.Number(),
};
const Job = Type.Object(jobFields, { additionalProperties: false });

const JobDetail = Type.Object(
  {
    ...jobFields,
    spec: Type.Object({}, { additionalProperties: true }),
    attempts: Type.Array(
      Type.Object(
        {
          attempt: Type.Integer(),
          flavor: Type.String(),
          accelerators: Type.Integer(),
          admittedAt: IsoTime,
          startedAt: NullableIsoTime,
          endedAt: NullableIsoTime,
          outcome: Type.String(),
          exitCode: Nullable(Type.Integer()),
          message: Nullable(Type.String()),
          logBytes: Type.Integer(),
          logTruncated: Type.Boolean(),
          cost: Type.Number(),
        },
        { additionalProperties: false },
      ),
    ),
    events: Type.Array(
      Type.Object(
        {
          at: IsoTime,
          attempt: Type.Integer(),
          from: Nullable(Type.String()),
          to: Type.String(),
          message: Nullable(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    artifacts: Type.Array(
      Type.Object(
        {
          attempt: Type.Integer(),
          path: Type.String(),
          size: Type.Integer(),
          sha256: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Explanation = Type.Object(
  {
    state: JobState,
    workloadId: Type.String(),
    clusterQueue: Type.String(),
    cohort: Type.Optional(Type.String()),
    position: Type.Integer(),
    ahead: Type.Array(Type.String()),
    decision: Type.Object({ kind: Type.String() }, { additionalProperties: true }),
    findings: Type.Array(Type.Object({}, { additionalProperties: true })),
    wouldBorrow: Type.Array(
      Type.Object(
        { flavor: Type.String(), resource: Type.String(), amount: Type.Number() },
        { additionalProperties: false },
      ),
    ),
    mustFinish: Type.Array(Type.String()),
    wouldPreempt: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

const CostRow = Type.Object(
  {
    key: Type.String(),
    acceleratorHours: Type.Number(),
    allocationCost: Type.Number(),
    idleCost: Type.Number(),
    totalCost: Type.Number(),
  },
  { additionalProperties: false },
);

const Period = {
  from: Type.String({ format: 'date-time', description: 'start of the period (ISO 8601)' }),
  to: Type.String({ format: 'date-time', description: 'end of the period (ISO 8601)' }),
};
const GroupBy = StringEnum(['team', 'project', 'flavor'] as const);

/** The service returns read-only data; the response schemas' types are mutable, with the same shape. */
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
const out = async <T>(value: Promise<T>): Promise<Writable<T>> => (await value) as Writable<T>;

function seconds(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InvalidInput(`${field}: not a time`, field);
  return ms / 1000;
}

/** Training jobs (submit, follow, cancel, explain, logs, metrics, artifacts) and their cost. */
export const computeRoutes: RouteModule = (server, app) => {
  const compute = app.compute;

  server.post(
    '/jobs',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['jobs'],
        summary: 'Submit a training job (the job document of `drivetrain jobs submit`)',
        body: Type.Object({}, { additionalProperties: true }),
        response: { 201: Job },
      },
    },
    async (request, reply) => {
      const job = await compute.submit(principalOf(request), request.body);
      return reply.status(201).send(job);
    },
  );

  server.get(
    '/jobs',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'Jobs of your teams, newest first',
        querystring: Type.Object(
          {
            ...PageQuery,
            team: Type.Optional(Type.String({ maxLength: 63 })),
            state: Type.Optional(JobState),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(Job) },
      },
    },
    async (request) => compute.list(request.query, principalOf(request)),
  );

  server.get(
    '/jobs/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'A job with its attempts, state timeline and artifacts',
        params: IdParams,
        response: { 200: JobDetail },
      },
    },
    async (request) => out(compute.get(request.params.id, principalOf(request))),
  );

  server.post(
    '/jobs/:id/cancel',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job: at once when it waits, by stopping it when it runs',
        params: IdParams,
        response: { 200: Job },
      },
    },
    async (request) => compute.cancel(principalOf(request), request.params.id),
  );

  server.get(
    '/jobs/:id/explain',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary:
          'Why a pending job waits: quota per flavor, what it would borrow, its position, what must finish or be preempted',
        params: IdParams,
        response: { 200: Explanation },
      },
    },
    async (request) => out(compute.explain(request.params.id, principalOf(request))),
  );

  server.get(
    '/jobs/:id/metrics',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'Metric series the job reported (step, name, value)',
        params: IdParams,
        response: {
          200: Type.Array(
            Type.Object(
              {
                name: Type.String(),
                points: Type.Array(
                  Type.Object(
                    {
                      attempt: Type.Integer(),
                      step: Type.Integer(),
                      value: Type.Number(),
                      at: IsoTime,
                    },
                    { additionalProperties: false },
                  ),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        },
      },
    },
    async (request) => out(compute.metrics(request.params.id, principalOf(request))),
  );

  server.get(
    '/jobs/:id/artifact',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'Download one artifact of an attempt',
        params: IdParams,
        querystring: Type.Object(
          {
            attempt: Type.Integer({ minimum: 1 }),
            path: Type.String({ minLength: 1, maxLength: 700 }),
          },
          { additionalProperties: false },
        ),
        produces: ['application/octet-stream'],
      },
    },
    async (request, reply) => {
      const { size, body } = await compute.artifact(
        request.params.id,
        request.query.attempt,
        request.query.path,
        principalOf(request),
      );
      const name = request.query.path.split('/').pop() ?? 'artifact';
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', size)
        .header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`)
        .send(Readable.from(body));
    },
  );

  server.get(
    '/jobs/:id/logs',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary:
          'The log of an attempt (the latest by default): text, or with follow=true server-sent events until the attempt ends',
        params: IdParams,
        querystring: Type.Object(
          {
            attempt: Type.Optional(Type.Integer({ minimum: 1 })),
            follow: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        produces: ['text/plain', 'text/event-stream'],
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const id = request.params.id;
      const detail = await compute.get(id, principal);
      const attempt = request.query.attempt ?? detail.attempt;
      if (request.query.follow !== true) {
        const log = compute.readLog(id, { attempt, principal });
        async function* text(): AsyncGenerator<Uint8Array> {
          for await (const chunk of log) yield chunk.data;
        }
        return reply
          .header('content-type', 'text/plain; charset=utf-8')
          .send(Readable.from(text()));
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': request.id,
      });
      let next = 0;
      let closed = false;
      let busy = false;
      const decoder = new TextDecoder();
      const pump = async (): Promise<void> => {
        if (busy || closed) return;
        busy = true;
        try {
          // Stored pieces are read back in order, so a follower never misses or repeats one.
          for await (const chunk of compute.readLog(id, { attempt, fromSeq: next })) {
            if (closed) return;
            raw.write(
              `event: log\ndata: ${JSON.stringify({ seq: chunk.seq, text: decoder.decode(chunk.data) })}\n\n`,
            );
            next = chunk.seq + 1;
          }
          if (!(await compute.logOpen(id, attempt))) {
            for await (const chunk of compute.readLog(id, { attempt, fromSeq: next })) {
              raw.write(
                `event: log\ndata: ${JSON.stringify({ seq: chunk.seq, text: decoder.decode(chunk.data) })}\n\n`,
              );
              next = chunk.seq + 1;
            }
            raw.write(`event: end\ndata: ${JSON.stringify({ attempt })}\n\n`);
            stop();
          }
        } catch {
          stop();
        } finally {
          busy = false;
        }
      };
      const onChunk = (event: LogEvent): void => {
        if (event.jobId === id && event.attempt === attempt) void pump();
      };
      const onChange = (jobId: string): void => {
        if (jobId === id) void pump();
      };
      const poll = setInterval(() => void pump(), 1_000);
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      function stop(): void {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearInterval(keepAlive);
        compute.logEvents.off('chunk', onChunk);
        compute.changes.off('change', onChange);
        raw.end();
      }
      compute.logEvents.on('chunk', onChunk);
      compute.changes.on('change', onChange);
      request.raw.on('close', stop);
      void pump();
    },
  );

  server.get(
    '/cost/report',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cost'],
        summary:
          'Cost per team, project or flavor over a period, with idle capacity cost split as OpenCost specifies',
        querystring: Type.Object(
          {
            ...Period,
            by: Type.Optional(GroupBy),
            idleSplit: Type.Optional(StringEnum(['separate', 'proportional', 'uniform'] as const)),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              currency: Type.String(),
              from: Type.Number(),
              to: Type.Number(),
              by: GroupBy,
              idleSplit: Type.String(),
              rows: Type.Array(CostRow),
              assetCost: Type.Number(),
              allocationCost: Type.Number(),
              idleCost: Type.Number(),
              idlePercent: Type.Number(),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) =>
      out(
        compute.costReport({
          from: seconds(request.query.from, 'from'),
          to: seconds(request.query.to, 'to'),
          by: request.query.by ?? 'team',
          ...(request.query.idleSplit === undefined ? {} : { idleSplit: request.query.idleSplit }),
        }),
      ),
  );

  server.get(
    '/cost/series',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cost'],
        summary: 'Cost per group in buckets over a period, for plots over time',
        querystring: Type.Object(
          {
            ...Period,
            by: Type.Optional(GroupBy),
            bucket: Type.Optional(
              Type.Integer({
                minimum: 60,
                description: 'bucket length in seconds (default a day)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              currency: Type.String(),
              by: GroupBy,
              buckets: Type.Array(
                Type.Object(
                  { from: IsoTime, to: IsoTime, rows: Type.Array(CostRow) },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) =>
      out(
        compute.costSeries({
          from: seconds(request.query.from, 'from'),
          to: seconds(request.query.to, 'to'),
          by: request.query.by ?? 'team',
          bucketSeconds: request.query.bucket ?? 86_400,
        }),
      ),
  );

  server.get(
    '/cost/recommendations',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cost'],
        summary:
          'Savings to consider with their estimates: spot for checkpointing jobs, unused quota, idle flavors',
        querystring: Type.Object(Period, { additionalProperties: false }),
        response: {
          200: Type.Array(
            Type.Object(
              {
                kind: StringEnum(['use-spot', 'unused-quota', 'idle-flavor'] as const),
                subject: Type.String(),
                message: Type.String(),
                saving: Type.Number(),
              },
              { additionalProperties: false },
            ),
          ),
        },
      },
    },
    async (request) =>
      compute.recommendations({
        from: seconds(request.query.from, 'from'),
        to: seconds(request.query.to, 'to'),
      }),
  );
};
