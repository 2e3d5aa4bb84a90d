import { auditApi } from './audit.js';
import { catalogApi } from './catalog.js';
import { ApiClient, type ClientOptions } from './client.js';
import { datasetsApi, lineageApi } from './datasets.js';
import { identityApi } from './identity.js';
import { costApi, jobsApi } from './jobs.js';
import { recordingsApi } from './recordings.js';
import { tasksApi } from './tasks.js';

export { ApiClient, fillPath, withQuery, type ClientOptions, type Query } from './client.js';
export { ApiError, messageOf, parseProblem, type ApiErrorCode } from './problem.js';
export { collect, pages, type FetchPage } from './paging.js';
export { followEvents, eventData } from './events.js';
export { isFinished, watchTask } from './tasks.js';
export type * from './types.js';
export * from './jobs.js';
export * from './catalog.js';
export * from './datasets.js';
export { teamRoles, taskStatuses } from './types.js';
export { recordingStatuses, sensorKinds } from './types.js';

/** Every endpoint of the API, grouped by area; an area's module adds its group here. */
export function createApi(options: ClientOptions) {
  const client = new ApiClient(options);
  const identity = identityApi(client);
  return {
    client,
    me: identity.me,
    users: identity.users,
    teams: identity.teams,
    tokens: identity.tokens,
    audit: auditApi(client),
    tasks: tasksApi(client),
    jobs: jobsApi(client),
    cost: costApi(client),
    recordings: recordingsApi(client),
    catalog: catalogApi(client),
    datasets: datasetsApi(client),
    lineage: lineageApi(client),
  };
}

export type Api = ReturnType<typeof createApi>;
