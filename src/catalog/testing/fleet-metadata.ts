/**
 * Catalog metadata of a synthetic fleet written straight into the store, as ingest would write
 * it (recordings, channels, 20 s segments and their tags), without any recording files: for
 * tests that need exact rows, and for the catalog benchmark, which needs a million recordings.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Store } from '../../platform/index.js';
import { Random } from '../../recordings/index.js';
import type { SegmentFacts } from '../query/evaluate.js';

export interface SyntheticChannel {
  readonly key: number;
  readonly topic: string;
  readonly schemaName: string;
  readonly sensor: string;
  readonly messageCount: number;
  readonly frequencyHz: number;
}

export interface SyntheticSegment {
  readonly id: string;
  readonly seq: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly country: string | null;
  readonly daylight: 'day' | 'twilight' | 'night' | null;
  readonly speedKmhMean: number | null;
  readonly speedKmhMax: number | null;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly tags: readonly string[];
}

export interface SyntheticRecording {
  readonly id: string;
  readonly teamId: string;
  readonly name: string;
  readonly vehicle: string;
  readonly status: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly sizeBytes: number;
  readonly country: string | null;
  readonly channels: readonly SyntheticChannel[];
  readonly segments: readonly SyntheticSegment[];
}

/** A synthetic segment as the in-memory query evaluation (`matches`) sees it, with its id and team. */
export type SyntheticSegmentFacts = SegmentFacts & { readonly id: string; readonly teamId: string };

/** The facts of each segment of a synthetic recording, for checking a search against `matches`. */
export function segmentFacts(recording: SyntheticRecording): SyntheticSegmentFacts[] {
  return recording.segments.map((s) => ({
    id: s.id,
    teamId: recording.teamId,
    tags: new Set(s.tags),
    country: s.country,
    daylight: s.daylight,
    speedKmhMean: s.speedKmhMean,
    speedKmhMax: s.speedKmhMax,
    lat: s.lat,
    lon: s.lon,
    startMs: s.startMs,
    endMs: s.endMs,
    recordingId: recording.id,
    vehicle: recording.vehicle,
  }));
}

const countries: readonly [code: string, weight: number, lat: number, lon: number][] = [
  ['DE', 0.34, 48.14, 11.58],
  ['FR', 0.14, 48.86, 2.35],
  ['NL', 0.08, 52.37, 4.9],
  ['IT', 0.07, 45.46, 9.19],
  ['ES', 0.07, 40.42, -3.7],
  ['AT', 0.05, 48.21, 16.37],
  ['CH', 0.04, 47.38, 8.54],
  ['SE', 0.04, 59.33, 18.07],
  ['PL', 0.04, 52.23, 21.01],
  ['CZ', 0.03, 50.08, 14.44],
  ['BE', 0.03, 50.85, 4.35],
  ['DK', 0.02, 55.68, 12.57],
  ['US', 0.04, 37.77, -122.42],
  ['JP', 0.01, 35.68, 139.69],
];

const weathers: readonly [string, number][] = [
  ['clear', 0.58],
  ['rain', 0.24],
  ['fog', 0.1],
  ['snow', 0.08],
];

/** The 20 channels of a synthetic rig: which sensor each carries and at what rate. */
const rigChannels: readonly (readonly [
  topic: string,
  schema: string,
  sensor: string,
  hz: number,
])[] = [
  ...['front', 'front_left', 'front_right', 'rear', 'rear_left', 'rear_right'].map(
    (p) =>
      [
        `/sensors/camera/${p}/image/compressed`,
        'sensor_msgs/msg/CompressedImage',
        'camera',
        30,
      ] as const,
  ),
  ...['front', 'front_left', 'front_right', 'rear', 'rear_left', 'rear_right'].map(
    (p) =>
      [`/sensors/camera/${p}/camera_info`, 'sensor_msgs/msg/CameraInfo', 'camera', 30] as const,
  ),
  ['/sensors/lidar/top/points', 'sensor_msgs/msg/PointCloud2', 'lidar', 10],
  ...['front_left', 'front_right', 'rear_left', 'rear_right'].map(
    (p) => [`/sensors/radar/${p}/scan`, 'radar_msgs/msg/RadarScan', 'radar', 20] as const,
  ),
  ['/sensors/imu', 'sensor_msgs/msg/Imu', 'imu', 100],
  ['/sensors/gnss/fix', 'sensor_msgs/msg/NavSatFix', 'gnss', 10],
  ['/vehicle/can', 'can_msgs/msg/Frame', 'can', 500],
];

