import type { CommandRegistrar } from '../command.js';
import { registerAuditCommands } from './audit.js';
import { registerCompute } from './compute.js';
import { registerDatasetCommands } from './datasets.js';
import { registerGenerateCommand } from './generate.js';
import { registerIdentityCommands } from './identity.js';
import { registerJobCommands } from './jobs.js';
import { registerLineageCommands } from './lineage.js';
import { registerProductCommands } from './products.js';
import { registerRecordingCommands } from './recordings.js';
import { registerSearchCommand } from './search.js';
import { registerServeCommand } from './serve.js';
import { registerSyncCommand } from './sync.js';

/** Every command module of the CLI, in the order `drivetrain --help` lists them. */
export const commandRegistrars: readonly CommandRegistrar[] = [
  registerServeCommand,
  registerIdentityCommands,
  registerAuditCommands,
  registerRecordingCommands,
  registerProductCommands,
  registerSearchCommand,
  registerDatasetCommands,
  registerLineageCommands,
  registerGenerateCommand,
  registerSyncCommand,
  registerCompute,
  registerJobCommands,
];
