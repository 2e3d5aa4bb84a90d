import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allMigrations } from '../../src/app/migrations.js';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/platform/index.js';
import { dropSchema, freshSchemaName, testDatabaseUrl } from './postgres.js';

/** A migrated store for one test, and how to get rid of it. */
export interface TestStore {
  readonly store: Store;
  /** How a child process names this store for `test/support/scripts/open-store.ts`. */
  readonly childName: string;
  /** Opens a second, independent connection to the same database (another "process"). */
  reopen(): Store;
  dispose(): Promise<void>;
}

/** One entry per store implementation; the shared store suite runs for each. */
export const storeImplementations: readonly {
  name: 'sqlite' | 'postgres';
  create(): Promise<TestStore>;
}[] = [
  {
    name: 'sqlite',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'drivetrain-store-'));
      const file = join(dir, 'drivetrain.db');
      const store = openSqliteStore(file);
      await store.migrate(allMigrations);
      const extra: Store[] = [];
      return {
        store,
        childName: `sqlite:${file}`,
        reopen() {
          const other = openSqliteStore(file);
          extra.push(other);
          return other;
        },
        async dispose() {
          await Promise.all([store, ...extra].map((s) => s.close()));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async create() {
      const schema = freshSchemaName('store');
      const store = openPostgresStore(testDatabaseUrl, { schema });
      await store.migrate(allMigrations);
      const extra: Store[] = [];
      return {
        store,
        childName: `postgres:${schema}`,
        reopen() {
          const other = openPostgresStore(testDatabaseUrl, { schema });
          extra.push(other);
          return other;
        },
        async dispose() {
          await Promise.all([store, ...extra].map((s) => s.close()));
          await dropSchema(schema);
        },
      };
    },
  },
];
