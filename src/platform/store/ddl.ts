import type { Dialect } from './store.js';

/**
 * Column types that differ between the two databases, so that a migration reads the same for
 * both: epoch-millisecond times and counters need 64 bits, which SQLite's `integer` always has.
 */
export function bigintType(dialect: Dialect): 'bigint' | 'integer' {
  return dialect === 'postgres' ? 'bigint' : 'integer';
}
