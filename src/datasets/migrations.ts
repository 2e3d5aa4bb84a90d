import type { Kysely } from 'kysely';
import { bigintType, type Dialect, type Migration } from '../platform/index.js';

async function createDatasets(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  await db.schema
    .createTable('dataset_builds')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('definition_hash', 'text', (c) => c.notNull())
    .addColumn('parts', 'integer', (c) => c.notNull())
    .addColumn('recordings', 'integer', (c) => c.notNull())
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('dataset_build_parts')
    .addColumn('task_id', 'text', (c) =>
      c.notNull().references('dataset_builds.task_id').onDelete('cascade'),
    )
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('meta', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_build_parts_pk', ['task_id', 'part'])
    .execute();
  await db.schema
    .createTable('dataset_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('definition_hash', 'text', (c) => c.notNull())
    .addColumn('samples', big, (c) => c.notNull())
    .addColumn('recordings', 'integer', (c) => c.notNull())
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addColumn('splits', 'text', (c) => c.notNull())
    .addColumn('coverage', 'text', (c) => c.notNull())
    .addColumn('card', 'text', (c) => c.notNull())
    .addColumn('manifest_size', big, (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dataset_versions_name')
    .on('dataset_versions')
    .columns(['name', 'created_at'])
    .execute();
  await db.schema
    .createTable('dataset_version_teams')
    .addColumn('version_id', 'text', (c) =>
      c.notNull().references('dataset_versions.id').onDelete('cascade'),
    )
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('dataset_version_teams_pk', ['version_id', 'team_id'])
    .execute();
  await db.schema
    .createTable('dataset_version_recordings')
    .addColumn('version_id', 'text', (c) =>
      c.notNull().references('dataset_versions.id').onDelete('cascade'),
    )
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_version_recordings_pk', ['version_id', 'recording_id'])
    .execute();
  await db.schema
    .createIndex('dataset_version_recordings_recording')
    .on('dataset_version_recordings')
    .column('recording_id')
    .execute();
}

/** The datasets context's migrations. */
export const datasetsMigrations: readonly Migration[] = [
  { name: '20261124-30-datasets', up: createDatasets },
];