function pick<T>(
  random: Random,
  weighted: readonly (readonly [T, number, ...unknown[]])[],
): readonly [T, number, ...unknown[]] {
  let x = random.float();
  for (const entry of weighted) {
    x -= entry[1];
    if (x < 0) return entry;
  }
  return weighted[weighted.length - 1]!;
}

/** Options of a synthetic fleet. */
export interface FleetMetadataOptions {
  readonly seed: number;
  /** Teams owning the recordings, round-robin. */
  readonly teamIds: readonly string[];
  readonly segmentsPerRecording?: number;
  /** Vehicles of the fleet (`veh-0001` …); every fifth has no lidar. */
  readonly vehicles?: number;
  /** First recording start, epoch ms (2026-01-05 by default). */
  readonly startMs?: number;
  readonly campaigns?: number;
}

const segmentMs = 20_000;

/** The metadata of synthetic recording number `index` of a fleet (deterministic in seed and index). */
export function syntheticRecording(
  index: number,
  options: FleetMetadataOptions,
): SyntheticRecording {
  const random = Random.derive(options.seed, 'recording', index);
  const vehicles = options.vehicles ?? 500;
  const vehicleIndex = random.int(vehicles);
  const vehicle = `veh-${String(vehicleIndex).padStart(4, '0')}`;
  const hasLidar = vehicleIndex % 5 !== 0;
  const [country, , lat0, lon0] = pick(random, countries) as readonly [
    string,
    number,
    number,
    number,
  ];
  const [weather] = pick(random, weathers);
  const startMs =
    (options.startMs ?? Date.UTC(2026, 0, 5)) +
    index * 97_000 +
    Math.floor(random.float() * 3_600_000);
  const hourUtc = new Date(startMs).getUTCHours();
  const night = hourUtc >= 19 || hourUtc < 5;
  const twilight = hourUtc === 5 || hourUtc === 6 || hourUtc === 18;
  const segments: SyntheticSegment[] = [];
  const count = options.segmentsPerRecording ?? 3;
  const highwayTrip = random.chance(0.3);
  const campaign = `campaign:c${random.int(options.campaigns ?? 20)}`;
  const id = `rec_${String(index).padStart(8, '0')}`;
  let lat = lat0 + random.range(-0.5, 0.5);
  let lon = lon0 + random.range(-0.5, 0.5);
  const gnssFix = random.chance(0.98);
  for (let seq = 0; seq < count; seq++) {
    const base = highwayTrip ? random.range(80, 140) : random.range(0, 70);
    const mean = Math.max(0, Math.round(base * 10) / 10);
    const max = Math.round((mean + random.range(0, 15)) * 10) / 10;
    const daylight = night ? 'night' : twilight ? 'twilight' : 'day';
    const speedClass =
      mean < 1 ? 'standstill' : mean < 50 ? 'urban' : mean <= 100 ? 'rural' : 'highway';
    const tags = [
      'sensor:camera',
      ...(hasLidar && !random.chance(0.01) ? ['sensor:lidar'] : []),
      'sensor:radar',
      'sensor:imu',
      ...(gnssFix ? ['sensor:gnss'] : []),
      'sensor:can',
      daylight,
      ...(gnssFix ? [`country:${country}`] : []),
      `speed:${speedClass}`,
      weather,
      campaign,
    ];
    lat += (mean / 3600) * 20 * 0.009 * (random.float() - 0.3);
    lon += (mean / 3600) * 20 * 0.013 * (random.float() - 0.3);
    segments.push({
      id: `seg_${String(index).padStart(8, '0')}_${String(seq).padStart(3, '0')}`,
      seq,
      startMs: startMs + seq * segmentMs,
      endMs: startMs + (seq + 1) * segmentMs,
      country: gnssFix ? country : null,
      daylight,
      speedKmhMean: mean,
      speedKmhMax: max,
      lat: gnssFix ? Math.round(lat * 1e6) / 1e6 : null,
      lon: gnssFix ? Math.round(lon * 1e6) / 1e6 : null,
      tags,
    });
  }
  const seconds = (count * segmentMs) / 1000;
  const channels = rigChannels
    .filter(([, , sensor]) => hasLidar || sensor !== 'lidar')
    .map(([topic, schemaName, sensor, hz], key) => ({
      key,
      topic,
      schemaName,
      sensor,
      messageCount: Math.round(hz * seconds),
      frequencyHz: hz,
    }));
  return {
    id,
    teamId: options.teamIds[index % options.teamIds.length]!,
    name: `drive-${vehicle}-${index}.mcap`,
    vehicle,
    status: 'ready',
    startMs,
    endMs: startMs + count * segmentMs,
    sizeBytes: 1_000_000_000 + random.int(100_000_000),
    country: gnssFix ? country : null,
    channels,
    segments,
  };
}

/** One value of a row as it is inserted. */
export type Cell = string | number | null;

