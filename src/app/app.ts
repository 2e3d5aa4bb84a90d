import { join } from 'node:path';
import type { Registry } from 'prom-client';
import {
  createLogger,
  IdentityService,
  lineageConfigFromEnv,
  LineageService,
  lineageValidator,
  openObjectStore,
  openPostgresStore,
  openSqliteStore,
  sqliteFile,
  standardSchemasDir,
  TaskQueue,
  TaskWorker,
  type Config,
  type Logger,
  type ObjectStore,
  type OpenedObjectStore,
  type Store,
  type TaskHandler,
} from '../platform/index.js';
import { CatalogService, loadContractValidator, SearchService } from '../catalog/index.js';
import { DatasetService, JobInputMaterializer } from '../datasets/index.js';
import { RecordingsService } from '../recordings/index.js';
import { ComputeService, createExecutor, loadComputeSettings } from '../compute/index.js';
import { demoSeedHandler, demoTaskKind } from './demo.js';
import { createMetrics } from './metrics.js';
import { allMigrations } from './migrations.js';

/** The platform of one process: configuration, stores, and every context's services. */
export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly store: Store;
  readonly objects: ObjectStore;
  readonly tasks: TaskQueue;
  readonly identity: IdentityService;
  readonly lineage: LineageService;
  readonly catalog: CatalogService;
  readonly search: SearchService;
  readonly datasets: DatasetService;
  readonly recordings: RecordingsService;
  /** Training jobs, admission, executors and cost; runs jobs in processes with a worker. */
  readonly compute: ComputeService;
  readonly metrics: Registry;
  /** Runs platform tasks in this process; undefined when the process runs none. */
  readonly worker: TaskWorker | undefined;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Run a task worker in this process (the server does; one-shot CLI commands do not). */
  readonly worker?: boolean;
  readonly logger?: Logger;
  /** Environment with the AWS settings for an `s3://` object store (default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function openStore(config: Config): Store {
  if (config.databaseUrl === undefined) return openSqliteStore(sqliteFile(config));
  return openPostgresStore(
    config.databaseUrl,
    config.databaseSchema === undefined ? {} : { schema: config.databaseSchema },
  );
}

/** Opens the platform: connects the stores, applies migrations, wires the contexts. */
export async function openApp(config: Config, options: OpenAppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const store = openStore(config);
  try {
    await store.migrate(allMigrations);
  } catch (error) {
    await store.close();
    throw error;
  }
  let objects: OpenedObjectStore;
  try {
    objects = await openObjectStore(config.objects, {
      env: options.env ?? process.env,
      baseDir: config.home,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const tasks = new TaskQueue(store);
  const identity = new IdentityService(store);
  const env = options.env ?? process.env;
  const schemasDir = standardSchemasDir(env, config.home);
  const lineage = new LineageService(store, {
    ...lineageConfigFromEnv(env),
    validate: lineageValidator(schemasDir),
    log,
  });
  const catalog = new CatalogService(store, loadContractValidator(schemasDir));
  const search = new SearchService(store, catalog);
  const datasets = new DatasetService({ store, objects, tasks, catalog, search, lineage, log });
  let compute: ComputeService;
  try {
    const settings = await loadComputeSettings(options.env ?? process.env, config.home);
    compute = new ComputeService({
      store,
      objects,
      log,
      config: settings.config,
      autoTeams: settings.autoTeams,
      executorName: settings.executor,
      materializer: new JobInputMaterializer({
        datasets,
        objects,
        db: store.db.withTables(),
        scratchDir: join(config.home, 'scratch'),
      }),
    });
    if (options.worker === true) await compute.start(createExecutor(settings, compute, log));
  } catch (error) {
    await objects.close();
    await store.close();
    throw error;
  }
  const recordings = new RecordingsService({
    store,
    objects,
    tasks,
    log,
    scratchDir: join(config.home, 'scratch'),
    lineage,
    onIngested: (recordingId, quality) => catalog.recordingIngested(recordingId, quality),
  });
  const opened: { app?: App } = {};
  const self = (): App => {
    if (opened.app === undefined) throw new Error('the app is still opening');
    return opened.app;
  };
  const handlers = new Map<string, TaskHandler>([
    ...Object.entries(recordings.taskHandlers()),
    ...Object.entries(datasets.taskHandlers()),
    [demoTaskKind, demoSeedHandler(self)],
  ]);
  const worker =
    options.worker === true && config.workerConcurrency > 0
      ? new TaskWorker(store, tasks, handlers, {
          concurrency: config.workerConcurrency,
          onError: (task, error) =>
            log.warn({ taskId: task.id, kind: task.kind, err: error }, 'task attempt failed'),
        })
      : undefined;
  const app: App = {
    config,
    log,
    store,
    objects,
    tasks,
    identity,
    lineage,
    catalog,
    search,
    datasets,
    recordings,
    compute,
    metrics: createMetrics(tasks),
    worker,
    async close() {
      await compute.close();
      await worker?.stop();
      await lineage.stop();
      await objects.close();
      await store.close();
    },
  };
  opened.app = app;
  // Tasks may need the whole app (the demo seeding does), so workers start once it exists.
  worker?.start();
  if (options.worker === true) lineage.startForwarding();
  return app;
}
