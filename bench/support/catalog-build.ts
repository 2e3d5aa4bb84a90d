/**
 * The dataset-build half of `npm run bench:catalog`: a few recordings generated and ingested into
 * an app on SQLite, a dataset definition over them built by the worker (samples/s of the whole
 * build task), then the synchronization step alone over the build's own plan.
 */
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openApp, type App } from '../../src/app/index.js';
import {
  buildTaskKind,
  DatasetService,
  SampleColumns,
  SplitAssigner,
  synchronizeRecording,
  type BuildResult,
  type PlannedRecording,
  type StreamTimeline,
} from '../../src/datasets/index.js';
import {
  createLogger,
  loadConfig,
  operatorPrincipal,
  type ObjectStore,
  type Task,
} from '../../src/platform/index.js';
import { planFleet, readTimelines, writeRecordingFile } from '../../src/recordings/index.js';

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Polls a task until it ends. */
async function settled(app: App, task: Task): Promise<Task> {
  for (;;) {
    const current = await app.tasks.get(task.id);
    if (['succeeded', 'failed', 'cancelled'].includes(current.status)) return current;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const buildDefinition = {
  name: 'lidar-cameras',
  query: 'sensors has lidar',
  sync: {
    reference: 'lidar',
    streams: {
      lidar: { sensor: 'lidar' },
      front: { sensor: 'camera', topic: '/sensors/camera/front/image*' },
      rear: { sensor: 'camera', topic: '/sensors/camera/rear/image*' },
      radar: { sensor: 'radar', topic: '*front_left*' },
    },
    required: ['lidar', 'front'],
    toleranceMs: { front: 30, rear: 30, radar: 40 },
  },
  split: { by: 'recording', fractions: { train: 0.8, val: 0.1, test: 0.1 }, seed: 'bench' },
};

export interface BuildFigures {
  readonly recordings: number;
  readonly seconds: number;
  readonly samples: number;
  readonly buildSeconds: number;
  readonly syncSeconds: number;
  readonly syncSamples: number;
}

export async function benchBuild(
  root: string,
  vehicles: number,
  minutes: number,
): Promise<BuildFigures> {
  const home = join(root, `build-${process.pid}`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(join(home, 'generated'), { recursive: true });
  const config = loadConfig({ DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' }, home);
  let app = await openApp(config, { worker: true, logger: createLogger('warn') });
  try {
    const admin = operatorPrincipal('bench');
    const team = await app.identity.createTeam(admin, { name: 'perception' });
    const plans = planFleet({ seed: 2026, vehicles, minutes });
    const ids: string[] = [];
    for (const plan of plans) {
      const path = join(home, 'generated', plan.fileName);
      await writeRecordingFile(path, plan, {
        compression: 'zstd',
        cameraWidth: 160,
        cameraHeight: 100,
        cameraPoolSize: 2,
        lidarBeams: 16,
        lidarColumns: 256,
      });
      const added = await app.recordings.add(admin, {
        name: plan.fileName,
        teamId: team.id,
        vehicle: plan.vehicleId,
        body: createReadStream(path),
      });
      ids.push(added.recording.id);
    }
    for (;;) {
      const all = await Promise.all(ids.map((id) => app.recordings.get(id)));
      const rejected = all.find((r) => r.status === 'rejected');
      if (rejected !== undefined)
        throw new Error(`ingest rejected ${rejected.id}: ${JSON.stringify(rejected.error)}`);
      if (all.every((r) => r.status === 'ready')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(
      `  ${ids.length} recordings of ${minutes} min generated and ingested (load ${load()})`,
    );

    const task = await app.datasets.submit(admin, { definition: buildDefinition });
    const done = await settled(app, task);
    if (done.status !== 'succeeded')
      throw new Error(`build ${done.status}: ${JSON.stringify(done)}`);
    const result = done.result as BuildResult;
    const buildSeconds = (Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)) / 1000;

    // The synchronization step alone: the same build again, run here (no worker) by a service
    // that keeps its plan and the timelines it read; then `synchronizeRecording` over that plan
    // with nothing left to read.
    await app.close();
    app = await openApp(config, { worker: false, logger: createLogger('warn') });
    const kept: PlannedRecording[] = [];
    const objects = app.objects;
    const keeping: ObjectStore = new Proxy(objects, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'put') {
          return (key: string, body: unknown, options: unknown) => {
            if (/\/plan\/\d+\.json$/.test(key) && body instanceof Uint8Array)
              kept.push(...(JSON.parse(new TextDecoder().decode(body)) as PlannedRecording[]));
            return (value as (...args: unknown[]) => unknown).call(target, key, body, options);
          };
        }
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const timelines = new Map<string, readonly StreamTimeline[]>();
    const datasets = new DatasetService({
      store: app.store,
      objects: keeping,
      tasks: app.tasks,
      catalog: app.catalog,
      search: app.search,
      lineage: app.lineage,
      log: app.log,
      timelines: async (recordingId, keys) => {
        const read = await readTimelines(objects, recordingId, keys);
        timelines.set(`${recordingId}:${keys.join(',')}`, read);
        return read;
      },
    });
    const again = await datasets.submit(admin, { definition: buildDefinition });
    await datasets.taskHandlers()[buildTaskKind]!(again.payload, {
      task: again,
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    await app.tasks.cancel(again.id);
    const definition = datasets.parse(buildDefinition);
    const splitNames = Object.keys(definition.split.fractions);
    const names = Object.keys(definition.sync.streams);
    const syncStarted = performance.now();
    let syncSamples = 0;
    for (const recording of kept) {
      const keys = [
        ...new Set(recording.channels.filter((c) => c !== null).map((c) => c.channelKey)),
      ];
      const read = timelines.get(`${recording.id}:${keys.join(',')}`)!;
      const samples = new SampleColumns(names.length, splitNames.length);
      synchronizeRecording(
        definition,
        recording,
        new Map(read.map((t) => [t.channelKey, t])),
        new SplitAssigner(definition.split),
        samples,
      );
      syncSamples += samples.rows;
    }
    const syncSeconds = (performance.now() - syncStarted) / 1000;
    if (syncSamples !== result.samples)
      throw new Error(`the sync step made ${syncSamples} samples, the build ${result.samples}`);
    return {
      recordings: ids.length,
      seconds: minutes * 60,
      samples: result.samples,
      buildSeconds,
      syncSeconds,
      syncSamples,
    };
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
}
