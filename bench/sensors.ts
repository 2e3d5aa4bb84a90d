/**
 * `DRIVETRAIN_SHARED=../shared npm run bench:sensors`: decoding speed of the sensor packet
 * decoders on the tier4-nebula recordings, best of BENCH_RUNS (default 5) runs each:
 * - Velodyne VLP-32 against @foxglove/velodyne-cloud on the same packets and settings;
 * - Pandar QT64 against the sensor's own packet rate (real time);
 * - ARS548 and SRR520 lists, decoded and rendered as ROS YAML;
 * - glibc-exact `sinf` against `Math.fround(Math.sin(x))`, the price of bit-exact clouds.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Calibration, Model, PointCloud, RawPacket, Transformer } from '@foxglove/velodyne-cloud';
import { parse } from 'yaml';
import { openRos2Bag } from '../src/formats/ros2/bag.js';
import {
  ContinentalArs548Decoder,
  ContinentalSrr520Decoder,
  HesaiDecoder,
  VelodyneDecoder,
  continentalMessageDefinitions,
  decodePacketMessage,
  parseHesaiCalibration,
  parseVelodyneCalibration,
  toRosYaml,
  type SensorPacket,
} from '../src/formats/sensors/index.js';
import { sinf } from '../src/formats/sensors/libm.js';
import { fileReader } from '../test/support/files.js';
import { openSqlite } from '../test/support/sqlite.js';

const shared = process.env.DRIVETRAIN_SHARED;
if (!shared) {
  console.error('set DRIVETRAIN_SHARED=../shared to run this benchmark');
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 5);
const nebula = (...parts: string[]) => resolve(shared, 'recordings', 'tier4-nebula', ...parts);

async function packetsOf(bag: string): Promise<SensorPacket[]> {
  const closers: (() => unknown)[] = [];
  const source = await openRos2Bag(readFileSync(join(bag, 'metadata.yaml'), 'utf8'), {
    reader: async (path) => {
      const reader = await fileReader(join(bag, path));
      closers.push(() => reader.close());
      return reader;
    },
    sqlite: (path) => {
      const db = openSqlite(join(bag, path));
      closers.push(() => db.close());
      return Promise.resolve(db);
    },
  });
  const schemas = new Map((await source.summary()).channels.map((c) => [c.id, c.schemaName]));
  const packets: SensorPacket[] = [];
  for await (const message of source.messages()) {
    packets.push(
      ...decodePacketMessage(schemas.get(message.channelId) ?? '', message.data).packets,
    );
  }
  for (const close of closers) await close();
  return packets;
}

/** Best time of `runs` runs of `work`, after one warm-up run; returns seconds and work's result. */
function best<T>(work: () => T): { seconds: number; result: T } {
  let result = work();
  let seconds = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = work();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return { seconds, result };
}

const rate = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en');
const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.log(cells.join(' | '));
};

// Velodyne VLP-32 against @foxglove/velodyne-cloud.
{
  const yaml = readFileSync(nebula('calibration', 'VLP32.yaml'), 'utf8');
  const calibration = parseVelodyneCalibration(yaml);
  const packets = await packetsOf(nebula('velodyne-vlp32', '1713492677464078412'));
  const ours = best(() => {
    const decoder = new VelodyneDecoder(
      {
        model: 'VLP32',
        returnMode: 'SingleStrongest',
        minRange: 0.4,
        maxRange: 50,
        scanPhase: 180,
        cloudMinAngle: 0,
        cloudMaxAngle: 360,
      },
      calibration,
    );
    let points = 0;
    for (const packet of packets)
      points += decoder.decode(packet.data, packet.stampNs)?.cloud.length ?? 0;
    return points;
  });
  const peerCalibration = new Calibration(
    Model.VLP32C,
    parse(yaml) as ConstructorParameters<typeof Calibration>[1],
  );
  const peer = best(() => {
    const transformer = new Transformer(peerCalibration, { minRange: 0.4, maxRange: 50 });
    const cloud = new PointCloud({ stamp: 0, maxPoints: 384 * packets.length });
    for (const packet of packets) transformer.unpack(new RawPacket(packet.data), 0, 0, cloud);
    return cloud.width;
  });
  row(
    'VLP-32, 379 packets',
    `${rate(packets.length, ours.seconds)} packets/s (${rate(ours.result, ours.seconds)} points/s in completed scans)`,
    `@foxglove/velodyne-cloud ${rate(packets.length, peer.seconds)} packets/s`,
    `ratio ${(peer.seconds / ours.seconds).toFixed(2)}`,
  );
}

