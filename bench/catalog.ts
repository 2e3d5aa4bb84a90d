/**
 * `npm run bench:catalog`: scenario search over the metadata of a petabyte-scale fleet, and the
 * throughput of dataset builds.
 *
 * - Fleet: `--recordings N` synthetic recordings (default 1,000,000; `syntheticRecording` of
 *   `src/catalog/testing/fleet-metadata.ts`) of about 1 GB, each with 20 channels (16 on the
 *   vehicles without lidar) and three 20 s segments with their tags, written straight into a
 *   fresh store with the real migrations, 2,000 recordings a transaction: multi-row INSERTs
 *   prepared once on SQLite (a file under `.bench/catalog/`), `INSERT … SELECT FROM unnest` on
 *   PostgreSQL (a schema on DRIVETRAIN_BENCH_DATABASE_URL, by default the test server on
 *   127.0.0.1:5432). The secondary indexes of the fleet's tables are dropped for the load and
 *   built again from their own definitions afterwards; then the store is brought to the state a
 *   running one is in (SQLite: reopened, which gathers planner statistics; PostgreSQL: `VACUUM
 *   ANALYZE`, which autovacuum runs on tables that grew, making index-only scans possible).
 *   Six teams own the recordings round-robin; two data products of other teams, created and
 *   granted through the catalog service, serve part of theirs to the team searching.
 * - Cache: a loaded fleet (the SQLite file, the PostgreSQL schema) is kept and reused by the next
 *   run with the same recording count and the same key: a hash of the migrations (names and the
 *   schema they make), of sample rows of the generator and of the teams and products set up, so
 *   a fleet built by other code is never reused. `--fresh` loads anew and removes it afterwards.
 * - Queries: ten representative scenario queries through `SearchService.search` (the function
 *   the API calls), as a viewer of one team, so the access condition (own team or granted
 *   product, narrowed by the product's query) is part of every query; first page of 50 hits.
 *   Each query runs `--runs` times (default 30) after one warm-up; p50 and p95 of wall time.
 * - Builds: a fleet of `--build-vehicles` (default 48) recordings of `--build-minutes` (default
 *   5) generated (`planFleet`, `writeRecordingFile`) and ingested into an app (`openApp` on SQLite
 *   with its worker) once, then kept under `.bench/catalog/`; a dataset definition over them built
 *   by the worker: samples/s of the whole build task; then the synchronization step alone
 *   (`synchronizeRecording` over the build's own plan, timelines already in memory).
 *
 * Targets: p95 ≤ 100 ms per query on both stores; build ≥ 200,000 samples/s.
 * Flags: `--recordings N`, `--runs N`, `--stores sqlite,postgres`, `--build-vehicles N`,
 * `--build-minutes N`, `--skip-build`, `--fresh`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import Database from 'better-sqlite3';
import pg from 'pg';
import { allMigrations } from '../src/app/index.js';
import {
  CatalogService,
  loadContractValidator,
  SearchService,
  type ProductInput,
} from '../src/catalog/index.js';
import {
  fleetTableColumns,
  fleetTableRows,
  syntheticRecording,
  type FleetTable,
  type SyntheticRecording,
} from '../src/catalog/testing/fleet-metadata.js';
import {
  IdentityService,
  openPostgresStore,
  openSqliteStore,
  operatorPrincipal,
  type Store,
} from '../src/platform/index.js';
import { member } from '../test/support/catalog.js';
import { benchBuild, type BuildFigures } from './support/catalog-build.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)), '.bench', 'catalog');

const { values: flags } = parseArgs({
  options: {
    recordings: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '30' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    'build-vehicles': { type: 'string', default: '48' },
    'build-minutes': { type: 'string', default: '5' },
    'skip-build': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
  },
});
const recordingCount = Number(flags.recordings);
const runs = Number(flags.runs);
const storeKinds = flags.stores.split(',').filter(Boolean);
const databaseUrl =
  process.env.DRIVETRAIN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const targetP95Ms = 100;
const targetSamplesPerSecond = 200_000;

/** The queries an ML engineer types, from broad to needle-in-a-haystack. */
const queries: readonly string[] = [
  'sensors has lidar and country = "DE" and night and speed_kmh > 80 and rain',
  'night and rain',
  'highway and snow and sensors has lidar',
  'country in ("FR", "NL") and speed:urban and not rain',
  'country = "JP" and night',
  'speed_kmh > 130 and fog',
  'vehicle = "veh-0042" and day',
  'campaign:c7 and not sensors has lidar',
  'start >= "2027-06-01T00:00:00Z" and start < "2027-06-02T00:00:00Z" and twilight',
  'lat > 52.2 and lat < 52.5 and lon > 4.7 and lon < 5.1 and speed:standstill',
];

