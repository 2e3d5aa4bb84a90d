export type { Store, Migration, Dialect } from './store.js';
export type * from './tables.js';
export { openSqliteStore } from './sqlite.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres.js';
export { isUniqueViolation } from './constraints.js';
export { bigintType } from './ddl.js';
