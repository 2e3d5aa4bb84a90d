import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import type { PointCloud } from './point-cloud.js';

/**
 * Point Cloud Library `.pcd` files, version 0.7: reading the x/y/z of `ascii` and `binary`
 * files (what decoders are checked against) and writing decoded clouds as `binary` files.
 */

/** The coordinates of a PCD file, plus its header fields. */
export interface PcdCloud {
  readonly length: number;
  readonly fields: readonly string[];
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly z: Float32Array;
}

interface PcdField {
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly count: number;
}

const maxHeaderBytes = 64 * 1024;

/** Parses a PCD v0.7 file (`DATA ascii` or `DATA binary`) with float32 x, y and z fields. */
export function parsePcd(bytes: Uint8Array, name = 'pcd'): PcdCloud {
  const headerEntries = new Map<string, string[]>();
  let offset = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, offset);
    if (end < 0 || end > maxHeaderBytes) {
      throw new CorruptRecording(name, offset, 'PCD header has no DATA line');
    }
    const line = new TextDecoder().decode(bytes.subarray(offset, end)).trim();
    const lineOffset = offset;
    offset = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const [key = '', ...values] = line.split(/\s+/);
    headerEntries.set(key.toUpperCase(), values);
    if (key.toUpperCase() === 'DATA') {
      if (values[0] !== 'ascii' && values[0] !== 'binary') {
        throw new Unsupported(`${name}: PCD DATA ${values[0] ?? ''} is not supported`, {
          file: name,
          offset: lineOffset,
        });
      }
      break;
    }
  }

  const list = (key: string): string[] => {
    const values = headerEntries.get(key);
    if (values === undefined) throw new CorruptRecording(name, 0, `PCD header lacks ${key}`);
    return values;
  };
  const names = list('FIELDS');
  const sizes = list('SIZE').map(Number);
  const types = list('TYPE');
  const counts = headerEntries.get('COUNT')?.map(Number) ?? names.map(() => 1);
  const points = Number(list('POINTS')[0]);
  if (!Number.isSafeInteger(points) || points < 0) {
    throw new CorruptRecording(name, 0, `PCD POINTS is not a count`);
  }
  const fields: PcdField[] = names.map((field, i) => ({
    name: field,
    size: sizes[i] ?? NaN,
    type: types[i] ?? '',
    count: counts[i] ?? NaN,
  }));
  for (const field of fields) {
    if (![1, 2, 4, 8].includes(field.size) || !Number.isInteger(field.count) || field.count < 1) {
      throw new CorruptRecording(name, 0, `PCD field ${field.name} has a bad SIZE or COUNT`);
    }
  }
  const coordinate = (axis: string): number => {
    const index = fields.findIndex((field) => field.name === axis);
    const field = fields[index];
    if (!field || field.type !== 'F' || field.size !== 4) {
      throw new Unsupported(`${name}: PCD needs a float32 ${axis} field`, { file: name });
    }
    return index;
  };
  const axes = [coordinate('x'), coordinate('y'), coordinate('z')] as const;
  const binary = list('DATA')[0] === 'binary';
  const pointSize = fields.reduce((sum, field) => sum + field.size * field.count, 0);
  // Checked before allocating, so a corrupt POINTS count cannot ask for gigabytes.
  const minimumSize = binary ? points * pointSize : points;
  if (bytes.length - offset < minimumSize) {
    throw new CorruptRecording(
      name,
      bytes.length,
      `PCD data is truncated: ${points} points need ${minimumSize} bytes after the header`,
    );
  }
  const x = new Float32Array(points);
  const y = new Float32Array(points);
  const z = new Float32Array(points);
  const targets = [x, y, z];

  if (binary) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, points * pointSize);
    const fieldOffsets = axes.map((index) =>
      fields.slice(0, index).reduce((sum, field) => sum + field.size * field.count, 0),
    );
    for (let i = 0; i < points; i++) {
      for (let axis = 0; axis < 3; axis++) {
        (targets[axis] as Float32Array)[i] = view.getFloat32(
          i * pointSize + (fieldOffsets[axis] ?? 0),
          true,
        );
      }
    }
  } else {
    const lines = new TextDecoder().decode(bytes.subarray(offset)).split('\n');
    const columns = axes.map((index) =>
      fields.slice(0, index).reduce((sum, field) => sum + field.count, 0),
    );
    for (let i = 0; i < points; i++) {
      const values = (lines[i] ?? '').trim().split(/\s+/);
      for (let axis = 0; axis < 3; axis++) {
        const token = values[columns[axis] ?? 0] ?? '';
        const nan = /^[+-]?nan$/i.test(token);
        const value = nan ? NaN : Number(token);
        if (token === '' || (Number.isNaN(value) && !nan)) {
          throw new CorruptRecording(name, offset, `PCD ascii point ${i} is malformed`);
        }
        (targets[axis] as Float32Array)[i] = value;
      }
    }
  }
  return { length: points, fields: names, x, y, z };
}

/** Writes a decoded cloud as a PCD v0.7 binary file with x y z intensity ring fields. */
export function encodePcd(cloud: PointCloud): Uint8Array {
  const header =
    '# .PCD v0.7 - Point Cloud Data file format\n' +
    'VERSION 0.7\n' +
    'FIELDS x y z intensity ring\n' +
    'SIZE 4 4 4 1 2\n' +
    'TYPE F F F U U\n' +
    'COUNT 1 1 1 1 1\n' +
    `WIDTH ${cloud.length}\n` +
    'HEIGHT 1\n' +
    'VIEWPOINT 0 0 0 1 0 0 0\n' +
    `POINTS ${cloud.length}\n` +
    'DATA binary\n';
  const head = new TextEncoder().encode(header);
  const pointSize = 15;
  const out = new Uint8Array(head.length + cloud.length * pointSize);
  out.set(head);
  const view = new DataView(out.buffer, head.length);
  for (let i = 0; i < cloud.length; i++) {
    const at = i * pointSize;
    view.setFloat32(at, cloud.x[i] ?? 0, true);
    view.setFloat32(at + 4, cloud.y[i] ?? 0, true);
    view.setFloat32(at + 8, cloud.z[i] ?? 0, true);
    view.setUint8(at + 12, cloud.intensity[i] ?? 0);
    view.setUint16(at + 13, cloud.channel[i] ?? 0, true);
  }
  return out;
}
