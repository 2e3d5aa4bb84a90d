import { CorruptRecording } from '../../platform/errors.js';
import type {
  ContinentalArs548Detection,
  ContinentalArs548DetectionList,
  ContinentalArs548Object,
  ContinentalArs548ObjectList,
  RosTime,
  RosVector3,
} from './continental-msgs.js';
import { requireLength, sourceOf, viewOf, type PacketOrigin } from './packet-bytes.js';

/**
 * Decoder for Continental ARS548 radar packets (SOME/IP payloads, big-endian, carried one per
 * `nebula_msgs/NebulaPacket`): detection lists, object lists and sensor status. Values are the
 * sensor's float32 fields unchanged, so lists match the reference decoder's exactly (ADR 075).
 */

/** SOME/IP method ids of the packets the radar sends. */
export const Ars548MethodId = {
  detectionList: 336,
  objectList: 329,
  sensorStatus: 380,
  filterStatus: 396,
} as const;

const detectionListSize = 35336;
const detectionListPduLength = 35328;
const objectListCommonSize = 9401;
const objectListCommonPduLength = 9393;
const objectListFw40Size = 37452;
const objectListFw40PduLength = 37444;
const sensorStatusSize = 84;
const sensorStatusPduLength = 76;
const maxDetections = 800;
const detectionSize = 44;
const detectionsOffset = 101;
const objectSize = 187;
const objectsOffset = 51;
/** Object lists of corner-mounted radars are only valid from firmware x.40.y on. */
const cornerRadarMinorVersion = 40;

/** Decoder settings, named as in the ROS driver's parameters. */
export interface Ars548Settings {
  /** Frame id of detection lists. */
  readonly frameId: string;
  /** Frame id of object lists. */
  readonly objectFrameId: string;
  /** Stamp lists with the radar's clock instead of the packet's receive time. */
  readonly useSensorTime?: boolean;
}

/** The radar's status packet, decoded. */
export interface Ars548SensorStatus {
  readonly stamp: RosTime;
  readonly timestampSyncStatus: number;
  readonly swVersion: readonly [major: number, minor: number, patch: number];
  /** Mounting position, metres, and orientation, radians, as configured in the radar. */
  readonly longitudinal: number;
  readonly lateral: number;
  readonly vertical: number;
  readonly yaw: number;
  readonly pitch: number;
  readonly plugOrientation: number;
  /** Vehicle dimensions, metres. */
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly wheelbase: number;
  /** Metres. */
  readonly maximumDistance: number;
  readonly frequencySlot: number;
  /** Milliseconds. */
  readonly cycleTime: number;
  readonly timeSlot: number;
  readonly hcc: number;
  readonly powersaveStandstill: number;
  readonly sensorIpAddresses: readonly [string, string];
  readonly configurationCounter: number;
  readonly longitudinalVelocityStatus: number;
  readonly longitudinalAccelerationStatus: number;
  readonly lateralAccelerationStatus: number;
  readonly yawRateStatus: number;
  readonly steeringAngleStatus: number;
  readonly drivingDirectionStatus: number;
  readonly characteristicSpeedStatus: number;
  readonly radarStatus: number;
  readonly voltageStatus: number;
  readonly temperatureStatus: number;
  readonly blockageStatus: number;
}

/** What one packet decoded to. */
export type Ars548Output =
  | { readonly kind: 'detections'; readonly message: ContinentalArs548DetectionList }
  | { readonly kind: 'objects'; readonly message: ContinentalArs548ObjectList }
  | { readonly kind: 'status'; readonly status: Ars548SensorStatus }
  /** A well-formed packet this decoder does not turn into data (another service or method, or
   * an object list a corner radar's firmware cannot produce correctly), and why. */
  | { readonly kind: 'skipped'; readonly reason: string };

const stampOf = (view: DataView, offset: number): RosTime => ({
  sec: view.getUint32(offset + 4),
  nanosec: view.getUint32(offset),
});

const nanosecondsToTime = (stampNs: bigint): RosTime => ({
  sec: Number(stampNs / 1_000_000_000n),
  nanosec: Number(stampNs % 1_000_000_000n),
});

/** Decodes ARS548 packets; keeps the last sensor status, which decides about object lists. */
export class ContinentalArs548Decoder {
  private status: Ars548SensorStatus | undefined;

  constructor(private readonly settings: Ars548Settings) {}

