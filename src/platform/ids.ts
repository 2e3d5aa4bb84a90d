import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/**
 * A new identifier: a readable prefix naming the kind (`usr`, `team`, `task` …) and a ULID, so
 * ids sort by creation time (cursor pagination relies on that) and say what they point at.
 */
export function newId(prefix: string): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}
