import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BulkCdrWriter } from './bulk.js';
import { lidarPointFields } from './lidar.js';
import { ros2Writer } from './schemas.js';

const header = (sec: number, nanosec: number, frame: string) => ({
  stamp: { sec, nanosec },
  frame_id: frame,
});
const headers = fc
  .tuple(
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.integer({ min: 0, max: 999_999_999 }),
    fc.string({ maxLength: 24 }),
  )
  .map(([sec, nanosec, frame]) => header(sec, nanosec, frame));
const payloads = fc.uint8Array({ maxLength: 300 });

describe('BulkCdrWriter', () => {
  const bulk = new BulkCdrWriter();

  it('writes CompressedImage bytes identical to the generic CDR writer', () => {
    const generic = ros2Writer('sensor_msgs/msg/CompressedImage');
    fc.assert(
      fc.property(headers, fc.string({ maxLength: 8 }), payloads, (h, format, data) => {
        const expected = generic.writeMessage({ header: h, format, data });
        return Buffer.from(bulk.compressedImage(h, format, data)).equals(Buffer.from(expected));
      }),
    );
  });

  it('writes Image bytes identical to the generic CDR writer', () => {
    const generic = ros2Writer('sensor_msgs/msg/Image');
    fc.assert(
      fc.property(headers, fc.nat(5000), fc.nat(5000), payloads, (h, height, width, data) => {
        const image = { height, width, encoding: 'rgb8', step: width * 3 };
        const expected = generic.writeMessage({ header: h, ...image, is_bigendian: 0, data });
        return Buffer.from(bulk.image(h, image, data)).equals(Buffer.from(expected));
      }),
    );
  });

  it('writes PointCloud2 bytes identical to the generic CDR writer, reusing its buffer', () => {
    const generic = ros2Writer('sensor_msgs/msg/PointCloud2');
    fc.assert(
      fc.property(headers, payloads, fc.boolean(), (h, data, isDense) => {
        const cloud = {
          height: 1,
          width: data.length >> 4,
          fields: lidarPointFields,
          pointStep: 16,
          rowStep: data.length,
          isDense,
        };
        const expected = generic.writeMessage({
          header: h,
          height: cloud.height,
          width: cloud.width,
          fields: cloud.fields,
          is_bigendian: false,
          point_step: 16,
          row_step: cloud.rowStep,
          data,
          is_dense: isDense,
        });
        return Buffer.from(bulk.pointCloud2(h, cloud, data)).equals(Buffer.from(expected));
      }),
    );
    // grows past its initial buffer for a full scan
    const scan = new Uint8Array(32 * 1024 * 16).fill(7);
    const cloud = {
      height: 32,
      width: 1024,
      fields: lidarPointFields,
      pointStep: 16,
      rowStep: 16 * 1024,
      isDense: false,
    };
    const bytes = bulk.pointCloud2(header(1, 2, 'lidar_top'), cloud, scan);
    expect(bytes.byteLength).toBeGreaterThan(scan.byteLength);
  });
});
