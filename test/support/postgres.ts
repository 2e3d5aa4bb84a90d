import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server tests use: DRIVETRAIN_TEST_DATABASE_URL, or the local one. */
export const testDatabaseUrl =
  process.env.DRIVETRAIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL server answers (checked once per test file). */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({
      connectionString: testDatabaseUrl,
      connectionTimeoutMillis: 3000,
    });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** A fresh schema name for one test run. */
export function freshSchemaName(label: string): string {
  return `t_${label}_${randomBytes(6).toString('hex')}`;
}

/** Drops a schema created by a test run. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/**
 * Whether suites on PostgreSQL can run here: true when the server answers; in CI an unreachable
 * server is an error rather than a skip, so CI can never pass without having tested PostgreSQL.
 */
export async function postgresAvailable(suite: string): Promise<boolean> {
  if (await postgresReachable()) return true;
  if (process.env.CI === 'true')
    throw new Error(`PostgreSQL is not reachable at ${testDatabaseUrl}`);
  console.warn(`[skipped] "${suite}" on PostgreSQL: no server at ${testDatabaseUrl}`);
  return false;
}
