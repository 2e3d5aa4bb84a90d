import { CorruptRecording, InvalidInput } from '../../platform/errors.js';
import { f32, normalizeAngle } from './float32.js';
import type { HesaiCalibration } from './hesai-calibration.js';
import { cosf, sinf } from './libm.js';
import { sourceOf, type PacketOrigin } from './packet-bytes.js';
import {
  PointCloudBuilder,
  PointReturnType,
  type LidarScan,
  type PointFields,
  type PointReturnTypeCode,
} from './point-cloud.js';
import { ScanCutter, type BlockAzimuths } from './scan-cutter.js';

/**
 * Decoder for Hesai Pandar packets (the UDP payloads a `pandar_msgs/PandarScan` carries). The
 * packet layout, ranges and firing times are per model (`HesaiModel`); return handling, angle
 * correction from a calibration file and scan cutting are common. Arithmetic follows the
 * Autoware/nebula decoder in float32 where it computes in float (ADR 075).
 */

export type HesaiModelName = 'PandarQT64';

/** Return-mode byte values of the packet tail. */
export const HesaiReturnMode = {
  singleFirst: 0x33,
  singleSecond: 0x34,
  singleStrongest: 0x37,
  singleLast: 0x38,
  dualLastStrongest: 0x39,
  dualFirstSecond: 0x3a,
  dualFirstLast: 0x3b,
  dualFirstStrongest: 0x3c,
  tripleFirstLastStrongest: 0x3d,
  dualStrongestSecondStrongest: 0x3e,
} as const;

/** Layout and timing of one Hesai model's data packets. */
export interface HesaiModel {
  readonly name: HesaiModelName;
  readonly channels: number;
  readonly blocks: number;
  readonly maxReturns: number;
  /** Bytes a packet must hold. */
  readonly packetSize: number;
  /** Offset of the first block; each block is a 2-byte azimuth and `channels` units. */
  readonly bodyOffset: number;
  readonly unitSize: number;
  /** Offsets of the tail fields. */
  readonly timestampOffset: number;
  readonly returnModeOffset: number;
  readonly dateTimeOffset: number;
  /** Added to the year byte of the packet date. */
  readonly yearOffset: number;
  /** The sensor's own range limits, metres (float32). */
  readonly minRange: number;
  readonly maxRange: number;
  /** Nanoseconds from the packet stamp to the firing of a block's channel. */
  pointTimeOffsetNs(block: number, channel: number, returns: number): number;
}

const qt64FiringOffsetNs = [
  12310, 14370, 16430, 18490, 20540, 22600, 24660, 26710, 29160, 31220, 33280, 35340, 37390, 39450,
  41500, 43560, 46610, 48670, 50730, 52780, 54840, 56900, 58950, 61010, 63450, 65520, 67580, 69630,
  71690, 73740, 75800, 77860, 80900, 82970, 85020, 87080, 89140, 91190, 93250, 95300, 97750, 99820,
  101870, 103930, 105980, 108040, 110100, 112150, 115200, 117260, 119320, 121380, 123430, 125490,
  127540, 12960, 132050, 134110, 136170, 138220, 140280, 142340, 144390, 146450,
];

/** Pandar QT64: 4 blocks of 64 channels, 4-byte units, 12-byte header, 1072-byte packet. */
const pandarQt64: HesaiModel = {
  name: 'PandarQT64',
  channels: 64,
  blocks: 4,
  maxReturns: 2,
  packetSize: 1072,
  bodyOffset: 12,
  unitSize: 4,
  timestampOffset: 1056,
  returnModeOffset: 1060,
  dateTimeOffset: 1062,
  yearOffset: 1900,
  minRange: f32(0.1),
  maxRange: f32(60),
  pointTimeOffsetNs(block, channel, returns) {
    const blockOffset = 25710 + Math.trunc((500000 * Math.trunc(block / returns)) / 3);
    return blockOffset + (qt64FiringOffsetNs[channel] ?? 0);
  },
};

const models: Record<HesaiModelName, HesaiModel> = { PandarQT64: pandarQt64 };

