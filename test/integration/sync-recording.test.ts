/**
 * Synchronizing a real recording file: a generated MCAP recording read through the formats
 * context's reader and stamp extraction, by the library and by `drivetrain sync FILE`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesReader, createStampExtractor, openRecording } from '../../src/formats/index.js';
import {
  generateRecording,
  planFleet,
  type GeneratedRecording,
} from '../../src/recordings/index.js';
import {
  synchronizeStamps,
  syncRecording,
  type RecordingMessageRef,
  type SyncedSet,
  type SyncQualityReport,
} from '../../src/sync/index.js';
import { cli } from '../support/cli.js';

let bytes: Uint8Array;
let generated: GeneratedRecording;
let dir: string;
let file: string;

beforeAll(async () => {
  const plan = planFleet({ seed: 9, vehicles: 1, minutes: 0.1 })[0]!;
  const chunks: Uint8Array[] = [];
  generated = await generateRecording(
    plan,
    {
      write: (chunk) => {
        chunks.push(chunk.slice());
        return Promise.resolve();
      },
    },
    { cameraWidth: 16, cameraHeight: 16, lidarBeams: 4, lidarColumns: 64, compression: 'none' },
  );
  bytes = Buffer.concat(chunks);
  dir = mkdtempSync(join(tmpdir(), 'drivetrain-sync-recording-'));
  file = join(dir, 'drive.mcap');
  writeFileSync(file, bytes);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const topicOf = (sensorId: string): string =>
  generated.channels.find((c) => c.sensorId === sensorId)!.topic;

describe('syncRecording', () => {
  it('synchronizes one channel per sensor around the lidar and reports every clock', async () => {
    const source = await openRecording('drive.mcap', bytesReader(bytes));
    const sets: SyncedSet<RecordingMessageRef>[] = [];
    const lidar = topicOf('lidar_top');
    const result = await syncRecording(source, {
      file: 'drive.mcap',
      policy: { policy: 'reference', reference: lidar, keepIncomplete: true },
      onSet: (set) => sets.push(set),
    });
    expect([...result.channels].sort()).toEqual(generated.channels.map((c) => c.topic).sort());
    const lidarCount = generated.channels.find((c) => c.sensorId === 'lidar_top')!.messageCount;
    expect(sets).toHaveLength(lidarCount);
    expect(result.sets).toBe(lidarCount);
    const report = result.report;
    expect(report.reference).toBe(lidar);
    for (const channel of report.channels) {
      const sensor = generated.rig.sensors.find((s) => s.topic === channel.name)!;
      const count = generated.channels.find((c) => c.topic === channel.name)!.messageCount;
      expect(channel.messages).toBe(count);
      // Every generated message carries a header stamp on a clock within seconds of log time.
      expect(channel.stampSource).toEqual({ header: count, logTime: 0 });
      const offset = Number(BigInt(channel.clock!.offsetNs));
      const truth = sensor.clock.offsetNs - sensor.clock.latencyMinNs;
      // 6 s are too short for drift; the offset (with the minimum latency) is within a few ms.
      expect(Math.abs(offset - truth), channel.name).toBeLessThan(
        5e6 + 10 * sensor.clock.stampJitterNs,
      );
    }
    // Messages refer back to the file: channel, log time and byte location.
    const referenced = sets.flatMap((set) => set.messages.filter((m) => m !== null));
    expect(referenced.length).toBeGreaterThan(lidarCount);
    for (const message of referenced) {
      expect(message.location).toBeDefined();
      expect(message.stampFromHeader).toBe(true);
    }
  });

  it('gives the same sets as the stamps path for the same channels', async () => {
    const topics = [topicOf('camera_front'), topicOf('lidar_top'), topicOf('radar_front_left')];
    const collected: SyncedSet<RecordingMessageRef>[] = [];
    const spec = { policy: 'approximate' as const, queueSize: 5 };
    await syncRecording(await openRecording('drive.mcap', bytesReader(bytes)), {
      file: 'drive.mcap',
      policy: spec,
      channels: topics,
      onSet: (set) => collected.push(set),
    });
    const streams = topics.map((topic) => ({
      name: topic,
      messages: [] as { stamp: bigint; logTime: bigint }[],
    }));
    const source = await openRecording('drive.mcap', bytesReader(bytes));
    const summary = await source.summary();
    const ids = topics.map((topic) => summary.channels.find((c) => c.topic === topic)!.id);
    const extractors = ids.map((id) =>
      createStampExtractor(
        summary.channels.find((c) => c.id === id)!,
        { file: 'drive.mcap' },
      ),
    );
    for await (const message of source.messages({ channelIds: ids })) {
      const s = ids.indexOf(message.channelId);
      streams[s]!.messages.push({
        stamp: extractors[s]!.stamp(message).time,
        logTime: message.logTime,
      });
    }
    expect(collected.length).toBeGreaterThan(10);
    expect(collected.map((set) => set.stamps)).toEqual(synchronizeStamps(streams, spec));
  });

  it('rejects unknown channels and references with the file named', async () => {
    const source = await openRecording('drive.mcap', bytesReader(bytes));
    await expect(
      syncRecording(source, {
        file: 'drive.mcap',
        policy: { policy: 'slop', queueSize: 5, slop: 1n },
        channels: ['/nope'],
      }),
    ).rejects.toThrow(/drive\.mcap: no channel with topic \/nope/);
    await expect(
      syncRecording(source, {
        file: 'drive.mcap',
        policy: { policy: 'reference', reference: '/nope' },
        channels: [topicOf('imu')],
      }),
    ).rejects.toThrow(/reference \/nope is not among/);
  });
});

describe('drivetrain sync FILE', () => {
  it('prints sets and the quality report as JSON', async () => {
    const lidar = topicOf('lidar_top');
    const imu = topicOf('imu');
    const run = await cli([
      'sync',
      file,
      '--policy',
      'reference',
      '--reference',
      lidar,
      '--tolerance-ms',
      `30,${imu}=10`,
      '--interpolate',
      imu,
      '--json',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const out = run.json<{
      channels: string[];
      sets: (string | null)[][];
      report: SyncQualityReport;
    }>();
    expect(out.channels).toContain(lidar);
    const l = out.channels.indexOf(lidar);
    const i = out.channels.indexOf(imu);
    for (const set of out.sets) {
      expect(set).toHaveLength(out.channels.length);
      expect(set.every((stamp) => stamp !== null)).toBe(true);
      // the IMU is interpolated to the lidar stamp
      expect(set[i]).toBe(set[l]);
    }
    expect(out.report.channels.find((c) => c.name === imu)!.sync!.toleranceNs).toBe(10e6);
    expect(typeof out.report.passed).toBe('boolean');
  });

  it('renders a summary for people and fails cleanly on a missing file', async () => {
    const run = await cli([
      'sync',
      file,
      '--policy',
      'approximate',
      '--channels',
      `${topicOf('camera_front')},${topicOf('lidar_top')}`,
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/sets over 2 streams/);
    expect(run.stdout).toMatch(/sync quality against .*lidar/);
    const missing = await cli(['sync', join(dir, 'nope.mcap'), '--policy', 'approximate']);
    expect(missing.exitCode).toBe(6);
    expect(missing.stderr).toMatch(/nope\.mcap/);
  });
});
