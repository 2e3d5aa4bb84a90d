import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { back, collect, currentCursor, firstPage, forward, pageNumber, pages } from './paging.js';
import type { Page, PageQuery } from './types.js';

/** A list of `total` numbers served like the API does: ordered, `limit + cursor` pages. */
function servedList(total: number) {
  const calls: PageQuery[] = [];
  const fetchPage = (query: PageQuery): Promise<Page<number>> => {
    calls.push(query);
    const start = query.cursor === undefined ? 0 : Number(query.cursor) + 1;
    const limit = query.limit ?? 50;
    const items = Array.from(
      { length: Math.max(0, Math.min(limit, total - start)) },
      (_, i) => start + i,
    );
    const last = items[items.length - 1];
    return Promise.resolve({
      items,
      next: start + limit < total && last !== undefined ? String(last) : null,
    });
  };
  return { fetchPage, calls };
}

describe('pages', () => {
  it('follows next cursors until the last page', async () => {
    const { fetchPage, calls } = servedList(7);
    const seen: number[][] = [];
    for await (const page of pages(fetchPage, 3)) seen.push([...page.items]);
    expect(seen).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(calls).toEqual([{ limit: 3 }, { limit: 3, cursor: '2' }, { limit: 3, cursor: '5' }]);
  });

  it('stops with an error when the server repeats a cursor', async () => {
    const looping = (): Promise<Page<number>> => Promise.resolve({ items: [1], next: 'same' });
    await expect(collect(looping, 100)).rejects.toThrow('the list repeated cursor same');
  });
});

describe('collect', () => {
  it('returns every item exactly once, in order, for any list and page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 20 }),
        async (total, size) => {
          const { fetchPage } = servedList(total);
          const { items, truncated } = await collect(fetchPage, 1000, size);
          expect(items).toEqual(Array.from({ length: total }, (_, i) => i));
          expect(truncated).toBe(false);
        },
      ),
    );
  });

  it('stops at max and says more were left out', async () => {
    const { fetchPage, calls } = servedList(100);
    const { items, truncated } = await collect(fetchPage, 10, 4);
    expect(items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(truncated).toBe(true);
    expect(calls).toHaveLength(3);
  });

  it('is not truncated when the list holds exactly max items', async () => {
    const { fetchPage } = servedList(8);
    expect(await collect(fetchPage, 8, 4)).toEqual({
      items: [0, 1, 2, 3, 4, 5, 6, 7],
      truncated: false,
    });
  });
});

describe('cursor trail', () => {
  it('goes forward and back through the cursors it was given', () => {
    const second = forward(firstPage, 'c1');
    const third = forward(second, 'c2');
    expect([currentCursor(firstPage), currentCursor(second), currentCursor(third)]).toEqual([
      undefined,
      'c1',
      'c2',
    ]);
    expect(pageNumber(third)).toBe(3);
    expect(back(third)).toEqual(second);
    expect(back(back(third))).toEqual(firstPage);
  });

  it('stays on the first page when going back from it', () => {
    expect(back(firstPage)).toBe(firstPage);
    expect(pageNumber(back(firstPage))).toBe(1);
  });

  it('returns to where it was after any walk forward and back', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { maxLength: 30 }), (cursors) => {
        let trail = firstPage;
        for (const cursor of cursors) trail = forward(trail, cursor);
        expect(pageNumber(trail)).toBe(cursors.length + 1);
        for (let i = cursors.length - 1; i >= 0; i--) {
          expect(currentCursor(trail)).toBe(cursors[i]);
          trail = back(trail);
        }
        expect(trail).toEqual(firstPage);
      }),
    );
  });
});
