import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import type { BuildResult } from '../../src/datasets/index.js';
import { operatorPrincipal, type Task } from '../../src/platform/index.js';
import { waitFor } from '../support/compute.js';
import { ingestGeneratedFleet } from '../support/fleet.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Training jobs with dataset inputs: the local executor gives a job its input versions as
 * folders with `manifest.jsonl`, exported messages and camera frames as image files, resolved
 * as the job's team may read them.
 */

const admin = operatorPrincipal('test');

const definition = {
  name: 'front-frames',
  query: 'sensors has camera',
  sync: {
    reference: 'front',
    streams: {
      front: { sensor: 'camera', topic: '/sensors/camera/front/*' },
      lidar: { sensor: 'lidar' },
    },
    required: ['front'],
    toleranceMs: { lidar: 60 },
  },
  split: { by: 'vehicle', fractions: { train: 0.5, val: 0.5 }, seed: 'inputs' },
  sampling: { rateHz: 2 },
};

/** What the job prints for each manifest line and at the end; the test reads it from the log. */
const inspect = `
const fs = require('node:fs');
const path = require('node:path');
const dir = path.join(process.env.DRIVETRAIN_INPUTS, '0');
const text = fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8');
const lines = text.split('\\n').filter((l) => l !== '').map((l) => JSON.parse(l));
let images = 0;
for (const line of lines) {
  const front = line.streams.front;
  if (!fs.existsSync(path.join(dir, front.message))) throw new Error('missing ' + front.message);
  if (front.image !== undefined) {
    const bytes = fs.readFileSync(path.join(dir, front.image));
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG: ' + front.image);
    images++;
  }
  console.log('##sample ' + JSON.stringify({
    split: line.split, recording: line.recording, vehicle: line.vehicle, segment: line.segment,
    time: line.time, timeNs: line.timeNs, tags: line.tags, front: front.topic, image: front.image,
    stampNs: front.stampNs, lidar: line.streams.lidar === null ? null : line.streams.lidar.topic,
  }));
}
fs.copyFileSync(path.join(dir, lines[0].streams.front.image), path.join(process.env.DRIVETRAIN_OUTPUTS, 'first.jpg'));
console.log('##summary ' + JSON.stringify({ lines: lines.length, images }));
`;

interface SeenSample {
  split: string;
  recording: string;
  vehicle: string | null;
  segment: string;
  time: string;
  timeNs: string;
  tags: string[];
  front: string;
  image: string | undefined;
  stampNs: string;
  lidar: string | null;
}

async function settled(app: App, task: Task): Promise<Task> {
  return waitFor(
    `task ${task.id}`,
    async () => {
      const current = await app.tasks.get(task.id);
      return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
    },
    120_000,
  );
}

async function logOf(app: App, jobId: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of app.compute.readLog(jobId)) parts.push(Buffer.from(chunk.data));
  return Buffer.concat(parts).toString();
}

async function finished(app: App, jobId: string) {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const job = await app.compute.get(jobId);
      return ['succeeded', 'failed'].includes(job.state) ? job : undefined;
    },
    90_000,
  );
}

function submitInspector(app: App, team: string, inputs: { dataset: string; version: string }[]) {
  return app.compute.submit(admin, {
    name: 'inspect-inputs',
    team,
    command: ['node', '-e', inspect],
    inputs,
    resources: { accelerator: 'cpu', count: 1 },
    priority: 'low',
    retries: 0,
  });
}

