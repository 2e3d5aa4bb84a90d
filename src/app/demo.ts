import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { operatorPrincipal, type TaskHandler } from '../platform/index.js';
import { planFleet, writeRecordingFile, type GenerateOptions } from '../recordings/index.js';
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

/**
 * Fills an empty platform with something to look at: a `demo` team and a generated fleet,
 * ingested like any upload. Idempotent: recordings already there come back as duplicates.
 */
export function demoSeedHandler(app: () => App): TaskHandler {
  return async (_payload, context) => {
    const system = operatorPrincipal('demo');
    const team = await app()
      .identity.findTeamByName('demo')
      .catch(() =>
        app().identity.createTeam(system, {
          name: 'demo',
          description: 'the demo workspace: a generated test fleet',
        }),
      );
    const plans = planFleet(demoFleet);
    const scratch = await mkdtemp(join(app().config.home, 'scratch', 'demo-'));
    try {
      for (const [index, plan] of plans.entries()) {
        context.signal.throwIfAborted();
        context.progress(index, plans.length, `generating ${plan.fileName}`);
        const path = join(scratch, plan.fileName);
        await writeRecordingFile(path, plan, demoRig);
        await app().recordings.add(system, {
          name: plan.fileName,
          teamId: team.id,
          vehicle: plan.vehicleId,
          body: createReadStream(path),
        });
        await rm(path, { force: true });
      }
      context.progress(plans.length, plans.length, 'demo fleet added');
      return { team: team.id, recordings: plans.length };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };
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