/** Decoder settings, named as in the ROS driver's parameters. */
export interface HesaiSettings {
  readonly model: HesaiModelName;
  /** Azimuth (degrees) where one scan ends and the next begins. */
  readonly cutAngle: number;
  /** Field of view start and end, integer degrees 0..360; equal values mean the full circle. */
  readonly cloudMinAngle: number;
  readonly cloudMaxAngle: number;
  /** Metres; points outside [minRange, maxRange] are dropped. */
  readonly minRange: number;
  readonly maxRange: number;
  /** Of the returns of one firing closer than this (metres), only the last is kept. */
  readonly dualReturnDistanceThreshold: number;
}

function returnsOf(mode: number): number | undefined {
  switch (mode) {
    case HesaiReturnMode.singleFirst:
    case HesaiReturnMode.singleSecond:
    case HesaiReturnMode.singleStrongest:
    case HesaiReturnMode.singleLast:
      return 1;
    case HesaiReturnMode.dualLastStrongest:
    case HesaiReturnMode.dualFirstSecond:
    case HesaiReturnMode.dualFirstLast:
    case HesaiReturnMode.dualFirstStrongest:
    case HesaiReturnMode.dualStrongestSecondStrongest:
      return 2;
    case HesaiReturnMode.tripleFirstLastStrongest:
      return 3;
    default:
      return undefined;
  }
}

/** The returns of one firing of one channel: raw distances and reflectivities. */
interface Returns {
  count: number;
  readonly distance: Uint16Array;
  readonly reflectivity: Uint8Array;
}

function returnTypeOf(mode: number, index: number, returns: Returns): PointReturnTypeCode {
  const distance = returns.distance[index];
  const reflectivity = returns.reflectivity[index] ?? 0;
  let strongest = true;
  for (let other = 0; other < returns.count; other++) {
    if (other === index) continue;
    const otherReflectivity = returns.reflectivity[other] ?? 0;
    if (returns.distance[other] === distance && otherReflectivity === reflectivity) {
      return PointReturnType.identical;
    }
    if (reflectivity < otherReflectivity) strongest = false;
  }
  switch (mode) {
    case HesaiReturnMode.singleFirst:
      return PointReturnType.first;
    case HesaiReturnMode.singleSecond:
      return PointReturnType.second;
    case HesaiReturnMode.singleStrongest:
      return PointReturnType.strongest;
    case HesaiReturnMode.singleLast:
      return PointReturnType.last;
    case HesaiReturnMode.dualLastStrongest:
      if (strongest) return index === 0 ? PointReturnType.lastStrongest : PointReturnType.strongest;
      return index === 0 ? PointReturnType.last : PointReturnType.secondStrongest;
    case HesaiReturnMode.dualFirstSecond:
      return index === 0 ? PointReturnType.first : PointReturnType.second;
    case HesaiReturnMode.dualFirstLast:
      return index === 0 ? PointReturnType.first : PointReturnType.last;
    case HesaiReturnMode.dualFirstStrongest:
      if (strongest)
        return index === 0 ? PointReturnType.firstStrongest : PointReturnType.strongest;
      return index === 0 ? PointReturnType.first : PointReturnType.secondStrongest;
    case HesaiReturnMode.dualStrongestSecondStrongest:
      return index === 0 ? PointReturnType.strongest : PointReturnType.secondStrongest;
    case HesaiReturnMode.tripleFirstLastStrongest:
      return (
        ([PointReturnType.first, PointReturnType.last, PointReturnType.strongest] as const)[
          index
        ] ?? 0
      );
    default:
      return PointReturnType.unknown;
  }
}

interface Frame {
  readonly points: PointCloudBuilder;
  stampNs: bigint;
}

const azimuthUnits = 36000;
const fullCircle = f32(2 * f32(Math.PI));
const degreeF32 = f32(Math.PI / 180.0);

