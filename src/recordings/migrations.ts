import type { Kysely } from 'kysely';
import { bigintType, type Dialect, type Migration } from '../platform/index.js';

async function createRecordings(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('recordings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull().unique())
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('format', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('bytes_read', big, (c) => c.notNull().defaultTo(0))
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('vehicle', 'text')
    .addColumn('start_ns', 'text')
    .addColumn('end_ns', 'text')
    .addColumn('start_ms', big)
    .addColumn('end_ms', big)
    .addColumn('message_count', big)
    .addColumn('country', 'text')
    .addColumn('min_lat', real)
    .addColumn('min_lon', real)
    .addColumn('max_lat', real)
    .addColumn('max_lon', real)
    .addColumn('error', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('library', 'text')
    .addColumn('task_id', 'text')
    .addColumn('sync_score', real)
    .addColumn('sync_passed', 'integer')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('ingested_at', big)
    .execute();
  await db.schema
    .createIndex('recordings_team_start')
    .on('recordings')
    .columns(['team_id', 'start_ms'])
    .execute();
  await db.schema
    .createIndex('recordings_vehicle')
    .on('recordings')
    .columns(['vehicle', 'start_ms'])
    .execute();
  await db.schema.createIndex('recordings_status').on('recordings').column('status').execute();

  await db.schema
    .createTable('recording_channels')
    .addColumn('recording_id', 'text', (c) =>
      c.notNull().references('recordings.id').onDelete('cascade'),
    )
    .addColumn('channel_key', 'integer', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('schema_name', 'text', (c) => c.notNull())
    .addColumn('schema_encoding', 'text', (c) => c.notNull())
    .addColumn('message_encoding', 'text', (c) => c.notNull())
    .addColumn('sensor', 'text', (c) => c.notNull())
    .addColumn('message_count', big, (c) => c.notNull())
    .addColumn('frequency_hz', real)
    .addColumn('start_ms', big)
    .addColumn('end_ms', big)
    .addColumn('max_gap_ms', real)
    .addColumn('gap_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('recording_channels_pk', ['recording_id', 'channel_key'])
    .execute();
  await db.schema
    .createIndex('recording_channels_sensor')
    .on('recording_channels')
    .columns(['sensor', 'recording_id'])
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recording_id', 'text', (c) =>
      c.notNull().references('recordings.id').onDelete('cascade'),
    )
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('start_ms', big, (c) => c.notNull())
    .addColumn('end_ms', big, (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('daylight', 'text')
    .addColumn('speed_kmh_mean', real)
    .addColumn('speed_kmh_max', real)
    .addColumn('lat', real)
    .addColumn('lon', real)
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .createIndex('segments_recording')
    .on('segments')
    .columns(['recording_id', 'seq'])
    .unique()
    .execute();
  await db.schema
    .createTable('segment_tags')
    .addColumn('segment_id', 'text', (c) =>
      c.notNull().references('segments.id').onDelete('cascade'),
    )
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_tags_pk', ['tag', 'segment_id'])
    .execute();
  await db.schema
    .createIndex('segment_tags_segment')
    .on('segment_tags')
    .column('segment_id')
    .execute();

  await db.schema
    .createTable('recording_sync')
    .addColumn('recording_id', 'text', (c) =>
      c.primaryKey().references('recordings.id').onDelete('cascade'),
    )
    .addColumn('report', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('vehicle', 'text')
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('part_size', big, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('completed_at', big)
    .addColumn('recording_id', 'text')
    .execute();
}

/** The recordings context's migrations. */
export const recordingsMigrations: readonly Migration[] = [
  { name: '20261124-10-recordings-catalog', up: createRecordings },
];
