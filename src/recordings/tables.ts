/** Row types of the recordings context (conventions: see platform/store/tables.ts). */
export type RecordingsTable = {
  id: string;
  sha256: string;
  team_id: string;
  name: string;
  format: string | null;
  status: string;
  size: number;
  bytes_read: number;
  /** Object store key of the file, or of the folder prefix for multi-file bags. */
  object_key: string;
  vehicle: string | null;
  /** Exact first/last log time in ns since the epoch, as decimal text (beyond 2^53). */
  start_ns: string | null;
  end_ns: string | null;
  start_ms: number | null;
  end_ms: number | null;
  message_count: number | null;
  country: string | null;
  min_lat: number | null;
  min_lon: number | null;
  max_lat: number | null;
  max_lon: number | null;
  /** `{code, message, offset}` of a rejected recording. */
  error: string | null;
  /** Metadata records the file carries: `[{name, entries}]`. */
  metadata: string;
  /** Writer library and profile when the file names them. */
  library: string | null;
  task_id: string | null;
  /** Sync quality score (0–100) of the analysed recording, and whether it passed the threshold. */
  sync_score: number | null;
  sync_passed: number | null;
  created_by: string;
  created_at: number;
  ingested_at: number | null;
};

export type ChannelsTable = {
  recording_id: string;
  channel_key: number;
  topic: string;
  schema_name: string;
  schema_encoding: string;
  message_encoding: string;
  sensor: string;
  message_count: number;
  frequency_hz: number | null;
  start_ms: number | null;
  end_ms: number | null;
  /** Longest pause between two messages, and pauses longer than 3 nominal periods. */
  max_gap_ms: number | null;
  gap_count: number;
};

export type SegmentsTable = {
  id: string;
  recording_id: string;
  seq: number;
  start_ms: number;
  end_ms: number;
  country: string | null;
  daylight: string | null;
  speed_kmh_mean: number | null;
  speed_kmh_max: number | null;
  lat: number | null;
  lon: number | null;
  /** Every tag of the segment, as a JSON array (also one row each in segment_tags). */
  tags: string;
};

export type SegmentTagsTable = {
  segment_id: string;
  tag: string;
};

/** A resumable upload: its parts are objects `uploads/<id>/<number>` until it completes. */
export type UploadsTable = {
  id: string;
  team_id: string;
  name: string;
  vehicle: string | null;
  size: number;
  part_size: number;
  created_by: string;
  created_at: number;
  completed_at: number | null;
  recording_id: string | null;
};

/** The full sync quality report of a recording (JSON), written by the analysis. */
export type RecordingSyncTable = {
  recording_id: string;
  report: string;
};

export type RecordingsTables = {
  recordings: RecordingsTable;
  recording_channels: ChannelsTable;
  segments: SegmentsTable;
  segment_tags: SegmentTagsTable;
  uploads: UploadsTable;
  recording_sync: RecordingSyncTable;
};
