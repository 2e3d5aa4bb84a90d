/** ASAM MDF 4 reader: block tree, records, channel values, CAN bus logging, `RecordingSource`. */
export { Mdf4File } from './file.js';
export type { Mdf4Options, Mdf4SampleBatch, ReadGroupOptions } from './file.js';
export {
  openMdf4Source,
  Mdf4RecordingSource,
  CAN_MESSAGE_ENCODING,
  RECORD_MESSAGE_ENCODING,
} from './source.js';
export {
  decodeCanFrame,
  encodeCanFrame,
  dlcToLength,
  lengthToDlc,
  CAN_FRAME_HEADER_BYTES,
} from './can.js';
export type { CanFrame } from './can.js';
export { mdf4RecordDecoder } from './schema.js';
export type { Mdf4RecordDecoder, Mdf4RecordSchema, Mdf4ChannelSchema } from './schema.js';
export type { ConversionSpec, Mdf4Value } from './conversion.js';
export type { DataLimits } from './data.js';
export type {
  Mdf4Channel,
  Mdf4ChannelGroup,
  Mdf4DataGroup,
  Mdf4Header,
  Mdf4Identification,
  Mdf4SourceInfo,
} from './tree.js';
