import type { App } from '../../src/app/index.js';
import type { Principal } from '../../src/platform/index.js';
import { generatedRecording } from './recordings.js';

/**
 * Generates a small synthetic fleet (one recording per vehicle) and ingests it through the real
 * pipeline, waiting until every recording is fully analysed. Returns the recording ids.
 */
export async function ingestGeneratedFleet(
  app: App,
  actor: Principal,
  teamId: string,
  fleet: { seed: number; vehicles: number; seconds: number },
): Promise<string[]> {
  const ids: string[] = [];
  for (let vehicle = 0; vehicle < fleet.vehicles; vehicle++) {
    const { bytes, plan } = await generatedRecording({
      seed: fleet.seed,
      seconds: fleet.seconds,
      vehicle,
      cameraWidth: 16,
      cameraHeight: 10,
      lidarBeams: 4,
      lidarColumns: 32,
    });
    const added = await app.recordings.add(actor, {
      name: plan.fileName,
      teamId,
      vehicle: plan.vehicleId,
      body: bytes,
    });
    ids.push(added.recording.id);
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    const rows = await app.store.db
      .withTables<{ recordings: { id: string; status: string; error: string | null } }>()
      .selectFrom('recordings')
      .select(['id', 'status', 'error'])
      .where('id', 'in', ids)
      .execute();
    const rejected = rows.filter((r) => r.status === 'rejected');
    if (rejected.length > 0) throw new Error(`ingest rejected ${JSON.stringify(rejected)}`);
    if (rows.every((r) => r.status === 'ready')) return ids;
    if (Date.now() > deadline) throw new Error(`ingest did not finish: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