/** Decodes a stream of Hesai packets into scans; one instance per sensor stream. */
export class HesaiDecoder {
  private readonly model: HesaiModel;
  private readonly elevation: Float32Array;
  private readonly cosElevation: Float32Array;
  private readonly sinElevation: Float32Array;
  private readonly azimuthOffset: Float32Array;
  private readonly minCorrectionIndex: number;
  private readonly maxCorrectionIndex: number;
  private readonly cutter: ScanCutter;
  private readonly frames: [Frame, Frame] = [
    { points: new PointCloudBuilder(), stampNs: 0n },
    { points: new PointCloudBuilder(), stampNs: 0n },
  ];
  private readonly completed: LidarScan[] = [];
  private packet: Uint8Array = new Uint8Array(0);
  private readonly returnsScratch: Returns;
  /** Refilled for every point: the builder copies its fields. */
  private readonly pointScratch: PointFields = {
    x: 0,
    y: 0,
    z: 0,
    intensity: 0,
    returnType: 0,
    channel: 0,
    azimuth: 0,
    elevation: 0,
    distance: 0,
    timeOffsetNs: 0,
  };
  private packetStampNs = 0n;
  private returns = 1;
  private currentBlock = 0;

  constructor(
    private readonly settings: HesaiSettings,
    calibration: HesaiCalibration,
  ) {
    const model = Object.hasOwn(models, settings.model) ? models[settings.model] : undefined;
    if (!model) throw new InvalidInput(`unknown Hesai model '${settings.model}'`, 'model');
    this.model = model;
    this.returnsScratch = {
      count: 0,
      distance: new Uint16Array(model.maxReturns),
      reflectivity: new Uint8Array(model.maxReturns),
    };
    checkSettings(settings);
    if (calibration.elevationDeg.length !== model.channels) {
      throw new InvalidInput(
        `the calibration has ${calibration.elevationDeg.length} channels; ${model.name} has ${model.channels}`,
        'calibration',
      );
    }
    const radians = (degrees: number) => f32(degrees * degreeF32);
    this.elevation = calibration.elevationDeg.map(radians);
    this.azimuthOffset = calibration.azimuthOffsetDeg.map(radians);
    this.cosElevation = this.elevation.map(cosf);
    this.sinElevation = this.elevation.map(sinf);
    this.minCorrectionIndex = indexOfExtreme(this.azimuthOffset, (a, b) => a < b);
    this.maxCorrectionIndex = indexOfExtreme(this.azimuthOffset, (a, b) => a > b);
    const toRadians = (degrees: number) => f32(degrees * (Math.PI / 180.0));
    this.cutter = new ScanCutter(
      model.channels,
      fullCircle,
      toRadians(settings.cutAngle),
      toRadians(settings.cloudMinAngle),
      toRadians(settings.cloudMaxAngle),
      (buffer) => this.emit(buffer),
      (buffer) => this.setTimestamp(buffer),
    );
  }

  /**
   * Decodes one packet. Returns the scans it completes (usually none or one). A corrupt packet
   * throws CorruptRecording and leaves the decoder as it was, so the stream can go on.
   */
  decode(packet: Uint8Array, origin?: PacketOrigin): LidarScan[] {
    const source = sourceOf(origin);
    this.validate(packet, source);
    const model = this.model;
    this.packet = packet;
    this.packetStampNs = packetStampNs(packet, model);
    this.returns = returnsOf(packet[model.returnModeOffset] ?? 0) ?? 1;
    this.completed.length = 0;
    for (let block = 0; block < model.blocks; block += this.returns) {
      this.currentBlock = block;
      const state = this.cutter.step(this.blockAzimuths(this.blockAzimuth(block)));
      if (ScanCutter.intersectsFov(state)) this.convertReturns(block, state);
    }
    return this.completed.splice(0);
  }

