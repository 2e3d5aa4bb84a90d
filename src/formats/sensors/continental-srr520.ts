import { CorruptRecording } from '../../platform/errors.js';
import type {
  ContinentalSrr520Detection,
  ContinentalSrr520DetectionList,
  ContinentalSrr520Object,
  ContinentalSrr520ObjectList,
  RosHeader,
  RosTime,
} from './continental-msgs.js';
import { f32 } from './float32.js';
import { requireLength, sourceOf, viewOf, type PacketOrigin } from './packet-bytes.js';

/**
 * Decoder for Continental SRR520 radar packets: CAN(-FD) frames, each carried in a
 * `nebula_msgs/NebulaPacket` as a 4-byte big-endian message id followed by the payload. A list
 * arrives as a header frame, a fixed number of element frames and a CRC frame; the decoder
 * collects them and returns the list when its CRC checks out. Scaling follows the reference
 * decoder, in float32 where it computes in float (ADR 075).
 */

export const Srr520MessageId = {
  nearHeader: 900,
  nearElement: 901,
  hrrHeader: 1100,
  hrrElement: 1101,
  objectHeader: 1200,
  objectElement: 1201,
  crcList: 800,
  status: 700,
  syncFollowUp: 53,
  vehicleDynamics: 600,
  sensorConfiguration: 601,
} as const;

/** Decoder settings, named as in the ROS driver's parameters. */
export interface Srr520Settings {
  /** Frame id of detection lists. */
  readonly frameId: string;
  /** Frame id of object lists (the vehicle's base frame: objects are in vehicle coordinates). */
  readonly baseFrameId: string;
}

/** The sensor's status frame, decoded to its raw fields. */
export interface Srr520Status {
  readonly timeStampUs: number;
  readonly globalTimeStamp: RosTime;
  readonly globalTimeStampSyncStatus: number;
  readonly swVersion: readonly [major: number, minor: number, patch: number];
  readonly sensorId: number;
  /** Mounting and alignment fields as sent (scaled integers). */
  readonly raw: {
    readonly longPos: number;
    readonly latPos: number;
    readonly vertPos: number;
    readonly longPosCog: number;
    readonly wheelbase: number;
    readonly yawAngle: number;
    readonly coverDamping: number;
    readonly alnCurrentAzimuthStd: number;
    readonly alnCurrentAzimuth: number;
    readonly alnCurrentDelta: number;
  };
  /** 0: plug at the bottom, 1: at the top. */
  readonly plugOrientation: number;
  /** Fault bit fields. */
  readonly defective: number;
  readonly supplyVoltageLimit: number;
  readonly sensorOffTemperature: number;
  readonly dynamicsInvalid: readonly [number, number];
  readonly externallyDisturbed: number;
  readonly communicationError: number;
  readonly swError: number;
  readonly alignmentStatus: number;
  readonly sequenceCounter: number;
  /** Whether the frame's CRC matches its content. */
  readonly crcValid: boolean;
}

type ListKind = 'near' | 'hrr' | 'objects';

/** The fields every list header frame carries. */
interface ListHeader {
  header: RosHeader;
  internal_time_stamp_usec: number;
  global_time_stamp_sync_status: number;
  signal_status: number;
  sequence_counter: number;
  cycle_counter: number;
}

/** What one packet decoded to. */
export type Srr520Output =
  | { readonly kind: 'near-detections'; readonly message: ContinentalSrr520DetectionList }
  | { readonly kind: 'hrr-detections'; readonly message: ContinentalSrr520DetectionList }
  | { readonly kind: 'objects'; readonly message: ContinentalSrr520ObjectList }
  | { readonly kind: 'status'; readonly status: Srr520Status }
  | { readonly kind: 'sync-follow-up'; readonly stamp: RosTime }
  /** A list that could not be completed (frames missing, e.g. when the recording starts in
   * the middle of one), and why. */
  | { readonly kind: 'dropped'; readonly list: ListKind; readonly reason: string };

const payloadSizes: Record<number, number> = {
  [Srr520MessageId.nearHeader]: 32,
  [Srr520MessageId.nearElement]: 64,
  [Srr520MessageId.hrrHeader]: 32,
  [Srr520MessageId.hrrElement]: 64,
  [Srr520MessageId.objectHeader]: 32,
  [Srr520MessageId.objectElement]: 64,
  [Srr520MessageId.crcList]: 4,
  [Srr520MessageId.status]: 64,
  [Srr520MessageId.syncFollowUp]: 8,
};

