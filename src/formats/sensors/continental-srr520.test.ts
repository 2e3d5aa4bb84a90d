import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording } from '../../platform/errors.js';
import {
  ContinentalSrr520Decoder,
  crc16CcittFalse,
  type Srr520Output,
} from './continental-srr520.js';

const settings = { frameId: 'srr', baseFrameId: 'base_link' };
const receivedAt = 1_708_578_209_106_072_000n;

function frame(id: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 + payload.length);
  new DataView(bytes.buffer).setUint32(0, id);
  bytes.set(payload, 4);
  return bytes;
}

function listHeader(count: number, synchronized: boolean, countOffset = 23): Uint8Array {
  const payload = new Uint8Array(32);
  const view = new DataView(payload.buffer);
  view.setUint32(0, 468586189);
  view.setUint32(4, 1708578209);
  view.setUint32(8, 76111685);
  view.setUint8(12, synchronized ? 1 : 2);
  view.setUint8(13, 1);
  view.setUint8(14, 196);
  view.setUint32(15, 910);
  view.setUint16(19, 40425); // v_ambiguous raw
  view.setUint16(21, 413); // max range raw: 41.3 m
  if (countOffset === 23) view.setUint16(23, count);
  else view.setUint8(countOffset, count);
  return payload;
}

/** A detection fragment: raw range, azimuth, range rate, rcs, snr. */
function detection(range: number, azimuth: number, rate: number, rcs: number, snr: number) {
  return [
    range >> 4,
    ((range & 0x0f) << 4) | (azimuth >> 5),
    ((azimuth & 0x1f) << 3) | (rate >> 8),
    rate & 0xff,
    (rcs << 1) | 1,
    0x80 | snr,
  ];
}

/** The frames of a complete detection list of `count` detections with a correct CRC. */
function detectionListFrames(kind: 'near' | 'hrr', count: number, synchronized = true) {
  const [headerId, elementId, elements, crcId] =
    kind === 'near' ? [900, 901, 50, 0] : [1100, 1101, 20, 1];
  const payloads = [listHeader(count, synchronized)];
  for (let element = 0; element < elements; element++) {
    const payload = new Uint8Array(64);
    for (let fragment = 0; fragment < 10; fragment++) {
      payload.set(detection(4095, 255, 1023, 40, 4), fragment * 6);
    }
    payload[62] = element;
    payloads.push(payload);
  }
  const crc = payloads.reduce((value, payload) => crc16CcittFalse(payload, value), 0xffff);
  return [
    frame(headerId, payloads[0] as Uint8Array),
    ...payloads.slice(1).map((payload) => frame(elementId, payload)),
    frame(800, Uint8Array.from([crcId, crc >> 8, crc & 0xff, 0])),
  ];
}

function objectListFrames(count: number) {
  const payloads = [listHeader(count, true, 24)];
  for (let element = 0; element < 20; element++) {
    const payload = new Uint8Array(64);
    for (let fragment = 0; fragment < 2; fragment++) {
      const data = new Uint8Array(31);
      data[0] = element * 2 + fragment;
      data.set([0x80, 0x00, 0x80, 0x00], 1); // dist_x, dist_y raw 32768
      data[27] = 0x0c; // score raw 12
      data.set([0, 11, 0x07], 28); // life cycles 11, box valid, status 3
      payload.set(data, fragment * 31);
    }
    payloads.push(payload);
  }
  const crc = payloads.reduce((value, payload) => crc16CcittFalse(payload, value), 0xffff);
  return [
    frame(1200, payloads[0] as Uint8Array),
    ...payloads.slice(1).map((payload) => frame(1201, payload)),
    frame(800, Uint8Array.from([2, crc >> 8, crc & 0xff, 0])),
  ];
}

function decodeAll(decoder: ContinentalSrr520Decoder, frames: Uint8Array[]): Srr520Output[] {
  return frames.flatMap((bytes) => decoder.decode(bytes, receivedAt) ?? []);
}

describe('crc16CcittFalse', () => {
  it('gives the catalogue check value', () => {
    expect(crc16CcittFalse(new TextEncoder().encode('123456789'))).toBe(0x29b1);
  });
});

