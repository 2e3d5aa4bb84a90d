import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
} from 'kysely';
import { applyMigrations } from './migrate.js';
import { preparedStatementName } from './prepared.js';
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
  const db = new Kysely<PlatformTables>({
    dialect: new PostgresDialect({ pool: namingPreparedStatements(pool) }),
  });
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
      const migrationSchema =
        schema ??
        (
          await db.executeQuery<{ schema: string }>(
            CompiledQuery.raw('select current_schema() as schema'),
          )
        ).rows[0]?.schema;
      await applyMigrations(db as Kysely<unknown>, 'postgres', migrations, migrationSchema);
    },
    async ping() {
      await db.executeQuery(CompiledQuery.raw('select 1'));
    },
    close: () => db.destroy(),
  };
}

/**
 * Runs the SQL of prepared queries as named statements, which the server parses and plans once
 * per connection instead of on every call; any other SQL runs as before.
 */
function namingPreparedStatements(pool: pg.Pool): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((sqlOrCursor: unknown, parameters?: readonly unknown[]) => {
      const name = typeof sqlOrCursor === 'string' ? preparedStatementName(sqlOrCursor) : undefined;
      if (name === undefined) {
        return (client.query as (...args: unknown[]) => unknown)(sqlOrCursor, parameters);
      }
      return client.query({ name, text: sqlOrCursor as string, values: parameters as unknown[] });
    }) as PostgresPoolClient['query'],
    release: () => client.release(),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (wrapped === undefined) {
        wrapped = wrap(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
