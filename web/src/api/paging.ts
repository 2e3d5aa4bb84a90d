import type { Page, PageQuery } from './types.js';

/** Fetches one page of a list given its size and the cursor of the page before. */
export type FetchPage<T> = (query: PageQuery) => Promise<Page<T>>;

/**
 * Walks a list page by page. Stops with an error when the server repeats a cursor, because
 * following it again would loop forever.
 */
export async function* pages<T>(
  fetchPage: FetchPage<T>,
  pageSize: number,
): AsyncGenerator<Page<T>, void, undefined> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(
      cursor === undefined ? { limit: pageSize } : { limit: pageSize, cursor },
    );
    yield page;
    if (page.next === null) return;
    if (seen.has(page.next)) throw new Error(`the list repeated cursor ${page.next}`);
    seen.add(page.next);
    cursor = page.next;
  }
}

/** Up to `max` items of a list, and whether more were left out. */
export async function collect<T>(
  fetchPage: FetchPage<T>,
  max: number,
  pageSize = Math.min(max, 500),
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  for await (const page of pages(fetchPage, pageSize)) {
    for (const item of page.items) {
      if (items.length === max) return { items, truncated: true };
      items.push(item);
    }
  }
  return { items, truncated: false };
}

/**
 * Where a reader is in a paged list: the cursors that led to the shown page, so Previous can go
 * back (the API's cursors only go forward). Immutable, to sit in React state.
 */
export interface CursorTrail {
  /** Cursor of each page shown so far; undefined is the first page. */
  readonly cursors: readonly (string | undefined)[];
}

export const firstPage: CursorTrail = { cursors: [undefined] };

/** The cursor of the page being shown. */
export function currentCursor(trail: CursorTrail): string | undefined {
  return trail.cursors[trail.cursors.length - 1];
}

/** The 1-based number of the page being shown. */
export function pageNumber(trail: CursorTrail): number {
  return trail.cursors.length;
}

/** The trail after following `next`, the cursor the shown page gave. */
export function forward(trail: CursorTrail, next: string): CursorTrail {
  return { cursors: [...trail.cursors, next] };
}

/** The trail after going back one page; the first page stays the first page. */
export function back(trail: CursorTrail): CursorTrail {
  return trail.cursors.length <= 1 ? trail : { cursors: trail.cursors.slice(0, -1) };
}
