import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { App } from '../../src/app/index.js';
import {
  diffVersions,
  exportVersion,
  versionKeys,
  type BuildResult,
} from '../../src/datasets/index.js';
import { operatorPrincipal, type Principal, type Task } from '../../src/platform/index.js';
import { officialValidator } from '../../src/platform/index.js';
import { openStoredRecording } from '../../src/recordings/index.js';
import { cli } from '../support/cli.js';
import { ingestGeneratedFleet } from '../support/fleet.js';
import { sharedDir } from '../support/shared.js';
import { startTestServer, type TestServer } from '../support/server.js';

const admin = operatorPrincipal('test');

const definition = {
  name: 'lidar-front',
  query: 'sensors has lidar',
  sync: {
    reference: 'lidar',
    streams: {
      lidar: { sensor: 'lidar' },
      front: { sensor: 'camera', topic: '/sensors/camera/front/image*' },
      radar: { sensor: 'radar', topic: '*front_left*' },
    },
    required: ['lidar', 'front'],
    toleranceMs: { front: 30, radar: 40 },
  },
  split: { by: 'recording', fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 'a' },
  requirements: [
    { tag: 'night', minPercent: 10 },
    { tag: 'sensor:lidar', minPercent: 100 },
    { countries: ['DE', 'FR', 'XX'] },
  ],
};