const teamNames = ['perception', 'planning', 'mapping', 'validation', 'safety', 'fleet-ops'];

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Postgres types of the columns, for the arrays `unnest` spreads into rows. */
const pgTypes: Record<FleetTable, readonly string[]> = {
  recordings: [
    'text',
    'text',
    'text',
    'text',
    'text',
    'text',
    'int8',
    'int8',
    'text',
    'text',
    'text',
    'text',
    'int8',
    'int8',
    'int8',
    'text',
    'text',
    'text',
    'int8',
    'int8',
  ],
  recording_channels: [
    'text',
    'int4',
    'text',
    'text',
    'text',
    'text',
    'text',
    'int8',
    'float8',
    'int8',
    'int8',
    'int4',
  ],
  segments: [
    'text',
    'text',
    'int4',
    'int8',
    'int8',
    'text',
    'text',
    'float8',
    'float8',
    'float8',
    'float8',
    'text',
  ],
  segment_tags: ['text', 'text'],
};

/** The tables the fleet fills, in insertion order. */
const fleetTables = Object.keys(fleetTableColumns) as FleetTable[];

/** The generator's options (teams aside): part of the cache key through the rows they make. */
const fleetOptions = { seed: 2026, vehicles: 500 } as const;

/** The domains, products and grants set up after the load, by owner team. */
const productSetup: readonly {
  team: string;
  domain: string;
  product: ProductInput;
  grantee: string;
}[] = [
  {
    team: 'perception',
    domain: 'perception-data',
    product: {
      name: 'de-night',
      domain: 'perception-data',
      classification: 'confidential',
      personalData: ['faces', 'license-plates'],
      residency: 'eu',
      rule: { countries: ['DE'], vehicles: ['veh-00*'], query: 'night' },
      slos: { requiredSensors: ['camera'], minCompletenessPercent: 90 },
    },
    grantee: 'planning',
  },
  {
    team: 'mapping',
    domain: 'mapping-data',
    product: {
      name: 'nl-lidar',
      domain: 'mapping-data',
      classification: 'internal',
      personalData: [],
      residency: 'eu',
      rule: { countries: ['NL'], sensors: ['lidar'], vehicles: ['veh-01*'] },
      slos: { requiredSensors: ['lidar'], minCompletenessPercent: 90 },
    },
    grantee: 'planning',
  },
];

/**
 * Writes batches of recordings into a table set, one transaction per batch, with the secondary
 * indexes of the fleet's tables dropped: built once from all keys at the end, they cost a
 * fraction of keeping them up to date row by row.
 */
