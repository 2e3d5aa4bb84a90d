import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../src/platform/index.js';
import { bytesReader, openRecording } from '../../src/formats/index.js';
import { readTimelines, type Recording } from '../../src/recordings/index.js';
import { syncRecording } from '../../src/sync/index.js';
import { waitFor } from '../support/compute.js';
import { generatedRecording } from '../support/recordings.js';
import { startTestServer, type TestServer } from '../support/server.js';

const operator = operatorPrincipal('test');

async function settle(t: TestServer, id: string): Promise<Recording> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const recording = await t.app.recordings.get(id);
    if (recording.status === 'ready' || recording.status === 'rejected') return recording;
    const task = recording.taskId === null ? undefined : await t.app.tasks.get(recording.taskId);
    if (task?.status === 'failed')
      throw new Error(`ingest task failed: ${JSON.stringify(task.error)}`);
    if (Date.now() > deadline) throw new Error(`recording ${id} still ${recording.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('ingest of generated recordings', () => {
  let t: TestServer;
  let teamId: string;
  let indexed: Awaited<ReturnType<typeof generatedRecording>>;
  let streamed: Awaited<ReturnType<typeof generatedRecording>>;

  beforeAll(async () => {
    t = await startTestServer();
    teamId = (await t.app.identity.createTeam(operator, { name: 'fleet' })).id;
    indexed = await generatedRecording({ seed: 3, compression: 'zstd' });
    streamed = await generatedRecording({ seed: 4, compression: 'none', summary: false });
  });
  afterAll(async () => {
    await t.close();
  });

  it('catalogues an indexed MCAP from its index, then analyses it completely', async () => {
    const { recording, duplicate } = await t.app.recordings.add(operator, {
      name: 'a.mcap',
      teamId,
      vehicle: 'veh-001',
      body: indexed.bytes,
    });
    expect(duplicate).toBe(false);
    expect(recording.status).toBe('queued');
    const done = await settle(t, recording.id);
    expect(done).toMatchObject({
      status: 'ready',
      format: 'mcap',
      size: indexed.bytes.byteLength,
      messageCount: indexed.generated.messageCount,
    });
    // The catalogue read the summary and message indexes, not the data (see the next test).
    expect(done.bytesRead).toBeGreaterThan(0);
    expect(done.bytesRead).toBeLessThan(indexed.bytes.byteLength * 0.2);
    expect(done.startTime).toBe(
      new Date(Number(indexed.generated.startTimeNs / 1_000_000n)).toISOString(),
    );

    const channels = await t.app.recordings.channels(recording.id);
    expect(channels.map((c) => c.topic).sort()).toEqual(
      indexed.generated.channels.map((c) => c.topic).sort(),
    );
    for (const generatedChannel of indexed.generated.channels) {
      expect(channels.find((c) => c.topic === generatedChannel.topic)?.messageCount).toBe(
        generatedChannel.messageCount,
      );
    }
    const bySensor = (sensor: string) => channels.filter((c) => c.sensor === sensor);
    expect([bySensor('camera').length, bySensor('lidar').length, bySensor('radar').length]).toEqual(
      [6, 1, 4],
    );
    expect([bySensor('imu').length, bySensor('gnss').length, bySensor('can').length]).toEqual([
      1, 1, 1,
    ]);
    expect(bySensor('camera')[0]?.frequencyHz).toBeCloseTo(30, 0);
    expect(bySensor('imu')[0]?.frequencyHz).toBeCloseTo(100, 0);

    expect(done.country).toBe(indexed.plan.region.country);
    const segments = (await t.app.recordings.segments(recording.id)).items;
    expect(segments).toHaveLength(2);
    for (const segment of segments) {
      expect(segment.tags).toEqual(
        expect.arrayContaining([
          'sensor:camera',
          'sensor:lidar',
          'sensor:radar',
          `country:${indexed.plan.region.country}`,
          indexed.plan.light,
        ]),
      );
      expect(segment.tags.some((tag) => tag.startsWith('speed:'))).toBe(true);
      if (indexed.plan.weather !== 'clear') expect(segment.tags).toContain(indexed.plan.weather);
      expect(segment.speedKmhMean).not.toBeNull();
    }
  });

  it('catalogues by the index alone: the share of bytes read falls as messages grow', async () => {
    const small = await generatedRecording({
      seed: 21,
      seconds: 3,
      cameraFormat: 'raw',
      cameraWidth: 32,
      cameraHeight: 20,
    });
    const large = await generatedRecording({
      seed: 21,
      seconds: 3,
      cameraFormat: 'raw',
      cameraWidth: 320,
      cameraHeight: 200,
    });
    expect(large.bytes.byteLength).toBeGreaterThan(small.bytes.byteLength * 3);
    const read: number[] = [];
    for (const { bytes } of [small, large]) {
      const { recording } = await t.app.recordings.add(operator, {
        name: 'size.mcap',
        teamId,
        body: bytes,
      });
      read.push((await settle(t, recording.id)).bytesRead);
    }
    const [readSmall = 0, readLarge = 0] = read;
    // Only chunk and message indexes grow (with the number of chunks), not the payload bytes.
    expect(readLarge / large.bytes.byteLength).toBeLessThan(readSmall / small.bytes.byteLength / 2);
  });

  it('writes timelines whose stamps come from the headers and whose locations find the messages', async () => {
    const { recording } = await t.app.recordings.add(operator, {
      name: 's.mcap',
      teamId,
      body: streamed.bytes,
    });
    const done = await settle(t, recording.id);
    // Without a summary the file is read once, front to back (block reads overlap a little).
    expect(done.status).toBe('ready');
    expect(done.bytesRead).toBeGreaterThanOrEqual(streamed.bytes.byteLength);
    expect(done.bytesRead).toBeLessThan(streamed.bytes.byteLength * 1.05);
    const timelines = await readTimelines(t.app.objects, recording.id);
    expect(timelines).toHaveLength(streamed.generated.channels.length);
    const camera = timelines.find((tl) => tl.sensor === 'camera');
    expect(camera?.stampFromHeader).toBe(true);
    if (camera === undefined) return;
    expect(camera.count).toBe(camera.logTimes.length);
    // Sensor clocks run with an offset: stamps are not log times.
    let differing = 0;
    for (let i = 0; i < camera.count; i += 1)
      if (camera.stamps[i] !== camera.logTimes[i]) differing += 1;
    expect(differing).toBe(camera.count);
    // A message's location points at its record: the log time stored there is the timeline's.
    const view = new DataView(
      streamed.bytes.buffer,
      streamed.bytes.byteOffset,
      streamed.bytes.byteLength,
    );
    for (const i of [0, Math.floor(camera.count / 2), camera.count - 1]) {
      const offset = camera.offsets[i] ?? 0;
      expect(view.getUint8(offset)).toBe(0x05); // Message opcode
      expect(view.getBigUint64(offset + 1 + 8 + 2 + 4, true)).toBe(
        BigInt.asUintN(64, camera.logTimes[i] ?? 0n),
      );
    }
  });

  it('stores the sync quality report, the same as a pass of the sync context over the file', async () => {
    const streamedId =
      (await t.app.recordings.list({ limit: 100 })).items.find((r) => r.name === 's.mcap')?.id ??
      '';
    const stored = await t.app.recordings.syncQuality(streamedId);
    expect(stored).toBeDefined();
    if (stored === undefined) return;
    expect(stored.reference).toBe('/sensors/lidar/top/points');
    const recording = await t.app.recordings.get(streamedId);
    expect(recording.sync).toEqual({ score: stored.score, passed: stored.passed });
    const names = stored.channels.map((c) => c.name);
    expect(names).toHaveLength(13); // every sensor channel, not the CAN bus
    const direct = await syncRecording(await openRecording('s.mcap', bytesReader(streamed.bytes)), {
      file: 's.mcap',
      policy: { policy: 'reference', reference: stored.reference },
      channels: names,
    });
    expect(stored).toEqual(JSON.parse(JSON.stringify(direct.report)));
    // The generator's clocks drift: the estimate finds drift on at least some sensors.
    expect(stored.channels.some((c) => Math.abs(c.clock?.driftPpm ?? 0) > 1)).toBe(true);
  });

  it('tells the data products and the lineage of every ingest, and of every rejection', async () => {
    await t.app.catalog.createDomain(operator, { name: 'fleet-data', ownerTeam: 'fleet' });
    const before = await t.app.catalog.createProduct(operator, {
      name: 'fleet-lidar',
      domain: 'fleet-data',
      residency: 'eu',
      rule: { sensors: ['lidar'] },
      slos: { requiredSensors: ['lidar'], minSyncScore: 1 },
    });
    const fresh = await generatedRecording({ seed: 11, seconds: 10, compression: 'none' });
    const { recording } = await t.app.recordings.add(operator, {
      name: 'fresh.mcap',
      teamId,
      body: fresh.bytes,
    });
    // An indexed file is catalogued from its index first, then analysed in a second run.
    const completedRuns = await waitFor('the ingest and analysis runs to complete', async () => {
      const page = await t.app.lineage.events({ limit: 500 });
      const runs = page.items
        .map((item) => item.event)
        .filter(
          (e) =>
            e.eventType === 'COMPLETE' &&
            e.outputs?.some((o) => o.name === `recordings/${recording.id}`),
        );
      return runs.length === 2 ? runs : undefined;
    });
    expect(completedRuns.map((e) => e.job.name)).toEqual([
      'recordings.ingest',
      'recordings.analyze',
    ]);
    const sha256 = (await t.app.recordings.get(recording.id)).sha256;
    for (const run of completedRuns)
      expect(run.inputs?.map((i) => i.name)).toEqual([`objects/sha256/${sha256}`]);

    const after = await t.app.catalog.getProduct(operator, 'fleet-lidar');
    expect(after.recordingCount).toBe(before.recordingCount + 1);
    const checks = await t.app.catalog.checks(operator, 'fleet-lidar');
    expect(JSON.stringify(checks)).not.toContain('no sync report yet');

    const { recording: junk } = await t.app.recordings.add(operator, {
      name: 'junk.mcap',
      teamId,
      body: new TextEncoder().encode('not a recording at all'),
    });
    const failed = await waitFor('the rejected ingest run to fail', async () => {
      const page = await t.app.lineage.events({ limit: 500 });
      const runs = page.items.map((item) => item.event);
      const started = runs.find(
        (e) =>
          e.eventType === 'START' &&
          e.job.name === 'recordings.ingest' &&
          e.inputs?.some((i) => i.name.endsWith(junk.sha256)),
      );
      return runs.find((e) => e.eventType === 'FAIL' && e.run.runId === started?.run.runId);
    });
    expect(JSON.stringify(failed.run.facets)).toContain('not a recording format');
  });

  it('keeps one recording per content: the same bytes again are a duplicate', async () => {
    const first = await t.app.recordings.add(operator, {
      name: 'x.mcap',
      teamId,
      body: indexed.bytes.slice(),
    });
    expect(first.duplicate).toBe(true);
    const again = await t.app.recordings.add(operator, {
      name: 'renamed.mcap',
      teamId,
      body: indexed.bytes,
    });
    expect(again.duplicate).toBe(true);
    expect(again.recording.id).toBe(first.recording.id);
  });

  it('rejects what is not a recording with the error and byte offset, never a failed task', async () => {
    const truncated = indexed.bytes.subarray(0, Math.floor(indexed.bytes.byteLength / 3));
    const cases = [
      new Uint8Array(0),
      new TextEncoder().encode('definitely not a recording'),
      truncated,
    ];
    for (const [i, body] of cases.entries()) {
      const { recording } = await t.app.recordings.add(operator, {
        name: `bad-${i}`,
        teamId,
        body,
      });
      const done = await settle(t, recording.id);
      expect(done.status).toBe('rejected');
      expect(done.error?.code).toMatch(/corrupt_recording|unsupported/);
      expect(done.error?.offset ?? -1).toBeGreaterThanOrEqual(0);
      expect(done.error?.offset ?? Infinity).toBeLessThanOrEqual(body.byteLength);
    }
  });

  it('survives fuzzed recordings: each ends ready or rejected with an offset inside the file', async () => {
    const small = await generatedRecording({ seed: 9, seconds: 3, compression: 'none' });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: small.bytes.byteLength - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (position, xor, truncate) => {
          const body = truncate ? small.bytes.slice(0, position) : small.bytes.slice();
          if (!truncate) body[position] = (body[position] ?? 0) ^ xor;
          const { recording } = await t.app.recordings.add(operator, {
            name: 'fuzz.mcap',
            teamId,
            body,
          });
          const done = await settle(t, recording.id);
          expect(['ready', 'rejected']).toContain(done.status);
          if (done.status === 'rejected')
            expect(done.error?.offset ?? 0).toBeLessThanOrEqual(body.byteLength);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('serves uploads over HTTP: streamed, and resumable in parts sent in any order', async () => {
    const auth = { authorization: `Bearer ${t.adminToken}` };
    const small = await generatedRecording({ seed: 11, seconds: 3 });
    const direct = await t.server.inject({
      method: 'POST',
      url: `/recordings?name=direct.mcap&team=fleet&vehicle=veh-9`,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(small.bytes),
    });
    expect(direct.statusCode).toBe(201);
    const added = direct.json<{ recording: Recording; duplicate: boolean }>();
    await settle(t, added.recording.id);

    const other = await generatedRecording({ seed: 12, seconds: 3 });
    const upload = (
      await t.server.inject({
        method: 'POST',
        url: '/uploads',
        headers: auth,
        payload: { name: 'big.mcap', size: other.bytes.byteLength, team: 'fleet' },
      })
    ).json<{ id: string; partSize: number; partCount: number }>();
    expect(upload.partCount).toBe(1);
    const put = (payload: Uint8Array) =>
      t.server.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(payload),
      });
    expect((await put(other.bytes.subarray(0, 10))).json()).toMatchObject({
      code: 'invalid_input',
    });
    const incomplete = await t.server.inject({
      method: 'POST',
      url: `/uploads/${upload.id}/complete`,
      headers: auth,
    });
    expect(incomplete.json()).toMatchObject({ status: 400, code: 'invalid_input', field: 'parts' });
    expect((await put(other.bytes)).statusCode).toBe(200);
    expect((await put(other.bytes)).statusCode).toBe(200); // a resend replaces the part
    const resumed = (await t.server.inject({ url: `/uploads/${upload.id}`, headers: auth })).json<{
      parts: { number: number }[];
    }>();
    expect(resumed.parts.map((p) => p.number)).toEqual([1]);
    const completed = await t.server.inject({
      method: 'POST',
      url: `/uploads/${upload.id}/complete`,
      headers: auth,
    });
    expect(completed.statusCode).toBe(201);
    const fromParts = completed.json<{ recording: Recording }>().recording;
    expect(fromParts.size).toBe(other.bytes.byteLength);
    const ready = await settle(t, fromParts.id);
    expect(ready.status).toBe('ready');

    const detail = (
      await t.server.inject({ url: `/recordings/${fromParts.id}`, headers: auth })
    ).json<{ channels: unknown[] }>();
    expect(detail.channels).toHaveLength(14);
    const rates = (
      await t.server.inject({ url: `/recordings/${fromParts.id}/rates?bins=3`, headers: auth })
    ).json<{ channels: { counts: number[] }[] }>();
    expect(rates.channels.every((c) => c.counts.length === 3)).toBe(true);
    const file = await t.server.inject({ url: `/recordings/${fromParts.id}/file`, headers: auth });
    expect(Buffer.from(file.rawPayload).equals(Buffer.from(other.bytes))).toBe(true);
    const listed = (
      await t.server.inject({ url: '/recordings?vehicle=veh-9', headers: auth })
    ).json<{ items: Recording[] }>();
    expect(listed.items.map((r) => r.id)).toEqual([added.recording.id]);
  });
});
