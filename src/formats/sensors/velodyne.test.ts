import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, InvalidInput } from '../../platform/errors.js';
import type { LidarScan } from './point-cloud.js';
import { parseVelodyneCalibration } from './velodyne-calibration.js';
import {
  VelodyneDecoder,
  velodyneModelOfPacket,
  velodynePacketSize,
  type VelodyneSettings,
} from './velodyne.js';

/** A VLP-32 calibration: laser i points (i - 16) degrees up, no other corrections. */
function calibrationText(lasers = 32): string {
  const entries = Array.from({ length: lasers }, (_, i) =>
    [
      `  - laser_id: ${i}`,
      `    rot_correction: 0.0`,
      `    vert_correction: ${((i - 16) * Math.PI) / 180}`,
      `    dist_correction: 0.0`,
      `    dist_correction_x: 0.0`,
      `    dist_correction_y: 0.0`,
      `    vert_offset_correction: 0.0`,
      `    focal_distance: 0.0`,
      `    focal_slope: 0.0`,
    ].join('\n'),
  );
  return `num_lasers: ${lasers}\ndistance_resolution: 0.004\nlasers:\n${entries.join('\n')}\n`;
}

const calibration = parseVelodyneCalibration(calibrationText());

const settings: VelodyneSettings = {
  model: 'VLP32',
  returnMode: 'SingleStrongest',
  minRange: 0.4,
  maxRange: 50,
  scanPhase: 180,
  cloudMinAngle: 0,
  cloudMaxAngle: 360,
};

interface PacketSpec {
  /** Azimuth of the first block, hundredths of a degree; blocks step by `step`. */
  readonly azimuth: number;
  readonly step?: number;
  /** Raw distance (4 mm units) of a laser in a block; 0 means no return. */
  readonly distance?: (block: number, laser: number) => number;
  readonly returnMode?: number;
}

/** Builds a VLP-32C data packet. */
function packet(spec: PacketSpec): Uint8Array {
  const bytes = new Uint8Array(velodynePacketSize);
  const view = new DataView(bytes.buffer);
  for (let block = 0; block < 12; block++) {
    const at = block * 100;
    view.setUint16(at, 0xeeff, true);
    view.setUint16(at + 2, (spec.azimuth + block * (spec.step ?? 20)) % 36000, true);
    for (let laser = 0; laser < 32; laser++) {
      view.setUint16(at + 4 + laser * 3, spec.distance?.(block, laser) ?? 1000, true);
      bytes[at + 6 + laser * 3] = 100;
    }
  }
  bytes[1204] = spec.returnMode ?? 0x37;
  bytes[1205] = 0x28;
  return bytes;
}

/** Packets covering `turns` revolutions from `start` (hundredths of a degree). */
function revolution(start: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => packet({ azimuth: (start + i * 240) % 36000 }));
}

