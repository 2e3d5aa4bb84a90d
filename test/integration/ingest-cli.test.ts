import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/cli/index.js';
import { cli } from '../support/cli.js';
import { generatedRecording } from '../support/recordings.js';
import { describeShared, sharedPath } from '../support/shared.js';

interface Described {
  id: string | null;
  sha256: string | null;
  format: string | null;
  status: string;
  size: number;
  bytesRead: number;
  startTime: string | null;
  endTime: string | null;
  channels: {
    topic: string;
    sensor: string;
    schemaName: string;
    messageCount: number;
    frequencyHz: number | null;
  }[];
  error?: { code: string; message: string; offset: number | null };
  path: string;
}

const work = mkdtempSync(join(tmpdir(), 'drivetrain-ingest-cli-'));
const home = join(work, 'home');
const env = { DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' };
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('drivetrain ingest and inspect', () => {
  let good: string;
  beforeAll(async () => {
    const { bytes } = await generatedRecording({ seed: 5, seconds: 4 });
    good = join(work, 'good.mcap');
    writeFileSync(good, bytes);
    writeFileSync(join(work, 'empty.mcap'), new Uint8Array(0));
    writeFileSync(join(work, 'truncated.mcap'), bytes.subarray(0, 5000));
  });

  it('ingests a batch, rejects the bad files with code, message and offset, and exits 13', async () => {
    const run = await cli(
      [
        'ingest',
        good,
        join(work, 'empty.mcap'),
        join(work, 'truncated.mcap'),
        '--vehicle',
        'veh-7',
        '--json',
      ],
      { env },
    );
    expect(run.exitCode).toBe(exitCodes.partial);
    const { recordings } = run.json<{ recordings: Described[] }>();
    expect(recordings.map((r) => r.status)).toEqual(['ingested', 'rejected', 'rejected']);
    const [ok, empty, truncated] = recordings;
    expect(ok?.format).toBe('mcap');
    expect(ok?.id).toMatch(/^rec_/);
    expect(ok?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ok?.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(ok?.channels.find((c) => c.sensor === 'lidar')).toMatchObject({
      schemaName: 'sensor_msgs/msg/PointCloud2',
    });
    expect(ok?.error).toBeUndefined();
    expect(empty?.error).toMatchObject({ code: 'corrupt_recording', offset: 0 });
    expect(truncated?.error?.code).toBe('corrupt_recording');
    expect(truncated?.error?.offset).toBeLessThanOrEqual(5000);
  });

  it('reports the same content again as a duplicate, and exits 0', async () => {
    const run = await cli(['ingest', good, '--json'], { env });
    expect(run.exitCode).toBe(0);
    expect(run.json<{ recordings: Described[] }>().recordings[0]?.status).toBe('duplicate');
  });

  it('synchronizes a catalogued recording by its id', async () => {
    const listed = await cli(['recordings', 'list', '--json'], { env });
    const id =
      listed
        .json<{ items: { id: string; name: string }[] }>()
        .items.find((r) => r.name === 'good.mcap')?.id ?? '';
    const run = await cli(
      [
        'sync',
        id,
        '--policy',
        'reference',
        '--reference',
        '/sensors/lidar/top/points',
        '--keep-incomplete',
        '--json',
      ],
      { env },
    );
    expect(run.exitCode).toBe(0);
    const result = run.json<{
      sets: (string | null)[][];
      report: { reference: string; passed: boolean };
    }>();
    // One sample per lidar sweep (10 Hz over 4 s); sensor clocks are seconds apart, so most are incomplete.
    expect(result.sets.length).toBeGreaterThan(30);
    expect(result.report.reference).toBe('/sensors/lidar/top/points');
  });

  it('inspects without adding anything', async () => {
    const run = await cli(['inspect', good, '--json'], { env });
    expect(run.exitCode).toBe(0);
    const [described] = run.json<{ recordings: Described[] }>().recordings;
    expect(described).toMatchObject({ status: 'inspected', id: null, format: 'mcap' });
    expect(described?.channels).toHaveLength(14);
  });
});

describeShared('ingest of every sample recording', () => {
  it('reads every file and bag of ../shared/recordings as its README describes', async () => {
    const recordings = sharedPath('recordings');
    const run = await cli(['ingest', recordings, '--json', '--home', join(work, 'samples')], {
      env: { DRIVETRAIN_DEMO: '0' },
    });
    const out = run.json<{ recordings: Described[] }>().recordings;
    const at = (suffix: string): Described => {
      const found = out.find((r) => r.path.endsWith(suffix));
      if (found === undefined) throw new Error(`${suffix} was not ingested`);
      return found;
    };
    const messages = (r: Described): number =>
      r.channels.reduce((sum, c) => sum + c.messageCount, 0);
    // Of the files that claim to be recordings, only the 0-byte bag is not one; the READMEs,
    // DBCs, calibrations and expected outputs beside them are rejected as not a recording.
    const rejected = out
      .filter((r) => r.status === 'rejected')
      .map((r) => r.path.slice(recordings.length + 1));
    expect(rejected.filter((path) => !/\.(pcd|yaml|md|dbc|csv)$/.test(path))).toEqual([
      'foxglove-rosbag/empty-file.bag',
    ]);
    for (const path of rejected.filter((p) => p.endsWith('.dbc')))
      expect(at(path).error?.code).toBe('unsupported');
    expect(at('empty-file.bag').error).toMatchObject({ code: 'corrupt_recording', offset: 0 });
    expect(run.exitCode).toBe(exitCodes.partial);

    expect(messages(at('foxglove-rosbag/example.bag'))).toBe(8647);
    expect(messages(at('foxglove-rosbag/example-bz2.bag'))).toBe(8647);
    expect(messages(at('foxglove-rosbag/example-lz4.bag'))).toBe(8647);
    expect(
      at('foxglove-rosbag/example.bag')
        .channels.filter((c) => c.topic === '/turtle1/color_sensor')
        .reduce((s, c) => s + c.messageCount, 0),
    ).toBe(1351);
    expect(at('foxglove-rosbag/no-messages.bag')).toMatchObject({
      status: 'ingested',
      channels: [],
    });
    for (const storage of ['mcap', 'sqlite3']) {
      expect(messages(at(`ros2-rosbag2/${storage}/cdr_test`))).toBe(7);
      expect(messages(at(`ros2-rosbag2/${storage}/talker`))).toBe(20);
      expect(messages(at(`ros2-rosbag2/${storage}/bag_with_topics_and_service_events`))).toBe(10);
      expect(messages(at(`ros2-rosbag2/${storage}/wbag`))).toBe(6074);
    }
    expect(at('velodyne-vlp32/1713492677464078412').channels).toEqual([
      expect.objectContaining({ sensor: 'lidar', messageCount: 5 }),
    ]);
    expect(at('hesai-qt64/1673401195788312575').channels).toEqual([
      expect.objectContaining({ sensor: 'lidar', messageCount: 4 }),
    ]);
    expect(at('continental-ars548/1708578204').channels).toEqual([
      expect.objectContaining({ sensor: 'radar', messageCount: 2 }),
    ]);
    expect(at('continental-srr520/1708578209').channels).toEqual([
      expect.objectContaining({ sensor: 'radar', messageCount: 4 }),
    ]);
    const can = (r: Described): number =>
      r.channels.filter((c) => c.sensor === 'can').reduce((s, c) => s + c.messageCount, 0);
    expect(can(at('00000006/00000170.MF4'))).toBe(2010);
    expect(can(at('00000005/00000002.MF4'))).toBe(9600);
    expect(can(at('00000164/00000005-60FEB5A8.MF4'))).toBe(5477);
    expect(can(at('00001089/00000001-63BEF5CD.MF4'))).toBe(4024);
    expect(at('ASAP2_Demo_V171.mf4')).toMatchObject({ status: 'ingested', format: 'mdf4' });
    expect(at('ASAP2_Demo_V171.mf4').channels).toHaveLength(7);
  }, 240_000);
});
