/**
 * The shapes of the drivetrain HTTP API as the UI uses them, written from the server's OpenAPI
 * document (`/openapi.json`). `test/e2e/api-contract.test.ts` checks them against a running
 * server, so a renamed or added field fails a test instead of showing `undefined` in a table.
 */

/** Error codes of problem+json responses; the server never renames one. */
export type ErrorCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'corrupt_recording'
  | 'unsupported'
  | 'quota_exceeded'
  | 'unavailable'
  | 'internal';

/** One page of a list and the cursor of the next page (null on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** Query of every list endpoint. */
export interface PageQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

export const teamRoles = ['viewer', 'engineer', 'data-steward', 'safety-assessor'] as const;
export type TeamRole = (typeof teamRoles)[number];

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly platformAdmin: boolean;
  readonly createdAt: string;
  readonly disabledAt: string | null;
  readonly teams: readonly {
    readonly teamId: string;
    readonly teamName: string;
    readonly role: TeamRole;
  }[];
}

export interface NewUser {
  readonly name: string;
  readonly email?: string | null;
  readonly platformAdmin?: boolean;
}

/** A team as `GET /teams` lists it; `GET /teams/:id` adds its members. */
export interface TeamSummary {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly memberCount: number;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly members: readonly {
    readonly userId: string;
    readonly userName: string;
    readonly role: TeamRole;
  }[];
}

export interface NewTeam {
  readonly name: string;
  readonly description?: string;
}

export interface Token {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** A token as returned once when issued: the only time its secret is visible. */
export interface IssuedToken extends Token {
  readonly secret: string;
}

export interface NewToken {
  readonly name: string;
  readonly userId?: string;
  readonly expiresAt?: string | null;
}

export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly targetKind: string;
  readonly targetId: string;
  readonly beforeDigest: string | null;
  readonly afterDigest: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly head?: string;
  readonly firstBad?: { readonly seq: number; readonly id: string; readonly reason: string };
}

export const taskStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export interface Task {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly status: TaskStatus;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly progress: { readonly done: number; readonly total: number; readonly message: string };
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly teamId: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly runAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface TaskQuery extends PageQuery {
  readonly kind?: string;
  readonly status?: TaskStatus;
}

export const recordingStatuses = [
  'queued',
  'ingesting',
  'catalogued',
  'ready',
  'rejected',
] as const;
/**
 * `queued` until its ingest runs; `catalogued` once channels and segments are known; `ready` once
 * every message was read (rates, exact statistics, tags); `rejected` when it cannot be read.
 */
export type RecordingStatus = (typeof recordingStatuses)[number];

/** The sensor kinds channels are classified into. */
export const sensorKinds = [
  'camera',
  'lidar',
  'radar',
  'can',
  'gnss',
  'imu',
  'pose',
  'other',
] as const;
export type SensorKind = (typeof sensorKinds)[number];

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
  readonly bbox: {
    readonly minLat: number;
    readonly minLon: number;
    readonly maxLat: number;
    readonly maxLon: number;
  } | null;
  readonly metadata: readonly {
    readonly name: string;
    readonly entries: Readonly<Record<string, string>>;
  }[];
  readonly library: string | null;
  /** Why a rejected recording could not be read, and at which byte. */
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly offset: number | null;
  } | null;
  /** The ingest task, to follow its progress. */
  readonly taskId: string | null;
  /** Sync quality once analysed: the score (0–100) and whether it met the threshold. */
  readonly sync: { readonly score: number; readonly passed: boolean } | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly ingestedAt: string | null;
}

export interface RecordingQuery extends PageQuery {
  readonly vehicle?: string;
  readonly status?: RecordingStatus;
  readonly sensor?: string;
  /** ISO 3166-1 alpha-2 code. */
  readonly country?: string;
  readonly tag?: string;
  /** ISO time: recordings that end at or after it. */
  readonly from?: string;
  /** ISO time: recordings that start at or before it. */
  readonly to?: string;
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

export interface RecordingDetail {
  readonly recording: Recording;
  readonly channels: readonly Channel[];
}

/** A 20-second piece of a drive with what was found in it. */
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
  readonly tags: readonly string[];
}

