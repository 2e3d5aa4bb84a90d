/** Row types of the datasets context (conventions: see platform/store/tables.ts). */

/** A build under way: its plan, fixed at its first attempt so that a resumed build does the same work. */
export type DatasetBuildsTable = {
  task_id: string;
  definition_hash: string;
  parts: number;
  recordings: number;
  segments: number;
  /** JSON: recordings left out and why, ambiguous stream choices. */
  notes: string;
  created_at: number;
};

/** A finished part of a build: one row group of the manifest, stored as an object. */
export type DatasetBuildPartsTable = {
  task_id: string;
  part: number;
  rows: number;
  /** JSON `PartMeta`. */
  meta: string;
  created_at: number;
};

/** An immutable dataset version; its id is the sha256 of its manifest. */
export type DatasetVersionsTable = {
  id: string;
  name: string;
  definition: string;
  definition_hash: string;
  samples: number;
  recordings: number;
  segments: number;
  /** JSON `{name: count}`. */
  splits: string;
  /** JSON `CoverageRow[]`. */
  coverage: string;
  /** JSON dataset card. */
  card: string;
  manifest_size: number;
  task_id: string;
  created_by: string;
  created_at: number;
};

/** Teams that built (and so may read) a version; the same content built twice is one version. */
export type DatasetVersionTeamsTable = {
  version_id: string;
  team_id: string;
};

export type DatasetVersionRecordingsTable = {
  version_id: string;
  recording_id: string;
};

export type DatasetsTables = {
  dataset_builds: DatasetBuildsTable;
  dataset_build_parts: DatasetBuildPartsTable;
  dataset_versions: DatasetVersionsTable;
  dataset_version_teams: DatasetVersionTeamsTable;
  dataset_version_recordings: DatasetVersionRecordingsTable;
};
