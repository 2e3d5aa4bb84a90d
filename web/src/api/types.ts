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
