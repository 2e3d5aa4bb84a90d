import { createHash } from 'node:crypto';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { McapIndexedReader, McapStreamReader, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { Can, Dbc } from 'candied';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/index.js';
import { canChecksumValid, canDatabase, vehicleDbc, vehicleSpeedMessageId } from './can.js';
import type { ChunkCompression } from './compression.js';
import { planFleet, type RecordingPlan } from './fleet.js';
import {
  dbcAttachmentName,
  generateRecording,
  rigFromMetadata,
  rigMetadataName,
  type GenerateOptions,
  type GeneratedRecording,
} from './generator.js';
import { createRig } from './rig.js';
import { ros2SchemaText, type Ros2SchemaName } from './schemas.js';
import { rigTimeline } from './timeline.js';

/** Small frames and a sparse lidar keep the tests fast; the stream itself is the real one. */
const small: GenerateOptions = {
  cameraWidth: 64,
  cameraHeight: 40,
  cameraPoolSize: 2,
  lidarBeams: 8,
  lidarColumns: 128,
  chunkSize: 256 * 1024,
};
const seconds = 3;
const plans = planFleet({ seed: 21, vehicles: 3, minutes: seconds / 60 });
const plan = plans[0]!;

async function generate(
  recordingPlan: RecordingPlan,
  options: GenerateOptions = {},
): Promise<{ bytes: Uint8Array; result: GeneratedRecording }> {
  const parts: Uint8Array[] = [];
  const result = await generateRecording(
    recordingPlan,
    {
      write: (bytes) => {
        parts.push(bytes.slice());
        return Promise.resolve();
      },
    },
    { ...small, ...options },
  );
  const bytes = Buffer.concat(parts);
  expect(bytes.byteLength).toBe(result.bytes);
  return { bytes, result };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function indexed(bytes: Uint8Array): Promise<McapIndexedReader> {
  return McapIndexedReader.Initialize({
    readable: {
      size: () => Promise.resolve(BigInt(bytes.byteLength)),
      read: (offset, length) =>
        Promise.resolve(bytes.subarray(Number(offset), Number(offset + length))),
    },
    decompressHandlers: await loadDecompressHandlers(),
  });
}

async function streamed(bytes: Uint8Array): Promise<McapTypes.TypedMcapRecord[]> {
  const reader = new McapStreamReader({ decompressHandlers: await loadDecompressHandlers() });
  reader.append(bytes);
  const records: McapTypes.TypedMcapRecord[] = [];
  for (let record = reader.nextRecord(); record !== undefined; record = reader.nextRecord()) {
    records.push(record);
  }
  expect(reader.done()).toBe(true);
  return records;
}

interface Decoded {
  topic: string;
  schemaName: string;
  logTime: bigint;
  sequence: number;
  data: Uint8Array;
  message: Record<string, unknown> & { header: { stamp: { sec: number; nanosec: number } } };
}

async function decodeAll(bytes: Uint8Array): Promise<Decoded[]> {
  const reader = await indexed(bytes);
  const readers = new Map<number, MessageReader>();
  for (const schema of reader.schemasById.values()) {
    const text = new TextDecoder().decode(schema.data);
    readers.set(schema.id, new MessageReader(parse(text, { ros2: true })));
  }
  const decoded: Decoded[] = [];
  for await (const message of reader.readMessages()) {
    const channel = reader.channelsById.get(message.channelId)!;
    const schema = reader.schemasById.get(channel.schemaId)!;
    decoded.push({
      topic: channel.topic,
      schemaName: schema.name,
      logTime: message.logTime,
      sequence: message.sequence,
      data: message.data,
      message: readers.get(schema.id)!.readMessage(message.data),
    });
  }
  return decoded;
}

describe('generateRecording', () => {
  let bytes: Uint8Array;
  let result: GeneratedRecording;
  let messages: Decoded[];

  beforeAll(async () => {
    ({ bytes, result } = await generate(plan));
    messages = await decodeAll(bytes);
  });

  it('writes an indexed ros2 MCAP with the rig topics, schemas, statistics and metadata', async () => {
    const reader = await indexed(bytes);
    expect(reader.header.profile).toBe('ros2');
    const rig = createRig(plan.seed, plan.vehicleId);
    const channels = [...reader.channelsById.values()];
    expect(channels.map((c) => c.topic)).toEqual(rig.sensors.map((s) => s.topic));
    for (const channel of channels) {
      const schema = reader.schemasById.get(channel.schemaId)!;
      expect(channel.messageEncoding).toBe('cdr');
      expect(schema.encoding).toBe('ros2msg');
      expect(new TextDecoder().decode(schema.data)).toBe(
        ros2SchemaText(schema.name as Ros2SchemaName),
      );
    }
    expect(new Set([...reader.schemasById.values()].map((s) => s.name))).toEqual(
      new Set([
        'sensor_msgs/msg/CompressedImage',
        'sensor_msgs/msg/PointCloud2',
        'radar_msgs/msg/RadarScan',
        'sensor_msgs/msg/Imu',
        'sensor_msgs/msg/NavSatFix',
        'can_msgs/msg/Frame',
      ]),
    );
    expect(reader.statistics?.messageCount).toBe(BigInt(result.messageCount));
    expect(messages).toHaveLength(result.messageCount);
    for (const [id, count] of reader.statistics?.channelMessageCounts ?? []) {
      const topic = reader.channelsById.get(id)!.topic;
      expect(Number(count), topic).toBe(
        result.channels.find((c) => c.topic === topic)?.messageCount,
      );
    }

    const metadata = new Map<string, Map<string, string>>();
    for await (const record of reader.readMetadata()) metadata.set(record.name, record.metadata);
    expect(Object.fromEntries(metadata.get('recording') ?? [])).toMatchObject({
      vehicle: plan.vehicleId,
      driver: plan.driver,
      campaign: plan.campaign,
      weather: plan.weather,
    });
    expect(metadata.get('drivetrain.route')?.get('country')).toBe(plan.region.country);
    expect(metadata.get('drivetrain.route')?.get('light')).toBe(plan.light);
    const truth = rigFromMetadata(metadata.get(rigMetadataName)!);
    expect(truth.startTimeNs).toBe(plan.startTimeNs);
    expect(truth.sensors).toEqual(
      rig.sensors.map(({ id, topic, kind, frameId, rateHz, clock }) => ({
        id,
        topic,
        kind,
        frameId,
        rateHz,
        clock,
      })),
    );
    expect(() =>
      rigFromMetadata(
        new Map([
          ['start_time_ns', '1'],
          ['imu', '{"topic":"/x"}'],
        ]),
      ),
    ).toThrow(InvalidInput);
    const attachments = [];
    for await (const attachment of reader.readAttachments({ name: dbcAttachmentName })) {
      attachments.push(attachment);
    }
    expect(attachments).toHaveLength(1);
    expect(new TextDecoder().decode(attachments[0]!.data)).toBe(vehicleDbc());
  });

  it('stamps and logs every message exactly as the rig timeline says', () => {
    const rig = createRig(plan.seed, plan.vehicleId);
    const timelines = rigTimeline(rig, plan.durationNs);
    for (const timeline of timelines) {
      const ofTopic = messages.filter((m) => m.topic === timeline.topic);
      expect(ofTopic.length, timeline.topic).toBe(timeline.count);
      ofTopic.forEach((m, i) => {
        const stamp =
          BigInt(m.message.header.stamp.sec) * 1_000_000_000n +
          BigInt(m.message.header.stamp.nanosec);
        expect(Number(m.logTime - plan.startTimeNs)).toBe(timeline.logNs[i]);
        expect(Number(stamp - plan.startTimeNs)).toBe(timeline.stampNs[i]);
        expect(m.sequence).toBe(timeline.sequence[i]);
      });
    }
    // header stamps never equal log times: every source has an offset and a latency
    const equal = messages.filter((m) => {
      const { sec, nanosec } = m.message.header.stamp;
      return BigInt(sec) * 1_000_000_000n + BigInt(nanosec) === m.logTime;
    });
    expect(equal).toHaveLength(0);
    // messages are in log-time order across topics
    for (let i = 1; i < messages.length; i++) {
      expect(messages[i]!.logTime >= messages[i - 1]!.logTime).toBe(true);
    }
  });

  it('delivers each sensor near its nominal rate', () => {
    const rig = createRig(plan.seed, plan.vehicleId);
    for (const sensor of rig.sensors) {
      const count = messages.filter((m) => m.topic === sensor.topic).length;
      const nominal = seconds * sensor.rateHz;
      expect(count, sensor.topic).toBeLessThanOrEqual(
        nominal * 1.005 + (sensor.kind === 'can' ? canDatabase.length : 2),
      );
      expect(count, sensor.topic).toBeGreaterThanOrEqual(nominal * 0.8 - 3);
    }
  });

  it('writes payloads that decode: JPEG frames, point clouds, radar, IMU, GNSS and CAN', () => {
    const of = (schema: string): Decoded[] => messages.filter((m) => m.schemaName === schema);

    for (const m of of('sensor_msgs/msg/CompressedImage').slice(0, 12)) {
      expect(m.message.format).toBe('jpeg');
      const image = jpeg.decode(m.message.data as Uint8Array, { useTArray: true });
      expect([image.width, image.height]).toEqual([64, 40]);
    }

    const clouds = of('sensor_msgs/msg/PointCloud2');
    expect(clouds.length).toBeGreaterThan(0);
    for (const { message } of clouds) {
      expect(message.height).toBe(8);
      expect(message.width).toBe(128);
      expect(message.point_step).toBe(16);
      expect((message.fields as { name: string }[]).map((f) => f.name)).toEqual([
        'x',
        'y',
        'z',
        'intensity',
      ]);
      const data = message.data as Uint8Array;
      expect(data.byteLength).toBe(8 * 128 * 16);
      const points = new Float32Array(data.slice().buffer);
      let finite = 0;
      let ground = 0;
      for (let i = 0; i < points.length; i += 4) {
        if (!Number.isFinite(points[i])) continue;
        finite++;
        if (Math.abs(points[i + 2]! + 1.95) < 0.1) ground++;
      }
      expect(finite).toBeGreaterThan(points.length / 4 / 3);
      expect(ground).toBeGreaterThan(10);
    }

    for (const { message } of of('radar_msgs/msg/RadarScan')) {
      const returns = message.returns as { range: number; azimuth: number }[];
      expect(returns.length).toBeGreaterThan(20);
      for (const r of returns) {
        expect(r.range).toBeGreaterThan(0);
        expect(Math.abs(r.azimuth)).toBeLessThan(1.2);
      }
    }

    for (const { message } of of('sensor_msgs/msg/Imu')) {
      const q = message.orientation as { x: number; y: number; z: number; w: number };
      expect(Math.hypot(q.x, q.y, q.z, q.w)).toBeCloseTo(1, 6);
      expect((message.linear_acceleration as { z: number }).z).toBeGreaterThan(8);
    }

    for (const { message } of of('sensor_msgs/msg/NavSatFix')) {
      expect(Math.abs((message.latitude as number) - plan.region.latitude)).toBeLessThan(0.2);
      expect(Math.abs((message.longitude as number) - plan.region.longitude)).toBeLessThan(0.3);
    }

    const dbc = new Can();
    dbc.database = new Dbc().load(vehicleDbc(), true);
    const frames = of('can_msgs/msg/Frame');
    expect(frames.length).toBeGreaterThan(seconds * 1800);
    const ids = new Set(canDatabase.map((m) => m.id));
    let speeds = 0;
    for (const { message } of frames) {
      const id = message.id as number;
      const data = message.data as Uint8Array;
      expect(ids.has(id)).toBe(true);
      if (canDatabase.find((m) => m.id === id)!.signals.some((s) => s.name === 'Checksum')) {
        expect(canChecksumValid(id, data)).toBe(true);
      }
      if (id === vehicleSpeedMessageId) {
        const kph = dbc
          .decode(dbc.createFrame(id, [...data]))!
          .boundSignals.get('VehicleSpeed')!.value;
        expect(kph).toBeGreaterThanOrEqual(0);
        expect(kph).toBeLessThanOrEqual(131);
        speeds++;
      }
    }
    expect(speeds).toBeGreaterThan(seconds * 90);
  });

  it('is byte-identical for the same plan and options, and differs for another seed', async () => {
    const again = await generate(plan);
    expect(sha256(again.bytes)).toBe(sha256(bytes));
    const other = planFleet({ seed: 22, vehicles: 1, minutes: seconds / 60 })[0]!;
    expect(sha256((await generate(other)).bytes)).not.toBe(sha256(bytes));
  });

  it('reads the same messages whatever the chunk compression', async () => {
    const digest = async (file: Uint8Array): Promise<string[]> => {
      const reader = await indexed(file);
      const out: string[] = [];
      for await (const m of reader.readMessages()) {
        out.push(`${m.channelId} ${m.logTime} ${m.sequence} ${sha256(m.data)}`);
      }
      return out;
    };
    const reference = await digest(bytes);
    // the reference file is zstd (the default)
    expect(new Set((await indexed(bytes)).chunkIndexes.map((c) => c.compression))).toEqual(
      new Set(['zstd']),
    );
    const compressions: ChunkCompression[] = ['lz4', 'none'];
    for (const compression of compressions) {
      const variant = await generate(plan, { compression });
      const reader = await indexed(variant.bytes);
      const used = new Set(reader.chunkIndexes.map((c) => c.compression));
      expect(used).toEqual(new Set([compression === 'none' ? '' : compression]));
      expect(await digest(variant.bytes), compression).toEqual(reference);
      if (compression !== 'none') {
        expect(reader.chunkIndexes.every((c) => c.compressedSize < c.uncompressedSize)).toBe(true);
      }
    }
  });

  it('writes a streamed-only file without a summary or message indexes', async () => {
    const { bytes: bare } = await generate(plan, { summary: false });
    await expect(indexed(bare)).rejects.toThrow();
    const records = await streamed(bare);
    const kinds = new Set(records.map((r) => r.type));
    for (const absent of [
      'MessageIndex',
      'ChunkIndex',
      'Statistics',
      'SummaryOffset',
      'MetadataIndex',
    ] as const) {
      expect(kinds.has(absent), absent).toBe(false);
    }
    const footer = records.find((r) => r.type === 'Footer');
    expect(footer).toMatchObject({ summaryStart: 0n, summaryOffsetStart: 0n });
    expect(records.filter((r) => r.type === 'Metadata')).toHaveLength(4);
    expect(records.filter((r) => r.type === 'Attachment')).toHaveLength(1);
    const streamedMessages = records.filter((r) => r.type === 'Message');
    expect(streamedMessages).toHaveLength(messages.length);
    streamedMessages.forEach((m, i) => {
      expect(m.logTime).toBe(messages[i]!.logTime);
      expect(sha256(m.data)).toBe(sha256(messages[i]!.data));
    });
  });

  it('writes raw rgb8 images when asked', async () => {
    const raw = await decodeAll((await generate(plan, { cameraFormat: 'raw' })).bytes);
    const images = raw.filter((m) => m.schemaName === 'sensor_msgs/msg/Image');
    expect(images.length).toBeGreaterThan(6 * 80);
    expect(images[0]!.topic).toBe('/sensors/camera/front/image');
    for (const { message } of images.slice(0, 6)) {
      expect(message).toMatchObject({ width: 64, height: 40, encoding: 'rgb8', step: 64 * 3 });
      expect((message.data as Uint8Array).byteLength).toBe(64 * 40 * 3);
    }
  });

  it('rejects bad options naming the field, before writing anything', async () => {
    let written = 0;
    const sink = {
      write: (b: Uint8Array) => {
        written += b.byteLength;
        return Promise.resolve();
      },
    };
    for (const [options, field] of [
      [{ lidarColumns: 0 }, 'lidarColumns'],
      [{ cameraWidth: 1.5 }, 'cameraWidth'],
      [{ chunkSize: 10 }, 'chunkSize'],
      [{ gnssTime: 'tai' } as unknown as GenerateOptions, 'gnssTime'],
    ] as const) {
      const error = await generateRecording(plan, sink, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInput);
      expect((error as InvalidInput).field).toBe(field);
    }
    expect(written).toBe(0);
  });

  it('reads ground truth back only from well-formed drivetrain.rig entries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.oneof(fc.string(), fc.json())), {
          maxLength: 6,
        }),
        (entries) => {
          try {
            rigFromMetadata(new Map([['start_time_ns', '1700000000000000000'], ...entries]));
          } catch (error) {
            return error instanceof InvalidInput;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('propagates a failing sink', async () => {
    let calls = 0;
    const failing = {
      write: () => (++calls > 3 ? Promise.reject(new Error('disk full')) : Promise.resolve()),
    };
    await expect(generateRecording(plan, failing, small)).rejects.toThrow('disk full');
  });
});