interface BulkWriter {
  /** Starts writing a batch; the caller may prepare the next one before awaiting it. */
  write(recordings: readonly SyntheticRecording[]): Promise<void>;
  /** Builds the dropped indexes again from their own definitions. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/**
 * SQLite: a second connection to the store's file, multi-row INSERTs of 100 rows prepared
 * once and reused (the store's own statements are built per call, which a million-recording
 * load cannot afford).
 */
function sqliteWriter(file: string): BulkWriter {
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Room to sort index keys in memory when the indexes are built.
  database.pragma('cache_size = -1000000');
  const indexes = database
    .prepare(
      `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${fleetTables.map(() => '?').join(',')})`,
    )
    .all(...fleetTables) as { name: string; sql: string }[];
  for (const index of indexes) database.exec(`drop index "${index.name}"`);
  const perStatement = 100;
  const statements = new Map<string, Database.Statement>();
  const insert = (table: FleetTable, count: number) => {
    const key = `${table}:${count}`;
    let statement = statements.get(key);
    if (statement === undefined) {
      const row = `(${fleetTableColumns[table].map(() => '?').join(',')})`;
      statement = database.prepare(
        `insert into ${table} (${fleetTableColumns[table].join(',')}) values ${Array(count).fill(row).join(',')}`,
      );
      statements.set(key, statement);
    }
    return statement;
  };
  const writeBatch = database.transaction((rows: ReturnType<typeof fleetTableRows>) => {
    for (const table of fleetTables) {
      const all = rows[table];
      for (let i = 0; i < all.length; i += perStatement) {
        const chunk = all.slice(i, i + perStatement);
        insert(table, chunk.length).run(chunk.flat());
      }
    }
  });
  return {
    write: (recordings) => Promise.resolve(writeBatch(fleetTableRows(recordings, Date.now()))),
    finish() {
      for (const index of indexes) database.exec(index.sql);
      return Promise.resolve();
    },
    close: () => Promise.resolve(void database.close()),
  };
}

/** PostgreSQL: one INSERT … SELECT FROM unnest(column arrays) per table and batch. */
async function postgresWriter(schema: string): Promise<BulkWriter> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    options: `-c search_path="${schema}"`,
  });
  await client.connect();
  // Secondary indexes only: those behind primary keys and unique constraints stay, as the
  // constraints (and the foreign keys referring to them) are checked during the load.
  const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
    `select i.indexname, i.indexdef from pg_indexes i
     where i.schemaname = $1 and i.tablename = any($2)
       and not exists (select 1 from pg_constraint c
                       where c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)`,
    [schema, fleetTables],
  );
  for (const index of indexes) await client.query(`drop index "${index.indexname}"`);
  return {
    async write(recordings) {
      const rows = fleetTableRows(recordings, Date.now());
      await client.query('begin');
      for (const table of fleetTables) {
        const columns = fleetTableColumns[table];
        const arrays = columns.map((_, c) => rows[table].map((row) => row[c]));
        const spread = pgTypes[table].map((type, c) => `$${c + 1}::${type}[]`).join(', ');
        await client.query(
          `insert into ${table} (${columns.join(',')}) select * from unnest(${spread})`,
          arrays,
        );
      }
      await client.query('commit');
    },
    async finish() {
      await client.query(`set maintenance_work_mem = '1GB'`);
      for (const index of indexes) await client.query(index.indexdef);
    },
    close: () => client.end(),
  };
}

/**
 * Generates and writes the fleet in batches of 2,000 recordings, printing progress. The next
 * batch is generated while the database writes the previous one (PostgreSQL works in its own
 * process); then the dropped indexes are built.
 */
async function loadFleet(
  writer: BulkWriter,
  teamIds: readonly string[],
  started: number,
): Promise<FleetRows> {
  const totals = { recordings: 0, segments: 0, tags: 0, channels: 0 };
  const batch = 2000;
  let reported = 0;
  let writing = Promise.resolve();
  try {
    for (let from = 0; from < recordingCount; from += batch) {
      const recordings = Array.from({ length: Math.min(batch, recordingCount - from) }, (_, i) =>
        syntheticRecording(from + i, { ...fleetOptions, teamIds }),
      );
      await writing;
      writing = writer.write(recordings);
      totals.recordings += recordings.length;
      for (const r of recordings) {
        totals.channels += r.channels.length;
        totals.segments += r.segments.length;
        for (const s of r.segments) totals.tags += s.tags.length;
      }
      if (totals.recordings - reported >= 100_000 || totals.recordings === recordingCount) {
        reported = totals.recordings;
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `  writing ${fmt(reported)} recordings after ${fmt(seconds, 1)} s (${fmt(reported / seconds)} recordings/s, load ${load()})`,
        );
      }
    }
    await writing;
    const indexing = performance.now();
    await writer.finish();
    console.log(
      `  indexes built in ${fmt((performance.now() - indexing) / 1000, 1)} s (load ${load()})`,
    );
  } finally {
    await writer.close();
  }
  return totals;
}