describe('job inputs', () => {
  let t: TestServer;
  let app: App;
  let recordings: string[];
  let built: BuildResult;

  beforeAll(async () => {
    t = await startTestServer({ listen: false });
    app = t.app;
    const perception = await app.identity.createTeam(admin, { name: 'perception' });
    await app.identity.createTeam(admin, { name: 'outsiders' });
    recordings = await ingestGeneratedFleet(app, admin, perception.id, {
      seed: 11,
      vehicles: 2,
      seconds: 20,
    });
    const task = await settled(
      app,
      await app.datasets.submit(admin, { definition, team: 'perception' }),
    );
    expect(task).toMatchObject({ status: 'succeeded' });
    built = task.result as BuildResult;
  }, 300_000);

  afterAll(async () => {
    await t.close();
  });

  it('gives a job the latest version as manifest.jsonl with tags, message files and images', async () => {
    const job = await submitInspector(app, 'perception', [
      { dataset: 'front-frames', version: 'latest' },
    ]);
    const done = await finished(app, job.id);
    const log = await logOf(app, job.id);
    expect(done.state, `${done.message ?? ''}\n${log}`).toBe('succeeded');

    const seen = log
      .split('\n')
      .filter((l) => l.startsWith('##sample '))
      .map((l) => JSON.parse(l.slice('##sample '.length)) as SeenSample);
    const summary = JSON.parse(
      log
        .split('\n')
        .find((l) => l.startsWith('##summary '))!
        .slice('##summary '.length),
    ) as { lines: number; images: number };
    expect(built.samples).toBeGreaterThan(40);
    expect(summary).toEqual({ lines: built.samples, images: built.samples });
    expect(seen).toHaveLength(built.samples);

    expect(new Set(seen.map((s) => s.recording))).toEqual(new Set(recordings));
    expect(new Set(seen.map((s) => s.split))).toEqual(new Set(Object.keys(built.splits)));
    for (const split of Object.keys(built.splits))
      expect(seen.filter((s) => s.split === split)).toHaveLength(built.splits[split]!);
    for (const sample of seen) {
      expect(sample.front).toMatch(/^\/sensors\/camera\/front\//);
      expect(sample.image).toMatch(/^images\/rec_[^/]+\/\d+\/\d+\.jpg$/);
      expect(new Date(sample.time).getTime()).toBe(Number(BigInt(sample.timeNs) / 1_000_000n));
      expect(sample.stampNs).toBe(sample.timeNs);
    }
    expect(seen.some((s) => s.lidar !== null)).toBe(true);

    const db = app.store.db.withTables<{ segment_tags: { segment_id: string; tag: string } }>();
    for (const segment of new Set(seen.map((s) => s.segment))) {
      const rows = await db
        .selectFrom('segment_tags')
        .select('tag')
        .where('segment_id', '=', segment)
        .execute();
      const tags = rows.map((r) => r.tag).sort();
      for (const sample of seen.filter((s) => s.segment === segment))
        expect([...sample.tags].sort()).toEqual(tags);
    }
    const night = seen.filter((s) => s.tags.includes('night'));
    expect(night.length).toBeGreaterThan(0);
    expect(night.length).toBeLessThan(seen.length);

    const parts: Buffer[] = [];
    const artifact = await app.compute.artifact(job.id, done.attempt, 'first.jpg');
    for await (const chunk of artifact.body) parts.push(Buffer.from(chunk));
    const image = jpeg.decode(Buffer.concat(parts), { useTArray: true });
    expect([image.width, image.height]).toEqual([16, 10]);
  }, 120_000);

  it('takes a version by id prefix, and fails a job whose input it cannot resolve, saying why', async () => {
    const byId = await submitInspector(app, 'perception', [
      { dataset: 'front-frames', version: built.id.slice(0, 14) },
    ]);
    expect((await finished(app, byId.id)).state).toBe('succeeded');

    const unknown = await submitInspector(app, 'perception', [
      { dataset: 'no-such-frames', version: 'latest' },
    ]);
    const failed = await finished(app, unknown.id);
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(/inputs could not be prepared: .*no-such-frames@latest/);

    const otherName = await submitInspector(app, 'perception', [
      { dataset: 'other-frames', version: built.id },
    ]);
    expect((await finished(app, otherName.id)).message).toMatch(
      /belongs to dataset 'front-frames', not 'other-frames'/,
    );

    const outsider = await submitInspector(app, 'outsiders', [
      { dataset: 'front-frames', version: built.id },
    ]);
    const refused = await finished(app, outsider.id);
    expect(refused.state).toBe('failed');
    expect(refused.message).toMatch(/inputs could not be prepared: .*may not see/);
  }, 120_000);
});
