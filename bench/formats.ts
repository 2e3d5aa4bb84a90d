/**
 * `npm run bench:formats`: the MCAP streamed path against @mcap/core's `McapStreamReader` with
 * CRC validation (the peer), on the same generated file in the same run; the indexed path's
 * cataloguing cost; and header-stamp extraction, fixed-offset path against a full CDR decode.
 *
 * FORMATS_BENCH_MB sets the file size (default 512; the ingest target is stated for 2048).
 * The file is generated once into the temporary directory and reused by later runs.
 */
import { existsSync, statSync } from 'node:fs';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { McapStreamReader, McapWriter } from '@mcap/core';
import { createStampExtractor, openMcap } from '../src/formats/index.js';
import type { RandomAccessReader } from '../src/formats/index.js';
import { scanOptions } from '../src/formats/mcap/common.js';
import { McapStreamedSource } from '../src/formats/mcap/streamed.js';
import { CheckedReader } from '../src/formats/reader.js';

const megabytes = Number(process.env.FORMATS_BENCH_MB ?? 512);

/** Wall-clock and CPU (user + system) milliseconds since `start()`. */
function stopwatch(): () => { wall: number; cpu: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
  };
}

interface Run {
  readonly wall: number;
  readonly cpu: number;
  readonly messages: number;
  readonly bytes: number;
}
const BLOCK = 8 << 20;

interface Stream {
  readonly topic: string;
  readonly size: number;
  readonly every: number;
}

/** A sensor mix: camera-like (64 KiB), lidar-like (16 KiB) and many small (200 B, 120 B) messages. */
const sensorMix: Stream[] = [
  { topic: '/camera', size: 65_536, every: 40 },
  { topic: '/lidar', size: 16_384, every: 10 },
  { topic: '/can', size: 200, every: 1 },
  { topic: '/imu', size: 120, every: 1 },
];

/** Only small messages: the worst case for per-message overhead. */
const smallOnly: Stream[] = [
  { topic: '/can', size: 100, every: 1 },
  { topic: '/imu', size: 100, every: 1 },
];

async function generate(
  path: string,
  streams: readonly Stream[],
  megabytes: number,
): Promise<void> {
  const handle = await open(path, 'w');
  let position = 0n;
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: async (bytes: Uint8Array) => {
        await handle.write(bytes);
        position += BigInt(bytes.byteLength);
      },
    },
    chunkSize: 4 << 20,
  });
  await writer.start({ profile: '', library: 'drivetrain bench' });
  const schema = await writer.registerSchema({ name: 'raw', encoding: '', data: new Uint8Array() });
  const ids: number[] = [];
  for (const stream of streams) {
    ids.push(
      await writer.registerChannel({
        schemaId: schema,
        topic: stream.topic,
        messageEncoding: 'raw',
        metadata: new Map(),
      }),
    );
  }
  const payloads = streams.map((s) => new Uint8Array(s.size).map((_, i) => (i * 131) & 0xff));
  let time = 1_700_000_000_000_000_000n;
  for (let i = 0; position < BigInt(megabytes) << 20n; i++) {
    time += 1_000_000n;
    for (const [k, stream] of streams.entries()) {
      if (i % stream.every !== 0) continue;
      await writer.addMessage({
        channelId: ids[k]!,
        sequence: i,
        logTime: time,
        publishTime: time,
        data: payloads[k]!,
      });
    }
  }
  await writer.end();
  await handle.close();
}

