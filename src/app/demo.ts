import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJobFile } from '../compute/index.js';
import type { BuildResult } from '../datasets/index.js';
import {
  NotFound,
  operatorPrincipal,
  type Principal,
  type Task,
  type TaskContext,
  type TaskHandler,
} from '../platform/index.js';
import {
  planFleet,
  validateFleetOptions,
  writeRecordingFile,
  type FleetOptions,
  type GenerateOptions,
  type RecordingsTables,
} from '../recordings/index.js';
import type { App } from './app.js';

export const demoTaskKind = 'demo.seed';

/** The demo fleet: a few vehicles in different countries, weather and light, one minute each. */
export const demoFleet = { seed: 2026, vehicles: 4, minutes: 1 } as const;

/** A complete rig at a resolution that keeps the demo small (a few MB per minute) and quick. */
const demoRig: GenerateOptions = {
  compression: 'zstd',
  cameraWidth: 160,
  cameraHeight: 100,
  cameraPoolSize: 2,
  lidarBeams: 16,
  lidarColumns: 256,
};

/** Names of what the demo creates, so that a second run finds them instead of adding more. */
export const demoNames = {
  team: 'demo',
  trainingTeam: 'perception',
  domain: 'fleet',
  product: 'demo-drives',
  dataset: 'day-night-frames',
  job: 'day-night-classifier',
} as const;

/** The example job the demo runs (shipped next to the sources, absent from a bare install). */
const exampleJobFile = fileURLToPath(new URL('../../examples/day-night/job.yaml', import.meta.url));

/** Front camera frames of the demo product at 2 Hz, split by vehicle, with night coverage. */
const dayNightFrames = {
  name: demoNames.dataset,
  description: 'front camera frames of the demo fleet by day and by night, for the example job',
  product: demoNames.product,
  query: 'sensors has camera',
  sync: {
    reference: 'front',
    streams: { front: { sensor: 'camera', topic: '/sensors/camera/front/*' } },
  },
  split: { by: 'vehicle', fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 'demo' },
  sampling: { rateHz: 2 },
  requirements: [{ id: 'night-coverage', tag: 'night', minPercent: 20 }],
};

/** How long the demo waits for the ingest and the dataset build it queued. */
const waitLimitMs = 30 * 60_000;

/** What a demo seeding did, as its task result. */
export interface DemoResult {
  readonly team: string;
  readonly recordings: number;
  readonly product?: string;
  readonly dataset?: string;
  readonly job?: string;
  /** Steps left out, and why. */
  readonly skipped?: string;
}

function fleetOf(payload: unknown): FleetOptions {
  if (typeof payload !== 'object' || payload === null) return demoFleet;
  const fleet = { ...demoFleet, ...(payload as Partial<FleetOptions>) };
  validateFleetOptions(fleet);
  return fleet;
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await new Promise((resolve) => setTimeout(resolve, ms));
  signal.throwIfAborted();
}

async function teamNamed(app: App, system: Principal, name: string, description: string) {
  return app.identity
    .findTeamByName(name)
    .catch(() => app.identity.createTeam(system, { name, description }));
}

/**
 * Fills an empty platform with something to look at: a generated fleet ingested like any
 * upload by the `demo` team; a domain and a data product with a contract over it, granted to
 * a `perception` team; a dataset version of its camera frames built for that team; and the
 * example training job of `examples/day-night` reading that version. Idempotent: everything
 * is looked up by name first, so a second run adds nothing.
 */
