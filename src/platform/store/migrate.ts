import {
  Migrator,
  type Kysely,
  type MigrationProvider,
  type Migration as KyselyMigration,
} from 'kysely';
import { Conflict, Internal } from '../errors.js';
import type { Dialect, Migration } from './store.js';

/**
 * Applies the given migrations with Kysely's migrator (which locks, so concurrent starts are safe).
 * On PostgreSQL `schema` names the schema that holds the migration tables: without it the
 * migrator takes those tables of any other schema in the database for its own, and a fresh schema
 * beside an existing one is never migrated.
 */
export async function applyMigrations(
  db: Kysely<unknown>,
  dialect: Dialect,
  migrations: readonly Migration[],
  schema?: string,
): Promise<void> {
  const names = new Set<string>();
  for (const migration of migrations) {
    if (names.has(migration.name)) throw new Conflict(`duplicate migration name ${migration.name}`);
    names.add(migration.name);
  }
  const provider: MigrationProvider = {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          migrations.map((m): [string, KyselyMigration] => [
            m.name,
            { up: (trx) => m.up(trx, dialect) },
          ]),
        ),
      ),
  };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    allowUnorderedMigrations: true,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Internal(
      `migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      { migration: failed },
      { cause: error },
    );
  }
}
