import { fillPath, type ApiClient } from './client.js';
import type {
  DatasetCard,
  DatasetDefinition,
  DatasetDiff,
  DatasetQuery,
  DatasetVersion,
  LineageGraph,
  LineageQuery,
} from './dataset-types.js';
import type { Page, Task } from './types.js';

export type * from './dataset-types.js';

/** The files of a version the API serves, by the path to fetch them from. */
export const datasetFilePaths = {
  manifest: (id: string) => fillPath('/datasets/:id/manifest', { id }),
  coverage: (id: string) => fillPath('/datasets/:id/coverage', { id }),
  split: (id: string, split: string) => fillPath('/datasets/:id/splits/:split', { id, split }),
};

/** Dataset versions: builds, cards, diffs and their files. */
export function datasetsApi(client: ApiClient) {
  return {
    list: (query: DatasetQuery = {}, signal?: AbortSignal) =>
      client.get<Page<DatasetVersion>>('/datasets', { ...query }, signal),
    card: (id: string, signal?: AbortSignal) =>
      client.get<DatasetCard>(fillPath('/datasets/:id', { id }), {}, signal),
    diff: (id: string, other: string, signal?: AbortSignal) =>
      client.get<DatasetDiff>(fillPath('/datasets/:id/diff/:other', { id, other }), {}, signal),
    /** Validates a definition (YAML text or object) without building it. */
    check: (definition: string | Record<string, unknown>) =>
      client.post<{ definition: DatasetDefinition }>('/datasets/definitions/check', {
        definition,
      }),
    /** Queues a build; follow the returned task for its progress and result. */
    build: (definition: string | Record<string, unknown>, team?: string) =>
      client.post<Task>('/datasets/builds', {
        definition,
        ...(team === undefined ? {} : { team }),
      }),
    /** A file of a version (manifest, coverage, split) as a response to read or save. */
    file: (path: string, signal?: AbortSignal) =>
      client.send('GET', path, { accept: '*/*', signal }),
  };
}

/** The OpenLineage graph the platform recorded. */
export function lineageApi(client: ApiClient) {
  return {
    graph: (query: LineageQuery, signal?: AbortSignal) =>
      client.get<LineageGraph>('/lineage', { ...query }, signal),
  };
}
