/**
 * The dataset-build half of `npm run bench:catalog`: a generated fleet ingested into an app on
 * SQLite, a dataset definition over all of it built by the worker (samples/s of the whole build
 * task: its samples ÷ the time from its claim to its end), then the synchronization step alone
 * over the build's own plan.
 *
 * The fleet (`planFleet`, one recording per vehicle, `writeRecordingFile`) is generated and
 * ingested once and cached under `.bench/catalog/build-fleet-<key>/` (git-ignored): the SQLite
 * file and the object store after ingest, keyed by the fleet, the generator's effective options,
 * the clocks of the fleet's rigs and the migrations. Every run builds in a fresh home holding a
 * copy of that SQLite file and hard links to the object store's files (the store never writes a
 * file in place: it renames new files over old ones, so the cache stays as it was). `fresh`
 * ingests anew and removes the cache afterwards.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { allMigrations, openApp, type App } from '../../src/app/index.js';
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
import {
  createRig,
  generateDefaults,
  planFleet,
  readTimelines,
  writeRecordingFile,
} from '../../src/recordings/index.js';

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Below this many samples a build's start-up (first calls, planning, files) outweighs its throughput. */
const throughputSamples = 100_000;

/**
 * Small payloads: a build reads only the timelines (when each message was logged and stamped,
 * where it lies), which the message rates make, not the payloads' size; small frames and
 * sweeps let a fleet big enough to measure throughput be generated in minutes.
 */
const generatorOptions = {
  compression: 'zstd',
  cameraWidth: 32,
  cameraHeight: 24,
  cameraPoolSize: 1,
  lidarBeams: 4,
  lidarColumns: 32,
} as const;

/**
 * Resolves once task `id` has changed or `ms` have passed, woken by the queue's change events:
 * polling the store would take turns on the thread the worker builds on.
 */
function nextChange(app: App, id: string, ms: number): { changed: Promise<void>; stop(): void } {
  let stop = (): void => undefined;
  const changed = new Promise<void>((resolve) => {
    const onChange = (changedId: string): void => {
      if (changedId === id) stop();
    };
    const timer = setTimeout(() => stop(), ms);
    stop = () => {
      clearTimeout(timer);
      app.tasks.changes.off('change', onChange);
      resolve();
    };
    app.tasks.changes.on('change', onChange);
  });
  return { changed, stop: () => stop() };
}

/** Waits until a task ends. */
async function settled(app: App, task: Task): Promise<Task> {
  for (;;) {
    const next = nextChange(app, task.id, 1000);
    const current = await app.tasks.get(task.id);
    if (['succeeded', 'failed', 'cancelled'].includes(current.status)) {
      next.stop();
      return current;
    }
    await next.changed;
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

/** How a cached fleet was made. */
interface FleetSetup {
  readonly recordings: number;
  readonly ingestSeconds: number;
  readonly createdAt: string;
}

/** Links every file under `from` into the same place under `to`, making the directories. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) linkTree(join(from, entry.name), join(to, entry.name));
    else linkSync(join(from, entry.name), join(to, entry.name));
  }
}

/** Generates the fleet and ingests it into an app at `home`, one recording at a time. */
async function ingestFleet(home: string, vehicles: number, minutes: number): Promise<FleetSetup> {
  const started = performance.now();
  mkdirSync(join(home, 'generated'), { recursive: true });
  const config = loadConfig({ DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' }, home);
  const app = await openApp(config, { worker: true, logger: createLogger('warn') });
  try {
    const admin = operatorPrincipal('bench');
    const team = await app.identity.createTeam(admin, { name: 'perception' });
    const ids: string[] = [];
    for (const plan of planFleet({ seed: 2026, vehicles, minutes })) {
      const path = join(home, 'generated', plan.fileName);
      await writeRecordingFile(path, plan, generatorOptions);
      const added = await app.recordings.add(admin, {
        name: plan.fileName,
        teamId: team.id,
        vehicle: plan.vehicleId,
        body: createReadStream(path),
      });
      // The store holds its own copy once `add` returns.
      rmSync(path);
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
    return {
      recordings: ids.length,
      ingestSeconds: (performance.now() - started) / 1000,
      createdAt: new Date().toISOString(),
    };
  } finally {
    await app.close();
    rmSync(join(home, 'generated'), { recursive: true, force: true });
  }
}

/** The cached fleet's directory, generated and ingested first when it is not there. */
async function cachedFleet(
  root: string,
  vehicles: number,
  minutes: number,
  fresh: boolean,
): Promise<{ dir: string; setup: FleetSetup; reused: boolean }> {
  const fleet = { seed: 2026, vehicles, minutes };
  // The defaults and the rigs' clocks change what a fleet's files hold for the same options.
  const effectiveOptions = { ...generateDefaults, ...generatorOptions };
  const clocks = planFleet(fleet).map((plan) =>
    createRig(plan.seed, plan.vehicleId, effectiveOptions).sensors.map((s) => s.clock),
  );
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        fleet,
        generatorOptions: effectiveOptions,
        clocks,
        migrations: allMigrations.map((m) => m.name),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(root, `build-fleet-${key}`);
  const marker = join(dir, 'setup.json');
  if (!fresh && existsSync(marker)) {
    return { dir, setup: JSON.parse(readFileSync(marker, 'utf8')) as FleetSetup, reused: true };
  }
  rmSync(dir, { recursive: true, force: true });
  const setup = await ingestFleet(dir, vehicles, minutes);
  writeFileSync(marker, JSON.stringify(setup));
  return { dir, setup, reused: false };
}

export async function benchBuild(
  root: string,
  vehicles: number,
  minutes: number,
  options: { fresh?: boolean } = {},
): Promise<BuildFigures> {
  const fresh = options.fresh ?? false;
  const fleet = await cachedFleet(root, vehicles, minutes, fresh);
  console.log(
    `  ${fleet.setup.recordings} recordings of ${minutes} min generated and ingested in ${fleet.setup.ingestSeconds.toFixed(1)} s${fleet.reused ? ` (cached, ${fleet.setup.createdAt})` : ''} (load ${load()})`,
  );
  const home = join(root, `build-${process.pid}`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  copyFileSync(join(fleet.dir, 'drivetrain.db'), join(home, 'drivetrain.db'));
  linkTree(join(fleet.dir, 'objects'), join(home, 'objects'));
  const config = loadConfig({ DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' }, home);
  let app = await openApp(config, { worker: true, logger: createLogger('warn') });
  try {
    const admin = operatorPrincipal('bench');
    const task = await app.datasets.submit(admin, { definition: buildDefinition });
    const done = await settled(app, task);
    if (done.status !== 'succeeded')
      throw new Error(`build ${done.status}: ${JSON.stringify(done)}`);
    const result = done.result as BuildResult;
    const buildSeconds = (Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)) / 1000;
    if (result.samples < throughputSamples) {
      console.log(
        `  note: a build of ${result.samples.toLocaleString('en')} samples measures start-up more than throughput; a fleet of ${throughputSamples.toLocaleString('en')} samples or more (about 600 per recording minute, e.g. --build-vehicles 48 --build-minutes 5) measures throughput`,
      );
    }

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
      recordings: fleet.setup.recordings,
      seconds: minutes * 60,
      samples: result.samples,
      buildSeconds,
      syncSeconds,
      syncSamples,
    };
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
    if (fresh) rmSync(fleet.dir, { recursive: true, force: true });
  }
}
