/**
 * Synthetic fleet generator benchmark: one vehicle, one minute of the full rig (6 cameras, lidar,
 * 4 radars, IMU, GNSS, CAN) written to a file per chunk compression, and the rig timeline alone
 * for an hour of the 13 sensors. Peer, measured in the same run: @mcap/core's McapWriter writing
 * the very same messages (preloaded from the generated file, so no generation at all) with the
 * same chunk size and compression into the same kind of file sink (buffered, sha256, fsync).
 * The ratio says what generating the data costs on top of writing it.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { McapIndexedReader, McapWriter, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import {
  chunkCompressor,
  createRig,
  generateDefaults,
  planFleet,
  rigTimeline,
  writeRecordingFile,
  type ChunkCompression,
} from '../src/recordings/index.js';

const minutes = Number(process.env.BENCH_GENERATE_MINUTES ?? 1);
const compressions: ChunkCompression[] = ['none', 'lz4', 'zstd'];

interface Measured {
  bytes: number;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
}

async function measure(work: () => Promise<number>): Promise<Measured> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const bytes = await work();
  const wallS = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  return { bytes, wallS, cpuS: (used.user + used.system) / 1e6, peakRssMb: peak / 1e6 };
}

function row(label: string, m: Measured, peer?: Measured): void {
  const mbps = m.bytes / 1e6 / m.wallS;
  const ratio =
    peer === undefined
      ? ''
      : `   ratio vs peer ${(mbps / (peer.bytes / 1e6 / peer.wallS)).toFixed(2)}`;
  console.log(
    `${label.padEnd(34)} ${(m.bytes / 1e6).toFixed(0).padStart(6)} MB ${m.wallS.toFixed(2).padStart(7)} s ` +
      `${mbps.toFixed(0).padStart(5)} MB/s  ${(m.bytes / 1e6 / m.cpuS).toFixed(0).padStart(5)} MB/cpu-s  ` +
      `peak RSS ${m.peakRssMb.toFixed(0)} MB${ratio}`,
  );
}

/** The peer: every message of `source`, written again by McapWriter alone. */
async function peerWrite(
  path: string,
  schemas: McapTypes.Schema[],
  channels: McapTypes.Channel[],
  messages: McapTypes.Message[],
  compression: ChunkCompression,
): Promise<number> {
  const handle = await open(path, 'w');
  const hash = createHash('sha256');
  let position = 0n;
  const compressChunk = await chunkCompressor(compression);
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: async (bytes) => {
        hash.update(bytes);
        position += BigInt(bytes.byteLength);
        await handle.write(bytes);
      },
    },
    chunkSize: generateDefaults.chunkSize,
    ...(compressChunk === undefined ? {} : { compressChunk }),
  });
  await writer.start({ profile: 'ros2', library: 'peer' });
  const schemaIds = new Map<number, number>();
  for (const schema of schemas) {
    schemaIds.set(
      schema.id,
      await writer.registerSchema({
        name: schema.name,
        encoding: schema.encoding,
        data: schema.data,
      }),
    );
  }
  const channelIds = new Map<number, number>();
  for (const channel of channels) {
    channelIds.set(
      channel.id,
      await writer.registerChannel({
        topic: channel.topic,
        schemaId: schemaIds.get(channel.schemaId) ?? 0,
        messageEncoding: channel.messageEncoding,
        metadata: channel.metadata,
      }),
    );
  }
  for (const message of messages) {
    await writer.addMessage({ ...message, channelId: channelIds.get(message.channelId)! });
  }
  await writer.end();
  await handle.sync();
  await handle.close();
  hash.digest();
  return Number(position);
}

async function readAll(path: string): Promise<{
  schemas: McapTypes.Schema[];
  channels: McapTypes.Channel[];
  messages: McapTypes.Message[];
}> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: () => Promise.resolve(BigInt(size)),
      read: async (offset, length) => {
        const buffer = new Uint8Array(Number(length));
        await handle.read(buffer, 0, buffer.byteLength, Number(offset));
        return buffer;
      },
    },
    decompressHandlers: await loadDecompressHandlers(),
  });
  const messages: McapTypes.Message[] = [];
  for await (const message of reader.readMessages())
    messages.push({ ...message, data: message.data.slice() });
  await handle.close();
  return {
    schemas: [...reader.schemasById.values()],
    channels: [...reader.channelsById.values()],
    messages,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'drivetrain-bench-generate-'));
try {
  console.log(
    `generator: 1 vehicle, ${minutes} min, default rig (camera ${generateDefaults.cameraWidth}x${generateDefaults.cameraHeight} JPEG, lidar ${generateDefaults.lidarBeams}x${generateDefaults.lidarColumns}), file with fsync`,
  );
  const plan = planFleet({ seed: 1, vehicles: 1, minutes })[0]!;
  // render the camera frame pools once, as any fleet run after its first recording does
  await writeRecordingFile(join(dir, 'warm.mcap'), { ...plan, durationNs: 1e9 });
  // generation and peer alternate per compression so that both see the same machine load
  const generate = (compression: ChunkCompression): Promise<Measured> =>
    measure(async () => {
      const path = join(dir, `generated-${compression}.mcap`);
      return (await writeRecordingFile(path, plan, { compression })).bytes;
    });
  const first = await generate('none');
  const { schemas, channels, messages } = await readAll(join(dir, 'generated-none.mcap'));
  for (const compression of compressions) {
    const generated = compression === 'none' ? first : await generate(compression);
    const peer = await measure(() =>
      peerWrite(join(dir, `peer-${compression}.mcap`), schemas, channels, messages, compression),
    );
    row(`generate (${compression})`, generated, peer);
    row(`peer @mcap/core McapWriter (${compression})`, peer);
    await rm(join(dir, `peer-${compression}.mcap`));
  }

  const rig = createRig(1, 'veh-001');
  const sensors = rig.sensors.filter((s) => s.kind !== 'can').map((s) => s.id);
  let samples = 0;
  const start = performance.now();
  for (const timeline of rigTimeline(rig, 3600e9, sensors)) samples += timeline.count;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `rigTimeline, 1 h of ${sensors.length} sensors: ${samples} samples in ${seconds.toFixed(2)} s (${(samples / seconds / 1e6).toFixed(2)} M samples/s)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
