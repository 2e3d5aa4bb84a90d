export type {
  ByteLocation,
  ChannelInfo,
  MessageQuery,
  Nanoseconds,
  RandomAccessReader,
  RecordedMessage,
  RecordingFormat,
  RecordingAttachment,
  RecordingMetadata,
  RecordingSource,
  RecordingSummary,
} from './source.js';
export { bytesReader } from './reader.js';
export { messageBatches } from './batches.js';
export { detectFormat, detectionBytes, openRecording } from './open.js';
export type { DetectedFormat, OpenOptions } from './open.js';
export { openMcap } from './mcap/open.js';
export type { McapSource } from './mcap/open.js';
export type { McapOptions } from './mcap/common.js';
export { McapIndexedSource } from './mcap/indexed.js';
export { McapStreamedSource } from './mcap/streamed.js';
export { openRos1Bag, Ros1BagSource } from './ros1/bag.js';
export type { Ros1Options } from './ros1/bag.js';
export { openRos2Bag, openRos2Db3, Ros2BagSource } from './ros2/bag.js';
export type { Ros2BagFolder } from './ros2/bag.js';
export { parseRos2Metadata } from './ros2/metadata.js';
export type { Ros2BagMetadata, Ros2FileMetadata, Ros2TopicMetadata } from './ros2/metadata.js';
export type { SqliteDatabase, SqlValue } from './ros2/sqlite.js';
export { createMessageDecoder } from './decode/decoder.js';
export type { DecodeContext, MessageDecoder, SchemaSource } from './decode/decoder.js';
export { createStampExtractor, decodedStamp, timeValue } from './decode/stamp.js';
export { primitiveSizes, readUint32 } from './decode/primitives.js';
export type { Stamp, StampExtractor } from './decode/stamp.js';
export {
  Mdf4File,
  Mdf4RecordingSource,
  openMdf4Source,
  CAN_MESSAGE_ENCODING,
  RECORD_MESSAGE_ENCODING,
  decodeCanFrame,
  encodeCanFrame,
  dlcToLength,
  lengthToDlc,
  CAN_FRAME_HEADER_BYTES,
  mdf4RecordDecoder,
} from './mdf4/index.js';
export type {
  CanFrame,
  ConversionSpec,
  DataLimits,
  Mdf4Channel,
  Mdf4ChannelGroup,
  Mdf4ChannelSchema,
  Mdf4DataGroup,
  Mdf4Header,
  Mdf4Identification,
  Mdf4Options,
  Mdf4RecordDecoder,
  Mdf4RecordSchema,
  Mdf4SampleBatch,
  Mdf4SourceInfo,
  Mdf4Value,
  ReadGroupOptions,
} from './mdf4/index.js';
export {
  parseDbc,
  DbcDecoder,
  j1939Pgn,
  IsoTpReassembler,
  FastPacketReassembler,
  CanSignalDecoder,
  recordingSignals,
  timeSeries,
} from './dbc/index.js';
export type {
  BusFrame,
  DbcDatabase,
  DbcMessage,
  DbcSignal,
  DecodedMessage,
  DecodedSignal,
  FrameLike,
  SignalOptions,
  SignalSample,
  SignalTimeSeries,
  TransportFrame,
  TransportMessage,
} from './dbc/index.js';
export {
  ContinentalArs548Decoder,
  ContinentalSrr520Decoder,
  HesaiDecoder,
  PointReturnType,
  VelodyneDecoder,
  continentalMessageDefinition,
  continentalMessageDefinitions,
  decodePacketMessage,
  encodePcd,
  formatShowpoint,
  packetMessageDefinitions,
  parseHesaiCalibration,
  parsePcd,
  parseVelodyneCalibration,
  sensorDecodersFor,
  toRosYaml,
} from './sensors/index.js';
export type {
  Ars548Output,
  Ars548SensorStatus,
  Ars548Settings,
  ContinentalArs548Detection,
  ContinentalArs548DetectionList,
  ContinentalArs548Object,
  ContinentalArs548ObjectList,
  ContinentalMessageName,
  ContinentalSrr520Detection,
  ContinentalSrr520DetectionList,
  ContinentalSrr520Object,
  ContinentalSrr520ObjectList,
  HesaiCalibration,
  HesaiModelName,
  HesaiSettings,
  LidarScan,
  MessageDefinitions,
  PacketOrigin,
  PcdCloud,
  PointCloud,
  PointReturnTypeCode,
  SensorDecoderMatch,
  SensorDecoderName,
  SensorPacket,
  SensorPacketMessage,
  Srr520Output,
  Srr520Settings,
  Srr520Status,
  VelodyneCalibration,
  VelodyneLaserCorrection,
  VelodyneModelName,
  VelodyneSettings,
} from './sensors/index.js';
