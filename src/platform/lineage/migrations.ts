import type { Kysely } from 'kysely';
import { bigintType } from '../store/ddl.js';
import type { Dialect, Migration } from '../store/store.js';

async function createLineage(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  await db.schema
    .createTable('lineage_events')
    .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_time', big, (c) => c.notNull())
    .addColumn('job_namespace', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('received_at', big, (c) => c.notNull())
    .addColumn('forwarded_at', big)
    .addColumn('forward_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', big, (c) => c.notNull().defaultTo(0))
    .addColumn('forward_lease_until', big)
    .addColumn('forward_error', 'text')
    .execute();
  await db.schema.createIndex('lineage_events_run').on('lineage_events').column('run_id').execute();
  await db.schema
    .createIndex('lineage_events_time')
    .on('lineage_events')
    .columns(['event_time', 'seq'])
    .execute();
  await db.schema
    .createIndex('lineage_events_pending')
    .on('lineage_events')
    .columns(['forwarded_at', 'next_attempt_at'])
    .execute();
  await db.schema
    .createTable('lineage_nodes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('last_run_id', 'text', (c) => c.notNull())
    .addColumn('last_event_type', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('lineage_edges')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('lineage_edges_pk', ['source', 'target'])
    .execute();
  await db.schema
    .createIndex('lineage_edges_target')
    .on('lineage_edges')
    .column('target')
    .execute();
}

/** The lineage emitter's migrations. */
export const lineageMigrations: readonly Migration[] = [
  { name: '20261124-25-platform-lineage', up: createLineage },
];
