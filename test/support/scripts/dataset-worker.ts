import { openApp } from '../../../src/app/index.js';
import { DatasetService } from '../../../src/datasets/index.js';
import { createLogger, loadConfig, TaskWorker } from '../../../src/platform/index.js';
import { readTimelines } from '../../../src/recordings/index.js';

// Usage: dataset-worker.ts <home> <worker name> <part samples> <delay ms per recording> <stop when idle: yes|no>
// Runs dataset builds of the platform at <home> in its own process, with small parts and an
// optional pause before each recording's timelines are read, so a test can kill it mid-build.
const [home = '', name = 'w', partSamples = '40', delayMs = '0', stopWhenIdle = 'yes'] =
  process.argv.slice(2);
const app = await openApp(loadConfig({ DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' }, home), {
  logger: createLogger('silent'),
});
const datasets = new DatasetService({
  store: app.store,
  objects: app.objects,
  tasks: app.tasks,
  catalog: app.catalog,
  search: app.search,
  lineage: app.lineage,
  log: app.log,
  partSamples: Number(partSamples),
  timelines: async (recordingId, channelKeys) => {
    await new Promise((resolve) => setTimeout(resolve, Number(delayMs)));
    return readTimelines(app.objects, recordingId, channelKeys);
  },
});
const worker = new TaskWorker(
  app.store,
  app.tasks,
  new Map(Object.entries(datasets.taskHandlers())),
  {
    owner: name,
    concurrency: 1,
    leaseMs: 1000,
    pollMs: 50,
    progressIntervalMs: 20,
  },
);
process.stdout.write('ready\n');
if (stopWhenIdle === 'yes') {
  while (await worker.runOnce()) {
    // keep claiming until the queue is empty
  }
  await app.close();
} else {
  worker.start();
}