async function fileReader(path: string): Promise<RandomAccessReader & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size: () => Promise.resolve(size),
    read: async (offset, length) => {
      const buffer = new Uint8Array(Math.min(length, size - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

/** The peer: McapStreamReader fed 8 MiB blocks, CRCs validated, every message touched. */
async function peer(path: string): Promise<Run> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const reader = new McapStreamReader({ validateCrcs: true });
  let messages = 0;
  let bytes = 0;
  const stop = stopwatch();
  for (let offset = 0; offset < size; offset += BLOCK) {
    const buffer = new Uint8Array(Math.min(BLOCK, size - offset));
    await handle.read(buffer, 0, buffer.byteLength, offset);
    reader.append(buffer);
    for (let record; (record = reader.nextRecord());) {
      if (record.type === 'Message') {
        messages++;
        bytes += record.data.byteLength;
      }
    }
  }
  const time = stop();
  await handle.close();
  return { ...time, messages, bytes };
}

/**
 * Ours: the streamed source (as for a file without summary), CRCs validated, every message
 * touched; with the default JavaScript CRC, or with Node's native `zlib.crc32` injected.
 */
async function ours(path: string, nativeCrc: boolean, batched = false): Promise<Run> {
  const reader = await fileReader(path);
  const options = await scanOptions(nativeCrc ? { crc32: (data) => zlibCrc32(data) } : {});
  const source = new McapStreamedSource(await CheckedReader.open(path, reader), options);
  let messages = 0;
  let bytes = 0;
  const stop = stopwatch();
  if (batched) {
    for await (const batch of source.messageBatches()) {
      for (const message of batch) {
        messages++;
        bytes += message.data.byteLength;
      }
    }
  } else {
    for await (const message of source.messages()) {
      messages++;
      bytes += message.data.byteLength;
    }
  }
  const time = stop();
  await reader.close();
  return { ...time, messages, bytes };
}

async function catalogue(
  path: string,
): Promise<{ ms: number; bytesRead: number; messages: number }> {
  const reader = await fileReader(path);
  const start = performance.now();
  const source = await openMcap(path, reader);
  const summary = await source.summary();
  const ms = performance.now() - start;
  await reader.close();
  return { ms, bytesRead: source.bytesRead, messages: summary.messageCount ?? 0 };
}

function stamps(): { fixed: number; decoded: number } {
  const schema =
    'std_msgs/Header header\nuint8[] data\n================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n';
  const writer = new MessageWriter(parse(schema, { ros2: true }));
  const messages = Array.from({ length: 1000 }, (_, i) => ({
    data: writer.writeMessage({
      header: { stamp: { sec: 1_700_000_000 + i, nanosec: i * 1000 }, frame_id: 'lidar_top' },
      data: new Uint8Array(64),
    }),
    logTime: BigInt(i),
  }));
  const channel = {
    topic: '/x',
    schemaName: 'demo/Scan',
    schemaEncoding: 'ros2msg',
    schemaData: new TextEncoder().encode(schema),
    messageEncoding: 'cdr',
  };
  const rate = (fixedOffsets: boolean, rounds: number): number => {
    const extractor = createStampExtractor(channel, { file: 'bench' }, { fixedOffsets });
    let sink = 0n;
    const start = performance.now();
    for (let r = 0; r < rounds; r++) for (const m of messages) sink ^= extractor.stamp(m).time;
    const seconds = (performance.now() - start) / 1000;
    if (sink === -1n) console.log(sink);
    return (rounds * messages.length) / seconds;
  };
  rate(true, 200);
  rate(false, 20);
  return { fixed: rate(true, 2000), decoded: rate(false, 200) };
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** Best of three interleaved runs of the peer and ours on one file; prints and returns the path. */
async function compare(name: string, streams: readonly Stream[], size: number): Promise<string> {
  const path = join(tmpdir(), `drivetrain-bench-${name}-${size}mb.mcap`);
  if (!existsSync(path)) {
    console.log(`generating ${path} ...`);
    await generate(path, streams, size);
  }
  const bytes = statSync(path).size;
  const best: Record<'peer' | 'ours' | 'native' | 'batched', Run | undefined> = {
    peer: undefined,
    ours: undefined,
    native: undefined,
    batched: undefined,
  };
  const keep = (key: keyof typeof best, run: Run) => {
    const known = best[key];
    best[key] =
      known === undefined
        ? run
        : { ...run, wall: Math.min(known.wall, run.wall), cpu: Math.min(known.cpu, run.cpu) };
  };
  for (let round = 0; round < 3; round++) {
    const p = await peer(path);
    const o = await ours(path, false);
    const n = await ours(path, true);
    const b = await ours(path, true, true);
    if (
      p.messages !== o.messages ||
      p.bytes !== o.bytes ||
      n.bytes !== o.bytes ||
      b.bytes !== o.bytes
    ) {
      throw new Error('peer and drivetrain read different messages');
    }
    keep('peer', p);
    keep('ours', o);
    keep('native', n);
    keep('batched', b);
  }
  const { peer: p, ours: o, native: n, batched: b } = best as Record<keyof typeof best, Run>;
  console.log(
    `${name}: ${(bytes / 1e6).toFixed(0)} MB, ${o.messages.toLocaleString('en')} messages in 4 MiB uncompressed chunks`,
  );
  const row = (label: string, run: Run) =>
    console.log(
      `  ${label.padEnd(34)} ${mbps(bytes, run.wall).toFixed(0).padStart(5)} MB/s wall  ${mbps(bytes, run.cpu).toFixed(0).padStart(5)} MB/s per CPU-second  ratio ${(p.wall / run.wall).toFixed(2)}x wall, ${(p.cpu / run.cpu).toFixed(2)}x CPU`,
    );
  row('peer McapStreamReader, JS CRC', p);
  row('drivetrain streamed, JS CRC', o);
  row('drivetrain streamed, zlib.crc32', n);
  row('drivetrain batches, zlib.crc32', b);
  return path;
}

const path = await compare('sensor-mix', sensorMix, megabytes);
await compare('small-messages', smallOnly, Math.max(64, megabytes / 4));
const size = statSync(path).size;
const cat = await catalogue(path);
console.log(
  `indexed summary: ${cat.ms.toFixed(0)} ms, ${(cat.bytesRead / 1e3).toFixed(0)} kB read (${((cat.bytesRead / size) * 100).toFixed(3)} % of the file), ${cat.messages.toLocaleString('en')} messages counted`,
);
const s = stamps();
console.log(
  `stamps, fixed offset: ${(s.fixed / 1e6).toFixed(2)} M/s; full CDR decode: ${(s.decoded / 1e6).toFixed(2)} M/s; ratio ${(s.fixed / s.decoded).toFixed(1)}x`,
);
