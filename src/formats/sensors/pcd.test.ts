import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { encodePcd, parsePcd } from './pcd.js';
import { PointCloudBuilder } from './point-cloud.js';

function cloud(points: [number, number, number][]) {
  const builder = new PointCloudBuilder();
  points.forEach(([x, y, z], i) =>
    builder.push({
      x,
      y,
      z,
      intensity: i,
      returnType: 0,
      channel: i + 1,
      azimuth: 0,
      elevation: 0,
      distance: 0,
      timeOffsetNs: 0,
    }),
  );
  return builder.build();
}

describe('PCD', () => {
  it('writes a binary cloud that reads back exactly', () => {
    const points: [number, number, number][] = [
      [1.5, -2.25, Math.fround(0.1)],
      [Math.fround(1e-7), 3, -4],
    ];
    const parsed = parsePcd(encodePcd(cloud(points)));
    expect(parsed.fields).toEqual(['x', 'y', 'z', 'intensity', 'ring']);
    expect(parsed.length).toBe(2);
    expect(Array.from(parsed.x)).toEqual([1.5, Math.fround(1e-7)]);
    expect(Array.from(parsed.z)).toEqual([Math.fround(0.1), -4]);
  });

  it('reads ascii files, with fields in any order', () => {
    const text = [
      '# comment',
      'VERSION .7',
      'FIELDS rgb z y x',
      'SIZE 4 4 4 4',
      'TYPE U F F F',
      'COUNT 1 1 1 1',
      'WIDTH 2',
      'HEIGHT 1',
      'POINTS 2',
      'DATA ascii',
      '7 3 2 1',
      '7 nan 0.5 -1e3',
    ].join('\n');
    const parsed = parsePcd(new TextEncoder().encode(text));
    expect(Array.from(parsed.x)).toEqual([1, -1000]);
    expect(Array.from(parsed.y)).toEqual([2, 0.5]);
    expect(parsed.z[1]).toBeNaN();
  });

  it('names the byte offset of a truncated file and rejects what it cannot read', () => {
    const bytes = encodePcd(
      cloud([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    expect(() => parsePcd(bytes.subarray(0, bytes.length - 3), 'scan.pcd')).toThrow(
      CorruptRecording,
    );
    expect(() => parsePcd(bytes.subarray(0, bytes.length - 3), 'scan.pcd')).toThrow(
      /scan.pcd: PCD data is truncated/,
    );
    const huge = new TextEncoder().encode(
      'FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nPOINTS 4000000000\nDATA binary\n',
    );
    expect(() => parsePcd(huge)).toThrow(/4000000000 points need 48000000000 bytes/);
    expect(() => parsePcd(new TextEncoder().encode('VERSION .7\nno data line'))).toThrow(
      /no DATA line/,
    );
    const compressed = new TextEncoder().encode(
      'FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nPOINTS 0\nDATA binary_compressed\n',
    );
    expect(() => parsePcd(compressed)).toThrow(Unsupported);
    const doubles = new TextEncoder().encode(
      'FIELDS x y z\nSIZE 8 8 8\nTYPE F F F\nPOINTS 0\nDATA binary\n',
    );
    expect(() => parsePcd(doubles)).toThrow(/needs a float32 x field/);
  });

  it('fails only with CorruptRecording or Unsupported on damaged files', () => {
    const base = encodePcd(
      cloud([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 20,
        }),
        fc.nat(base.length),
        (flips, length) => {
          const bytes = base.slice(0, length);
          for (const [offset, value] of flips) if (offset < length) bytes[offset] = value;
          try {
            parsePcd(bytes);
          } catch (error) {
            expect(error instanceof CorruptRecording || error instanceof Unsupported).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
