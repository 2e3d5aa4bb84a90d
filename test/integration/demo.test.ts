import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFleet, demoNames, demoTaskKind, type App } from '../../src/app/index.js';
import { operatorPrincipal, type Task } from '../../src/platform/index.js';
import { waitFor } from '../support/compute.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The demo that fills a fresh platform on first start: a generated fleet, a data product with
 * a contract over it, a dataset version of its camera frames and the example training job run
 * on that version. Run twice, it adds nothing.
 */

const admin = operatorPrincipal('test');

/** The demo fleet made shorter (the same vehicles, light and rig), to keep the test quick. */
const fleet = { ...demoFleet, minutes: 0.5 };

async function runDemo(app: App, key: string): Promise<Task> {
  const task = await app.tasks.enqueue({
    kind: demoTaskKind,
    payload: fleet,
    idempotencyKey: key,
    createdBy: 'operator:test',
  });
  return waitFor(
    `demo task ${task.id}`,
    async () => {
      const current = await app.tasks.get(task.id);
      return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
    },
    240_000,
  );
}

async function artifactBytes(app: App, job: string, attempt: number, path: string) {
  const parts: Buffer[] = [];
  for await (const chunk of (await app.compute.artifact(job, attempt, path)).body)
    parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function logOf(app: App, job: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of app.compute.readLog(job)) parts.push(Buffer.from(chunk.data));
  return Buffer.concat(parts).toString();
}

async function inventory(app: App) {
  const db = app.store.db.withTables<{
    recordings: { id: string };
    data_products: { id: string };
    domains: { id: string };
    dataset_versions: { id: string };
    compute_jobs: { id: string };
  }>();
  const count = async (
    table: 'recordings' | 'data_products' | 'domains' | 'dataset_versions' | 'compute_jobs',
  ) =>
    Number(
      (await db.selectFrom(table).select(db.fn.countAll<number>().as('n')).executeTakeFirst())?.n ??
        0,
    );
  return {
    recordings: await count('recordings'),
    domains: await count('domains'),
    products: await count('data_products'),
    versions: await count('dataset_versions'),
    jobs: await count('compute_jobs'),
    teams: (await app.identity.listTeams({ limit: 100 })).items.map((t) => t.name).sort(),
  };
}

