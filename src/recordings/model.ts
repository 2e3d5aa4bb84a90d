import type { ChannelsTable, RecordingsTable, SegmentsTable } from './tables.js';

export const recordingStatuses = [
  'queued',
  'ingesting',
  'catalogued',
  'ready',
  'rejected',
] as const;
/**
 * `queued` until its ingest task runs; `catalogued` once channels and segments are known (for
 * indexed files from the index alone); `ready` once every message was read (timelines, exact
 * statistics, tags); `rejected` when the file is not a recording drivetrain can read.
 */
export type RecordingStatus = (typeof recordingStatuses)[number];

/** Why a recording was rejected: a stable code, a message naming the problem, the byte offset. */
export interface RecordingError {
  readonly code: string;
  readonly message: string;
  readonly offset: number | null;
}

export interface Channel {
  readonly key: number;
  readonly topic: string;
  readonly sensor: string;
  readonly schemaName: string;
  readonly schemaEncoding: string;
  readonly messageEncoding: string;
  readonly messageCount: number;
  readonly frequencyHz: number | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly maxGapMs: number | null;
  readonly gapCount: number;
}

export interface Recording {
  readonly id: string;
  readonly sha256: string;
  readonly name: string;
  readonly format: string | null;
  readonly status: RecordingStatus;
  readonly teamId: string;
  readonly vehicle: string | null;
  readonly size: number;
  readonly bytesRead: number;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly durationSeconds: number | null;
  readonly messageCount: number | null;
  readonly country: string | null;
  readonly bbox: { minLat: number; minLon: number; maxLat: number; maxLon: number } | null;
  readonly metadata: { name: string; entries: Record<string, string> }[];
  readonly library: string | null;
  readonly error: RecordingError | null;
  readonly taskId: string | null;
  /** Sync quality of the analysed recording: score 0–100 and whether it met the threshold. */
  readonly sync: { readonly score: number; readonly passed: boolean } | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly ingestedAt: string | null;
}

export interface Segment {
  readonly id: string;
  readonly recordingId: string;
  readonly seq: number;
  readonly start: string;
  readonly end: string;
  readonly country: string | null;
  readonly daylight: string | null;
  readonly speedKmhMean: number | null;
  readonly speedKmhMax: number | null;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly tags: string[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Nanoseconds as decimal text to an ISO time (millisecond precision, as JSON shows times). */
export function nsToIso(ns: string | null): string | null {
  return ns === null ? null : new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}

export function toRecording(row: RecordingsTable): Recording {
  const duration =
    row.start_ns === null || row.end_ns === null
      ? null
      : Number(BigInt(row.end_ns) - BigInt(row.start_ns)) / 1e9;
  return {
    id: row.id,
    sha256: row.sha256,
    name: row.name,
    format: row.format,
    status: row.status as RecordingStatus,
    teamId: row.team_id,
    vehicle: row.vehicle,
    size: row.size,
    bytesRead: row.bytes_read,
    startTime: nsToIso(row.start_ns),
    endTime: nsToIso(row.end_ns),
    durationSeconds: duration,
    messageCount: row.message_count,
    country: row.country,
    bbox:
      row.min_lat === null || row.min_lon === null || row.max_lat === null || row.max_lon === null
        ? null
        : { minLat: row.min_lat, minLon: row.min_lon, maxLat: row.max_lat, maxLon: row.max_lon },
    metadata: JSON.parse(row.metadata) as Recording['metadata'],
    library: row.library,
    error: row.error === null ? null : (JSON.parse(row.error) as RecordingError),
    taskId: row.task_id,
    sync: row.sync_score === null ? null : { score: row.sync_score, passed: row.sync_passed === 1 },
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    ingestedAt: iso(row.ingested_at),
  };
}

export function toChannel(row: ChannelsTable): Channel {
  return {
    key: row.channel_key,
    topic: row.topic,
    sensor: row.sensor,
    schemaName: row.schema_name,
    schemaEncoding: row.schema_encoding,
    messageEncoding: row.message_encoding,
    messageCount: row.message_count,
    frequencyHz: row.frequency_hz,
    startTime: iso(row.start_ms),
    endTime: iso(row.end_ms),
    maxGapMs: row.max_gap_ms,
    gapCount: row.gap_count,
  };
}

export function toSegment(row: SegmentsTable): Segment {
  return {
    id: row.id,
    recordingId: row.recording_id,
    seq: row.seq,
    start: new Date(row.start_ms).toISOString(),
    end: new Date(row.end_ms).toISOString(),
    country: row.country,
    daylight: row.daylight,
    speedKmhMean: row.speed_kmh_mean,
    speedKmhMax: row.speed_kmh_max,
    lat: row.lat,
    lon: row.lon,
    tags: JSON.parse(row.tags) as string[],
  };
}