/** Messages per channel in equal time bins from `start`; no channels until the recording is ready. */
export interface MessageRates {
  readonly start: string | null;
  readonly binSeconds: number;
  readonly channels: readonly {
    readonly key: number;
    readonly topic: string;
    readonly sensor: string;
    readonly counts: readonly number[];
  }[];
}

/** The clock of a channel: its sensor stamps against the recorder's log time. */
export interface SyncClock {
  /** Sensor minus recorder clock at the first stamp, ns (decimal string: may exceed 2^53). */
  readonly offsetNs: string;
  readonly driftPpm: number;
  readonly jitterNs: number;
  readonly meanExcessLatencyNs: number;
  readonly jumpCount: number;
}

/** A channel's rate from its stamps: nominal period, and the messages it implies were lost. */
export interface SyncRate {
  readonly nominalPeriodNs: number;
  readonly nominalRateHz: number;
  readonly dropped: number;
  readonly gaps: number;
  readonly gapTimeNs: number;
  readonly duplicateStamps: number;
  readonly backwardStamps: number;
}

/** Signed stamp deltas (sensor minus reference) in equal bins from `startNs`. */
export interface SyncHistogram {
  readonly startNs: number;
  readonly binNs: number;
  readonly counts: readonly number[];
  /** Deltas below the first bin and above the last. */
  readonly below: number;
  readonly above: number;
}

/** Signed stamp delta over reference time: min, max and mean per bucket of `bucketNs`. */
export interface SyncSeries {
  readonly bucketNs: number;
  readonly buckets: readonly {
    /** Bucket start, ns after the series' start. */
    readonly t: number;
    readonly n: number;
    readonly min: number;
    readonly max: number;
    readonly mean: number;
  }[];
}

/** One sensor measured against the reference stream. */
export interface SensorSync {
  readonly toleranceNs: number;
  readonly samples: number;
  readonly missing: number;
  /** Distribution of |sensor stamp − reference stamp|, ns. */
  readonly absDeltaNs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly meanDeltaNs: number;
  /** Fraction (0–1) of reference samples with a message within tolerance. */
  readonly withinTolerance: number;
  readonly histogram: SyncHistogram;
  readonly series: SyncSeries;
  /** Absolute time of the series' start, ns since the Unix epoch (decimal string). */
  readonly seriesStart: string;
  readonly score: number;
}

/** One channel of a sync report; `clock` is absent without header stamps, `sync` on the reference. */
export interface ChannelSync {
  readonly name: string;
  readonly messages: number;
  /** Messages synchronized on their header stamp, and on their log time (no usable stamp). */
  readonly stampSource: { readonly header: number; readonly logTime: number };
  readonly firstStamp: string | null;
  readonly lastStamp: string | null;
  readonly clock?: SyncClock;
  readonly rate: SyncRate;
  readonly sync?: SensorSync;
}

/** A recording's sync quality report: every sensor against the reference stream. */
export interface SyncReport {
  readonly version: 1;
  readonly reference: string;
  /** Lowest sensor score, 0–100. */
  readonly score: number;
  readonly threshold: number;
  readonly passed: boolean;
  readonly channels: readonly ChannelSync[];
}

/** A stored file and whether the same content was a recording already. */
export interface AddedRecording {
  readonly recording: Recording;
  readonly duplicate: boolean;
}

export interface UploadPart {
  readonly number: number;
  readonly size: number;
  readonly sha256: string;
}

/** A resumable upload: its parts are `partSize` bytes (the last one the rest of the file). */
export interface Upload {
  readonly id: string;
  readonly name: string;
  readonly teamId: string;
  readonly vehicle: string | null;
  readonly size: number;
  readonly partSize: number;
  readonly partCount: number;
  /** The parts that arrived. */
  readonly parts: readonly UploadPart[];
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly recordingId: string | null;
}