  /** Decodes one packet received at `stampNs` (nanoseconds since the epoch). */
  decode(packet: Uint8Array, stampNs: bigint, origin?: PacketOrigin): Ars548Output {
    const source = sourceOf(origin);
    requireLength(packet, 8, source, 'ARS548 packet header');
    const view = viewOf(packet);
    const serviceId = view.getUint16(0);
    const methodId = view.getUint16(2);
    const length = view.getUint32(4);
    if (serviceId !== 0) return { kind: 'skipped', reason: `service id ${serviceId}` };
    const receiveTime = nanosecondsToTime(stampNs);

    switch (methodId) {
      case Ars548MethodId.detectionList:
        checkSize(
          packet,
          length,
          detectionListSize,
          detectionListPduLength,
          source,
          'detection list',
        );
        return { kind: 'detections', message: this.detectionList(view, receiveTime, source) };
      case Ars548MethodId.objectList: {
        const maxObjects = objectListCapacity(packet.length, length, source);
        const skip = this.cornerRadarSkipReason();
        if (skip !== undefined) return { kind: 'skipped', reason: skip };
        return { kind: 'objects', message: this.objectList(view, receiveTime, maxObjects, source) };
      }
      case Ars548MethodId.sensorStatus:
        checkSize(packet, length, sensorStatusSize, sensorStatusPduLength, source, 'sensor status');
        this.status = sensorStatus(packet, view);
        return { kind: 'status', status: this.status };
      default:
        return { kind: 'skipped', reason: `method id ${methodId}` };
    }
  }

  private cornerRadarSkipReason(): string | undefined {
    const status = this.status;
    if (!status) return undefined;
    const yaw = Math.abs(status.yaw);
    const corner = yaw > 5 * (Math.PI / 180) && yaw < 175 * (Math.PI / 180);
    if (!corner || status.swVersion[1] === cornerRadarMinorVersion) return undefined;
    return `object list of a corner radar with firmware ${status.swVersion.join('.')}; corner radars need x.${cornerRadarMinorVersion}.y`;
  }

  private header(view: DataView, receiveTime: RosTime, frameId: string) {
    return {
      stamp: this.settings.useSensorTime === true ? stampOf(view, 36) : receiveTime,
      frame_id: frameId,
    };
  }

  private detectionList(
    view: DataView,
    receiveTime: RosTime,
    source: string,
  ): ContinentalArs548DetectionList {
    const f = (offset: number) => view.getFloat32(offset);
    const count = view.getUint32(35309);
    if (count > maxDetections) {
      throw new CorruptRecording(
        source,
        35309,
        `detection list claims ${count} detections, at most ${maxDetections} fit`,
      );
    }
    const detections: ContinentalArs548Detection[] = [];
    for (let i = 0; i < count; i++) {
      const at = detectionsOffset + i * detectionSize;
      const invalid = view.getUint8(at + 8);
      detections.push({
        azimuth_angle: f(at),
        azimuth_angle_std: f(at + 4),
        invalid_distance: (invalid & 0x01) !== 0,
        invalid_distance_std: (invalid & 0x02) !== 0,
        invalid_azimuth: (invalid & 0x04) !== 0,
        invalid_azimuth_std: (invalid & 0x08) !== 0,
        invalid_elevation: (invalid & 0x10) !== 0,
        invalid_elevation_std: (invalid & 0x20) !== 0,
        invalid_range_rate: (invalid & 0x40) !== 0,
        invalid_range_rate_std: (invalid & 0x80) !== 0,
        elevation_angle: f(at + 9),
        elevation_angle_std: f(at + 13),
        range: f(at + 17),
        range_std: f(at + 21),
        range_rate: f(at + 25),
        range_rate_std: f(at + 29),
        rcs: view.getInt8(at + 33),
        measurement_id: view.getUint16(at + 34),
        raw_positive_predictive_value: view.getUint8(at + 36),
        classification: view.getUint8(at + 37),
        raw_multi_target_probability: view.getUint8(at + 38),
        object_id: view.getUint16(at + 39),
        raw_ambiguity_flag: view.getUint8(at + 41),
      });
    }
    return {
      header: this.header(view, receiveTime, this.settings.frameId),
      stamp_sync_status: view.getUint8(44),
      origin_pos: { x: f(52), y: f(60), z: f(68) },
      origin_pitch: f(84),
      origin_pitch_std: f(88),
      origin_yaw: f(92),
      origin_yaw_std: f(96),
      ambiguity_free_velocity_min: f(35301),
      ambiguity_free_velocity_max: f(35305),
      alignment_azimuth_correction: f(35313),
      alignment_elevation_correction: f(35317),
      alignment_status: view.getUint8(35321),
      detections,
    };
  }

  private objectList(
    view: DataView,
    receiveTime: RosTime,
    maxObjects: number,
    source: string,
  ): ContinentalArs548ObjectList {
    const count = view.getUint8(50);
    if (count > maxObjects) {
      throw new CorruptRecording(
        source,
        50,
        `object list claims ${count} objects, at most ${maxObjects} fit`,
      );
    }
    const objects: ContinentalArs548Object[] = [];
    for (let i = 0; i < count; i++)
      objects.push(decodeObject(view, objectsOffset + i * objectSize));
    return {
      header: this.header(view, receiveTime, this.settings.objectFrameId),
      stamp_sync_status: view.getUint8(44),
      objects,
    };
  }
}