  private validate(packet: Uint8Array, source: string): void {
    const model = this.model;
    if (packet.length < model.packetSize) {
      throw new CorruptRecording(
        source,
        packet.length,
        `${model.name} packet has ${packet.length} bytes, expected ${model.packetSize}`,
      );
    }
    if (packet[0] !== 0xee || packet[1] !== 0xff) {
      throw new CorruptRecording(source, 0, 'Hesai packet does not start with 0xEEFF');
    }
    if (packet[6] !== model.channels || packet[7] !== model.blocks) {
      throw new CorruptRecording(
        source,
        6,
        `header declares ${packet[6]} lasers and ${packet[7]} blocks; ${model.name} has ${model.channels} and ${model.blocks}`,
      );
    }
    const mode = packet[model.returnModeOffset] ?? 0;
    const returns = returnsOf(mode);
    if (returns === undefined || returns > model.maxReturns || model.blocks % returns !== 0) {
      throw new CorruptRecording(
        source,
        model.returnModeOffset,
        `return mode 0x${mode.toString(16)} is not one ${model.name} sends`,
      );
    }
    for (let block = 0; block < model.blocks; block++) {
      const azimuth = this.blockAzimuthOf(packet, block);
      if (azimuth >= azimuthUnits) {
        throw new CorruptRecording(
          source,
          this.blockOffset(block),
          `block ${block} azimuth ${azimuth} is beyond 35999 (hundredths of a degree)`,
        );
      }
    }
  }

  private blockOffset(block: number): number {
    return this.model.bodyOffset + block * (2 + this.model.channels * this.model.unitSize);
  }

  private blockAzimuthOf(packet: Uint8Array, block: number): number {
    const offset = this.blockOffset(block);
    return (packet[offset] ?? 0) | ((packet[offset + 1] ?? 0) << 8);
  }

  private blockAzimuth(block: number): number {
    return this.blockAzimuthOf(this.packet, block);
  }

  private blockAzimuths(blockAzimuth: number): BlockAzimuths {
    const base = f32((blockAzimuth / 100) * (Math.PI / 180.0));
    const azimuths = new Float32Array(this.model.channels);
    for (let channel = 0; channel < azimuths.length; channel++) {
      azimuths[channel] = normalizeAngle(
        f32(base + (this.azimuthOffset[channel] ?? 0)),
        fullCircle,
      );
    }
    return {
      azimuths,
      minCorrectionIndex: this.minCorrectionIndex,
      maxCorrectionIndex: this.maxCorrectionIndex,
    };
  }

  private convertReturns(
    start: number,
    state: { channelsInFov: Uint8Array; channelBuffers: Uint8Array },
  ) {
    const model = this.model;
    const n = this.returns;
    const packet = this.packet;
    const mode = packet[model.returnModeOffset] ?? 0;
    const disUnit = (packet[9] ?? 0) / 1000;
    const settings = this.settings;
    const blockAzimuthRad = f32((this.blockAzimuth(start) / 100) * (Math.PI / 180.0));
    const sinceScan = this.frames.map((frame) =>
      Number(BigInt.asUintN(32, this.packetStampNs - frame.stampNs)),
    );
    const returns = this.returnsScratch;
    returns.count = n;
    const point = this.pointScratch;
    for (let channel = 0; channel < model.channels; channel++) {
      for (let r = 0; r < n; r++) {
        const offset = this.blockOffset(start + r) + 2 + channel * model.unitSize;
        returns.distance[r] = (packet[offset] ?? 0) | ((packet[offset + 1] ?? 0) << 8);
        returns.reflectivity[r] = packet[offset + 2] ?? 0;
      }
      // All returns of a firing share its azimuth, so its sine and cosine are computed once.
      let sinAzimuth = NaN;
      let cosAzimuth = NaN;
      const spatial = f32(blockAzimuthRad + (this.azimuthOffset[channel] ?? 0));
      for (let r = 0; r < n; r++) {
        const raw = returns.distance[r] ?? 0;
        const distance = f32(raw * disUnit);
        let valid =
          raw !== 0 &&
          !(
            distance < model.minRange ||
            model.maxRange < distance ||
            distance < settings.minRange ||
            settings.maxRange < distance
          );
        const returnType = returnTypeOf(mode, r, returns);
        if (r !== n - 1) {
          // Of identical or nearly coincident returns only the last one is kept.
          if (returnType === PointReturnType.identical) valid = false;
          for (let other = 0; other < n && valid; other++) {
            if (other === r) continue;
            const otherDistance = f32((returns.distance[other] ?? 0) * disUnit);
            if (Math.abs(f32(otherDistance - distance)) < settings.dualReturnDistanceThreshold) {
              valid = false;
            }
          }
        }
        if (!valid || state.channelsInFov[channel] !== 1) continue;

        if (Number.isNaN(sinAzimuth)) {
          sinAzimuth = sinf(spatial);
          cosAzimuth = cosf(spatial);
        }
        const buffer = state.channelBuffers[channel] === 1 ? 1 : 0;
        const xyDistance = f32(distance * (this.cosElevation[channel] ?? 0));
        point.x = f32(xyDistance * sinAzimuth);
        point.y = f32(xyDistance * cosAzimuth);
        point.z = f32(distance * (this.sinElevation[channel] ?? 0));
        point.intensity = returns.reflectivity[r] ?? 0;
        point.returnType = returnType;
        point.channel = channel;
        point.azimuth = normalizeAngle(spatial, fullCircle);
        point.elevation = this.elevation[channel] ?? 0;
        point.distance = distance;
        point.timeOffsetNs =
          ((sinceScan[buffer] ?? 0) + model.pointTimeOffsetNs(start + r, channel, n)) >>> 0;
        this.frames[buffer].points.push(point);
      }
    }
  }

