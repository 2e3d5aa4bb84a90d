import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { applyMigrations } from './migrate.js';
import type { Migration, Store } from './store.js';
import type { PlatformTables } from './tables.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Epoch-millisecond times and counts are bigint columns; they fit a JS number exactly, so they
 * are parsed as numbers (pg's default is strings) for this pool only, not process-wide.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

export interface PostgresStoreOptions {
  /** Schema to use (created if missing); tests use a fresh one per run. */
  readonly schema?: string;
  readonly maxConnections?: number;
}

/** Opens a PostgreSQL store from a `postgres://` URL. */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const schema = options.schema;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    types,
    ...(schema === undefined ? {} : { options: `-c search_path=${quoteIdentifier(schema)}` }),
  });
  const db = new Kysely<PlatformTables>({ dialect: new PostgresDialect({ pool }) });
  const redacted = url.replace(/\/\/([^:@/]+)(:[^@/]*)?@/, '//$1@');
  return {
    dialect: 'postgres',
    db,
    location: schema === undefined ? redacted : `${redacted} (schema ${schema})`,
    transaction: (work) => db.transaction().execute(work),
    async migrate(migrations: readonly Migration[]) {
      if (schema !== undefined) {
        await db.executeQuery(
          CompiledQuery.raw(`create schema if not exists ${quoteIdentifier(schema)}`),
        );
      }
      const current = await db.executeQuery<{ schema: string }>(
        CompiledQuery.raw('select current_schema() as schema'),
      );
      await applyMigrations(
        db as Kysely<unknown>,
        'postgres',
        migrations,
        schema ?? current.rows[0]?.schema,
      );
    },
    async ping() {
      await db.executeQuery(CompiledQuery.raw('select 1'));
    },
    close: () => db.destroy(),
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
