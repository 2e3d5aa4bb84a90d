export { Random, deriveSeed } from './generator/random.js';
export {
  createRig,
  type CameraFormat,
  type ClockModel,
  type GnssTimeScale,
  type Rig,
  type RigOptions,
  type RigSensor,
  type SensorKind,
} from './generator/rig.js';
export {
  openCursor,
  rigTimeline,
  type SampleCursor,
  type SensorTimeline,
} from './generator/timeline.js';
export {
  RouteSimulator,
  emptyVehicleState,
  regions,
  type DrivePlan,
  type DrivingMode,
  type Region,
  type VehicleState,
  type Weather,
} from './generator/route.js';
export {
  canDatabase,
  canFramesPerSecond,
  canChecksumValid,
  decodeSignal,
  decodeVehicleSpeedKph,
  encodeSignal,
  vehicleDbc,
  vehicleSpeedMessageId,
  type CanMessageDefinition,
  type CanSignal,
} from './generator/can.js';
export { ros2SchemaNames, ros2SchemaText, type Ros2SchemaName } from './generator/schemas.js';
export {
  chunkCompressions,
  chunkCompressor,
  type ChunkCompression,
  type CompressChunk,
} from './generator/compression.js';
export { type Light } from './generator/camera.js';
export {
  centralEuropeanOffsetMinutes,
  fleetLimits,
  planFleet,
  validateFleetOptions,
  type FleetOptions,
  type RecordingPlan,
} from './generator/fleet.js';
export {
  dbcAttachmentName,
  generateDefaults,
  generateRecording,
  rigFromMetadata,
  rigMetadataName,
  validateGenerateOptions,
  type ByteSink,
  type GenerateOptions,
  type GeneratedChannel,
  type GeneratedRecording,
  type RecordedRigSensor,
} from './generator/generator.js';
export { writeFleet, writeRecordingFile, type WrittenRecording } from './generator/files.js';
export { classifySensor, sensors, type Sensor } from './sensors.js';
export {
  countryAt,
  daylightAt,
  extendBox,
  isValidPosition,
  type BoundingBox,
  type Daylight,
} from './geo.js';
export { recordingsMigrations } from './migrations.js';
export type * from './tables.js';
export {
  RecordingsService,
  ingestTaskKind,
  analyzeTaskKind,
  type AddedRecording,
  type NewRecording,
  type RecordingQuery,
  type RecordingsDependencies,
} from './service.js';
export {
  recordingStatuses,
  type Channel,
  type Recording,
  type RecordingError,
  type RecordingStatus,
  type Segment,
} from './model.js';
export {
  readTimelines,
  timelineChannels,
  timelineKey,
  type ChannelTimeline,
} from './ingest/timelines.js';
export {
  analyze,
  catalogue,
  type ChannelAnalysis,
  type RecordingAnalysis,
} from './ingest/analyze.js';
export {
  metadataTags,
  speedBand,
  defaultSegmentMs,
  type SegmentSummary,
  type SpeedBand,
} from './ingest/segments.js';
export { fileReader, openStoredRecording, objectReader } from './ingest/sources.js';
export {
  Uploads,
  defaultPartSize,
  maxUploadSize,
  type Upload,
  type UploadPart,
} from './uploads.js';