interface QueryFigures {
  readonly query: string;
  readonly p50: number;
  readonly p95: number;
  readonly hits: number;
}

interface FleetRows {
  recordings: number;
  segments: number;
  tags: number;
  channels: number;
}

/** How a fleet was set up: written with the cache, so a run reusing it can tell. */
interface FleetSetup {
  readonly loadedAt: string;
  readonly loadSeconds: number;
  readonly productSeconds: number;
  readonly rows: FleetRows;
}

interface StoreFigures {
  readonly kind: string;
  readonly setup: FleetSetup;
  readonly reused: boolean;
  readonly queries: QueryFigures[];
}

/**
 * The cache key of a loaded fleet: the migrations (names, and the schema they make on SQLite),
 * sample rows of the generator (first and last recordings), the teams and the products.
 */
async function fleetKey(): Promise<string> {
  const probe = openSqliteStore(':memory:');
  await probe.migrate(allMigrations);
  const schema = await sql<{
    name: string;
    sql: string | null;
  }>`select name, sql from sqlite_master order by name`.execute(probe.db);
  await probe.close();
  const teamIds = teamNames.map((_, i) => `team-${i}`);
  const sample = [0, 1, 2, recordingCount - 1].map((i) =>
    syntheticRecording(i, { ...fleetOptions, teamIds }),
  );
  return createHash('sha256')
    .update(
      JSON.stringify({
        migrations: allMigrations.map((m) => m.name),
        schema: schema.rows,
        rows: fleetTableRows(sample, 0),
        teamNames,
        productSetup,
      }),
    )
    .digest('hex')
    .slice(0, 12);
}

/** A store holding the fleet: reused from the cache when it is there, else made empty. */
interface FleetStore {
  readonly store: Store;
  /** The setup found in the cache; undefined for a store to load. */
  readonly cached: FleetSetup | undefined;
  writer(): Promise<BulkWriter>;
  /**
   * Brings the loaded store to the state of one in use: SQLite closed and opened again, as the
   * app starts (gathering statistics); PostgreSQL vacuumed and analyzed, as autovacuum would.
   */
  settle(): Promise<Store>;
  /** Marks the fleet complete, so that later runs reuse it. */
  keep(setup: FleetSetup): Promise<void>;
  dispose(): Promise<void>;
}