/** The rows of a batch of recordings, table by table, as the ingest would write them. */
export function fleetTableRows(recordings: readonly SyntheticRecording[], now: number) {
  return {
    recordings: recordings.map((r): Cell[] => [
      r.id,
      `synthetic-${r.id}`,
      r.teamId,
      r.name,
      'mcap',
      r.status,
      r.sizeBytes,
      r.sizeBytes,
      `recordings/${r.id}.mcap`,
      r.vehicle,
      `${r.startMs}000000`,
      `${r.endMs}000000`,
      r.startMs,
      r.endMs,
      r.channels.reduce((sum, c) => sum + c.messageCount, 0),
      r.country,
      '[]',
      'system',
      now,
      now,
    ]),
    recording_channels: recordings.flatMap((r) =>
      r.channels.map((c): Cell[] => [
        r.id,
        c.key,
        c.topic,
        c.schemaName,
        'ros2msg',
        'cdr',
        c.sensor,
        c.messageCount,
        c.frequencyHz,
        r.startMs,
        r.endMs,
        0,
      ]),
    ),
    segments: recordings.flatMap((r) =>
      r.segments.map((s): Cell[] => [
        s.id,
        r.id,
        s.seq,
        s.startMs,
        s.endMs,
        s.country,
        s.daylight,
        s.speedKmhMean,
        s.speedKmhMax,
        s.lat,
        s.lon,
        JSON.stringify(s.tags),
      ]),
    ),
    segment_tags: recordings.flatMap((r) =>
      r.segments.flatMap((s) => s.tags.map((tag): Cell[] => [s.id, tag])),
    ),
  };
}

/** The columns `fleetTableRows` fills, table by table, in insertion order. */
export const fleetTableColumns = {
  recordings: [
    'id',
    'sha256',
    'team_id',
    'name',
    'format',
    'status',
    'size',
    'bytes_read',
    'object_key',
    'vehicle',
    'start_ns',
    'end_ns',
    'start_ms',
    'end_ms',
    'message_count',
    'country',
    'metadata',
    'created_by',
    'created_at',
    'ingested_at',
  ],
  recording_channels: [
    'recording_id',
    'channel_key',
    'topic',
    'schema_name',
    'schema_encoding',
    'message_encoding',
    'sensor',
    'message_count',
    'frequency_hz',
    'start_ms',
    'end_ms',
    'gap_count',
  ],
  segments: [
    'id',
    'recording_id',
    'seq',
    'start_ms',
    'end_ms',
    'country',
    'daylight',
    'speed_kmh_mean',
    'speed_kmh_max',
    'lat',
    'lon',
    'tags',
  ],
  segment_tags: ['segment_id', 'tag'],
} as const;
export type FleetTable = keyof typeof fleetTableColumns;
async function insertRows(
  db: Kysely<unknown>,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly Cell[])[],
): Promise<void> {
  // SQLite allows 32766 parameters per statement and PostgreSQL 65535; stay well below both.
  const perStatement = Math.max(1, Math.floor(30_000 / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const values: RawBuilder<unknown>[] = chunk.map((row) => sql`(${sql.join([...row])})`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${sql.join(values)}`.execute(
      db,
    );
  }
}

/** Writes recordings (with channels, segments and tags) in one transaction. */
export async function insertRecordings(
  store: Store,
  recordings: readonly SyntheticRecording[],
): Promise<void> {
  const rows = fleetTableRows(recordings, Date.now());
  await store.transaction(async (trx) => {
    const tx = trx as unknown as Kysely<unknown>;
    for (const table of Object.keys(fleetTableColumns) as FleetTable[]) {
      await insertRows(tx, table, fleetTableColumns[table], rows[table]);
    }
  });
}

/** Writes a synthetic fleet of `count` recordings in batches; returns what it wrote. */
export async function generateFleetMetadata(
  store: Store,
  count: number,
  options: FleetMetadataOptions & { batch?: number; onProgress?: (done: number) => void },
): Promise<{ recordings: number; segments: number; tags: number; channels: number }> {
  const batch = options.batch ?? 1000;
  const totals = { recordings: 0, segments: 0, tags: 0, channels: 0 };
  for (let from = 0; from < count; from += batch) {
    const recordings = Array.from({ length: Math.min(batch, count - from) }, (_, i) =>
      syntheticRecording(from + i, options),
    );
    await insertRecordings(store, recordings);
    totals.recordings += recordings.length;
    for (const r of recordings) {
      totals.channels += r.channels.length;
      totals.segments += r.segments.length;
      for (const s of r.segments) totals.tags += s.tags.length;
    }
    options.onProgress?.(totals.recordings);
  }
  return totals;
}