/** Every byte of a scan as one hex digest, so long clouds compare quickly. */
function fingerprint(scan: LidarScan): string {
  const hash = createHash('sha256');
  hash.update(scan.stampNs.toString());
  for (const values of Object.values(scan.cloud)) {
    if (ArrayBuffer.isView(values))
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return `${scan.cloud.length}:${hash.digest('hex')}`;
}

function decodeAll(decoder: VelodyneDecoder, packets: Uint8Array[]): LidarScan[] {
  const scans: LidarScan[] = [];
  packets.forEach((bytes, i) => {
    const scan = decoder.decode(bytes, 1_000_000_000n + BigInt(i) * 663_000n);
    if (scan) scans.push(scan);
  });
  return scans;
}

describe('VelodyneDecoder', () => {
  it('places a return where its azimuth, elevation and range say', () => {
    const decoder = new VelodyneDecoder({ ...settings, scanPhase: 0 }, calibration);
    // Laser 16 is horizontal; 2500 units of 4 mm are 10 m; the block is at 90 degrees.
    const only16 = (_: number, laser: number) => (laser === 16 ? 2500 : 0);
    decoder.decode(packet({ azimuth: 9000, step: 0, distance: only16 }), 0n);
    const scan = decoder.decode(packet({ azimuth: 1000, step: 0, distance: only16 }), 1n);
    expect(scan).toBeDefined();
    const cloud = scan?.cloud;
    expect(cloud?.length).toBe(24);
    // The sensor turns clockwise: 90 degrees is to the right, -y in ROS coordinates.
    expect(cloud?.x[0]).toBeCloseTo(0, 5);
    expect(cloud?.y[0]).toBeCloseTo(-10, 5);
    expect(cloud?.z[0]).toBeCloseTo(0, 6);
    expect(cloud?.distance[0]).toBeCloseTo(10, 6);
    expect(cloud?.channel[0]).toBe(16);
  });

  it('drops returns outside the range limits and the cloud angle window', () => {
    const decoder = new VelodyneDecoder(
      { ...settings, scanPhase: 0, cloudMinAngle: 270, cloudMaxAngle: 90 },
      calibration,
    );
    const near = (_: number, laser: number) => (laser === 0 ? 50 : laser === 1 ? 20000 : 1000);
    decoder.decode(packet({ azimuth: 0, step: 0, distance: near }), 0n);
    decoder.decode(packet({ azimuth: 18000, step: 0 }), 1n);
    const scan = decoder.decode(packet({ azimuth: 100, step: 0, distance: near }), 2n);
    // 0.2 m and 80 m are out of range; the packet at 180 degrees is outside the window, the
    // two packets near 0 degrees are inside.
    expect(scan?.cloud.length).toBe(2 * 12 * 30);
  });

  it('cuts scans at the scan phase and keeps every point exactly once', () => {
    const decoder = new VelodyneDecoder(settings, calibration);
    const packets = revolution(0, 320);
    const scans = decodeAll(decoder, packets);
    expect(scans.length).toBeGreaterThanOrEqual(2);
    const perPacket = 12 * 32;
    const emitted = scans.reduce((sum, scan) => sum + scan.cloud.length, 0);
    expect(emitted % perPacket).toBe(0);
    // Every full scan spans one revolution of 150 packets.
    expect(scans[1]?.cloud.length).toBe(150 * perPacket);
    for (const scan of scans.slice(1)) {
      const azimuths = Array.from(scan.cloud.azimuth);
      expect(Math.min(...azimuths)).toBeGreaterThanOrEqual(0);
      expect(scan.cloud.timeOffsetNs.every((t, i, all) => i === 0 || t >= (all[i - 1] ?? 0))).toBe(
        true,
      );
    }
  });

  it('names the byte offset of a truncated or corrupt packet', () => {
    const decoder = new VelodyneDecoder(settings, calibration);
    const good = packet({ azimuth: 100 });
    for (const length of [0, 1, 99, 1000, 1205, 1207]) {
      const bytes = new Uint8Array(length);
      bytes.set(good.subarray(0, length));
      expect(() => decoder.decode(bytes, 0n, { source: 'drive.mcap /velodyne #3' })).toThrow(
        CorruptRecording,
      );
    }
    const expectOffset = (bytes: Uint8Array, offset: number, message: RegExp) => {
      try {
        decoder.decode(bytes, 0n);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptRecording);
        expect((error as CorruptRecording).offset).toBe(offset);
        expect((error as Error).message).toMatch(message);
      }
    };
    const flag = good.slice();
    flag[500] = 0x12;
    expectOffset(flag, 500, /block 5 starts with/);
    const azimuth = good.slice();
    new DataView(azimuth.buffer).setUint16(302, 36000, true);
    expectOffset(azimuth, 302, /azimuth 36000/);
    const mode = good.slice();
    mode[1204] = 0x40;
    expectOffset(mode, 1204, /return mode 0x40/);
    const lower = good.slice();
    new DataView(lower.buffer).setUint16(700, 0xddff, true);
    expectOffset(lower, 700, /lower-bank block/);
    expectOffset(new Uint8Array(10), 10, /10 bytes, expected 1206/);
  });

  it('leaves its state unchanged when a packet is corrupt', () => {
    const packets = revolution(30000, 200);
    const clean = decodeAll(new VelodyneDecoder(settings, calibration), packets);
    const decoder = new VelodyneDecoder(settings, calibration);
    const scans: LidarScan[] = [];
    packets.forEach((bytes, i) => {
      const corrupt = bytes.slice();
      corrupt[1204] = 0;
      expect(() => decoder.decode(corrupt, 0n)).toThrow(CorruptRecording);
      const scan = decoder.decode(bytes, 1_000_000_000n + BigInt(i) * 663_000n);
      if (scan) scans.push(scan);
    });
    expect(scans.map(fingerprint)).toEqual(clean.map(fingerprint));
  });

  it('never fails with anything but CorruptRecording on damaged packets', () => {
    const base = packet({ azimuth: 12345 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(velodynePacketSize - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 40,
        }),
        fc.nat(velodynePacketSize + 10),
        (flips, length) => {
          const bytes = new Uint8Array(length);
          bytes.set(base.subarray(0, Math.min(length, base.length)));
          for (const [offset, value] of flips) if (offset < length) bytes[offset] = value;
          const decoder = new VelodyneDecoder(settings, calibration);
          try {
            decoder.decode(bytes, 0n);
            decoder.decode(bytes, 1n);
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecording);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects settings and calibrations it cannot decode with', () => {
    expect(() => new VelodyneDecoder({ ...settings, cloudMinAngle: 400 }, calibration)).toThrow(
      InvalidInput,
    );
    expect(() => new VelodyneDecoder({ ...settings, maxRange: 0.1 }, calibration)).toThrow(
      InvalidInput,
    );
    expect(
      () => new VelodyneDecoder({ ...settings, model: 'HDL64' as 'VLP32' }, calibration),
    ).toThrow(/unknown Velodyne model/);
    const small = new VelodyneDecoder(settings, parseVelodyneCalibration(calibrationText(16)));
    expect(() => small.decode(packet({ azimuth: 0 }), 0n)).toThrow(InvalidInput);
  });

  it('tells the model from the product id byte', () => {
    expect(velodyneModelOfPacket(packet({ azimuth: 0 }))).toBe('VLP32');
    const other = packet({ azimuth: 0 });
    other[1205] = 0x22;
    expect(velodyneModelOfPacket(other)).toBeUndefined();
  });
});
