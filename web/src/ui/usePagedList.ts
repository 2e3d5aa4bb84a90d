import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  back,
  currentCursor,
  firstPage,
  forward,
  pageNumber,
  type CursorTrail,
} from '../api/paging.js';
import type { Page, PageQuery } from '../api/index.js';

export interface PagedList<T> {
  readonly items: readonly T[];
  /** True only before the first answer; later pages keep showing the previous rows. */
  readonly loading: boolean;
  readonly fetching: boolean;
  readonly error: unknown;
  readonly page: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
  readonly next: () => void;
  readonly previous: () => void;
  /** Back to the first page, after the list changed. */
  readonly reset: () => void;
  readonly refetch: () => void;
}

/**
 * One page of a cursor-paged list at a time, with Previous and Next. `key` names the list in the
 * query cache, so a mutation can invalidate it by the same key. `refreshMs` tells, from the page
 * shown, how often to fetch it again (false: only when invalidated).
 */
export function usePagedList<T>(
  key: readonly unknown[],
  fetchPage: (query: PageQuery, signal: AbortSignal) => Promise<Page<T>>,
  pageSize = 25,
  refreshMs: (page: Page<T> | undefined) => number | false = () => false,
): PagedList<T> {
  const [trail, setTrail] = useState<CursorTrail>(firstPage);
  const cursor = currentCursor(trail);
  const query = useQuery({
    queryKey: [...key, { cursor, pageSize }],
    queryFn: ({ signal }) =>
      fetchPage(cursor === undefined ? { limit: pageSize } : { limit: pageSize, cursor }, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => refreshMs(q.state.data),
  });
  const next = query.data?.next ?? null;
  return {
    items: query.data?.items ?? [],
    loading: query.isPending,
    fetching: query.isFetching,
    error: query.error,
    page: pageNumber(trail),
    hasPrevious: pageNumber(trail) > 1,
    hasNext: next !== null && !query.isPlaceholderData,
    next: () => {
      if (next !== null) setTrail((t) => forward(t, next));
    },
    previous: () => setTrail(back),
    reset: () => setTrail(firstPage),
    refetch: () => void query.refetch(),
  };
}