describe('demo seeding', () => {
  let t: TestServer;
  let app: App;
  let seeded: Task;

  beforeAll(async () => {
    t = await startTestServer({ listen: false });
    app = t.app;
    seeded = await runDemo(app, 'demo:first');
  }, 300_000);

  afterAll(async () => {
    await t.close();
  });

  it('ingests the fleet, with day and night drives', async () => {
    expect(seeded.status, JSON.stringify(seeded.error)).toBe('succeeded');
    const team = await app.identity.findTeamByName(demoNames.team);
    const recordings = await app.recordings.list({ teamIds: [team.id], limit: 100 });
    expect(recordings.items).toHaveLength(fleet.vehicles);
    expect(recordings.items.every((r) => r.status === 'ready')).toBe(true);
    const db = app.store.db.withTables<{ segment_tags: { segment_id: string; tag: string } }>();
    const light = await db
      .selectFrom('segment_tags')
      .select('tag')
      .distinct()
      .where('tag', 'in', ['day', 'night'])
      .execute();
    expect(light.map((l) => l.tag).sort()).toEqual(['day', 'night']);
  });

  it('describes the fleet as a data product with a contract and a quality status', async () => {
    const product = await app.catalog.getProduct(admin, demoNames.product);
    expect(product.domainName).toBe(demoNames.domain);
    expect(product.recordingCount).toBe(fleet.vehicles);
    expect(product.slos.requiredSensors).toContain('camera');
    expect(product.slos.minSyncScore).toBeGreaterThan(0);
    expect(product.quality.checkedAt).not.toBeNull();
    // The contract is checked against each recording's sync report; a healthy rig meets it.
    const team = await app.identity.findTeamByName(demoNames.team);
    const recordings = (await app.recordings.list({ teamIds: [team.id], limit: 100 })).items;
    for (const recording of recordings) {
      expect(recording.sync?.score, recording.name).toBeGreaterThanOrEqual(
        product.slos.minSyncScore!,
      );
    }
    expect(product.quality.failures).toEqual([]);
    expect(product.quality.status).toBe('passing');
    expect(product.grants.map((g) => g.teamName)).toEqual([demoNames.trainingTeam]);
  });

  it('builds the day/night dataset version for the perception team, meeting its night coverage', async () => {
    const trainers = await app.identity.findTeamByName(demoNames.trainingTeam);
    const member = {
      ref: 'user:test',
      userId: 'test',
      name: 'test',
      platformAdmin: false,
      memberships: [{ teamId: trainers.id, role: 'viewer' as const }],
    };
    const versions = await app.datasets.list(member, { name: demoNames.dataset });
    expect(versions.items).toHaveLength(1);
    const version = versions.items[0]!;
    expect(version.recordings).toBe(fleet.vehicles);
    // 2 Hz over every vehicle's drive, give or take the ends of segments.
    expect(version.samples).toBeGreaterThan(fleet.vehicles * fleet.minutes * 60 * 2 * 0.8);
    expect(version.samples).toBeLessThanOrEqual(fleet.vehicles * fleet.minutes * 60 * 2 + 4);
    expect(version.coverage.find((c) => c.requirement === 'night-coverage')).toMatchObject({
      pass: true,
    });
    const card = await app.datasets.card(member, version.id);
    expect(card.splitBy).toBe('vehicle');
    expect(card.tagCounts.night).toBeGreaterThan(0);
    expect(card.tagCounts.day).toBeGreaterThan(0);
  });

  it('runs the example job on that version: metrics per epoch and an ONNX model', async () => {
    const { items } = await app.compute.list({ team: demoNames.trainingTeam });
    expect(items.map((j) => j.name)).toEqual([demoNames.job]);
    const done = await waitFor(
      'the example job to end',
      async () => {
        const job = await app.compute.get(items[0]!.id);
        return ['succeeded', 'failed'].includes(job.state) ? job : undefined;
      },
      120_000,
    );
    if (done.state !== 'succeeded')
      throw new Error(`the job ${done.state}: ${done.message ?? ''}\n${await logOf(app, done.id)}`);
    const metrics = await app.compute.metrics(done.id);
    expect(metrics.map((m) => [m.name, m.points.map((p) => p.step)])).toEqual([
      ['accuracy', [1, 2, 3, 4]],
      ['loss', [1, 2, 3, 4]],
      ['val_accuracy', [1, 2, 3, 4]],
    ]);
    expect(done.artifacts.map((a) => a.path)).toEqual(['metrics.json', 'model.onnx']);

    const session = await InferenceSession.create(
      await artifactBytes(app, done.id, done.attempt, 'model.onnx'),
    );
    expect(session.inputNames).toEqual(['image']);
    await session.release();
    const summary = JSON.parse(
      (await artifactBytes(app, done.id, done.attempt, 'metrics.json')).toString(),
    ) as { frames: number; validationAccuracy: number };
    expect(summary.validationAccuracy).toBeGreaterThanOrEqual(0.9);
    const version = (await app.datasets.list(admin, { name: demoNames.dataset })).items[0]!;
    expect(summary.frames).toBe(version.samples);
  }, 150_000);

  it('adds nothing when it runs again', async () => {
    const before = await inventory(app);
    expect(before).toMatchObject({ recordings: fleet.vehicles, products: 1, versions: 1, jobs: 1 });
    const again = await runDemo(app, 'demo:again');
    expect(again.status, JSON.stringify(again.error)).toBe('succeeded');
    expect(await inventory(app)).toEqual(before);
    expect(again.result).toMatchObject({ dataset: (seeded.result as { dataset: string }).dataset });
  }, 120_000);
});