// Pandar QT64 against real time.
{
  const calibration = parseHesaiCalibration(
    readFileSync(nebula('calibration', 'PandarQT64.csv'), 'utf8'),
  );
  const packets = await packetsOf(nebula('hesai-qt64', '1673401195788312575'));
  const ours = best(() => {
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
    let points = 0;
    for (const packet of packets)
      for (const scan of decoder.decode(packet.data)) points += scan.cloud.length;
    return points;
  });
  // The recording holds 4 messages of 300 packets at 10 Hz: 3,000 packets/s from the sensor.
  row(
    'QT64 dual return, 1,200 packets',
    `${rate(packets.length, ours.seconds)} packets/s (${rate(ours.result, ours.seconds)} points/s in completed scans)`,
    'sensor: 3,000 packets/s',
    `${(packets.length / ours.seconds / 3000).toFixed(1)}x real time`,
  );
}

// Radars: decode and render as ROS YAML.
{
  const packets = await packetsOf(nebula('continental-ars548', '1708578204'));
  const detections = continentalMessageDefinitions(
    'continental_msgs/msg/ContinentalArs548DetectionList',
  );
  const objects = continentalMessageDefinitions('continental_msgs/msg/ContinentalArs548ObjectList');
  const decodeOnly = best(() => {
    const decoder = new ContinentalArs548Decoder({ frameId: 'f', objectFrameId: 'o' });
    for (let i = 0; i < 100; i++)
      for (const packet of packets) decoder.decode(packet.data, packet.stampNs);
    return 100 * packets.length;
  });
  const withYaml = best(() => {
    const decoder = new ContinentalArs548Decoder({ frameId: 'f', objectFrameId: 'o' });
    let bytes = 0;
    for (const packet of packets) {
      const output = decoder.decode(packet.data, packet.stampNs);
      if (output.kind === 'detections') bytes += toRosYaml(output.message, detections).length;
      if (output.kind === 'objects') bytes += toRosYaml(output.message, objects).length;
    }
    return bytes;
  });
  row(
    'ARS548 lists (detections, objects)',
    `${rate(decodeOnly.result, decodeOnly.seconds)} lists/s decoded`,
    `${rate(packets.length, withYaml.seconds)} lists/s decoded and rendered as YAML`,
    `${(withYaml.result / withYaml.seconds / 1e6).toFixed(1)} MB/s of YAML`,
  );
  const frames = await packetsOf(nebula('continental-srr520', '1708578209'));
  const srr = best(() => {
    let lists = 0;
    for (let i = 0; i < 100; i++) {
      const decoder = new ContinentalSrr520Decoder({ frameId: 'f', baseFrameId: 'b' });
      for (const frame of frames) if (decoder.decode(frame.data, frame.stampNs)) lists++;
    }
    return lists;
  });
  row('SRR520 CAN frames', `${rate(100 * frames.length, srr.seconds)} frames/s`, '', '');
}

// glibc sinf against Math.sin rounded to float.
{
  const inputs = Float32Array.from({ length: 1_000_000 }, (_, i) => (i * 2 * Math.PI) / 1_000_000);
  const ours = best(() => {
    let sum = 0;
    for (const x of inputs) sum += sinf(x);
    return sum;
  });
  const peer = best(() => {
    let sum = 0;
    for (const x of inputs) sum += Math.fround(Math.sin(x));
    return sum;
  });
  row(
    'sinf, 1e6 angles in [0, 2 pi)',
    `${rate(inputs.length, ours.seconds)} calls/s`,
    `Math.fround(Math.sin) ${rate(inputs.length, peer.seconds)} calls/s`,
    `ratio ${(peer.seconds / ours.seconds).toFixed(2)}`,
  );
}

console.log(`\n${runs} runs each, best time; ratio > 1 means drivetrain is faster.`);