async function fleetStore(kind: string, key: string): Promise<FleetStore> {
  const fresh = flags.fresh;
  if (kind === 'sqlite') {
    const prefix = `fleet-sqlite-${recordingCount}-`;
    const dir = join(root, fresh ? `sqlite-${process.pid}` : `${prefix}${key}`);
    const file = join(dir, 'drivetrain.db');
    const marker = join(dir, 'fleet.json');
    const cached = existsSync(marker)
      ? (JSON.parse(readFileSync(marker, 'utf8')) as FleetSetup)
      : undefined;
    if (cached === undefined) {
      if (existsSync(root)) {
        for (const stale of readdirSync(root).filter((name) => name.startsWith(prefix))) {
          rmSync(join(root, stale), { recursive: true, force: true });
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
    let store = openSqliteStore(file);
    await store.migrate(allMigrations);
    return {
      get store() {
        return store;
      },
      cached,
      writer: () => Promise.resolve(sqliteWriter(file)),
      async settle() {
        await store.close();
        store = openSqliteStore(file);
        return store;
      },
      keep(setup) {
        if (!fresh) writeFileSync(marker, JSON.stringify(setup));
        return Promise.resolve();
      },
      async dispose() {
        await store.close();
        if (fresh) rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  const prefix = `bench_catalog_${recordingCount}_`;
  const schema = fresh ? `bench_catalog_${process.pid}` : `${prefix}${key}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ nspname: string; setup: string | null }>(
      `select nspname, obj_description(oid, 'pg_namespace') as setup from pg_namespace
       where nspname = $1 or nspname like $2`,
      [schema, `${prefix}%`],
    );
    const setup = rows.find((r) => r.nspname === schema)?.setup ?? null;
    const cached = setup === null ? undefined : (JSON.parse(setup) as FleetSetup);
    if (cached === undefined) {
      for (const { nspname } of rows) await admin.query(`drop schema "${nspname}" cascade`);
    }
    let store = openPostgresStore(databaseUrl, { schema });
    await store.migrate(allMigrations);
    return {
      get store() {
        return store;
      },
      cached,
      writer: () => postgresWriter(schema),
      async settle() {
        await sql`vacuum analyze`.execute(store.db);
        await store.close();
        store = openPostgresStore(databaseUrl, { schema });
        return store;
      },
      async keep(setup) {
        if (fresh) return;
        await sql`comment on schema ${sql.id(schema)} is ${sql.lit(JSON.stringify(setup))}`.execute(
          store.db,
        );
      },
      async dispose() {
        await store.close();
        if (!fresh) return;
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      },
    };
  } finally {
    await admin.end();
  }
}

/**
 * Loads the fleet into an empty store: teams, recordings, the products and their grants, then
 * statistics; returns the store to query and the setup's figures.
 */
async function setUpFleet(fleet: FleetStore): Promise<{ store: Store; setup: FleetSetup }> {
  const admin = operatorPrincipal('bench');
  const identity = new IdentityService(fleet.store);
  const teams = new Map<string, string>();
  for (const name of teamNames) {
    teams.set(name, (await identity.createTeam(admin, { name })).id);
  }
  const started = performance.now();
  const rows = await loadFleet(await fleet.writer(), [...teams.values()], started);
  const loadSeconds = (performance.now() - started) / 1000;
  console.log(
    `  load: ${fmt(rows.recordings)} recordings, ${fmt(rows.channels)} channels, ${fmt(rows.segments)} segments, ${fmt(rows.tags)} segment tags in ${fmt(loadSeconds, 1)} s`,
  );

  // Access as a team sees it: its own recordings, plus what two other teams' products serve it.
  const catalog = new CatalogService(fleet.store, loadContractValidator(undefined));
  const productsStarted = performance.now();
  for (const { team, domain, product, grantee } of productSetup) {
    const steward = member(teams.get(team)!, 'data-steward', `${team}-steward`);
    await catalog.createDomain(steward, { name: domain, ownerTeam: team });
    await catalog.createProduct(steward, product);
    await catalog.grant(steward, String(product.name), grantee);
  }
  const productSeconds = (performance.now() - productsStarted) / 1000;
  console.log(`  two data products created and granted in ${fmt(productSeconds, 1)} s`);

  // Statistics (and on PostgreSQL the visibility map) as a running store has them: SQLite
  // gathers them when the store opens; on PostgreSQL autovacuum would have, on a fleet loaded
  // over months.
  const statsStarted = performance.now();
  const store = await fleet.settle();
  console.log(
    `  statistics gathered in ${fmt((performance.now() - statsStarted) / 1000, 1)} s (load ${load()})`,
  );
  const setup = { loadedAt: new Date().toISOString(), loadSeconds, productSeconds, rows };
  await fleet.keep(setup);
  return { store, setup };
}

async function benchStore(kind: string, key: string): Promise<StoreFigures> {
  console.log(`\n== ${kind}: ${fmt(recordingCount)} recordings (load average ${load()})`);
  const fleet = await fleetStore(kind, key);
  try {
    let store = fleet.store;
    let setup = fleet.cached;
    if (setup === undefined) {
      ({ store, setup } = await setUpFleet(fleet));
    } else {
      console.log(
        `  reusing the fleet loaded ${setup.loadedAt} (key ${key}; loaded in ${fmt(setup.loadSeconds, 1)} s)`,
      );
    }
    const catalog = new CatalogService(store, loadContractValidator(undefined));
    const search = new SearchService(store, catalog);
    const planning = await store.db
      .selectFrom('teams')
      .select('id')
      .where('name', '=', 'planning')
      .executeTakeFirstOrThrow();
    const planner = member(planning.id, 'viewer', 'planner');
    const figures: QueryFigures[] = [];
    for (const query of queries) {
      const first = await search.search(planner, { query, limit: 50 });
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const t0 = performance.now();
        await search.search(planner, { query, limit: 50 });
        times.push(performance.now() - t0);
      }
      const row = {
        query,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        hits: first.items.length,
      };
      figures.push(row);
      console.log(
        `  ${row.p95 <= targetP95Ms ? 'ok  ' : 'SLOW'} p50 ${fmt(row.p50, 1)} ms, p95 ${fmt(row.p95, 1)} ms, ${row.hits} hits: ${query}`,
      );
    }
    return { kind, setup, reused: fleet.cached !== undefined, queries: figures };
  } finally {
    await fleet.dispose();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:catalog — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load average at start ${load()}`,
  );
  const stores: StoreFigures[] = [];
  const key = storeKinds.length > 0 ? await fleetKey() : '';
  for (const kind of storeKinds) stores.push(await benchStore(kind, key));
  let build: BuildFigures | undefined;
  if (!flags['skip-build']) {
    console.log(`\n== dataset build (load average ${load()})`);
    build = await benchBuild(
      root,
      Number(flags['build-vehicles']),
      Number(flags['build-minutes']),
      { fresh: flags.fresh },
    );
  }

  console.log(`\nresults (load average at end ${load()})\n`);
  if (stores.length > 0) {
    console.log(`| query | ${stores.map((s) => `${s.kind} p50 / p95 ms`).join(' | ')} |`);
    console.log(`| --- | ${stores.map(() => '---:').join(' | ')} |`);
    queries.forEach((query, i) => {
      const cells = stores.map((s) => {
        const q = s.queries[i]!;
        return `${fmt(q.p50, 1)} / ${fmt(q.p95, 1)}${q.p95 > targetP95Ms ? ' (missed)' : ''}`;
      });
      console.log(`| \`${query}\` | ${cells.join(' | ')} |`);
    });
    for (const s of stores) {
      const worst = Math.max(...s.queries.map((q) => q.p95));
      const { rows, loadSeconds, loadedAt } = s.setup;
      console.log(
        `${s.kind}: ${fmt(rows.recordings)} recordings / ${fmt(rows.segments)} segments / ${fmt(rows.tags)} tags / ${fmt(rows.channels)} channels, loaded in ${fmt(loadSeconds, 1)} s${s.reused ? ` (cached, ${loadedAt})` : ''}; worst p95 ${fmt(worst, 1)} ms: target p95 ≤ ${targetP95Ms} ms ${worst <= targetP95Ms ? 'met' : 'NOT met'}`,
      );
    }
  }
  if (build !== undefined) {
    const rate = build.samples / build.buildSeconds;
    console.log(
      `build: ${build.recordings} recordings × ${build.seconds} s, ${fmt(build.samples)} samples in ${fmt(build.buildSeconds, 2)} s = ${fmt(rate)} samples/s (target ≥ ${fmt(targetSamplesPerSecond)}: ${rate >= targetSamplesPerSecond ? 'met' : 'NOT met'}); sync step alone ${fmt(build.syncSamples / build.syncSeconds)} samples/s (${fmt(build.syncSeconds * 1000, 1)} ms)`,
    );
  }
}

await main();
