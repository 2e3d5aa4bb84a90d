import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CorruptRecording } from '../../platform/errors.js';
import { fileReader } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { openSqlite } from '../../../test/support/sqlite.js';
import { openRos2Bag } from '../ros2/bag.js';
import { ContinentalArs548Decoder } from './continental-ars548.js';
import { continentalMessageDefinitions, type ContinentalMessageName } from './continental-msgs.js';
import { ContinentalSrr520Decoder } from './continental-srr520.js';
import { parseHesaiCalibration } from './hesai-calibration.js';
import { HesaiDecoder } from './hesai.js';
import { decodePacketMessage } from './packet-messages.js';
import { parsePcd } from './pcd.js';
import type { LidarScan } from './point-cloud.js';
import { toRosYaml } from './ros-yaml.js';
import { parseVelodyneCalibration } from './velodyne-calibration.js';
import { VelodyneDecoder } from './velodyne.js';

interface BagMessage {
  readonly topic: string;
  readonly schemaName: string;
  readonly logTime: bigint;
  readonly data: Uint8Array;
}

/** Every message of a rosbag2 bag directory, in log-time order, through the rosbag2 reader. */
async function readBag(directory: string): Promise<BagMessage[]> {
  const closers: (() => unknown)[] = [];
  try {
    const source = await openRos2Bag(readFileSync(join(directory, 'metadata.yaml'), 'utf8'), {
      reader: async (path) => {
        const reader = await fileReader(join(directory, path));
        closers.push(() => reader.close());
        return reader;
      },
      sqlite: (path) => {
        const db = openSqlite(join(directory, path));
        closers.push(() => db.close());
        return Promise.resolve(db);
      },
    });
    const channels = new Map((await source.summary()).channels.map((c) => [c.id, c]));
    const messages: BagMessage[] = [];
    for await (const message of source.messages()) {
      const channel = channels.get(message.channelId);
      if (!channel) throw new Error(`message on unknown channel ${message.channelId}`);
      messages.push({
        topic: channel.topic,
        schemaName: channel.schemaName,
        logTime: message.logTime,
        data: message.data,
      });
    }
    return messages;
  } finally {
    for (const close of closers) await close();
  }
}

const nebula = (...parts: string[]) => sharedPath('recordings', 'tier4-nebula', ...parts);

interface CloudComparison {
  readonly expected: number;
  readonly actual: number;
  readonly differing: number;
  readonly maxAbsError: number;
  readonly firstDifference?: string;
}

/** Compares a decoded scan with a `.pcd` file point by point, as float32 values. */
function compareWithPcd(scan: LidarScan, pcdPath: string): CloudComparison {
  const expected = parsePcd(readFileSync(pcdPath), pcdPath);
  const { cloud } = scan;
  let differing = 0;
  let maxAbsError = 0;
  let firstDifference: string | undefined;
  const n = Math.min(cloud.length, expected.length);
  for (let i = 0; i < n; i++) {
    const dx = Math.abs((cloud.x[i] ?? NaN) - (expected.x[i] ?? NaN));
    const dy = Math.abs((cloud.y[i] ?? NaN) - (expected.y[i] ?? NaN));
    const dz = Math.abs((cloud.z[i] ?? NaN) - (expected.z[i] ?? NaN));
    if (dx !== 0 || dy !== 0 || dz !== 0) {
      differing++;
      maxAbsError = Math.max(maxAbsError, dx, dy, dz);
      firstDifference ??= `point ${i}: (${cloud.x[i]}, ${cloud.y[i]}, ${cloud.z[i]}) != (${expected.x[i]}, ${expected.y[i]}, ${expected.z[i]})`;
    }
  }
  return {
    expected: expected.length,
    actual: cloud.length,
    differing,
    maxAbsError,
    ...(firstDifference === undefined ? {} : { firstDifference }),
  };
}

/**
 * Compares two YAML documents node by node, every scalar as a string (the `failsafe` schema
 * keeps `3.87200` as written). Returns the paths that differ.
 */
