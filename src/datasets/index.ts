export * from './definition.js';
export * from './split.js';
export * from './coverage.js';
export { manifestSchema, streamColumns } from './manifest.js';
export {
  encodeFooter,
  encodeParquet,
  encodeRowGroup,
  type ColumnData,
  type ColumnSpec,
} from './parquet/writer.js';
export {
  synchronizeRecording,
  SampleColumns,
  type PlannedRecording,
  type PlannedSegment,
  type StreamTimeline,
} from './samples.js';
export {
  buildTaskKind,
  DatasetService,
  versionKeys,
  type BuildNotes,
  type BuildResult,
  type DatasetCard,
  type DatasetsDependencies,
  type DatasetVersion,
  type TimelineReader,
} from './service.js';
export {
  diffVersions,
  exportVersion,
  manifestRows,
  openManifest,
  type DatasetDiff,
  type ExportResult,
} from './read.js';
export {
  JobInputMaterializer,
  type JobInputDependencies,
  type JobInputRef,
  type JobSample,
  type JobSampleStream,
  type MaterializedInput,
} from './job-input.js';
export { datasetsMigrations } from './migrations.js';
export type * from './tables.js';