function checkSize(
  packet: Uint8Array,
  pduLength: number,
  size: number,
  expectedPduLength: number,
  source: string,
  what: string,
): void {
  if (packet.length !== size) {
    throw new CorruptRecording(
      source,
      Math.min(packet.length, size),
      `ARS548 ${what} has ${packet.length} bytes, expected ${size}`,
    );
  }
  if (pduLength !== expectedPduLength) {
    throw new CorruptRecording(
      source,
      4,
      `ARS548 ${what} declares length ${pduLength}, expected ${expectedPduLength}`,
    );
  }
}

/** Object slots of an object list: 50 in the common layout, 200 from firmware 4.0. */
function objectListCapacity(size: number, pduLength: number, source: string): number {
  if (size === objectListCommonSize && pduLength === objectListCommonPduLength) return 50;
  if (size === objectListFw40Size && pduLength === objectListFw40PduLength) return 200;
  throw new CorruptRecording(
    source,
    Math.min(size, 4),
    `ARS548 object list of ${size} bytes declaring length ${pduLength} matches neither layout (${objectListCommonSize}/${objectListCommonPduLength} or ${objectListFw40Size}/${objectListFw40PduLength})`,
  );
}

function decodeObject(view: DataView, at: number): ContinentalArs548Object {
  const f = (offset: number) => view.getFloat32(at + offset);
  const u8 = (offset: number) => view.getUint8(at + offset);
  const planar = (x: number, y: number): RosVector3 => ({ x: f(x), y: f(y), z: 0 });
  return {
    object_id: view.getUint32(at + 2),
    age: view.getUint16(at + 6),
    status_measurement: u8(8),
    status_movement: u8(9),
    position_reference: u8(12),
    position: { x: f(13), y: f(21), z: f(29) },
    position_std: { x: f(17), y: f(25), z: f(33) },
    position_covariance_xy: f(37),
    orientation: f(41),
    orientation_std: f(45),
    raw_existence_probability: f(50),
    raw_classification_car: u8(58),
    raw_classification_truck: u8(59),
    raw_classification_motorcycle: u8(60),
    raw_classification_bicycle: u8(61),
    raw_classification_pedestrian: u8(62),
    raw_classification_animal: u8(63),
    raw_classification_hazard: u8(64),
    raw_classification_unknown: u8(65),
    absolute_velocity: planar(69, 77),
    absolute_velocity_std: planar(73, 81),
    absolute_velocity_covariance_xy: f(85),
    relative_velocity: planar(90, 98),
    relative_velocity_std: planar(94, 102),
    relative_velocity_covariance_xy: f(106),
    absolute_acceleration: planar(111, 119),
    absolute_acceleration_std: planar(115, 123),
    absolute_acceleration_covariance_xy: f(127),
    relative_acceleration: planar(132, 140),
    relative_acceleration_std: planar(136, 144),
    relative_acceleration_covariance_xy: f(148),
    orientation_rate_mean: f(153),
    orientation_rate_std: f(157),
    shape_length_edge_mean: f(166),
    shape_width_edge_mean: f(179),
  };
}

function sensorStatus(packet: Uint8Array, view: DataView): Ars548SensorStatus {
  const f = (offset: number) => view.getFloat32(offset);
  const u8 = (offset: number) => view.getUint8(offset);
  const ip = (offset: number) => Array.from(packet.subarray(offset, offset + 4)).join('.');
  return {
    stamp: stampOf(view, 8),
    timestampSyncStatus: u8(16),
    swVersion: [u8(17), u8(18), u8(19)],
    longitudinal: f(20),
    lateral: f(24),
    vertical: f(28),
    yaw: f(32),
    pitch: f(36),
    plugOrientation: u8(40),
    length: f(41),
    width: f(45),
    height: f(49),
    wheelbase: f(53),
    maximumDistance: view.getUint16(57),
    frequencySlot: u8(59),
    cycleTime: u8(60),
    timeSlot: u8(61),
    hcc: u8(62),
    powersaveStandstill: u8(63),
    sensorIpAddresses: [ip(64), ip(68)],
    configurationCounter: u8(72),
    longitudinalVelocityStatus: u8(73),
    longitudinalAccelerationStatus: u8(74),
    lateralAccelerationStatus: u8(75),
    yawRateStatus: u8(76),
    steeringAngleStatus: u8(77),
    drivingDirectionStatus: u8(78),
    characteristicSpeedStatus: u8(79),
    radarStatus: u8(80),
    voltageStatus: u8(81),
    temperatureStatus: u8(82),
    blockageStatus: u8(83),
  };
}