describe('ContinentalSrr520Decoder', () => {
  it('assembles a near detection list once its CRC frame arrives', () => {
    const outputs = decodeAll(
      new ContinentalSrr520Decoder(settings),
      detectionListFrames('near', 123),
    );
    expect(outputs).toHaveLength(1);
    const output = outputs[0];
    if (output?.kind !== 'near-detections') throw new Error(`got ${output?.kind}`);
    const list = output.message;
    expect(list.header).toEqual({ stamp: { sec: 1708578209, nanosec: 76111685 }, frame_id: 'srr' });
    expect(list.max_range).toBe(Math.fround(Math.fround(0.1) * 413));
    expect(list.detections).toHaveLength(123);
    const first = list.detections[0];
    expect(first?.range).toBe(Math.fround(0.024420024 * 4095));
    expect(first?.azimuth_angle).toBe(Math.fround(0.006159986 * 255 - 1.570796327));
    expect(first?.rcs).toBe(Math.fround(0.476190476 * 40 - 40));
    expect(first?.pdh00).toBe(100);
    expect(first?.pdh01).toBe(100);
    expect(first?.pdh02).toBe(0);
    expect(first?.snr).toBe(Math.fround(1.7 * 4 + 11));
  });

  it('scales the SNR of HRR lists in float and stamps unsynchronized lists on receipt', () => {
    const outputs = decodeAll(
      new ContinentalSrr520Decoder(settings),
      detectionListFrames('hrr', 5, false),
    );
    const output = outputs[0];
    if (output?.kind !== 'hrr-detections') throw new Error(`got ${output?.kind}`);
    expect(output.message.header.stamp).toEqual({ sec: 1708578209, nanosec: 106072000 });
    expect(output.message.detections[4]?.snr).toBe(
      Math.fround(Math.fround(Math.fround(1.7) * 4) + 11),
    );
  });

  it('assembles an object list in the base frame', () => {
    const outputs = decodeAll(new ContinentalSrr520Decoder(settings), objectListFrames(3));
    const output = outputs[0];
    if (output?.kind !== 'objects') throw new Error(`got ${output?.kind}`);
    expect(output.message.header.frame_id).toBe('base_link');
    expect(output.message.objects.map((object) => object.object_id)).toEqual([0, 1, 2]);
    const [object] = output.message.objects;
    expect(object?.dist_x).toBe(Math.fround(0.009155553 * 32768 - 300));
    expect(object?.score).toBe(Math.fround(6.666666667 * 12));
    expect(object?.life_cycles).toBe(11);
    expect(object?.box_valid).toBe(1);
    expect(object?.object_status).toBe(3);
  });

  it('discards a list whose CRC does not match and decodes the next one', () => {
    const decoder = new ContinentalSrr520Decoder(settings);
    const frames = detectionListFrames('near', 10);
    const damaged = frames.map((bytes, i) => {
      const copy = bytes.slice();
      if (i === 3) copy[10] = (copy[10] ?? 0) ^ 0xff;
      return copy;
    });
    let failure: unknown;
    for (const bytes of damaged) {
      try {
        decoder.decode(bytes, receivedAt);
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toBeInstanceOf(CorruptRecording);
    expect((failure as CorruptRecording).offset).toBe(5);
    expect((failure as Error).message).toMatch(/near list CRC .* the list is discarded/);
    expect(decodeAll(decoder, frames).map((output) => output.kind)).toEqual(['near-detections']);
  });

  it('reports a list with missing frames, but not one cut off at the start of the stream', () => {
    const frames = detectionListFrames('near', 10);
    const startedLate = decodeAll(new ContinentalSrr520Decoder(settings), frames.slice(5));
    expect(startedLate).toEqual([]);
    const decoder = new ContinentalSrr520Decoder(settings);
    const gap = [...frames.slice(0, 20), ...frames.slice(21)];
    expect(decodeAll(decoder, gap)).toEqual([
      {
        kind: 'dropped',
        list: 'near',
        reason: '50 of 51 header and element frames arrived before the CRC frame',
      },
    ]);
  });

  it('decodes the status and sync follow-up frames', () => {
    const decoder = new ContinentalSrr520Decoder(settings);
    const payload = new Uint8Array(64);
    payload.set([3, 2, 1], 13);
    payload[31] = 1;
    const crc = crc16CcittFalse(payload.subarray(0, 61));
    payload.set([crc >> 8, crc & 0xff, 9], 61);
    const status = decoder.decode(frame(700, payload), receivedAt);
    expect(status?.kind === 'status' && status.status).toMatchObject({
      swVersion: [3, 2, 1],
      plugOrientation: 1,
      sequenceCounter: 9,
      crcValid: true,
    });
    expect(decoder.decode(frame(53, new Uint8Array(8)), receivedAt)).toEqual({
      kind: 'sync-follow-up',
      stamp: { sec: 1708578209, nanosec: 106072000 },
    });
    expect(decoder.decode(frame(600, new Uint8Array(8)), receivedAt)).toBeUndefined();
  });

  it('names the byte offset of frames of the wrong size or unknown id', () => {
    const decoder = new ContinentalSrr520Decoder(settings);
    const expectOffset = (bytes: Uint8Array, offset: number, message: RegExp) => {
      try {
        decoder.decode(bytes, receivedAt);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptRecording);
        expect((error as CorruptRecording).offset).toBe(offset);
        expect((error as Error).message).toMatch(message);
      }
    };
    expectOffset(new Uint8Array(3), 3, /frame id is truncated/);
    expectOffset(frame(901, new Uint8Array(60)), 64, /60-byte payload, expected 64/);
    expectOffset(frame(4242, new Uint8Array(8)), 0, /unknown SRR520 CAN message id 4242/);
    expectOffset(frame(800, Uint8Array.from([7, 0, 0, 0])), 4, /unknown SRR520 CRC list id 7/);
  });

  it('never fails with anything but CorruptRecording on damaged frames', () => {
    const ids = [900, 901, 1100, 1101, 1200, 1201, 800, 700, 53, 600];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom(...ids), fc.uint8Array({ minLength: 0, maxLength: 70 })),
          { maxLength: 60 },
        ),
        (frames) => {
          const decoder = new ContinentalSrr520Decoder(settings);
          for (const [id, payload] of frames) {
            try {
              decoder.decode(frame(id, payload), receivedAt);
            } catch (error) {
              expect(error).toBeInstanceOf(CorruptRecording);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
