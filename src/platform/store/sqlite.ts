import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import { applyMigrations } from './migrate.js';
import type { Migration, Store } from './store.js';
import type { PlatformTables } from './tables.js';

/**
 * Starts write transactions with BEGIN IMMEDIATE: a deferred transaction that reads and then
 * writes fails with SQLITE_BUSY when another process (the CLI next to a running server) wrote in
 * between, whereas an immediate one waits for the write lock (busy_timeout) and then succeeds.
 */
class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateTransactionDialect implements KyselyDialect {
  constructor(private readonly config: SqliteDialectConfig) {}
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver() {
    return new ImmediateTransactionDriver(this.config);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

const statementCacheSize = 500;
const reoptimizeEveryMs = 6 * 60 * 60 * 1000;

/**
 * Reuses prepared statements by SQL text. Preparing costs more than running a small query, and
 * Kysely prepares on every call. Reuse is safe because the dialect runs one query at a time on
 * its single connection, so no two executions of a statement overlap.
 */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  const prepare = (sql: string): SqliteStatement => {
    const cached = cache.get(sql);
    if (cached !== undefined) return cached;
    const prepared = rowsBuiltInJavaScript(database.prepare(sql));
    const statement =
      prepared.reader && trailingLimit.test(sql)
        ? withLimitWrittenIn(sql, prepared, prepare)
        : prepared;
    if (cache.size >= statementCacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(sql, statement);
    return statement;
  };
  return { close: () => database.close(), prepare };
}

/** A query ending in a bound LIMIT, and OFFSET if any: what Kysely writes for `.limit()`. */
const trailingLimit = /\slimit \?(?: offset \?)?$/;

/**
 * Runs a query that ends in a bound LIMIT as the statement with the limit's value written into
 * its text. SQLite's planner reads a bound LIMIT's value, so binding that parameter marks the
 * statement to be prepared again before every run; with the page size written in, it stays
 * prepared (the team page: 39.5 µs bound, 31.8 µs written in). Values other than integers
 * stay bound, and SQLite checks them as it always does.
 */
function withLimitWrittenIn(
  sql: string,
  bound: SqliteStatement,
  prepare: (sql: string) => SqliteStatement,
): SqliteStatement {
  const trailing = sql.endsWith('offset ?') ? 2 : 1;
  const written = (parameters: readonly unknown[]) => {
    const values = parameters.slice(parameters.length - trailing);
    if (values.length !== trailing || !values.every(Number.isSafeInteger)) {
      return { statement: bound, parameters };
    }
    const text = `${sql.slice(0, sql.length - (trailing === 2 ? 'limit ? offset ?' : 'limit ?').length)}limit ${values.join(' offset ')}`;
    return { statement: prepare(text), parameters: parameters.slice(0, -trailing) };
  };
  return {
    reader: true,
    all(parameters) {
      const { statement, parameters: rest } = written(parameters);
      return statement.all(rest);
    },
    run(parameters) {
      const { statement, parameters: rest } = written(parameters);
      return statement.run(rest);
    },
    iterate(parameters) {
      const { statement, parameters: rest } = written(parameters);
      return statement.iterate(rest);
    },
  };
}

/**
 * Fetches rows as arrays and makes the objects Kysely expects here. better-sqlite3 builds an
 * object property by property through the engine's API, which for a page of twenty rows costs
 * more than the query; arrays plus objects made in JavaScript cost about two thirds of it.
 */
function rowsBuiltInJavaScript(statement: Database.Statement): SqliteStatement {
  if (!statement.reader) return statement;
  const arrays = statement.raw(true);
  const names = arrays.columns().map((column) => column.name);
  const toObject = (values: unknown[]): Record<string, unknown> => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i += 1) row[names[i]!] = values[i];
    return row;
  };
  return {
    reader: true,
    all: (parameters) => (arrays.all(parameters) as unknown[][]).map(toObject),
    run: (parameters) => arrays.run(parameters),
    *iterate(parameters) {
      for (const values of arrays.iterate(parameters) as IterableIterator<unknown[]>) {
        yield toObject(values);
      }
    },
  };
}

/** Opens (creating if needed) a SQLite database file in WAL mode; `:memory:` for a throwaway one. */
export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  // FULL: a committed transaction survives power loss, not only a crash of the process.
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 10000');
  // Planner statistics (ANALYZE) for every table that lacks them or has changed much since:
  // without them SQLite guesses selectivities and starts large searches from the wrong index.
  // Usually a no-op; the first open of a large database without them analyzes it whole (13 to
  // 60 s at 1,000,000 recordings, 8.5 GB).
  database.pragma('optimize = 0x10002');
  // A server keeps its connection open for weeks while the data grows by orders of magnitude,
  // so it refreshes the statistics that went stale now and then, as SQLite recommends.
  const reoptimize = setInterval(() => database.pragma('optimize'), reoptimizeEveryMs);
  reoptimize.unref();
  const db = new Kysely<PlatformTables>({
    dialect: new ImmediateTransactionDialect({ database: withStatementCache(database) }),
  });
  return {
    dialect: 'sqlite',
    db,
    location: `sqlite:${file}`,
    transaction: (work) => db.transaction().execute(work),
    migrate: (migrations: readonly Migration[]) =>
      applyMigrations(db as Kysely<unknown>, 'sqlite', migrations),
    async ping() {
      await db.executeQuery(CompiledQuery.raw('select 1'));
    },
    close: () => {
      clearInterval(reoptimize);
      return db.destroy();
    },
  };
}
