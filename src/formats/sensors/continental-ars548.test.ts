import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording } from '../../platform/errors.js';
import { ContinentalArs548Decoder, type Ars548Output } from './continental-ars548.js';

const settings = { frameId: 'radar', objectFrameId: 'radar_objects' };
const receivedAt = 1_708_578_204_202_447_652n;

function header(bytes: Uint8Array, methodId: number, length: number): DataView {
  const view = new DataView(bytes.buffer);
  view.setUint16(2, methodId);
  view.setUint32(4, length);
  return view;
}

/** A detection list claiming `count` detections (filled up to the 800 slots); detection i is
 * at range i + 1 metres. */
function detectionList(count: number): Uint8Array {
  const bytes = new Uint8Array(35336);
  const view = header(bytes, 336, 35328);
  view.setUint32(36, 777); // radar time: nanoseconds
  view.setUint32(40, 1_700_000_000); // seconds
  view.setUint8(44, 1);
  view.setFloat32(52, 3.872);
  view.setFloat32(68, 0.641);
  view.setFloat32(35301, -22.8866);
  view.setFloat32(35305, 22.8866);
  view.setUint32(35309, count);
  for (let i = 0; i < Math.min(count, 800); i++) {
    const at = 101 + i * 44;
    view.setFloat32(at, -0.5 + i * 0.01);
    view.setUint8(at + 8, i === 0 ? 0x41 : 0);
    view.setFloat32(at + 17, i + 1);
    view.setInt8(at + 33, -10);
    view.setUint16(at + 34, i);
    view.setUint16(at + 39, 9348);
  }
  return bytes;
}

function objectList(count: number): Uint8Array {
  const bytes = new Uint8Array(9401);
  const view = header(bytes, 329, 9393);
  view.setUint8(44, 1);
  view.setUint8(50, count);
  for (let i = 0; i < Math.min(count, 50); i++) {
    const at = 51 + i * 187;
    view.setUint32(at + 2, 1000 + i);
    view.setFloat32(at + 13, 10 + i);
    view.setFloat32(at + 90, -5.75); // relative velocity x
    view.setFloat32(at + 132, -0.91); // relative acceleration x
    view.setFloat32(at + 50, 100);
  }
  return bytes;
}

function sensorStatus(yawRad: number, minor: number): Uint8Array {
  const bytes = new Uint8Array(84);
  const view = header(bytes, 380, 76);
  view.setUint8(16, 1);
  bytes.set([5, minor, 2], 17);
  view.setFloat32(32, yawRad);
  bytes.set([192, 168, 1, 2, 10, 13, 1, 114], 64);
  return bytes;
}

const kindOf = (output: Ars548Output) => output.kind;

