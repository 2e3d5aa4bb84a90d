import Database from 'better-sqlite3';
import type { SqliteDatabase, SqlValue } from '../../src/formats/ros2/sqlite.js';

/**
 * A `SqliteDatabase` over better-sqlite3, read-only, with 64-bit integers as bigint. Opens a
 * path, or an in-memory copy of a database's bytes (for tests that mutate files).
 */
export function openSqlite(source: string | Uint8Array): SqliteDatabase & { close(): void } {
  // Opened on first use, so that a file SQLite refuses fails inside the reader's own calls.
  let db: Database.Database | undefined;
  const open = (): Database.Database =>
    (db ??=
      typeof source === 'string'
        ? new Database(source, { readonly: true, fileMustExist: true })
        : new Database(Buffer.from(source.buffer, source.byteOffset, source.byteLength)));
  const statement = (sql: string) =>
    open().prepare<SqlValue[], Record<string, unknown>>(sql).safeIntegers(true);
  return {
    all: (sql, params = []) => {
      try {
        return Promise.resolve(statement(sql).all(...params));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    iterate: async function* (sql, params = []) {
      yield* statement(sql).iterate(...params);
    },
    close: () => db?.close(),
  };
}