/** Element frames that make a complete list. */
const elementsPerList: Record<ListKind, number> = { near: 50, hrr: 20, objects: 20 };
const crcIds: Record<number, ListKind> = { 0: 'near', 1: 'hrr', 2: 'objects' };

/** CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF), updated over `bytes`. */
export function crc16CcittFalse(bytes: Uint8Array, crc = 0xffff): number {
  let value = crc;
  for (const byte of bytes) {
    value ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      value = value & 0x8000 ? ((value << 1) ^ 0x1021) & 0xffff : (value << 1) & 0xffff;
    }
  }
  return value;
}

interface PendingList {
  /** Payloads of the header and element frames, in order, for the CRC. */
  readonly payloads: Uint8Array[];
  expected: number;
  detections: ContinentalSrr520Detection[];
  objects: ContinentalSrr520Object[];
  detectionHeader?: Omit<ContinentalSrr520DetectionList, 'detections'>;
  objectHeader?: Omit<ContinentalSrr520ObjectList, 'objects'>;
}

const emptyList = (): PendingList => ({ payloads: [], expected: 0, detections: [], objects: [] });

const stampFromNs = (stampNs: bigint): RosTime => ({
  sec: Number(stampNs / 1_000_000_000n),
  nanosec: Number(stampNs % 1_000_000_000n),
});

/** Decodes a stream of SRR520 frames; one instance per sensor. */
export class ContinentalSrr520Decoder {
  private readonly lists: Record<ListKind, PendingList> = {
    near: emptyList(),
    hrr: emptyList(),
    objects: emptyList(),
  };
  /** Whether a header of each list has been seen; until then missing frames are expected. */
  private readonly started: Record<ListKind, boolean> = { near: false, hrr: false, objects: false };

  constructor(private readonly settings: Srr520Settings) {}

  /**
   * Decodes one frame received at `stampNs`. Returns a list when this frame completes it, the
   * status, or undefined while a list is being collected. A frame of the wrong size or with an
   * unknown id, and a list whose CRC does not match, throw CorruptRecording (a list with a bad
   * CRC is discarded, the stream goes on).
   */
  decode(packet: Uint8Array, stampNs: bigint, origin?: PacketOrigin): Srr520Output | undefined {
    const source = sourceOf(origin);
    requireLength(packet, 4, source, 'SRR520 frame id');
    const view = viewOf(packet);
    const id = view.getUint32(0);
    if (id === Srr520MessageId.vehicleDynamics || id === Srr520MessageId.sensorConfiguration) {
      return undefined;
    }
    const size = payloadSizes[id];
    if (size === undefined) {
      throw new CorruptRecording(source, 0, `unknown SRR520 CAN message id ${id}`);
    }
    if (packet.length - 4 !== size) {
      throw new CorruptRecording(
        source,
        Math.min(packet.length, 4 + size),
        `SRR520 message ${id} has a ${packet.length - 4}-byte payload, expected ${size}`,
      );
    }
    const payload = packet.subarray(4);
    const receiveTime = stampFromNs(stampNs);
    switch (id) {
      case Srr520MessageId.nearHeader:
        this.detectionHeader('near', payload, receiveTime);
        return undefined;
      case Srr520MessageId.hrrHeader:
        this.detectionHeader('hrr', payload, receiveTime);
        return undefined;
      case Srr520MessageId.nearElement:
        return this.detectionElement('near', payload);
      case Srr520MessageId.hrrElement:
        return this.detectionElement('hrr', payload);
      case Srr520MessageId.objectHeader:
        this.objectHeader(payload, receiveTime);
        return undefined;
      case Srr520MessageId.objectElement:
        return this.objectElement(payload);
      case Srr520MessageId.crcList:
        return this.crcList(payload, source);
      case Srr520MessageId.status:
        return { kind: 'status', status: status(payload) };
      default:
        return { kind: 'sync-follow-up', stamp: receiveTime };
    }
  }

  private listHeader(payload: Uint8Array, receiveTime: RosTime, frameId: string): ListHeader {
    const view = viewOf(payload);
    const synchronized = view.getUint8(12) === 1;
    return {
      header: {
        stamp: synchronized ? { sec: view.getUint32(4), nanosec: view.getUint32(8) } : receiveTime,
        frame_id: frameId,
      },
      internal_time_stamp_usec: view.getUint32(0),
      global_time_stamp_sync_status: view.getUint8(12),
      signal_status: view.getUint8(13),
      sequence_counter: view.getUint8(14),
      cycle_counter: view.getUint32(15),
    };
  }

