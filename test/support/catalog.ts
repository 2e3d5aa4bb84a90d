import type { SearchService } from '../../src/catalog/index.js';
import type { Principal } from '../../src/platform/index.js';

/** A user who holds one role in one team, as the search and the catalog see a caller. */
export function member(
  teamId: string,
  role: 'viewer' | 'engineer' | 'data-steward',
  name = 'u',
): Principal {
  return {
    ref: `user:${name}`,
    userId: name,
    name,
    platformAdmin: false,
    memberships: [{ teamId, role }],
  };
}

/** The ids of every segment a search finds, following its cursor page by page. */
export async function searchAll(
  search: SearchService,
  principal: Principal,
  query: string,
  limit: number,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await search.search(principal, {
      query,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    ids.push(...page.items.map((hit) => hit.id));
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return ids;
}
