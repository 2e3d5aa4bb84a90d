import { catalogMigrations } from '../catalog/index.js';
import { datasetsMigrations } from '../datasets/index.js';
import { lineageMigrations, platformMigrations, type Migration } from '../platform/index.js';
import { computeMigrations } from '../compute/index.js';
import { recordingsMigrations } from '../recordings/index.js';

/** Every context's migrations; the store applies them in name order. */
export const allMigrations: readonly Migration[] = [
  ...platformMigrations,
  ...lineageMigrations,
  ...recordingsMigrations,
  ...catalogMigrations,
  ...datasetsMigrations,
  ...computeMigrations,
];