  private detectionHeader(kind: 'near' | 'hrr', payload: Uint8Array, receiveTime: RosTime): void {
    const view = viewOf(payload);
    const list = emptyList();
    list.payloads.push(payload);
    list.expected = view.getUint16(23);
    list.detectionHeader = {
      ...this.listHeader(payload, receiveTime, this.settings.frameId),
      v_ambiguous: f32(f32(f32(0.003051851) * view.getUint16(19)) + -100),
      max_range: f32(f32(0.1) * view.getUint16(21)),
    };
    this.lists[kind] = list;
    this.started[kind] = true;
  }

  private detectionElement(kind: 'near' | 'hrr', payload: Uint8Array): Srr520Output | undefined {
    const list = this.lists[kind];
    if (list.payloads.length === 0) {
      return this.started[kind]
        ? { kind: 'dropped', list: kind, reason: 'element frame without a header frame' }
        : undefined;
    }
    list.payloads.push(payload);
    for (let fragment = 0; fragment < 10; fragment++) {
      if (list.detections.length >= list.expected) break;
      list.detections.push(decodeDetection(payload.subarray(fragment * 6, fragment * 6 + 6), kind));
    }
    return undefined;
  }

  private objectHeader(payload: Uint8Array, receiveTime: RosTime): void {
    const view = viewOf(payload);
    const list = emptyList();
    list.payloads.push(payload);
    list.expected = view.getUint8(24);
    list.objectHeader = {
      ...this.listHeader(payload, receiveTime, this.settings.baseFrameId),
      ego_vx: f32(0.003051851 * view.getUint16(19) + -100),
      ego_yaw_rate: f32(9.58766e-5 * view.getUint16(21) + -3.14159),
      motion_type: view.getUint8(23),
    };
    this.lists.objects = list;
    this.started.objects = true;
  }

  private objectElement(payload: Uint8Array): Srr520Output | undefined {
    const list = this.lists.objects;
    if (list.payloads.length === 0) {
      return this.started.objects
        ? { kind: 'dropped', list: 'objects', reason: 'element frame without a header frame' }
        : undefined;
    }
    list.payloads.push(payload);
    for (let fragment = 0; fragment < 2; fragment++) {
      if (list.objects.length >= list.expected) break;
      list.objects.push(decodeObject(payload.subarray(fragment * 31, fragment * 31 + 31)));
    }
    return undefined;
  }

  private crcList(payload: Uint8Array, source: string): Srr520Output | undefined {
    const kind = crcIds[payload[0] ?? 0xff];
    if (kind === undefined) {
      throw new CorruptRecording(source, 4, `unknown SRR520 CRC list id ${payload[0]}`);
    }
    const list = this.lists[kind];
    this.lists[kind] = emptyList();
    const frames = elementsPerList[kind] + 1;
    if (list.payloads.length !== frames) {
      if (!this.started[kind]) return undefined;
      return {
        kind: 'dropped',
        list: kind,
        reason: `${list.payloads.length} of ${frames} header and element frames arrived before the CRC frame`,
      };
    }
    const transmitted = ((payload[1] ?? 0) << 8) | (payload[2] ?? 0);
    const computed = list.payloads.reduce((crc, frame) => crc16CcittFalse(frame, crc), 0xffff);
    if (transmitted !== computed) {
      throw new CorruptRecording(
        source,
        5,
        `SRR520 ${kind} list CRC 0x${transmitted.toString(16)} does not match its frames (0x${computed.toString(16)}); the list is discarded`,
      );
    }
    if (list.objectHeader) {
      return { kind: 'objects', message: { ...list.objectHeader, objects: list.objects } };
    }
    if (!list.detectionHeader) return undefined;
    const message = { ...list.detectionHeader, detections: list.detections };
    return { kind: kind === 'near' ? 'near-detections' : 'hrr-detections', message };
  }
}

