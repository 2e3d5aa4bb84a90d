import { Type } from 'typebox';
import {
  Forbidden,
  holdsRoleInTeam,
  taskStatuses,
  teamIdsOf,
  type Principal,
  type Task,
} from '../../platform/index.js';
import { principalOf } from '../access.js';
import { IdParams, StringEnum, IsoTime, NullableIsoTime, PageOf, PageQuery } from '../schemas.js';
import type { RouteModule } from './index.js';

const TaskSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    payload: Type.Unknown(),
    status: StringEnum(taskStatuses),
    attempts: Type.Integer(),
    maxAttempts: Type.Integer(),
    progress: Type.Object(
      { done: Type.Number(), total: Type.Number(), message: Type.String() },
      { additionalProperties: false },
    ),
    result: Type.Unknown(),
    error: Type.Union([
      Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
    teamId: Type.Union([Type.String(), Type.Null()]),
    createdBy: Type.String(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    runAt: IsoTime,
    startedAt: NullableIsoTime,
    finishedAt: NullableIsoTime,
  },
  { additionalProperties: false },
);

const terminal = new Set(['succeeded', 'failed', 'cancelled']);

/** Tasks belong to a team (its members see them) or to whoever created them. */
function canSee(principal: Principal, task: Task): boolean {
  if (principal.platformAdmin || task.createdBy === principal.ref) return true;
  return task.teamId !== null && holdsRoleInTeam(principal, task.teamId, 'viewer');
}

/** Platform tasks: list, inspect, follow progress live (SSE), cancel. */
export const taskRoutes: RouteModule = (server, app) => {
  const seeable = async (principal: Principal, id: string): Promise<Task> => {
    const task = await app.tasks.get(id);
    if (!canSee(principal, task)) throw new Forbidden(`you cannot see task ${id}`);
    return task;
  };

  server.get(
    '/tasks',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['tasks'],
        summary: 'Tasks of your teams, newest first',
        querystring: Type.Object(
          {
            ...PageQuery,
            kind: Type.Optional(Type.String({ maxLength: 100 })),
            status: Type.Optional(StringEnum(taskStatuses)),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(TaskSchema) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return app.tasks.list({
        ...request.query,
        ...(principal.platformAdmin
          ? {}
          : { teamIds: teamIdsOf(principal), createdBy: principal.ref }),
      });
    },
  );

  server.get(
    '/tasks/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['tasks'],
        summary: 'A task with its progress',
        params: IdParams,
        response: { 200: TaskSchema },
      },
    },
    async (request) => seeable(principalOf(request), request.params.id),
  );

  server.post(
    '/tasks/:id/cancel',
    {
      config: { access: 'engineer' },
      schema: {
        tags: ['tasks'],
        summary: 'Cancel a queued or running task',
        params: IdParams,
        response: { 200: TaskSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const task = await seeable(principal, request.params.id);
      if (
        task.teamId !== null &&
        !holdsRoleInTeam(principal, task.teamId, 'engineer') &&
        task.createdBy !== principal.ref
      ) {
        throw new Forbidden("cancelling needs the engineer role in the task's team");
      }
      return app.tasks.cancel(task.id);
    },
  );

  server.get(
    '/tasks/:id/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['tasks'],
        summary: 'Server-sent events: the task each time it changes, until it finishes',
        params: IdParams,
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const first = await seeable(principalOf(request), request.params.id);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': request.id,
      });
      let lastSent = '';
      let closed = false;
      const send = (task: Task): void => {
        const data = JSON.stringify(task);
        if (data === lastSent) return;
        lastSent = data;
        raw.write(`event: task\ndata: ${data}\n\n`);
        if (terminal.has(task.status)) stop();
      };
      // Changes made by workers in other processes are only seen by polling, so poll as well as listen.
      const refresh = (): void => {
        void app.tasks.get(first.id).then((task) => {
          if (!closed) send(task);
        }, stop);
      };
      const onChange = (id: string): void => {
        if (id === first.id) refresh();
      };
      const poll = setInterval(refresh, 1_000);
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      function stop(): void {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearInterval(keepAlive);
        app.tasks.changes.off('change', onChange);
        raw.end();
      }
      app.tasks.changes.on('change', onChange);
      request.raw.on('close', stop);
      send(first);
    },
  );
};
