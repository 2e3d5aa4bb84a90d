export * from './time.js';
export * from './stamps.js';
export * from './policy.js';
export * from './run.js';
export type { SyncEngine, SetSink } from './engine.js';
export { ApproximatePolicy, type ApproximateOptions } from './approximate.js';
export { SlopPolicy, type SlopOptions } from './slop.js';
export {
  ReferencePolicy,
  type ReferenceOptions,
  type ReferenceSample,
  type ReferenceCounters,
  type StreamMode,
} from './reference.js';
export * from './synchronizer.js';
export * from './clock.js';
export * from './quality.js';
export {
  Quantiles,
  SignedHistogram,
  DownsampledSeries,
  type LinearHistogram,
  type Series,
  type SeriesBucket,
} from './stats.js';
export * from './recording.js';
export * from './columns.js';