async function settled(app: App, task: Task): Promise<Task> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const current = await app.tasks.get(task.id);
    if (['succeeded', 'failed', 'cancelled'].includes(current.status)) return current;
    if (Date.now() > deadline) throw new Error(`task ${task.id} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readManifest(bytes: Uint8Array): Table {
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}

/** Column values of a manifest as plain arrays (timestamps as bigint nanoseconds). */
function column(table: Table, name: string): unknown[] {
  const child = table.getChild(name)!;
  if (String(child.type).startsWith('Timestamp')) {
    const values: (bigint | null)[] = [];
    for (const data of child.data) {
      const raw = data.values as BigInt64Array;
      for (let i = 0; i < data.length; i++) values.push(data.getValid(i) ? raw[i]! : null);
    }
    return values;
  }
  return child.toArray() as unknown[];
}

describe('dataset builds', () => {
  let t: TestServer;
  let app: App;
  let recordings: string[];
  let teamId: string;
  let built: BuildResult;

  beforeAll(async () => {
    t = await startTestServer({ worker: true });
    app = t.app;
    teamId = (await app.identity.createTeam(admin, { name: 'perception' })).id;
    recordings = await ingestGeneratedFleet(app, admin, teamId, {
      seed: 11,
      vehicles: 3,
      seconds: 50,
    });
    const task = await app.datasets.submit(admin, { definition: stringify(definition) });
    const done = await settled(app, task);
    expect(done).toMatchObject({ status: 'succeeded' });
    built = done.result as BuildResult;
  }, 600_000);

  afterAll(async () => {
    await t.close();
  });

  it('writes a manifest whose every sample traces back to the bytes of its messages', async () => {
    const { bytes, version } = await app.datasets.manifestBytes(admin, built.id);
    expect(version.samples).toBe(built.samples);
    expect(built.samples).toBeGreaterThan(100);
    const table = readManifest(bytes);
    expect(table.numRows).toBe(built.samples);
    const recordingIds = column(table, 'recording_id') as string[];
    const channels = column(table, 'front_channel') as number[];
    const logTimes = column(table, 'front_log_time_ns') as bigint[];
    const offsets = column(table, 'front_offset') as bigint[];
    const lengths = column(table, 'front_length') as number[];
    const inChunk = column(table, 'front_offset_in_chunk') as number[];
    const recording = await app.store.db
      .withTables<{ recordings: { id: string; name: string; object_key: string } }>()
      .selectFrom('recordings')
      .select(['name', 'object_key'])
      .where('id', '=', recordingIds[0]!)
      .executeTakeFirstOrThrow();
    const opened = await openStoredRecording(
      app.objects,
      recording.object_key,
      recording.name,
      join(app.config.home, 'scratch'),
      false,
    );
    try {
      for (let i = 0; i < 25; i++) {
        if (recordingIds[i] !== recordingIds[0]) break;
        const message = await opened.source.messageAt!({
          offset: Number(offsets[i]),
          length: lengths[i]!,
          ...(inChunk[i]! >= 0 ? { offsetInChunk: inChunk[i]! } : {}),
        });
        expect(message.channelId).toBe(channels[i]);
        expect(message.logTime).toBe(logTimes[i]);
      }
    } finally {
      await opened.close();
    }
  });

  it('names the version by the sha256 of its stored manifest, and leaves no build objects behind', async () => {
    const { bytes, version } = await app.datasets.manifestBytes(admin, built.id);
    const digest = createHash('sha256').update(bytes).digest('hex');
    expect(built.id).toBe(`dsv_${digest}`);
    expect(version.manifestSize).toBe(bytes.byteLength);
    expect(await app.objects.head(versionKeys(built.id).manifest)).toMatchObject({
      sha256: digest,
      size: bytes.byteLength,
      contentType: 'application/vnd.apache.parquet',
    });
    expect((await app.objects.list('dataset-builds/')).objects).toEqual([]);
  });

  it('synchronizes within tolerance, uses each message once, and keeps samples inside their segments', async () => {
    const table = readManifest((await app.datasets.manifestBytes(admin, built.id)).bytes);
    const time = column(table, 'time_ns') as bigint[];
    const lidarStamp = column(table, 'lidar_stamp_ns') as bigint[];
    const frontStamp = column(table, 'front_stamp_ns') as bigint[];
    const radarStamp = column(table, 'radar_stamp_ns') as (bigint | null)[];
    const frontLog = column(table, 'front_log_time_ns') as bigint[];
    const recordingIds = column(table, 'recording_id') as string[];
    const seen = new Set<string>();
    let radarPresent = 0;
    for (let i = 0; i < table.numRows; i++) {
      expect(time[i]).toBe(lidarStamp[i]);
      const delta = frontStamp[i]! - time[i]!;
      expect(delta < 0n ? -delta : delta).toBeLessThanOrEqual(30_000_000n);
      const radar = radarStamp[i];
      if (radar !== null && radar !== undefined) {
        radarPresent++;
        const d = radar - time[i]!;
        expect(d < 0n ? -d : d).toBeLessThanOrEqual(40_000_000n);
      }
      const key = `${recordingIds[i]}:${frontLog[i]}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      if (i > 0 && recordingIds[i] === recordingIds[i - 1])
        expect(time[i]! > time[i - 1]!).toBe(true);
    }
    expect(radarPresent).toBeGreaterThan(table.numRows / 2);
    expect(new Set(recordingIds)).toEqual(new Set(recordings));
  });

  it('splits by recording, with split files listing the manifest rows of each split', async () => {
    const table = readManifest((await app.datasets.manifestBytes(admin, built.id)).bytes);
    const splits = column(table, 'split') as string[];
    const recordingIds = column(table, 'recording_id') as string[];
    const byRecording = new Map<string, Set<string>>();
    recordingIds.forEach((id, i) =>
      byRecording.set(id, (byRecording.get(id) ?? new Set()).add(splits[i]!)),
    );
    for (const set of byRecording.values()) expect(set.size).toBe(1);
    const counts = Object.fromEntries(
      Object.keys(built.splits).map((name) => [name, splits.filter((s) => s === name).length]),
    );
    expect(built.splits).toEqual(counts);
    for (const name of Object.keys(built.splits)) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of await app.objects.get(versionKeys(built.id).split(name)))
        chunks.push(chunk);
      const rows = Buffer.concat(chunks);
      const listed =
        built.splits[name] === 0
          ? []
          : Array.from(column(readManifest(rows), 'row') as bigint[], Number);
      expect(listed).toEqual(splits.flatMap((s, i) => (s === name ? [i] : [])));
    }
    const card = await app.datasets.card(admin, built.id);
    expect(card.independence.find((c) => c.key === 'recording')).toMatchObject({
      enforced: true,
      shared: 0,
      pass: true,
    });
  });

  it('reports coverage against the requirements from the samples segment tags', async () => {
    const table = readManifest((await app.datasets.manifestBytes(admin, built.id)).bytes);
    const segmentIds = column(table, 'segment_id') as string[];
    const tags = await app.store.db
      .withTables<{ segments: { id: string; tags: string } }>()
      .selectFrom('segments')
      .select(['id', 'tags'])
      .where('id', 'in', [...new Set(segmentIds)])
      .execute();
    const tagsOf = new Map(tags.map((s) => [s.id, JSON.parse(s.tags) as string[]]));
    const count = (tag: string): number =>
      segmentIds.filter((id) => tagsOf.get(id)!.includes(tag)).length;
    const night = Math.round((10_000 * count('night')) / table.numRows) / 100;
    expect(built.coverage).toEqual([
      { attribute: 'night', target: 10, actual: night, pass: night >= 10 },
      { attribute: 'sensor:lidar', target: 100, actual: 100, pass: true },
      {
        attribute: 'country:DE',
        target: 1,
        actual: count('country:DE'),
        pass: count('country:DE') >= 1,
      },
      {
        attribute: 'country:FR',
        target: 1,
        actual: count('country:FR'),
        pass: count('country:FR') >= 1,
      },
      { attribute: 'country:XX', target: 1, actual: 0, pass: false },
    ]);
  });

  it('gives the same id when the same definition is built again over the same recordings', async () => {
    const again = await settled(app, await app.datasets.submit(admin, { definition }));
    expect(again.result).toEqual(built);
    expect((await app.objects.list(`dataset-builds/${again.id}/`)).objects).toEqual([]);
    const versions = await app.datasets.list(admin);
    expect(versions.items.filter((v) => v.id === built.id)).toHaveLength(1);
  });

  it('diffs two versions by samples added and removed, and coverage change', async () => {
    const narrower = {
      ...definition,
      name: 'lidar-front-day',
      query: 'sensors has lidar and not night',
    };
    const other = (await settled(app, await app.datasets.submit(admin, { definition: narrower })))
      .result as BuildResult;
    const diff = await diffVersions(app.datasets, app.objects, admin, built.id, other.id);
    expect(diff.added).toBe(0);
    expect(diff.unchanged).toBe(other.samples);
    expect(diff.removed).toBe(built.samples - other.samples);
    expect(diff.coverage.find((c) => c.attribute === 'night')).toMatchObject({ after: 0 });
  });

  it('exports the manifest and the referenced messages as plain files', async () => {
    // One sample a second keeps the export quick: each message is read by its byte location.
    const sparse = (
      await settled(
        app,
        await app.datasets.submit(admin, {
          definition: { ...definition, name: 'sparse', sampling: { rateHz: 1 } },
        }),
      )
    ).result as BuildResult;
    const dir = mkdtempSync(join(tmpdir(), 'drivetrain-export-'));
    try {
      const result = await exportVersion(
        {
          datasets: app.datasets,
          objects: app.objects,
          db: app.store.db.withTables(),
          scratchDir: join(app.config.home, 'scratch'),
        },
        admin,
        sparse.id.slice(0, 16),
        dir,
        { messages: true },
      );
      expect(result.messages).toBeGreaterThanOrEqual(2 * sparse.samples);
      const table = readManifest(readFileSync(join(dir, 'manifest.parquet')));
      const recordingId = (column(table, 'recording_id') as string[])[0]!;
      const channel = (column(table, 'lidar_channel') as number[])[0]!;
      const logTime = (column(table, 'lidar_log_time_ns') as bigint[])[0]!;
      const length = (column(table, 'lidar_length') as number[])[0]!;
      const file = join(dir, 'messages', recordingId, String(channel), `${logTime}.bin`);
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file).length).toBeGreaterThan(0);
      expect(readFileSync(file).length).toBeLessThanOrEqual(length);
      const listed = JSON.parse(
        readFileSync(join(dir, 'messages', recordingId, 'channels.json'), 'utf8'),
      ) as { channel: number; topic: string }[];
      expect(listed.find((c) => c.channel === channel)?.topic).toBe('/sensors/lidar/top/points');
      expect(JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8'))).toMatchObject({
        id: sparse.id,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails a definition whose stream matches no channel, naming the stream', async () => {
    const wrong = {
      ...definition,
      sync: {
        ...definition.sync,
        streams: {
          ...definition.sync.streams,
          front: { sensor: 'camera', topic: '/no/such/topic' },
        },
      },
    };
    const failed = await settled(app, await app.datasets.submit(admin, { definition: wrong }));
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'invalid_input' },
    });
    expect(failed.error?.message).toContain(
      'definition.sync.streams.front: none of the 3 recordings the query found has a camera channel on topic /no/such/topic',
    );
  });

  it('refuses products the caller may not read, and leaks no segments of other teams', async () => {
    const outsiderTeam = (await app.identity.createTeam(admin, { name: 'outsiders' })).id;
    const outsider: Principal = {
      ref: 'user:o',
      userId: 'o',
      name: 'o',
      platformAdmin: false,
      memberships: [{ teamId: outsiderTeam, role: 'engineer' }],
    };
    const steward: Principal = {
      ref: 'user:s',
      userId: 's',
      name: 's',
      platformAdmin: false,
      memberships: [{ teamId, role: 'data-steward' }],
    };
    await app.catalog.createDomain(steward, { name: 'perception', ownerTeam: teamId });
    await app.catalog.createProduct(steward, {
      name: 'lidar-drives',
      domain: 'perception',
      residency: 'eu',
      rule: { sensors: ['lidar'] },
    });
    await expect(
      app.datasets.submit(outsider, { definition: { ...definition, product: 'lidar-drives' } }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    const own = await settled(app, await app.datasets.submit(outsider, { definition }));
    expect(own).toMatchObject({ status: 'failed', error: { code: 'invalid_input' } });
    expect(own.error?.message).toContain('matches no segment you may read');
    await expect(app.datasets.get(outsider, built.id)).rejects.toMatchObject({ code: 'forbidden' });
    await app.catalog.grant(steward, 'lidar-drives', outsiderTeam);
    const granted = await settled(
      app,
      await app.datasets.submit(outsider, {
        definition: { ...definition, product: 'lidar-drives' },
      }),
    );
    expect(granted).toMatchObject({ status: 'succeeded', result: { samples: built.samples } });
  });

  it('emits START and COMPLETE lineage with recordings in and the version out', async () => {
    const events = (await app.lineage.events({ limit: 500 })).items.map((e) => e.event);
    const complete = events.find(
      (e) =>
        e.eventType === 'COMPLETE' && e.outputs?.some((o) => o.name === `datasets/${built.id}`),
    );
    expect(complete).toBeDefined();
    expect(complete!.inputs?.map((i) => i.name).sort()).toEqual(
      recordings.map((r) => `recordings/${r}`).sort(),
    );
    expect(events.some((e) => e.eventType === 'START' && e.run.runId === complete!.run.runId)).toBe(
      true,
    );
    const failed = events.filter((e) => e.eventType === 'FAIL');
    expect(failed.length).toBeGreaterThan(0);
    const graph = await app.lineage.graph(
      { name: `datasets/${built.id}` },
      { direction: 'upstream', depth: 2 },
    );
    expect(graph.nodes.filter((n) => n.kind === 'dataset').map((n) => n.name)).toEqual(
      expect.arrayContaining(recordings.map((r) => `recordings/${r}`)),
    );
  });
  describe('command line', () => {
    const run = (args: string[]) =>
      cli(['--home', app.config.home, ...args], { env: { DRIVETRAIN_DEMO: '0' } });

    it('search prints segments with recording, ISO times and tags, and pages with --cursor', async () => {
      const first = await run([
        'search',
        'sensors has lidar and (day or night or twilight)',
        '--limit',
        '2',
        '--json',
      ]);
      expect(first.exitCode).toBe(0);
      const page = first.json<{
        segments: { recordingId: string; start: string; end: string; tags: string[] }[];
        next: string | null;
      }>();
      expect(page.segments).toHaveLength(2);
      for (const segment of page.segments) {
        expect(Object.keys(segment)).toEqual(['recordingId', 'start', 'end', 'tags']);
        expect(recordings).toContain(segment.recordingId);
        expect(new Date(segment.start).toISOString()).toBe(segment.start);
        expect(segment.tags).toContain('sensor:lidar');
      }
      expect(page.next).not.toBeNull();
      const second = (
        await run([
          'search',
          'sensors has lidar and (day or night or twilight)',
          '--limit',
          '2',
          '--cursor',
          page.next!,
          '--json',
        ])
      ).json<typeof page>();
      expect(second.segments[0]).not.toEqual(page.segments[0]);
    });

    it('search names the column of a bad query and exits with the invalid-input code', async () => {
      const bad = await run(['search', 'sensors has lidar and speed_kmh >', '--json']);
      expect(bad.exitCode).toBe(3);
      expect(bad.stderr).toContain('at column 34');
      expect(bad.json<{ error: { code: string; column: number } }>().error).toMatchObject({
        code: 'invalid_input',
        column: 34,
      });
    });

    it('datasets build prints id, samples, splits and coverage, and exits 0', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'drivetrain-definition-'));
      try {
        const file = join(dir, 'definition.yaml');
        writeFileSync(file, stringify(definition));
        const result = await run(['datasets', 'build', file, '--json']);
        expect(result.exitCode).toBe(0);
        const printed = result.json<BuildResult>();
        expect(Object.keys(printed)).toEqual(['id', 'samples', 'splits', 'coverage']);
        expect(printed).toEqual(built);
        writeFileSync(file, stringify({ ...definition, split: { by: 'sample' } }));
        const refused = await run(['datasets', 'build', file, '--json']);
        expect(refused.exitCode).toBe(3);
        expect(refused.stderr).toContain('definition.split.by');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lineage events prints the stored OpenLineage run events from a time on', async () => {
      const all = (await run(['lineage', 'events', '--json'])).json<{
        events: { eventTime: string; eventType: string }[];
      }>();
      expect(all.events.length).toBeGreaterThanOrEqual(2);
      const cut = all.events[Math.floor(all.events.length / 2)]!.eventTime;
      const later = (await run(['lineage', 'events', '--since', cut, '--json'])).json<typeof all>();
      expect(later.events.length).toBeLessThan(all.events.length);
      expect(later.events.every((e) => e.eventTime >= cut)).toBe(true);
      const dir = sharedDir();
      if (dir !== undefined) {
        const validate = officialValidator(join(dir, 'schemas', 'openlineage'));
        for (const event of all.events) expect(validate(event)).toEqual([]);
      }
      expect((await run(['lineage', 'events', '--since', 'yesterday'])).exitCode).toBe(3);
    });
  });
});
