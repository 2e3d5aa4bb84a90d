export * from './events.js';
export {
  lineageValidator,
  officialValidator,
  standardSchemasDir,
  structuralValidator,
  type EventValidator,
} from './validate.js';
export {
  LineageRun,
  LineageService,
  lineageConfigFromEnv,
  nodeKey,
  runIdFor,
  type ForwardOptions,
  type LineageGraph,
  type LineageNode,
  type LineageNodeKind,
  type LineageOptions,
  type StoredEvent,
} from './service.js';
export { lineageMigrations } from './migrations.js';
export type * from './tables.js';