function yamlDifferences(expectedText: string, actualText: string): string[] {
  const differences: string[] = [];
  const walk = (expected: unknown, actual: unknown, path: string): void => {
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual) || actual.length !== expected.length) {
        differences.push(
          `${path}: sequence of ${expected.length}, got ${JSON.stringify(actual)?.slice(0, 80)}`,
        );
        return;
      }
      expected.forEach((item, i) => walk(item, actual[i], `${path}[${i}]`));
    } else if (typeof expected === 'object' && expected !== null) {
      if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
        differences.push(`${path}: mapping expected`);
        return;
      }
      const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
      for (const key of keys) {
        walk(
          (expected as Record<string, unknown>)[key],
          (actual as Record<string, unknown>)[key],
          path === '' ? key : `${path}.${key}`,
        );
      }
    } else if (expected !== actual) {
      differences.push(`${path}: expected ${String(expected)}, got ${String(actual)}`);
    }
  };
  walk(
    parseYaml(expectedText, { schema: 'failsafe' }),
    parseYaml(actualText, { schema: 'failsafe' }),
    '',
  );
  return differences;
}

describeShared('sensor decoders against the tier4-nebula ground truth', () => {
  it('decodes every VLP-32 message and matches the expected cloud bit for bit', async () => {
    const calibration = parseVelodyneCalibration(
      readFileSync(nebula('calibration', 'VLP32.yaml'), 'utf8'),
    );
    const decoder = new VelodyneDecoder(
      {
        model: 'VLP32',
        returnMode: 'SingleStrongest',
        minRange: 0.4,
        maxRange: 50,
        scanPhase: 180,
        cloudMinAngle: 270,
        cloudMaxAngle: 90,
      },
      calibration,
    );
    const messages = await readBag(nebula('velodyne-vlp32', '1713492677464078412'));
    expect(messages).toHaveLength(5);
    expect(new Set(messages.map((message) => message.topic))).toEqual(
      new Set(['/sensing/lidar/front/velodyne_packets']),
    );
    let packets = 0;
    const comparisons: CloudComparison[] = [];
    for (const message of messages) {
      const decoded = decodePacketMessage(message.schemaName, message.data);
      for (const packet of decoded.packets) {
        packets++;
        const scan = decoder.decode(packet.data, packet.stampNs);
        if (!scan) continue;
        const pcd = nebula('velodyne-vlp32', `${message.logTime}.pcd`);
        if (existsSync(pcd)) comparisons.push(compareWithPcd(scan, pcd));
      }
    }
    expect(packets).toBe(379);
    expect(comparisons.length).toBeGreaterThan(0);
    for (const comparison of comparisons) {
      expect(comparison).toEqual({ expected: 26216, actual: 26216, differing: 0, maxAbsError: 0 });
    }
  });

  it('decodes every Pandar QT64 message and matches the expected cloud bit for bit', async () => {
    const calibration = parseHesaiCalibration(
      readFileSync(nebula('calibration', 'PandarQT64.csv'), 'utf8'),
    );
    const decoder = new HesaiDecoder(
      {
        model: 'PandarQT64',
        cutAngle: 0,
        cloudMinAngle: 0,
        cloudMaxAngle: 360,
        minRange: 0.1,
        maxRange: 60,
        dualReturnDistanceThreshold: 0.1,
      },
      calibration,
    );
    const messages = await readBag(nebula('hesai-qt64', '1673401195788312575'));
    expect(messages).toHaveLength(4);
    expect(new Set(messages.map((message) => message.topic))).toEqual(new Set(['/pandar_packets']));
    let packets = 0;
    let scans = 0;
    const comparisons: CloudComparison[] = [];
    for (const message of messages) {
      const decoded = decodePacketMessage(message.schemaName, message.data);
      for (const packet of decoded.packets) {
        packets++;
        for (const scan of decoder.decode(packet.data)) {
          scans++;
          const pcd = nebula('hesai-qt64', `${message.logTime}.pcd`);
          if (existsSync(pcd)) comparisons.push(compareWithPcd(scan, pcd));
        }
      }
    }
    expect(packets).toBe(1200);
    expect(scans).toBeGreaterThan(0);
    expect(comparisons.length).toBeGreaterThan(0);
    for (const comparison of comparisons) {
      expect(comparison).toEqual({ expected: 34158, actual: 34158, differing: 0, maxAbsError: 0 });
    }
  });

  it('decodes the ARS548 detection and object lists exactly as expected', async () => {
    const decoder = new ContinentalArs548Decoder({
      frameId: 'some_sensor_frame',
      objectFrameId: 'some_object_frame',
    });
    const messages = await readBag(nebula('continental-ars548', '1708578204'));
    expect(messages).toHaveLength(2);
    expect(new Set(messages.map((message) => message.topic))).toEqual(
      new Set(['/sensing/radar/front_center/nebula_packets']),
    );
    const checked: string[] = [];
    for (const message of messages) {
      const decoded = decodePacketMessage(message.schemaName, message.data);
      expect(decoded.packets).toHaveLength(1);
      for (const packet of decoded.packets) {
        const output = decoder.decode(packet.data, packet.stampNs);
        if (output.kind !== 'detections' && output.kind !== 'objects') continue;
        const { sec, nanosec } = output.message.header.stamp;
        const suffix = output.kind === 'detections' ? 'detection' : 'object';
        const file = `${sec}_${nanosec}_${suffix}.yaml`;
        const name: ContinentalMessageName =
          output.kind === 'detections'
            ? 'continental_msgs/msg/ContinentalArs548DetectionList'
            : 'continental_msgs/msg/ContinentalArs548ObjectList';
        const expected = readFileSync(nebula('continental-ars548', file), 'utf8');
        if (output.kind === 'objects') {
          // The expected file was written by a decoder that stores each object's relative
          // acceleration in relative_velocity and leaves relative_acceleration zero
          // (nebula continental_ars548_decoder.cpp, parse_objects_list_packet). Ours keeps them
          // apart, so the comparison maps our list the same way first: every other node, and
          // those five, must then be equal as strings.
          const asExpected = {
            ...output.message,
            objects: output.message.objects.map((object) => ({
              ...object,
              relative_velocity: { ...object.relative_acceleration, z: 0 },
              relative_velocity_std: { ...object.relative_acceleration_std, z: 0 },
              relative_velocity_covariance_xy: object.relative_acceleration_covariance_xy,
              relative_acceleration: { x: 0, y: 0, z: 0 },
              relative_acceleration_std: { x: 0, y: 0, z: 0 },
            })),
          };
          const mapped = toRosYaml(asExpected, continentalMessageDefinitions(name));
          expect(yamlDifferences(expected, mapped)).toEqual([]);
          expect(mapped).toBe(expected);
          // And only those fields differ when our own mapping is compared as is.
          const differing = new Set(
            yamlDifferences(
              expected,
              toRosYaml(output.message, continentalMessageDefinitions(name)),
            ).map((line) => line.replace(/^objects\[\d+\]\.([a-z_]+).*$/, '$1')),
          );
          expect(
            [...differing].every((field) => /^relative_(velocity|acceleration)/.test(field)),
          ).toBe(true);
        } else {
          const yaml = toRosYaml(output.message, continentalMessageDefinitions(name));
          expect(yamlDifferences(expected, yaml)).toEqual([]);
          expect(yaml).toBe(expected);
        }
        checked.push(file);
      }
    }
    expect(checked.sort()).toEqual([
      '1708578204_199326753_object.yaml',
      '1708578204_202447652_detection.yaml',
    ]);
  });

  it('decodes the SRR520 near, HRR and object lists exactly as expected', async () => {
    const decoder = new ContinentalSrr520Decoder({
      frameId: 'some_sensor_frame',
      baseFrameId: 'some_base_frame',
    });
    const messages = await readBag(nebula('continental-srr520', '1708578209'));
    expect(messages).toHaveLength(4);
    expect(new Set(messages.map((message) => message.topic))).toEqual(
      new Set(['/sensing/radar/front_left/nebula_packets']),
    );
    const checked: string[] = [];
    for (const message of messages) {
      for (const packet of decodePacketMessage(message.schemaName, message.data).packets) {
        const output = decoder.decode(packet.data, packet.stampNs);
        if (!output) continue;
        let suffix: string;
        let name: ContinentalMessageName;
        if (output.kind === 'near-detections' || output.kind === 'hrr-detections') {
          suffix = output.kind === 'near-detections' ? 'near_detection' : 'hrr_detection';
          name = 'continental_msgs/msg/ContinentalSrr520DetectionList';
        } else if (output.kind === 'objects') {
          suffix = 'object';
          name = 'continental_msgs/msg/ContinentalSrr520ObjectList';
        } else {
          continue;
        }
        const { sec, nanosec } = output.message.header.stamp;
        const file = `${sec}_${nanosec}_${suffix}.yaml`;
        const yaml = toRosYaml(output.message, continentalMessageDefinitions(name));
        const expected = readFileSync(nebula('continental-srr520', file), 'utf8');
        expect(yamlDifferences(expected, yaml)).toEqual([]);
        expect(yaml).toBe(expected);
        checked.push(file);
      }
    }
    expect(checked.sort()).toEqual([
      '1708578208_992410284_object.yaml',
      '1708578209_45566935_near_detection.yaml',
      '1708578209_76111685_hrr_detection.yaml',
    ]);
  });

  it('rejects every truncated real packet with CorruptRecording naming the byte offset', async () => {
    const firstPacket = async (folder: string, bag: string) => {
      const [message] = await readBag(nebula(folder, bag));
      if (!message) throw new Error(`${folder} has no messages`);
      const [packet] = decodePacketMessage(message.schemaName, message.data).packets;
      if (!packet) throw new Error(`${folder} has no packets`);
      return packet.data;
    };
    const velodyne = await firstPacket('velodyne-vlp32', '1713492677464078412');
    const hesai = await firstPacket('hesai-qt64', '1673401195788312575');
    const ars548 = await firstPacket('continental-ars548', '1708578204');
    const srr520 = await firstPacket('continental-srr520', '1708578209');
    const decoders: [Uint8Array, (bytes: Uint8Array) => unknown][] = [
      [
        velodyne,
        (bytes) =>
          new VelodyneDecoder(
            {
              model: 'VLP32',
              returnMode: 'SingleStrongest',
              minRange: 0.4,
              maxRange: 50,
              scanPhase: 180,
              cloudMinAngle: 270,
              cloudMaxAngle: 90,
            },
            parseVelodyneCalibration(readFileSync(nebula('calibration', 'VLP32.yaml'), 'utf8')),
          ).decode(bytes, 0n),
      ],
      [
        hesai,
        (bytes) =>
          new HesaiDecoder(
            {
              model: 'PandarQT64',
              cutAngle: 0,
              cloudMinAngle: 0,
              cloudMaxAngle: 360,
              minRange: 0.1,
              maxRange: 60,
              dualReturnDistanceThreshold: 0.1,
            },
            parseHesaiCalibration(readFileSync(nebula('calibration', 'PandarQT64.csv'), 'utf8')),
          ).decode(bytes),
      ],
      [
        ars548,
        (bytes) =>
          new ContinentalArs548Decoder({ frameId: 'f', objectFrameId: 'o' }).decode(bytes, 0n),
      ],
      [
        srr520,
        (bytes) =>
          new ContinentalSrr520Decoder({ frameId: 'f', baseFrameId: 'b' }).decode(bytes, 0n),
      ],
    ];
    for (const [packet, decode] of decoders) {
      for (const length of [0, 3, 7, Math.floor(packet.length / 2), packet.length - 1]) {
        let failure: unknown;
        try {
          decode(packet.subarray(0, length));
        } catch (error) {
          failure = error;
        }
        expect(failure).toBeInstanceOf(CorruptRecording);
        expect((failure as CorruptRecording).offset).toBeLessThanOrEqual(length);
      }
    }
  });
});