export function demoSeedHandler(app: () => App): TaskHandler {
  return async (payload, context) => {
    const system = operatorPrincipal('demo');
    const fleet = fleetOf(payload);
    const plans = planFleet(fleet);
    const steps = plans.length + 4;
    const step = (done: number, message: string): void => context.progress(done, steps, message);

    const team = await teamNamed(
      app(),
      system,
      demoNames.team,
      'the demo workspace: a generated test fleet',
    );
    const recordings: string[] = [];
    const scratch = await mkdtemp(join(app().config.home, 'scratch', 'demo-'));
    try {
      for (const [index, plan] of plans.entries()) {
        context.signal.throwIfAborted();
        const existing = await app()
          .store.db.withTables<RecordingsTables>()
          .selectFrom('recordings')
          .select('id')
          .where('team_id', '=', team.id)
          .where('name', '=', plan.fileName)
          .executeTakeFirst();
        if (existing !== undefined) {
          recordings.push(existing.id);
          continue;
        }
        step(index, `generating ${plan.fileName}`);
        const path = join(scratch, plan.fileName);
        await writeRecordingFile(path, plan, demoRig);
        const added = await app().recordings.add(system, {
          name: plan.fileName,
          teamId: team.id,
          vehicle: plan.vehicleId,
          body: createReadStream(path),
        });
        recordings.push(added.recording.id);
        await rm(path, { force: true });
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const trainers = await teamNamed(
      app(),
      system,
      demoNames.trainingTeam,
      'the demo ML team: builds datasets and trains models on the demo fleet',
    );
    if (app().config.workerConcurrency < 2) {
      // Ingest then runs only after this task; the product takes recordings in as they come.
      const product = await demoProduct(app(), system, team.id, trainers.id);
      const skipped =
        'the dataset and the example job wait for ingest, which needs a second task worker (DRIVETRAIN_WORKERS)';
      step(steps, `demo ready without dataset and job: ${skipped}`);
      return {
        team: team.id,
        recordings: recordings.length,
        product: product.id,
        skipped,
      } satisfies DemoResult;
    }
    step(
      plans.length,
      `demo fleet added; waiting for the ingest of ${recordings.length} recordings`,
    );
    await ingested(app(), recordings, context);
    // Ingest does not hand its sync scores to the catalog yet; the contract's sync check needs them.
    for (const id of recordings) {
      const { sync } = await app().recordings.get(id);
      await app().catalog.recordingIngested(id, { syncScore: sync?.score ?? null });
    }

    step(
      plans.length + 1,
      `describing the fleet in the catalog: data product ${demoNames.product}`,
    );
    const product = await demoProduct(app(), system, team.id, trainers.id);
    const done = { team: team.id, recordings: recordings.length, product: product.id };

    step(plans.length + 2, `building dataset ${demoNames.dataset}`);
    const build = await app().datasets.submit(system, {
      definition: dayNightFrames,
      team: trainers.name,
      idempotencyKey: `demo:dataset:${demoNames.dataset}`,
    });
    const built = await settled(app(), build, context);
    if (built.status !== 'succeeded') {
      throw new Error(
        `the demo dataset ${demoNames.dataset} did not build (task ${built.id} ${built.status}): ${built.error?.message ?? ''}`,
      );
    }
    const version = (built.result as BuildResult).id;

    step(plans.length + 3, `submitting the example job ${demoNames.job}`);
    const job = await exampleJob(app(), system, trainers.name);
    if (job === undefined) {
      const skipped = `the example job file ${exampleJobFile} is not installed`;
      step(steps, `demo ready without the example job: ${skipped}`);
      return { ...done, dataset: version, skipped } satisfies DemoResult;
    }
    step(steps, `demo ready: job ${job} trains on dataset version ${version}`);
    return { ...done, dataset: version, job } satisfies DemoResult;
  };
}

/** The domain and the data product over the demo fleet, with a contract, granted to the trainers. */
async function demoProduct(app: App, system: Principal, ownerTeamId: string, readerId: string) {
  await app.catalog.getDomain(demoNames.domain).catch((error: unknown) => {
    if (!(error instanceof NotFound)) throw error;
    return app.catalog.createDomain(system, {
      name: demoNames.domain,
      description: 'drives of the generated demo fleet',
      ownerTeam: ownerTeamId,
    });
  });
  await app.catalog.getProduct(system, demoNames.product).catch((error: unknown) => {
    if (!(error instanceof NotFound)) throw error;
    return app.catalog.createProduct(system, {
      name: demoNames.product,
      domain: demoNames.domain,
      ownerTeam: ownerTeamId,
      description: 'every demo drive with its full sensor rig, checked against a contract',
      classification: 'internal',
      personalData: ['faces', 'license-plates', 'location'],
      residency: 'eu',
      rule: { sensors: ['camera'] },
      slos: {
        requiredSensors: ['camera', 'lidar', 'radar', 'imu', 'gnss'],
        minSyncScore: 80,
        minCompletenessPercent: 90,
      },
    });
  });
  return app.catalog.grant(system, demoNames.product, readerId);
}

/** Waits until every recording is analysed (ready) or rejected. */
async function ingested(app: App, ids: readonly string[], context: TaskContext): Promise<void> {
  const deadline = Date.now() + waitLimitMs;
  for (;;) {
    const pending: string[] = [];
    for (const id of ids) {
      const { status } = await app.recordings.get(id);
      if (status !== 'ready' && status !== 'rejected') pending.push(id);
    }
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the ingest of demo recordings ${pending.join(', ')} did not finish`);
    await sleep(500, context.signal);
  }
}

async function settled(app: App, task: Task, context: TaskContext): Promise<Task> {
  const deadline = Date.now() + waitLimitMs;
  for (;;) {
    const current = await app.tasks.get(task.id);
    if (['succeeded', 'failed', 'cancelled'].includes(current.status)) return current;
    if (Date.now() > deadline) throw new Error(`task ${task.id} did not finish`);
    await sleep(500, context.signal);
  }
}

/** Submits the example job once (a job of that name in the team is the demo's); returns its id. */
async function exampleJob(app: App, system: Principal, team: string): Promise<string | undefined> {
  const jobs = await app.compute.list({ team, limit: 100 });
  const existing = jobs.items.find((j) => j.name === demoNames.job);
  if (existing !== undefined) return existing.id;
  if (!existsSync(exampleJobFile)) return undefined;
  const doc = parseJobFile(await readFile(exampleJobFile, 'utf8'), exampleJobFile) as {
    env?: Record<string, string>;
  };
  const job = await app.compute.submit(system, {
    ...doc,
    team,
    // A short run: enough to show metrics per epoch and a model, little load on a laptop.
    env: { ...doc.env, EPOCHS: '4' },
  });
  return job.id;
}

/** Queues the demo seeding once per platform (a second call returns the same task). */
export async function queueDemo(app: App): Promise<void> {
  await app.tasks.enqueue({
    kind: demoTaskKind,
    payload: demoFleet,
    idempotencyKey: 'demo:seed',
    createdBy: 'operator:demo',
  });
}
