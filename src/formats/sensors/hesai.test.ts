import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, InvalidInput } from '../../platform/errors.js';
import { parseHesaiCalibration } from './hesai-calibration.js';
import { HesaiDecoder, hesaiModelOfPacket, type HesaiSettings } from './hesai.js';
import { PointReturnType, type LidarScan } from './point-cloud.js';

/** 64 channels; channel 0 is level and straight, the others fan out up and down. */
function calibrationText(): string {
  const lines = ['Laser id,Elevation,Azimuth'];
  for (let i = 0; i < 64; i++)
    lines.push(`${i + 1},${i === 0 ? 0 : i - 32},${i === 0 ? 0 : (i % 4) - 1.5}`);
  return `${lines.join('\r\n')}\r\n`;
}

const calibration = parseHesaiCalibration(calibrationText());

const settings: HesaiSettings = {
  model: 'PandarQT64',
  cutAngle: 0,
  cloudMinAngle: 0,
  cloudMaxAngle: 360,
  minRange: 0.1,
  maxRange: 60,
  dualReturnDistanceThreshold: 0.1,
};

interface PacketSpec {
  /** Azimuth of the first block, hundredths of a degree. */
  readonly azimuth: number;
  readonly step?: number;
  readonly returnMode?: number;
  /** Raw distance (4 mm units) and reflectivity of a channel in a block. */
  readonly unit?: (block: number, channel: number) => [number, number];
  readonly microseconds?: number;
}

/** Builds a Pandar QT64 packet dated 2023-01-11 01:39:56 UTC. */
function packet(spec: PacketSpec): Uint8Array {
  const bytes = new Uint8Array(1072);
  const view = new DataView(bytes.buffer);
  bytes.set([0xee, 0xff, 3, 1, 0, 0, 64, 4, 1, 4, 2, 1]);
  const dual = (spec.returnMode ?? 0x3b) >= 0x39;
  for (let block = 0; block < 4; block++) {
    const at = 12 + block * 258;
    const firing = dual ? Math.floor(block / 2) : block;
    view.setUint16(at, (spec.azimuth + firing * (spec.step ?? 60)) % 36000, true);
    for (let channel = 0; channel < 64; channel++) {
      const [distance, reflectivity] = spec.unit?.(block, channel) ?? [1000 + block, 50];
      view.setUint16(at + 2 + channel * 4, distance, true);
      bytes[at + 4 + channel * 4] = reflectivity;
    }
  }
  view.setUint16(1054, 600, true);
  view.setUint32(1056, spec.microseconds ?? 123456, true);
  bytes[1060] = spec.returnMode ?? 0x3b;
  bytes.set([123, 1, 11, 1, 39, 56], 1062);
  return bytes;
}

function decodeAll(decoder: HesaiDecoder, packets: Uint8Array[]): LidarScan[] {
  return packets.flatMap((bytes) => decoder.decode(bytes));
}

/** Packets of `count` consecutive dual-return firings 1.2 degrees apart, from `start`. */
function sweep(start: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    packet({ azimuth: (start + i * 120) % 36000, microseconds: i * 333 }),
  );
}

