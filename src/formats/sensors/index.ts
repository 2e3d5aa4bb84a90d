/**
 * Sensor packet decoders: raw lidar and radar packets recorded as ROS messages (Velodyne,
 * Hesai, Continental ARS548 and SRR520) turned into point clouds and detection/object lists.
 * Pure: packets and calibration files arrive as bytes and text.
 */
export {
  PointReturnType,
  type LidarScan,
  type PointCloud,
  type PointReturnTypeCode,
} from './point-cloud.js';
export type { PacketOrigin } from './packet-bytes.js';
export {
  decodePacketMessage,
  packetMessageDefinitions,
  type SensorPacket,
  type SensorPacketMessage,
} from './packet-messages.js';
export { sensorDecodersFor, type SensorDecoderMatch, type SensorDecoderName } from './registry.js';
export { VelodyneDecoder, type VelodyneModelName, type VelodyneSettings } from './velodyne.js';
export {
  parseVelodyneCalibration,
  type VelodyneCalibration,
  type VelodyneLaserCorrection,
} from './velodyne-calibration.js';
export { HesaiDecoder, type HesaiModelName, type HesaiSettings } from './hesai.js';
export { parseHesaiCalibration, type HesaiCalibration } from './hesai-calibration.js';
export {
  ContinentalArs548Decoder,
  type Ars548Output,
  type Ars548SensorStatus,
  type Ars548Settings,
} from './continental-ars548.js';
export {
  ContinentalSrr520Decoder,
  type Srr520Output,
  type Srr520Settings,
  type Srr520Status,
} from './continental-srr520.js';
export {
  continentalMessageDefinition,
  continentalMessageDefinitions,
  type ContinentalArs548Detection,
  type ContinentalArs548DetectionList,
  type ContinentalArs548Object,
  type ContinentalArs548ObjectList,
  type ContinentalMessageName,
  type ContinentalSrr520Detection,
  type ContinentalSrr520DetectionList,
  type ContinentalSrr520Object,
  type ContinentalSrr520ObjectList,
} from './continental-msgs.js';
export { formatShowpoint, toRosYaml, type MessageDefinitions } from './ros-yaml.js';
export { encodePcd, parsePcd, type PcdCloud } from './pcd.js';