function decodeDetection(data: Uint8Array, kind: 'near' | 'hrr'): ContinentalSrr520Detection {
  const b = (i: number) => data[i] ?? 0;
  const range = (b(0) << 4) | ((b(1) & 0xf0) >> 4);
  const azimuth = ((b(1) & 0x0f) << 5) | ((b(2) & 0xf8) >> 3);
  const rangeRate = ((b(2) & 0x07) << 8) | b(3);
  const rcs = (b(4) & 0xfe) >> 1;
  const snr = b(5) & 0x0f;
  return {
    range: f32(0.024420024 * range),
    azimuth_angle: f32(0.006159986 * azimuth + -1.570796327),
    range_rate: f32(0.014662757 * rangeRate + -15),
    rcs: f32(0.476190476 * rcs + -40),
    pdh00: 100 * (b(4) & 0x01),
    pdh01: 100 * ((b(5) & 0x80) >> 7),
    pdh02: 100 * ((b(5) & 0x40) >> 6),
    pdh03: 100 * ((b(5) & 0x20) >> 5),
    pdh04: 100 * ((b(5) & 0x10) >> 4),
    pdh05: 0,
    // The reference scales the SNR in double for near scans and in float for HRR scans.
    snr: kind === 'near' ? f32(1.7 * snr + 11) : f32(f32(f32(1.7) * snr) + 11),
  };
}

function decodeObject(data: Uint8Array): ContinentalSrr520Object {
  const b = (i: number) => data[i] ?? 0;
  const fourteenHigh = (i: number) => (b(i) << 6) | ((b(i + 1) & 0xfc) >> 2);
  const fourteenLow = (i: number) =>
    ((b(i) & 0x03) << 12) | (b(i + 1) << 4) | ((b(i + 2) & 0xf0) >> 4);
  const std = (raw: number) => f32(0.001831166 * raw);
  return {
    object_id: b(0),
    dist_x: f32(0.009155553 * ((b(1) << 8) | b(2)) + -300),
    dist_y: f32(0.009155553 * ((b(3) << 8) | b(4)) + -300),
    v_abs_x: f32(0.009156391 * fourteenHigh(5) + -75),
    v_abs_y: f32(0.009156391 * fourteenLow(6) + -75),
    a_abs_x: f32(0.019569472 * (((b(8) & 0x0f) << 6) | ((b(9) & 0xfc) >> 2)) + -10),
    a_abs_y: f32(0.019569472 * (((b(9) & 0x03) << 8) | b(10)) + -10),
    dist_x_std: std(fourteenHigh(11)),
    dist_y_std: std(fourteenLow(12)),
    // Bits as the reference extracts them: the two lowest bits, which would come from byte 16,
    // are always zero there (it masks byte 15 and shifts the result out).
    v_abs_x_std: std(((b(14) & 0x0f) << 10) | (b(15) << 2)),
    v_abs_y_std: std(((b(16) & 0x3f) << 8) | b(17)),
    a_abs_x_std: std(fourteenHigh(18)),
    a_abs_y_std: std(fourteenLow(19)),
    box_length: f32(0.007326007 * (((b(21) & 0x0f) << 8) | b(22))),
    box_width: f32(0.007326007 * ((b(23) << 4) | ((b(24) & 0xf0) >> 4))),
    orientation: f32(0.001534729 * (((b(24) & 0x0f) << 8) | b(25)) + -3.14159),
    rcs: f32(0.024425989 * ((b(26) << 4) | ((b(27) & 0xf0) >> 4)) + -50),
    score: f32(6.666666667 * (b(27) & 0x0f)),
    life_cycles: (b(28) << 8) | b(29),
    box_valid: b(30) & 0x01,
    object_status: (b(30) & 0x06) >> 1,
  };
}

function status(payload: Uint8Array): Srr520Status {
  const view = viewOf(payload);
  const u8 = (offset: number) => view.getUint8(offset);
  const u16 = (offset: number) => view.getUint16(offset);
  return {
    timeStampUs: view.getUint32(0),
    globalTimeStamp: { sec: view.getUint32(4), nanosec: view.getUint32(8) },
    globalTimeStampSyncStatus: u8(12),
    swVersion: [u8(13), u8(14), u8(15)],
    sensorId: u8(16),
    raw: {
      longPos: u16(17),
      latPos: u16(19),
      vertPos: u16(21),
      longPosCog: u16(23),
      wheelbase: u16(25),
      yawAngle: u16(27),
      coverDamping: u16(29),
      alnCurrentAzimuthStd: u16(42),
      alnCurrentAzimuth: u16(44),
      alnCurrentDelta: u16(46),
    },
    plugOrientation: u8(31) & 0x01,
    defective: u8(32),
    supplyVoltageLimit: u8(33),
    sensorOffTemperature: u8(34),
    dynamicsInvalid: [u8(35), u8(36)],
    externallyDisturbed: u8(37),
    communicationError: u8(38),
    swError: u16(39),
    alignmentStatus: u8(41),
    sequenceCounter: u8(63),
    crcValid: crc16CcittFalse(payload.subarray(0, 61)) === u16(61),
  };
}