describe('HesaiDecoder', () => {
  it('stamps a scan with the packet date, time and the earliest firing offset', () => {
    const decoder = new HesaiDecoder(settings, calibration);
    const scans = decodeAll(decoder, sweep(35000, 40));
    expect(scans.length).toBeGreaterThan(0);
    const first = scans[0];
    // 2023-01-11T01:39:56Z, packet 0 at 0 us, plus the earliest firing offset of the block.
    const packetNs = BigInt(Date.UTC(2023, 0, 11, 1, 39, 56)) * 1_000_000n;
    expect(first?.stampNs).toBe(packetNs + 25710n + 12310n);
  });

  it('places a return by the calibrated azimuth and elevation of its channel', () => {
    const decoder = new HesaiDecoder({ ...settings, cutAngle: 180 }, calibration);
    const unit = (_: number, channel: number): [number, number] =>
      channel === 0 ? [2500, 80] : [0, 0];
    decoder.decode(packet({ azimuth: 9000, step: 0, unit, returnMode: 0x37 }));
    const [scan] = decoder.decode(packet({ azimuth: 18500, step: 0, unit, returnMode: 0x37 }));
    expect(scan).toBeDefined();
    // Hesai azimuths run clockwise from +y: 90 degrees is +x.
    expect(scan?.cloud.x[0]).toBeCloseTo(10, 5);
    expect(scan?.cloud.y[0]).toBeCloseTo(0, 5);
    expect(scan?.cloud.z[0]).toBeCloseTo(0, 6);
    expect(scan?.cloud.intensity[0]).toBe(80);
    expect(scan?.cloud.returnType[0]).toBe(PointReturnType.strongest);
  });

  it('keeps only the last of identical or nearly coincident returns', () => {
    const decoder = new HesaiDecoder({ ...settings, cutAngle: 180 }, calibration);
    // Channel 0: identical returns. 1: 4 cm apart. 2: far apart. 3: first one out of range.
    const unit = (block: number, channel: number): [number, number] => {
      const last = block % 2 === 1;
      switch (channel) {
        case 0:
          return [1000, 50];
        case 1:
          return [last ? 1010 : 1000, last ? 60 : 50];
        case 2:
          return [last ? 2000 : 1000, last ? 40 : 90];
        case 3:
          return [last ? 1000 : 20, 50];
        default:
          return [0, 0];
      }
    };
    decoder.decode(packet({ azimuth: 9000, step: 0, unit }));
    const [scan] = decoder.decode(packet({ azimuth: 18500, step: 0, unit }));
    const cloud = scan?.cloud;
    expect(cloud).toBeDefined();
    const perFiring = Array.from(cloud?.channel.subarray(0, 5) ?? []);
    expect(perFiring).toEqual([0, 1, 2, 2, 3]);
    expect(Array.from(cloud?.returnType.subarray(0, 5) ?? [])).toEqual([
      PointReturnType.identical,
      PointReturnType.last,
      PointReturnType.first,
      PointReturnType.last,
      PointReturnType.last,
    ]);
  });

  it('cuts a scan per revolution and keeps every point exactly once', () => {
    const decoder = new HesaiDecoder(settings, calibration);
    const packets = sweep(1000, 700);
    const scans = decodeAll(decoder, packets);
    expect(scans.length).toBe(2);
    // 300 packets of two firings make a revolution; every channel returns twice per firing,
    // the first of the two returns (1 unit apart) is dropped as too close to the second.
    expect(scans[1]?.cloud.length).toBe(300 * 2 * 64);
    expect(scans[1]?.stampNs).toBeGreaterThan(scans[0]?.stampNs ?? 0n);
  });

  it('names the byte offset of a truncated or corrupt packet and carries on', () => {
    const decoder = new HesaiDecoder(settings, calibration);
    const expectOffset = (bytes: Uint8Array, offset: number, message: RegExp) => {
      try {
        decoder.decode(bytes, { source: 'bag /pandar_packets #7' });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptRecording);
        expect((error as CorruptRecording).offset).toBe(offset);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).toMatch(/^bag \/pandar_packets #7: /);
      }
    };
    const good = packet({ azimuth: 9000 });
    expectOffset(good.subarray(0, 1000), 1000, /1000 bytes, expected 1072/);
    const sop = good.slice();
    sop[1] = 0;
    expectOffset(sop, 0, /0xEEFF/);
    const lasers = good.slice();
    lasers[6] = 32;
    expectOffset(lasers, 6, /declares 32 lasers/);
    const mode = good.slice();
    mode[1060] = 0x3d;
    expectOffset(mode, 1060, /return mode 0x3d/);
    const azimuth = good.slice();
    new DataView(azimuth.buffer).setUint16(12 + 2 * 258, 40000, true);
    expectOffset(azimuth, 12 + 2 * 258, /block 2 azimuth 40000/);
    expect(decoder.decode(good)).toEqual([]);
  });

  it('never fails with anything but CorruptRecording on damaged packets', () => {
    const base = packet({ azimuth: 35900 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1071), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }),
        fc.nat(1100),
        (flips, length) => {
          const bytes = new Uint8Array(length);
          bytes.set(base.subarray(0, Math.min(length, base.length)));
          for (const [offset, value] of flips) if (offset < length) bytes[offset] = value;
          const decoder = new HesaiDecoder(settings, calibration);
          try {
            decoder.decode(bytes);
            decoder.decode(packet({ azimuth: 100 }));
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecording);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects settings it cannot decode with', () => {
    expect(() => new HesaiDecoder({ ...settings, cloudMaxAngle: 400 }, calibration)).toThrow(
      InvalidInput,
    );
    expect(
      () => new HesaiDecoder({ ...settings, cloudMinAngle: 30, cloudMaxAngle: 150 }, calibration),
    ).toThrow(/cut angle must lie within the field of view/);
    const short = parseHesaiCalibration('1,0,0\n2,1,0\n');
    expect(() => new HesaiDecoder(settings, short)).toThrow(/has 2 channels; PandarQT64 has 64/);
  });

  it('recognizes QT64 packets by their header', () => {
    expect(hesaiModelOfPacket(packet({ azimuth: 0 }))).toBe('PandarQT64');
    expect(hesaiModelOfPacket(new Uint8Array(1072))).toBeUndefined();
  });
});

describe('parseHesaiCalibration', () => {
  it('skips the title line and reads angles as float32 by laser id', () => {
    const parsed = parseHesaiCalibration('Laser id,Elevation,Azimuth\n2,-1.5,0.1\n1,3.3,-0.2\n');
    expect(Array.from(parsed.elevationDeg)).toEqual([Math.fround(3.3), Math.fround(-1.5)]);
    expect(Array.from(parsed.azimuthOffsetDeg)).toEqual([Math.fround(-0.2), Math.fround(0.1)]);
  });

  it('names the line that is wrong', () => {
    expect(() => parseHesaiCalibration('1,0,0\n1,0,0\n', 'QT64.csv')).toThrow(
      /QT64.csv: line 2: laser id 1 is listed twice/,
    );
    expect(() => parseHesaiCalibration('1,0,0\n3,0,0\n')).toThrow(/laser id 2 is missing/);
    expect(() => parseHesaiCalibration('1,up,0\n')).toThrow(/line 1: elevation and azimuth/);
    expect(() => parseHesaiCalibration('nothing here')).toThrow(InvalidInput);
  });
});
