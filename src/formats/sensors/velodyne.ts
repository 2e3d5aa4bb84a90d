import { CorruptRecording, InvalidInput } from '../../platform/errors.js';
import { f32, roundHalfAwayFromZero } from './float32.js';
import { cosf, sinf } from './libm.js';
import { sourceOf, type PacketOrigin } from './packet-bytes.js';
import {
  PointCloudBuilder,
  PointReturnType,
  type LidarScan,
  type PointFields,
  type PointReturnTypeCode,
} from './point-cloud.js';
import type { VelodyneCalibration, VelodyneLaserCorrection } from './velodyne-calibration.js';

/**
 * Decoder for Velodyne data packets (the 1206-byte UDP payloads a `velodyne_msgs/VelodyneScan`
 * carries). Scan assembly is common to all models; what a data block means is per model, in a
 * `VelodyneModel`. The arithmetic follows the Autoware/nebula decoder step by step, in float32
 * where it computes in float, so clouds match its output bit for bit (ADR 075).
 */

/** Size of a Velodyne data packet. */
export const velodynePacketSize = 1206;

const blocksPerPacket = 12;
const blockSize = 100;
const lasersPerBlock = 32;
const upperBank = 0xeeff;
const lowerBank = 0xddff;
const rotationUnits = 36000;
const returnModeOffset = 1204;
const productIdOffset = 1205;
const firstAzimuthOffset = 2;
const lastAzimuthOffset = (blocksPerPacket - 1) * blockSize + 2;

/** Return-mode byte (offset 1204) values. */
export const VelodyneReturnMode = { strongest: 0x37, last: 0x38, dual: 0x39 } as const;

/** Models this decoder knows, by product id byte (offset 1205). */
export type VelodyneModelName = 'VLP32';

/** How to turn the blocks of one packet of a model into points. */
export interface VelodyneModel {
  readonly name: VelodyneModelName;
  /** Product ids (byte 1205) this model reports. */
  readonly productIds: readonly number[];
  /** Per block and laser, seconds from the packet stamp to the firing (float32). */
  timingOffsets(dualReturn: boolean): Float32Array[];
  /** Appends the points of one validated packet to the scan; returns how many. */
  unpack(packet: Uint8Array, scan: VelodyneUnpackContext): number;
}

/** What a model's `unpack` needs from the decoder. */
export interface VelodyneUnpackContext {
  readonly calibration: VelodyneCalibration;
  readonly settings: VelodyneSettings;
  readonly tables: TrigTables;
  readonly timingOffsets: Float32Array[];
  /** Packet stamp, seconds. */
  readonly packetSeconds: number;
  /** Stamp of the scan the packet belongs to, seconds. */
  readonly scanSeconds: number;
  /** Where the points go. */
  readonly points: PointCloudBuilder;
}

/** Decoder settings, named as in the ROS driver's parameters. */
export interface VelodyneSettings {
  readonly model: VelodyneModelName;
  /** Points at or nearer than this (metres) are dropped. */
  readonly minRange: number;
  /** Points at or beyond this (metres) are dropped. */
  readonly maxRange: number;
  /** Azimuth (degrees, 0..360) at which one scan ends and the next begins. */
  readonly scanPhase: number;
  /** Keep blocks whose azimuth lies from this angle (integer degrees, 0..360) ... */
  readonly cloudMinAngle: number;
  /** ... to this one, wrapping through 0 when min > max. */
  readonly cloudMaxAngle: number;
  /** The configured return mode; only the firing-time offsets depend on it. */
  readonly returnMode: 'SingleStrongest' | 'SingleLast' | 'Dual';
}

interface TrigTables {
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  readonly radians: Float32Array;
}

let trigTables: TrigTables | undefined;

/** Sine and cosine of every azimuth in hundredths of a degree, as float32 (built once). */
function tables(): TrigTables {
  if (trigTables) return trigTables;
  const cos = new Float32Array(rotationUnits);
  const sin = new Float32Array(rotationUnits);
  const radians = new Float32Array(rotationUnits);
  for (let i = 0; i < rotationUnits; i++) {
    const rotation = f32((0.01 * i * Math.PI) / 180.0);
    radians[i] = rotation;
    cos[i] = cosf(rotation);
    sin[i] = sinf(rotation);
  }
  trigTables = { cos, sin, radians };
  return trigTables;
}

