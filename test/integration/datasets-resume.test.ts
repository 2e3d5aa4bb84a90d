import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/index.js';
import type { BuildResult } from '../../src/datasets/index.js';
import {
  createLogger,
  loadConfig,
  operatorPrincipal,
  type Task,
} from '../../src/platform/index.js';
import { ingestGeneratedFleet } from '../support/fleet.js';
import { runScript, spawnScript } from '../support/processes.js';

const admin = operatorPrincipal('test');
const script = 'test/support/scripts/dataset-worker.ts';

const definition = {
  name: 'resumable',
  query: 'sensors has lidar',
  sync: {
    reference: 'lidar',
    streams: {
      lidar: { sensor: 'lidar' },
      front: { sensor: 'camera', topic: '/sensors/camera/front/image*' },
    },
  },
  split: { by: 'vehicle' },
};

async function until(app: App, id: string, done: (task: Task) => boolean): Promise<Task> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const task = await app.tasks.get(id);
    if (done(task)) return task;
    if (Date.now() > deadline) throw new Error(`task ${id} stuck: ${JSON.stringify(task)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('dataset build killed with SIGKILL', () => {
  let home: string;
  let app: App;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'drivetrain-resume-'));
    const config = loadConfig({ DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' }, home);
    const ingesting = await openApp(config, { worker: true, logger: createLogger('silent') });
    const team = await ingesting.identity.createTeam(admin, { name: 'perception' });
    await ingestGeneratedFleet(ingesting, admin, team.id, { seed: 5, vehicles: 3, seconds: 30 });
    await ingesting.close();
    app = await openApp(config, { worker: false, logger: createLogger('silent') });
  }, 600_000);

  afterAll(async () => {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('resumes from its stored parts, without duplicate or missing samples, to the same version', async () => {
    const task = await app.datasets.submit(admin, { definition });
    const doomed = spawnScript(script, [home, 'doomed', '40', '1500', 'no']);
    const running = await until(
      app,
      task.id,
      (t) => t.status === 'running' && t.progress.done >= 1,
    );
    doomed.kill('SIGKILL');
    await new Promise((resolve) => doomed.once('exit', resolve));
    const partsBefore = await app.store.db
      .withTables<{ dataset_build_parts: { task_id: string; part: number; created_at: number } }>()
      .selectFrom('dataset_build_parts')
      .select(['part', 'created_at'])
      .where('task_id', '=', task.id)
      .execute();
    expect(partsBefore.length).toBeGreaterThanOrEqual(1);
    expect(partsBefore.length).toBeLessThan(3);
    expect(running.progress.total).toBe(4);

    await runScript(script, [home, 'rescuer', '40', '0', 'yes']);
    const resumed = await until(
      app,
      task.id,
      (t) => t.status !== 'running' && t.status !== 'queued',
    );
    expect(resumed).toMatchObject({ status: 'succeeded', attempts: 2 });
    const partsAfter = await app.store.db
      .withTables<{
        dataset_build_parts: { task_id: string; part: number; created_at: number; rows: number };
      }>()
      .selectFrom('dataset_build_parts')
      .select(['part', 'created_at', 'rows'])
      .where('task_id', '=', task.id)
      .orderBy('part')
      .execute();
    expect(partsAfter.map((p) => p.part)).toEqual([0, 1, 2]);
    for (const before of partsBefore) {
      expect(partsAfter.find((p) => p.part === before.part)?.created_at).toBe(before.created_at);
    }
    const result = resumed.result as BuildResult;
    expect(result.samples).toBe(partsAfter.reduce((sum, p) => sum + p.rows, 0));

    const fresh = await app.datasets.submit(admin, { definition });
    await runScript(script, [home, 'fresh', '40', '0', 'yes']);
    const uninterrupted = await until(app, fresh.id, (t) => t.status === 'succeeded');
    expect(uninterrupted.result).toEqual(result);

    const events = (await app.lineage.events({ limit: 500 })).items.map((e) => e.event);
    const aborted = events.filter((e) => e.eventType === 'ABORT');
    expect(aborted).toHaveLength(1);
    expect(
      events.filter((e) => e.eventType === 'COMPLETE' && e.run.runId === aborted[0]!.run.runId),
    ).toEqual([]);
  });
});