describe('ContinentalArs548Decoder', () => {
  it('decodes a detection list with the packet stamp or the radar clock', () => {
    const output = new ContinentalArs548Decoder(settings).decode(detectionList(3), receivedAt);
    expect(output.kind).toBe('detections');
    if (output.kind !== 'detections') return;
    const list = output.message;
    expect(list.header).toEqual({
      stamp: { sec: 1708578204, nanosec: 202447652 },
      frame_id: 'radar',
    });
    expect(list.origin_pos).toEqual({ x: Math.fround(3.872), y: 0, z: Math.fround(0.641) });
    expect(list.ambiguity_free_velocity_max).toBe(Math.fround(22.8866));
    expect(list.detections).toHaveLength(3);
    expect(list.detections[2]?.range).toBe(3);
    expect(list.detections[0]?.invalid_distance).toBe(true);
    expect(list.detections[0]?.invalid_range_rate).toBe(true);
    expect(list.detections[0]?.invalid_azimuth).toBe(false);
    expect(list.detections[1]?.rcs).toBe(-10);
    expect(list.detections[1]?.object_id).toBe(9348);

    const sensorTime = new ContinentalArs548Decoder({ ...settings, useSensorTime: true });
    const timed = sensorTime.decode(detectionList(0), receivedAt);
    expect(timed.kind === 'detections' && timed.message.header.stamp).toEqual({
      sec: 1_700_000_000,
      nanosec: 777,
    });
  });

  it('decodes an object list, keeping relative velocity and acceleration apart', () => {
    const output = new ContinentalArs548Decoder(settings).decode(objectList(2), receivedAt);
    expect(output.kind).toBe('objects');
    if (output.kind !== 'objects') return;
    const [first, second] = output.message.objects;
    expect(output.message.header.frame_id).toBe('radar_objects');
    expect(first?.object_id).toBe(1000);
    expect(second?.position.x).toBe(11);
    expect(first?.relative_velocity.x).toBe(-5.75);
    expect(first?.relative_acceleration.x).toBe(Math.fround(-0.91));
    expect(first?.raw_existence_probability).toBe(100);
  });

  it('skips object lists of a corner radar whose firmware cannot produce them', () => {
    const decoder = new ContinentalArs548Decoder(settings);
    const status = decoder.decode(sensorStatus((45 * Math.PI) / 180, 39), receivedAt);
    expect(status.kind).toBe('status');
    if (status.kind === 'status') {
      expect(status.status.swVersion).toEqual([5, 39, 2]);
      expect(status.status.sensorIpAddresses).toEqual(['192.168.1.2', '10.13.1.114']);
    }
    const skipped = decoder.decode(objectList(1), receivedAt);
    expect(skipped.kind).toBe('skipped');
    expect(skipped.kind === 'skipped' && skipped.reason).toMatch(
      /corner radar with firmware 5\.39\.2/,
    );
    decoder.decode(sensorStatus((45 * Math.PI) / 180, 40), receivedAt);
    expect(kindOf(decoder.decode(objectList(1), receivedAt))).toBe('objects');
    decoder.decode(sensorStatus(0, 39), receivedAt);
    expect(kindOf(decoder.decode(objectList(1), receivedAt))).toBe('objects');
  });

  it('skips other services and methods', () => {
    const decoder = new ContinentalArs548Decoder(settings);
    const other = new Uint8Array(16);
    other[1] = 7;
    expect(decoder.decode(other, 0n)).toEqual({ kind: 'skipped', reason: 'service id 7' });
    const filterStatus = new Uint8Array(330);
    header(filterStatus, 396, 322);
    expect(decoder.decode(filterStatus, 0n)).toEqual({ kind: 'skipped', reason: 'method id 396' });
  });

  it('names the byte offset of inconsistent packets', () => {
    const decoder = new ContinentalArs548Decoder(settings);
    const expectOffset = (bytes: Uint8Array, offset: number, message: RegExp) => {
      try {
        decoder.decode(bytes, receivedAt, { source: 'radar.db3 #1' });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptRecording);
        expect((error as CorruptRecording).offset).toBe(offset);
        expect((error as Error).message).toMatch(message);
      }
    };
    expectOffset(new Uint8Array(5), 5, /header is truncated: 5 bytes, expected at least 8/);
    expectOffset(detectionList(1).subarray(0, 30000), 30000, /30000 bytes, expected 35336/);
    const length = detectionList(1);
    new DataView(length.buffer).setUint32(4, 99);
    expectOffset(length, 4, /declares length 99, expected 35328/);
    expectOffset(detectionList(801), 35309, /claims 801 detections, at most 800/);
    expectOffset(objectList(51), 50, /claims 51 objects, at most 50/);
    expectOffset(objectList(1).subarray(0, 9000), 4, /matches neither layout/);
    expectOffset(sensorStatus(0, 40).subarray(0, 80), 80, /sensor status has 80 bytes/);
  });

  it('never fails with anything but CorruptRecording on damaged packets', () => {
    const bases = [detectionList(5), objectList(3), sensorStatus(0.1, 40)];
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.array(fc.tuple(fc.nat(35335), fc.integer({ min: 0, max: 255 })), { maxLength: 30 }),
        fc.nat(36000),
        (base, flips, length) => {
          const bytes = new Uint8Array(Math.min(length, base.length + 4));
          bytes.set(base.subarray(0, bytes.length));
          for (const [offset, value] of flips) if (offset < bytes.length) bytes[offset] = value;
          try {
            new ContinentalArs548Decoder(settings).decode(bytes, receivedAt);
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecording);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
