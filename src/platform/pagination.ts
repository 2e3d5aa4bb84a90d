import { InvalidInput } from './errors.js';

/** One page of a list: the items and the cursor of the next page (null on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

export const defaultPageSize = 50;
export const maxPageSize = 500;

type CursorKey = readonly (string | number)[];

/** Encodes a sort key as an opaque cursor. */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by `encodeCursor` for a sort key of `arity` parts. Anything else (bad
 * base64, bad JSON, wrong shape) is InvalidInput on the `cursor` field, never a server error.
 */
export function decodeCursor(cursor: string, arity: number): CursorKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInput('cursor is not a cursor returned by this list', 'cursor');
  }
  const valid =
    Array.isArray(key) &&
    key.length === arity &&
    key.every(
      (part) => typeof part === 'string' || (typeof part === 'number' && Number.isFinite(part)),
    );
  if (!valid) throw new InvalidInput('cursor is not a cursor returned by this list', 'cursor');
  return key as CursorKey;
}

/** Validates a requested page size, defaulting when absent. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return defaultPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
    throw new InvalidInput(`limit must be an integer from 1 to ${maxPageSize}`, 'limit');
  }
  return limit;
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only tells that a next page
 * exists, and the cursor is the sort key of the last row shown.
 */
export function toPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  keyOf: (row: Row) => CursorKey,
  toItem: (row: Row) => Item,
): Page<Item> {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map(toItem),
    next: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
