/**
 * `npm run bench:catalog`: scenario search over the metadata of a petabyte-scale fleet, and the
 * throughput of dataset builds.
 *
 * - Fleet: `--recordings N` synthetic recordings (default 1,000,000; `syntheticRecording` of
 *   `src/catalog/testing/fleet-metadata.ts`) of about 1 GB, each with 20 channels (16 on the
 *   vehicles without lidar) and three 20 s segments with their tags, written straight into a
 *   fresh store with the real migrations, 2,000 recordings a transaction: multi-row INSERTs
 *   prepared once on SQLite (a file under `.bench/catalog/`), `INSERT … SELECT FROM unnest` on
 *   PostgreSQL (a fresh schema on DRIVETRAIN_BENCH_DATABASE_URL, by default the test server on
 *   127.0.0.1:5432, dropped afterwards). Six teams own the recordings round-robin; two data
 *   products of other teams, created and granted through the catalog service, serve part of
 *   theirs to the team searching.
 * - Queries: ten representative scenario queries through `SearchService.search` (the function
 *   the API calls), as a viewer of one team, so the access condition (own team or granted
 *   product, narrowed by the product's query) is part of every query; first page of 50 hits.
 *   Each query runs `--runs` times (default 30) after one warm-up; p50 and p95 of wall time.
 * - Builds: a few recordings generated (`planFleet`, `writeRecordingFile`), ingested into an app
 *   (`openApp` on SQLite with its worker), then a dataset definition over them built by the
 *   worker: samples/s of the whole build task; then the synchronization step alone
 *   (`synchronizeRecording` over the build's own plan, timelines already in memory).
 *
 * Targets: p95 ≤ 100 ms per query on both stores; build ≥ 200,000 samples/s.
 * Flags: `--recordings N`, `--runs N`, `--stores sqlite,postgres`, `--build-vehicles N`,
 * `--build-minutes N`, `--skip-build`.
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import Database from 'better-sqlite3';
import pg from 'pg';
import { allMigrations } from '../src/app/index.js';
import { CatalogService, loadContractValidator, SearchService } from '../src/catalog/index.js';
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
  type Principal,
  type Store,
} from '../src/platform/index.js';
import { benchBuild, type BuildFigures } from './support/catalog-build.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)), '.bench', 'catalog');

const { values: flags } = parseArgs({
  options: {
    recordings: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '30' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    'build-vehicles': { type: 'string', default: '4' },
    'build-minutes': { type: 'string', default: '2' },
    'skip-build': { type: 'boolean', default: false },
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

/** Writes batches of recordings into a table set; one transaction per batch. */
interface BulkWriter {
  write(recordings: readonly SyntheticRecording[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * SQLite: a second connection to the store's file, multi-row INSERTs of 100 rows prepared
 * once and reused, one transaction per batch (the store's own statements are built per call,
 * which a million-recording load cannot afford).
 */
function sqliteWriter(file: string): BulkWriter {
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
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
    for (const table of Object.keys(fleetTableColumns) as FleetTable[]) {
      const all = rows[table];
      for (let i = 0; i < all.length; i += perStatement) {
        const chunk = all.slice(i, i + perStatement);
        insert(table, chunk.length).run(chunk.flat());
      }
    }
  });
  return {
    write: (recordings) => Promise.resolve(writeBatch(fleetTableRows(recordings, Date.now()))),
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
  return {
    async write(recordings) {
      const rows = fleetTableRows(recordings, Date.now());
      await client.query('begin');
      for (const table of Object.keys(fleetTableColumns) as FleetTable[]) {
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
    close: () => client.end(),
  };
}

/** Generates and writes the fleet in batches of 2,000 recordings, printing progress. */
async function loadFleet(
  writer: BulkWriter,
  teamIds: readonly string[],
  started: number,
): Promise<StoreFigures['rows']> {
  const totals = { recordings: 0, segments: 0, tags: 0, channels: 0 };
  const batch = 2000;
  let reported = 0;
  try {
    for (let from = 0; from < recordingCount; from += batch) {
      const recordings = Array.from({ length: Math.min(batch, recordingCount - from) }, (_, i) =>
        syntheticRecording(from + i, { seed: 2026, teamIds, vehicles: 500 }),
      );
      await writer.write(recordings);
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
          `  loaded ${fmt(reported)} recordings in ${fmt(seconds, 1)} s (${fmt(reported / seconds)} recordings/s, load ${load()})`,
        );
      }
    }
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

interface StoreFigures {
  readonly kind: string;
  readonly loadSeconds: number;
  readonly rows: { recordings: number; segments: number; tags: number; channels: number };
  readonly productSeconds: number;
  readonly queries: QueryFigures[];
}

/** A fresh store of `kind` with every migration applied; `dispose` removes it. */
async function freshStore(
  kind: string,
): Promise<{ store: Store; writer: () => Promise<BulkWriter>; dispose: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = join(root, `sqlite-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const store = openSqliteStore(join(dir, 'drivetrain.db'));
    await store.migrate(allMigrations);
    return {
      store,
      writer: () => Promise.resolve(sqliteWriter(join(dir, 'drivetrain.db'))),
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_catalog_${process.pid}`;
  const store = openPostgresStore(databaseUrl, { schema });
  await store.migrate(allMigrations);
  return {
    store,
    writer: () => postgresWriter(schema),
    async dispose() {
      await store.close();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

function member(teamId: string, role: 'viewer' | 'data-steward', name: string): Principal {
  return {
    ref: `user:${name}`,
    userId: name,
    name,
    platformAdmin: false,
    memberships: [{ teamId, role }],
  };
}

async function benchStore(kind: string): Promise<StoreFigures> {
  console.log(`\n== ${kind}: ${fmt(recordingCount)} recordings (load average ${load()})`);
  const { store, writer, dispose } = await freshStore(kind);
  try {
    const admin = operatorPrincipal('bench');
    const identity = new IdentityService(store);
    const teams = new Map<string, string>();
    for (const name of teamNames) teams.set(name, (await identity.createTeam(admin, { name })).id);

    const started = performance.now();
    const rows = await loadFleet(await writer(), [...teams.values()], started);
    // Fresh statistics, as autovacuum would have gathered on a fleet loaded over months.
    if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);
    const loadSeconds = (performance.now() - started) / 1000;
    console.log(
      `  load: ${fmt(rows.recordings)} recordings, ${fmt(rows.channels)} channels, ${fmt(rows.segments)} segments, ${fmt(rows.tags)} segment tags in ${fmt(loadSeconds, 1)} s`,
    );

    // Access as a team sees it: its own recordings, plus what two other teams' products serve it.
    const catalog = new CatalogService(store, loadContractValidator(undefined));
    const search = new SearchService(store, catalog);
    const productsStarted = performance.now();
    const steward = (team: string) => member(teams.get(team)!, 'data-steward', `${team}-steward`);
    await catalog.createDomain(steward('perception'), {
      name: 'perception-data',
      ownerTeam: 'perception',
    });
    await catalog.createDomain(steward('mapping'), { name: 'mapping-data', ownerTeam: 'mapping' });
    await catalog.createProduct(steward('perception'), {
      name: 'de-night',
      domain: 'perception-data',
      classification: 'confidential',
      personalData: ['faces', 'license-plates'],
      residency: 'eu',
      rule: { countries: ['DE'], vehicles: ['veh-00*'], query: 'night' },
      slos: { requiredSensors: ['camera'], minCompletenessPercent: 90 },
    });
    await catalog.createProduct(steward('mapping'), {
      name: 'nl-lidar',
      domain: 'mapping-data',
      classification: 'internal',
      personalData: [],
      residency: 'eu',
      rule: { countries: ['NL'], sensors: ['lidar'], vehicles: ['veh-01*'] },
      slos: { requiredSensors: ['lidar'], minCompletenessPercent: 90 },
    });
    await catalog.grant(steward('perception'), 'de-night', 'planning');
    await catalog.grant(steward('mapping'), 'nl-lidar', 'planning');
    const productSeconds = (performance.now() - productsStarted) / 1000;
    console.log(`  two data products created and granted in ${fmt(productSeconds, 1)} s`);

    const planner = member(teams.get('planning')!, 'viewer', 'planner');
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
    return { kind, loadSeconds, rows, productSeconds, queries: figures };
  } finally {
    await dispose();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:catalog — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load average at start ${load()}`,
  );
  const stores: StoreFigures[] = [];
  for (const kind of storeKinds) stores.push(await benchStore(kind));
  let build: BuildFigures | undefined;
  if (!flags['skip-build']) {
    console.log(`\n== dataset build (load average ${load()})`);
    build = await benchBuild(root, Number(flags['build-vehicles']), Number(flags['build-minutes']));
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
      console.log(
        `${s.kind}: load ${fmt(s.rows.recordings)} recordings / ${fmt(s.rows.segments)} segments / ${fmt(s.rows.tags)} tags / ${fmt(s.rows.channels)} channels in ${fmt(s.loadSeconds, 1)} s; worst p95 ${fmt(worst, 1)} ms: target p95 ≤ ${targetP95Ms} ms ${worst <= targetP95Ms ? 'met' : 'NOT met'}`,
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
