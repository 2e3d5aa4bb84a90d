import { fillPath, type ApiClient } from './client.js';
import { ApiError } from './problem.js';
import type {
  ContractCheck,
  DataProduct,
  Domain,
  Page,
  PageQuery,
  ProductQuery,
  ProductRecording,
  SearchHit,
  Track,
} from './types.js';

/** Where a scenario query stopped parsing, from the `invalid_input` problem of `/search`. */
export interface QuerySyntaxError {
  readonly message: string;
  /** 0-based offset into the query. */
  readonly position: number;
  readonly column: number;
  /** What the parser would have accepted there. */
  readonly expected: readonly string[];
}

/** The parse position of a failed search, or undefined when the error is not about the query. */
export function querySyntaxError(error: unknown): QuerySyntaxError | undefined {
  if (!(error instanceof ApiError) || error.field !== 'query') return undefined;
  const { position, column, expected } = error.extensions;
  if (typeof position !== 'number' || typeof column !== 'number') return undefined;
  return {
    message: error.detail,
    position,
    column,
    expected: Array.isArray(expected)
      ? expected.filter((e): e is string => typeof e === 'string')
      : [],
  };
}

/** The most recordings `/search/tracks` answers for in one call. */
export const maxTrackRecordings = 100;

/** Domains, data products, their contracts, checks and grants, and scenario search. */
export function catalogApi(client: ApiClient) {
  return {
    domains: (signal?: AbortSignal) =>
      client.get<{ items: readonly Domain[] }>('/domains', {}, signal),
    products: {
      list: (query: ProductQuery = {}, signal?: AbortSignal) =>
        client.get<Page<DataProduct>>('/products', { ...query }, signal),
      /** A product by id or name. */
      get: (id: string, signal?: AbortSignal) =>
        client.get<DataProduct>(fillPath('/products/:id', { id }), {}, signal),
      recordings: (id: string, query: PageQuery = {}, signal?: AbortSignal) =>
        client.get<Page<ProductRecording>>(
          fillPath('/products/:id/recordings', { id }),
          { ...query },
          signal,
        ),
      /** The latest check results, failing first. */
      checks: (
        id: string,
        query: { failing?: boolean; limit?: number } = {},
        signal?: AbortSignal,
      ) =>
        client.get<{ items: readonly ContractCheck[] }>(
          fillPath('/products/:id/checks', { id }),
          { ...query },
          signal,
        ),
      /** Runs every contract check of the product now. */
      recheck: (id: string) =>
        client.post<DataProduct>(fillPath('/products/:id/checks', { id }), undefined),
      grant: (id: string, team: string) =>
        client.put<DataProduct>(fillPath('/products/:id/grants/:team', { id, team }), undefined),
      revoke: (id: string, team: string) =>
        client.delete<DataProduct>(fillPath('/products/:id/grants/:team', { id, team })),
      /** The product as an ODCS v3 data contract, YAML text. */
      contract: async (id: string, signal?: AbortSignal) => {
        const response = await client.send('GET', fillPath('/products/:id/contract', { id }), {
          accept: 'application/yaml',
          signal,
        });
        return response.text();
      },
    },
    /** One page of the segments matching a scenario query that the caller's teams may read. */
    search: (query: string, page: PageQuery = {}, signal?: AbortSignal) =>
      client.request<Page<SearchHit>>('POST', '/search', {
        body: { query, ...page },
        signal,
      }),
    /** GNSS tracks of up to `maxTrackRecordings` recordings. */
    tracks: (recordingIds: readonly string[], signal?: AbortSignal) =>
      client.get<{ items: readonly Track[] }>(
        '/search/tracks',
        { recordings: recordingIds.slice(0, maxTrackRecordings).join(',') },
        signal,
      ),
  };
}
