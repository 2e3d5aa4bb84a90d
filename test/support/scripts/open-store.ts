import { openPostgresStore, openSqliteStore, type Store } from '../../../src/platform/index.js';

/** Opens the store a parent test names: `sqlite:<file>` or `postgres:<schema>` (on the test server). */
export function openNamedStore(name: string): Store {
  if (name.startsWith('sqlite:')) return openSqliteStore(name.slice('sqlite:'.length));
  if (name.startsWith('postgres:')) {
    const url =
      process.env.DRIVETRAIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    return openPostgresStore(url, { schema: name.slice('postgres:'.length) });
  }
  throw new Error(`unknown store ${name}`);
}