  private setTimestamp(buffer: 0 | 1): void {
    const model = this.model;
    let earliest = 0x7fffffff;
    for (let block = this.currentBlock; block < this.currentBlock + this.returns; block++) {
      for (let channel = 0; channel < model.channels; channel++) {
        earliest = Math.min(earliest, model.pointTimeOffsetNs(block, channel, this.returns));
      }
    }
    this.frames[buffer].stampNs = this.packetStampNs + BigInt(earliest);
  }

  private emit(buffer: 0 | 1): void {
    const frame = this.frames[buffer];
    this.completed.push({ stampNs: frame.stampNs, cloud: frame.points.build() });
    frame.points.clear();
  }
}

function indexOfExtreme(values: Float32Array, better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (better(values[i] ?? 0, values[best] ?? 0)) best = i;
  }
  return best;
}

/** Packet time: the tail's UTC date and second plus its microsecond timestamp. */
function packetStampNs(packet: Uint8Array, model: HesaiModel): bigint {
  const d = model.dateTimeOffset;
  const byte = (i: number) => packet[d + i] ?? 0;
  const seconds =
    Date.UTC(byte(0) + model.yearOffset, byte(1) - 1, byte(2), byte(3), byte(4), byte(5)) / 1000;
  const t = model.timestampOffset;
  const micros =
    ((packet[t] ?? 0) |
      ((packet[t + 1] ?? 0) << 8) |
      ((packet[t + 2] ?? 0) << 16) |
      ((packet[t + 3] ?? 0) << 24)) >>>
    0;
  return BigInt.asUintN(64, BigInt(seconds) * 1_000_000_000n + BigInt(micros) * 1000n);
}

function checkSettings(settings: HesaiSettings): void {
  for (const name of ['cloudMinAngle', 'cloudMaxAngle'] as const) {
    const value = settings[name];
    if (!Number.isInteger(value) || value < 0 || value > 360) {
      throw new InvalidInput(`${name} must be an integer from 0 to 360 degrees`, name);
    }
  }
  if (!Number.isFinite(settings.cutAngle)) {
    throw new InvalidInput('cutAngle must be a number of degrees', 'cutAngle');
  }
  if (!(settings.minRange >= 0 && settings.maxRange > settings.minRange)) {
    throw new InvalidInput('ranges must satisfy 0 <= minRange < maxRange', 'minRange');
  }
  if (!(settings.dualReturnDistanceThreshold >= 0)) {
    throw new InvalidInput(
      'dualReturnDistanceThreshold must be a non-negative number of metres',
      'dualReturnDistanceThreshold',
    );
  }
}

/** Whether a packet looks like one of `model`'s (start bytes and declared lasers and blocks). */
export function hesaiModelOfPacket(packet: Uint8Array): HesaiModelName | undefined {
  if (packet[0] !== 0xee || packet[1] !== 0xff) return undefined;
  for (const model of Object.values(models)) {
    if (packet[6] === model.channels && packet[7] === model.blocks) return model.name;
  }
  return undefined;
}
