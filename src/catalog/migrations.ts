import type { Kysely } from 'kysely';
import { bigintType, type Dialect, type Migration } from '../platform/index.js';

async function createMesh(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('domains')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('owner_team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('data_products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('owner_team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addColumn('classification', 'text', (c) => c.notNull())
    .addColumn('personal_data', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('residency', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('slos', 'text', (c) => c.notNull())
    .addColumn('quality_status', 'text', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('quality_failures', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('quality_checked_at', big)
    .addColumn('contract', 'text')
    .addColumn('contract_version', 'text', (c) => c.notNull().defaultTo('1.0.0'))
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('data_products_owner')
    .on('data_products')
    .column('owner_team_id')
    .execute();
  await db.schema
    .createTable('product_grants')
    .addColumn('product_id', 'text', (c) =>
      c.notNull().references('data_products.id').onDelete('cascade'),
    )
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('product_grants_pk', ['product_id', 'team_id'])
    .execute();
  await db.schema
    .createIndex('product_grants_team')
    .on('product_grants')
    .column('team_id')
    .execute();
  await db.schema
    .createTable('product_recordings')
    .addColumn('product_id', 'text', (c) =>
      c.notNull().references('data_products.id').onDelete('cascade'),
    )
    .addColumn('recording_id', 'text', (c) =>
      c.notNull().references('recordings.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('product_recordings_pk', ['product_id', 'recording_id'])
    .execute();
  await db.schema
    .createIndex('product_recordings_recording')
    .on('product_recordings')
    .column('recording_id')
    .execute();
  await db.schema
    .createTable('contract_checks')
    .addColumn('product_id', 'text', (c) =>
      c.notNull().references('data_products.id').onDelete('cascade'),
    )
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('checked_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('contract_checks_pk', ['product_id', 'recording_id', 'check_name'])
    .execute();
  await db.schema
    .createTable('recording_quality')
    .addColumn('recording_id', 'text', (c) =>
      c.primaryKey().references('recordings.id').onDelete('cascade'),
    )
    .addColumn('sync_score', real)
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
}

/**
 * Indexes the scenario search needs on the recordings context's segment tables (ADR 061): the
 * segment columns a query compares, so the planner can start from the most selective one.
 */
async function createSearchIndexes(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('segments_country')
    .on('segments')
    .columns(['country', 'id'])
    .execute();
  await db.schema
    .createIndex('segments_daylight')
    .on('segments')
    .columns(['daylight', 'id'])
    .execute();
  await db.schema.createIndex('segments_speed').on('segments').column('speed_kmh_mean').execute();
}

/**
 * The segment index a product rule's country condition needs: it asks, per recording, whether
 * one of its segments lies in the countries. With only `segments_country`, SQLite answered that
 * by walking every segment of the country for each recording (quadratic: creating a DE product
 * over 100,000 recordings ran for over ten minutes); with this index it is one lookup.
 */
async function createSegmentCountryIndex(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('segments_recording_country')
    .on('segments')
    .columns(['recording_id', 'country'])
    .execute();
}

/**
 * Indexes for the time windows and geographic boxes of scenario searches, which otherwise read
 * segments until a page is full (a one-day window or a box around a city: all of them, when
 * the page stays short). Each ends with the segment id, so that the other conditions of a query
 * (its tags) are checked from the index before a segment's row is read.
 */
async function createRangeIndexes(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('segments_start')
    .on('segments')
    .columns(['start_ms', 'id'])
    .execute();
  await db.schema
    .createIndex('segments_position')
    .on('segments')
    .columns(['lat', 'lon', 'id'])
    .execute();
}

/** The catalog context's migrations. */
export const catalogMigrations: readonly Migration[] = [
  { name: '20261124-20-catalog-mesh', up: createMesh },
  { name: '20261124-21-catalog-search-indexes', up: (db) => createSearchIndexes(db) },
  { name: '20261124-22-catalog-segment-country', up: (db) => createSegmentCountryIndex(db) },
  { name: '20261124-23-catalog-search-ranges', up: (db) => createRangeIndexes(db) },
];