const u16 = (bytes: Uint8Array, offset: number): number =>
  (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);

const vlp32ChannelDuration = f32(2.304);
const vlp32SequenceDuration = f32(55.296);

/** VLP-32C: 12 blocks of 32 lasers, upper bank only, firings 2.304 µs apart. */
const vlp32: VelodyneModel = {
  name: 'VLP32',
  productIds: [0x28],
  timingOffsets(dualReturn) {
    const fullFiringCycle = 55.296 * 1e-6;
    const singleFiring = 2.304 * 1e-6;
    const offsets: Float32Array[] = [];
    for (let block = 0; block < blocksPerPacket; block++) {
      const row = new Float32Array(lasersPerBlock);
      const firing = dualReturn ? Math.floor(block / 2) : block;
      for (let laser = 0; laser < lasersPerBlock; laser++) {
        row[laser] = fullFiringCycle * firing + singleFiring * Math.floor(laser / 2);
      }
      offsets.push(row);
    }
    return offsets;
  },
  unpack(packet, scan) {
    const { calibration, settings, tables: trig } = scan;
    const returnMode = packet[returnModeOffset];
    const dual = returnMode === VelodyneReturnMode.dual ? 1 : 0;
    let lastAzimuthDiff = 0;
    let azimuthNext = 0;
    let emitted = 0;
    // One point object, refilled for every return: the builder copies its fields.
    const point: PointFields = {
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
    for (let i = 0; i < blocksPerPacket; i++) {
      const block = i * blockSize;
      const bankOrigin = u16(packet, block) === lowerBank ? lasersPerBlock : 0;
      const rotation = u16(packet, block + 2);
      const azimuth = i === 0 ? rotation : azimuthNext;
      let azimuthDiff: number;
      if (i < blocksPerPacket - (1 + dual)) {
        azimuthNext = u16(packet, (i + 1 + dual) * blockSize + 2);
        azimuthDiff = f32((rotationUnits + azimuthNext - azimuth) % rotationUnits);
        lastAzimuthDiff = azimuthDiff;
      } else {
        // The last block has no successor to measure against; the reference predicts its
        // rotation from the previous pair, except in single-return mode where it uses zero.
        azimuthDiff = i === blocksPerPacket - 4 * dual - 1 ? 0 : lastAzimuthDiff;
      }

      for (let j = 0; j < lasersPerBlock; j++) {
        const k = block + 4 + j * 3;
        const laser = calibration.lasers[j + bankOrigin] as VelodyneLaserCorrection;
        const current = u16(packet, k);
        const otherBlock = i % 2 === 1 ? block - blockSize : block + blockSize;
        const other = dual ? u16(packet, otherBlock + 4 + j * 3) : 0;
        if (current === 0 || (dual && i % 2 === 1 && other === current)) continue;

        let distance = f32(current * calibration.distanceResolution);
        if (distance > 1e-6) distance = f32(distance + laser.distCorrection);
        if (!(distance > settings.minRange && distance < settings.maxRange)) continue;
        if (!inCloudWindow(rotation, settings)) continue;

        const cosVert = laser.cosVertCorrection;
        const sinVert = laser.sinVertCorrection;
        const step = f32(f32(f32(azimuthDiff * vlp32ChannelDuration) / vlp32SequenceDuration) * j);
        let corrected = f32(f32(azimuth + step) - ((laser.rotCorrection * 180.0) / Math.PI) * 100);
        if (corrected < 0) corrected = f32(corrected + rotationUnits);
        const index = roundHalfAwayFromZero(corrected) % rotationUnits;
        const cosRot = trig.cos[index] ?? 0;
        const sinRot = trig.sin[index] ?? 0;
        const horizOffset = laser.horizOffsetCorrection;
        const vertOffset = laser.vertOffsetCorrection;

        let xyDistance = f32(f32(distance * cosVert) - f32(vertOffset * sinVert));
        const xx = Math.abs(f32(f32(xyDistance * sinRot) - f32(horizOffset * cosRot)));
        const yy = Math.abs(f32(f32(xyDistance * cosRot) + f32(horizOffset * sinRot)));

        let distanceCorrX = 0;
        let distanceCorrY = 0;
        if (laser.twoPtCorrectionAvailable) {
          const dc = laser.distCorrection;
          distanceCorrX = f32(
            (f32(dc - laser.distCorrectionX) * (xx - 2.4)) / (25.04 - 2.4) + laser.distCorrectionX,
          );
          distanceCorrX = f32(distanceCorrX - dc);
          distanceCorrY = f32(
            (f32(dc - laser.distCorrectionY) * (yy - 1.93)) / (25.04 - 1.93) +
              laser.distCorrectionY,
          );
          distanceCorrY = f32(distanceCorrY - dc);
        }

        const distanceX = f32(distance + distanceCorrX);
        xyDistance = f32(f32(distanceX * cosVert) - f32(vertOffset * sinVert));
        const x = f32(f32(xyDistance * sinRot) - f32(horizOffset * cosRot));
        const distanceY = f32(distance + distanceCorrY);
        xyDistance = f32(f32(distanceY * cosVert) - f32(vertOffset * sinVert));
        const y = f32(f32(xyDistance * cosRot) + f32(horizOffset * sinRot));
        const z = f32(f32(distanceY * sinVert) + f32(vertOffset * cosVert));

        const rawIntensity = packet[k + 2] ?? 0;
        const intensity = correctedIntensity(rawIntensity, current, laser);

        let pointSeconds =
          scan.packetSeconds - scan.scanSeconds + (scan.timingOffsets[i]?.[j] ?? 0);
        if (pointSeconds < 0) pointSeconds = 0;

        // The ROS convention (x forward, y left) from the sensor's (x right, y forward).
        point.x = y;
        point.y = -x;
        point.z = z;
        point.intensity = intensity;
        point.returnType = returnTypeOf(returnMode, packet, i, k, current, intensity);
        point.channel = laser.laserRing;
        point.azimuth = trig.radians[rotation] ?? 0;
        point.elevation = sinVert;
        point.distance = distance;
        point.timeOffsetNs = Math.min(0xffffffff, Math.trunc(pointSeconds * 1e9));
        scan.points.push(point);
        emitted++;
      }
    }
    return emitted;
  },
};

const models: Record<VelodyneModelName, VelodyneModel> = { VLP32: vlp32 };

function inCloudWindow(rotation: number, settings: VelodyneSettings): boolean {
  const min = settings.cloudMinAngle;
  const max = settings.cloudMaxAngle;
  return (
    (rotation >= min * 100 && rotation <= max * 100 && min < max) ||
    (min > max && (rotation <= max * 100 || rotation >= min * 100))
  );
}

/** The focal-distance intensity correction of the Velodyne manual, in float32. */
function correctedIntensity(raw: number, rawDistance: number, laser: VelodyneLaserCorrection) {
  // Without a focal slope the correction adds exactly zero.
  if (laser.focalSlope === 0) {
    return Math.min(Math.max(raw, laser.minIntensity), laser.maxIntensity) & 0xff;
  }
  const focal = f32(1 - f32(laser.focalDistance / 13100));
  const focalOffset = f32(f32(256 * focal) * focal);
  const fraction = f32(1 - f32(rawDistance / 65535));
  const square = f32(fraction * fraction);
  const gain = f32(laser.focalSlope * Math.abs(f32(focalOffset - f32(256 * square))));
  // Adding to a uint8 in C++ converts the float sum back to 8 bits.
  let intensity = Math.trunc(f32(raw + gain)) & 0xff;
  intensity = intensity < laser.minIntensity ? laser.minIntensity : intensity;
  intensity = intensity > laser.maxIntensity ? laser.maxIntensity : intensity;
  return intensity & 0xff;
}

function returnTypeOf(
  returnMode: number | undefined,
  packet: Uint8Array,
  block: number,
  k: number,
  current: number,
  intensity: number,
): PointReturnTypeCode {
  switch (returnMode) {
    case VelodyneReturnMode.strongest:
      return PointReturnType.strongest;
    case VelodyneReturnMode.last:
      return PointReturnType.last;
    case VelodyneReturnMode.dual: {
      const otherK = block % 2 === 1 ? k - blockSize : k + blockSize;
      const other = u16(packet, otherK);
      if (other === 0 || other === current) return PointReturnType.identical;
      const otherIntensity = packet[otherK + 2] ?? 0;
      const first = other >= current;
      const strongest = otherIntensity === intensity ? !first : otherIntensity < intensity;
      if (first) return strongest ? PointReturnType.firstStrongest : PointReturnType.firstWeak;
      return strongest ? PointReturnType.lastStrongest : PointReturnType.lastWeak;
    }
    default:
      return PointReturnType.unknown;
  }
}

/** Decodes a stream of Velodyne packets into scans; one instance per sensor stream. */
export class VelodyneDecoder {
  private readonly model: VelodyneModel;
  private readonly tables = tables();
  private readonly timingOffsets: Float32Array[];
  private readonly phase: number;
  private readonly scan = new PointCloudBuilder();
  private readonly overflow = new PointCloudBuilder();
  private processedPackets = 0;
  private previousFirstAzimuthPhased = 0;
  private hasScanned = false;
  private scanSeconds = -1;
  private scanStampNs = 0n;
  private lastBlockSeconds = 0;
  private lastBlockStampNs = 0n;

  constructor(
    private readonly settings: VelodyneSettings,
    private readonly calibration: VelodyneCalibration,
  ) {
    const model = Object.hasOwn(models, settings.model) ? models[settings.model] : undefined;
    if (!model) throw new InvalidInput(`unknown Velodyne model '${settings.model}'`, 'model');
    this.model = model;
    checkSettings(settings);
    this.phase = Math.round(settings.scanPhase * 100) & 0xffff;
    this.timingOffsets = model.timingOffsets(settings.returnMode === 'Dual');
  }

  /**
   * Decodes one packet stamped `stampNs` (nanoseconds since the epoch). Returns the scan this
   * packet completes, if any; the completing packet's own points belong to that scan. A corrupt
   * packet throws CorruptRecording and leaves the decoder as it was, so the stream can go on.
   */
  decode(packet: Uint8Array, stampNs: bigint, origin?: PacketOrigin): LidarScan | undefined {
    this.validate(packet, sourceOf(origin));
    const packetSeconds = Number(stampNs) / 1e9;
    this.handleScanCompletion(packet, packetSeconds);
    if (this.scanSeconds < 0) {
      this.scanSeconds = packetSeconds;
      this.scanStampNs = stampNs;
    }
    const emitted = this.model.unpack(packet, {
      calibration: this.calibration,
      settings: this.settings,
      tables: this.tables,
      timingOffsets: this.timingOffsets,
      packetSeconds,
      scanSeconds: this.scanSeconds,
      points: this.scan,
    });
    if (emitted > 0) {
      this.lastBlockSeconds = packetSeconds;
      this.lastBlockStampNs = stampNs;
    }
    if (!this.hasScanned) return undefined;
    this.moveOverflow();
    return { stampNs: this.scanStampNs, cloud: this.scan.build() };
  }

  private validate(packet: Uint8Array, source: string): void {
    if (packet.length !== velodynePacketSize) {
      throw new CorruptRecording(
        source,
        Math.min(packet.length, velodynePacketSize),
        `Velodyne packet has ${packet.length} bytes, expected ${velodynePacketSize}`,
      );
    }
    const returnMode = packet[returnModeOffset];
    if (
      returnMode !== VelodyneReturnMode.strongest &&
      returnMode !== VelodyneReturnMode.last &&
      returnMode !== VelodyneReturnMode.dual
    ) {
      throw new CorruptRecording(
        source,
        returnModeOffset,
        `unknown Velodyne return mode 0x${(returnMode ?? 0).toString(16)}`,
      );
    }
    for (let i = 0; i < blocksPerPacket; i++) {
      const offset = i * blockSize;
      const flag = u16(packet, offset);
      if (flag !== upperBank && flag !== lowerBank) {
        throw new CorruptRecording(
          source,
          offset,
          `block ${i} starts with 0x${flag.toString(16)}, expected 0xeeff or 0xddff`,
        );
      }
      if (flag === lowerBank && this.calibration.numLasers < 2 * lasersPerBlock) {
        throw new CorruptRecording(
          source,
          offset,
          `block ${i} is a lower-bank block but the calibration has only ${this.calibration.numLasers} lasers`,
        );
      }
      const rotation = u16(packet, offset + 2);
      if (rotation >= rotationUnits) {
        throw new CorruptRecording(
          source,
          offset + 2,
          `block ${i} azimuth ${rotation} is beyond 35999 (hundredths of a degree)`,
        );
      }
    }
    if (this.calibration.numLasers < lasersPerBlock) {
      throw new InvalidInput(
        `the calibration has ${this.calibration.numLasers} lasers; ${this.model.name} packets need ${lasersPerBlock}`,
        'calibration',
      );
    }
  }

  /** Decides whether this packet closes the scan, by the phased azimuths of its first and last block. */
  private handleScanCompletion(packet: Uint8Array, packetSeconds: number): void {
    if (this.hasScanned) {
      this.processedPackets = 0;
      this.scan.clear();
      this.restoreOverflow(packetSeconds);
    }
    this.hasScanned = false;
    this.processedPackets++;
    const first = (rotationUnits + u16(packet, firstAzimuthOffset) - this.phase) % rotationUnits;
    const last = (rotationUnits + u16(packet, lastAzimuthOffset) - this.phase) % rotationUnits;
    this.hasScanned =
      this.processedPackets > 1 && (last < first || first < this.previousFirstAzimuthPhased);
    this.previousFirstAzimuthPhased = first;
  }

  /** Points past the scan phase at the end of a finished scan wait for the next one. */
  private moveOverflow(): void {
    const phase = (this.settings.scanPhase * Math.PI) / 180.0;
    let last = this.scan.at(this.scan.length - 1);
    while (last !== undefined && 2 * Math.PI + last.azimuth - phase < Math.PI / 2) {
      this.scan.pop();
      this.overflow.push(last);
      last = this.scan.at(this.scan.length - 1);
    }
  }

  private restoreOverflow(packetSeconds: number): void {
    const newest = this.overflow.at(this.overflow.length - 1);
    if (newest === undefined) {
      this.scanSeconds = -1;
      return;
    }
    // After a gap (a dropped packet, most likely) the held-back points no longer join up.
    const lastOverflowSeconds = this.scanSeconds + 1e-9 * newest.timeOffsetNs;
    if (packetSeconds - lastOverflowSeconds > 0.05) {
      this.scanSeconds = -1;
      this.overflow.clear();
      return;
    }
    for (let point = this.overflow.pop(); point; point = this.overflow.pop()) {
      const seconds = this.scanSeconds + 1e-9 * point.timeOffsetNs - this.lastBlockSeconds;
      point.timeOffsetNs = Math.min(0xffffffff, Math.trunc(seconds < 0 ? 0 : 1e9 * seconds));
      this.scan.push(point);
    }
    this.scanSeconds = this.lastBlockSeconds;
    this.scanStampNs = this.lastBlockStampNs;
  }
}

function checkSettings(settings: VelodyneSettings): void {
  const angle = (name: 'cloudMinAngle' | 'cloudMaxAngle') => {
    const value = settings[name];
    if (!Number.isInteger(value) || value < 0 || value > 360) {
      throw new InvalidInput(`${name} must be an integer from 0 to 360 degrees`, name);
    }
  };
  angle('cloudMinAngle');
  angle('cloudMaxAngle');
  if (!(settings.scanPhase >= 0 && settings.scanPhase <= 360)) {
    throw new InvalidInput('scanPhase must be from 0 to 360 degrees', 'scanPhase');
  }
  if (!(settings.minRange >= 0 && settings.maxRange > settings.minRange)) {
    throw new InvalidInput('ranges must satisfy 0 <= minRange < maxRange', 'minRange');
  }
}

/** The model a packet's product id byte names, if this decoder knows it. */
export function velodyneModelOfPacket(packet: Uint8Array): VelodyneModelName | undefined {
  const productId = packet[productIdOffset];
  for (const model of Object.values(models)) {
    if (productId !== undefined && model.productIds.includes(productId)) return model.name;
  }
  return undefined;
}
