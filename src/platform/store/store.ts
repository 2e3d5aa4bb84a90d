import type { Kysely, Transaction } from 'kysely';
import type { PlatformTables } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

/** A migration: runs once per database, in name order, on SQLite and PostgreSQL alike. */
export interface Migration {
  /** Sorts migrations: `YYYYMMDD-NN-context-what`, e.g. `20261124-01-platform-identity`. */
  readonly name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/**
 * The metadata store. `db` is typed with the platform's tables; a context adds its own with
 * `store.db.withTables<Its>()`. Writes that must be atomic go through `transaction`.
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<PlatformTables>;
  /** Short description for logs and /readyz, e.g. `sqlite:/data/drivetrain.db`. */
  readonly location: string;
  /** Runs `work` in one transaction (on SQLite an IMMEDIATE one, so writers queue instead of failing). */
  transaction<T>(work: (trx: Transaction<PlatformTables>) => Promise<T>): Promise<T>;
  /** Applies every migration not yet applied, in name order. */
  migrate(migrations: readonly Migration[]): Promise<void>;
  /** Checks that the database answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