export interface NewUpload {
  readonly name: string;
  readonly size: number;
  /** Team id or name; may be left out by members of one team. */
  readonly team?: string;
  readonly vehicle?: string;
}

// Catalog: domains, data products, contract checks and scenario search.

export type Classification = 'public' | 'internal' | 'confidential' | 'restricted';

/** Personal data a product may hold; camera images show faces and licence plates. */
export type PersonalDataCategory =
  'faces' | 'license-plates' | 'location' | 'voice' | 'driver-identity';

/** A domain of the data mesh: a team's area of data ownership. */
export interface Domain {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly ownerTeamId: string;
  readonly ownerTeamName: string;
  readonly productCount: number;
  readonly createdAt: string;
}

/** Which of its owner team's recordings a product serves; every given part must hold. */
export interface ProductRule {
  /** Vehicle names; `*` matches any run of characters, `?` one character. */
  readonly vehicles?: readonly string[];
  readonly sensors?: readonly SensorKind[];
  /** Recordings starting at or after this ISO time. */
  readonly from?: string;
  /** Recordings starting before this ISO time. */
  readonly to?: string;
  /** ISO 3166-1 alpha-2 codes. */
  readonly countries?: readonly string[];
  /** A scenario query narrowing the product to the segments that match it. */
  readonly query?: string;
}

/** The service levels a product promises; its contract checks test them on every ingest. */
export interface ProductSlos {
  readonly requiredSensors?: readonly SensorKind[];
  readonly minSyncScore?: number;
  readonly maxAgeHours?: number;
  readonly minCompletenessPercent?: number;
}

/** A contract check that fails, summed over the recordings it fails for. */
export interface QualityFailure {
  readonly check: string;
  readonly recordings: number;
  /** A recording it fails for, or null when the check is about the product as a whole. */
  readonly example: string | null;
  readonly detail: string;
}

export type QualityStatus = 'passing' | 'failing' | 'unknown';

/** Whether the caller's teams own the product, were granted it, or may only discover it. */
export type ProductAccess = 'owner' | 'granted' | 'none';

export interface DataProduct {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  readonly domainName: string;
  readonly ownerTeamId: string;
  readonly ownerTeamName: string;
  readonly description: string;
  readonly classification: Classification;
  readonly personalData: readonly PersonalDataCategory[];
  readonly residency: string;
  readonly rule: ProductRule;
  readonly slos: ProductSlos;
  readonly quality: {
    readonly status: QualityStatus;
    readonly failures: readonly QualityFailure[];
    readonly checkedAt: string | null;
  };
  readonly grants: readonly { readonly teamId: string; readonly teamName: string }[];
  readonly recordingCount: number;
  readonly access: ProductAccess;
  readonly contractVersion: string;
  readonly hasContract: boolean;
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ProductQuery extends PageQuery {
  /** Domain id or name. */
  readonly domain?: string;
  /** Only products the caller's teams may read. */
  readonly readable?: boolean;
}

/** A recording a product serves; times are epoch milliseconds. */
export interface ProductRecording {
  readonly id: string;
  readonly name: string;
  readonly vehicle: string | null;
  readonly startMs: number | null;
  readonly endMs: number | null;
  readonly status: string;
}

/** The result of one contract check on one recording. */
export interface ContractCheck {
  readonly recordingId: string;
  readonly check: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly checkedAt: string;
}

/** A segment a scenario query matched, with the tags of it the query named. */
export interface SearchHit {
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
  readonly tags: readonly string[];
  readonly matchedTags: readonly string[];
}

/** A recording's GNSS track: a point per segment the caller may read. */
export interface Track {
  readonly recordingId: string;
  readonly points: readonly {
    readonly seq: number;
    readonly lat: number;
    readonly lon: number;
    readonly startMs: number;
  }[];
}
