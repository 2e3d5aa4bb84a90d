/**
 * The content-addressed layout shared by every object store (docs/adr/010): bytes live once in
 * `blobs/sha256/<first two hex digits>/<sha256>`, and each key has a small ref record naming
 * the blob, like a git ref names a commit. Writing the blob first and the ref last makes a put
 * atomic on any backend that can replace one small record atomically.
 */
import { Internal } from '../errors.js';
import type { ObjectInfo } from './object-store.js';

/** Relative name of the blob holding content with this sha256. */
export function blobName(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** The sha256 a blob name stands for, or undefined for a name that is not a blob. */
export function blobSha256(name: string): string | undefined {
  const match = /^blobs\/sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(name);
  return match !== null && match[2]?.startsWith(match[1] ?? '') === true ? match[2] : undefined;
}

interface RefRecord {
  readonly version: 1;
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  readonly contentType: string;
  readonly createdAt: string;
}

/** Serializes the ref record of an object. */
export function encodeRef(info: ObjectInfo): Uint8Array {
  const record: RefRecord = {
    version: 1,
    key: info.key,
    sha256: info.sha256,
    size: info.size,
    contentType: info.contentType,
    createdAt: info.createdAt.toISOString(),
  };
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

/**
 * Parses a ref record read from `where` for `key`. A record that does not parse means the store
 * was damaged from outside (refs are only ever replaced whole), so it is Internal, naming `where`.
 */
export function decodeRef(bytes: Uint8Array, key: string, where: string): ObjectInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new Internal(
      `ref record ${where} of object '${key}' is not JSON`,
      { key, where },
      { cause: error },
    );
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Internal(`ref record ${where} of object '${key}' is malformed`, { key, where });
  }
  const record = parsed as Partial<RefRecord>;
  const createdAt = typeof record.createdAt === 'string' ? new Date(record.createdAt) : undefined;
  if (
    record.version !== 1 ||
    record.key !== key ||
    typeof record.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(record.sha256) ||
    typeof record.size !== 'number' ||
    !Number.isSafeInteger(record.size) ||
    record.size < 0 ||
    typeof record.contentType !== 'string' ||
    createdAt === undefined ||
    Number.isNaN(createdAt.getTime())
  ) {
    throw new Internal(`ref record ${where} of object '${key}' is malformed`, { key, where });
  }
  return {
    key,
    sha256: record.sha256,
    size: record.size,
    contentType: record.contentType,
    createdAt,
  };
}

/** What `collectGarbage` may remove. */
export interface GarbageCollectionOptions {
  /**
   * Only blobs and temporary files last written before this instant are removed (default: one
   * hour ago). Every put rewrites its blob (and every copy touches it) before it writes its
   * ref, so a put or copy in flight keeps its blob as long as it finishes within this period.
   */
  readonly olderThan?: Date;
}

/** What one `collectGarbage` run did. */
export interface GarbageReport {
  /** Blobs that no ref pointed to, now removed. */
  readonly blobsRemoved: number;
  readonly bytesRemoved: number;
  /** Blobs left in place: referenced, or written within the grace period. */
  readonly blobsKept: number;
  /** Leftovers of interrupted writes, now removed. */
  readonly temporariesRemoved: number;
}

/** An object store whose unreferenced blobs can be removed. */
export interface GarbageCollecting {
  /** Removes blobs that no ref points to and leftovers of interrupted writes. */
  collectGarbage(options?: GarbageCollectionOptions): Promise<GarbageReport>;
}

/** Default grace period of garbage collection. */
export const defaultGraceMs = 60 * 60 * 1000;

/**
 * Whether a blob written at `writtenAt` is old enough to remove. File and S3 timestamps may be
 * truncated to whole seconds or lag the wall clock by a tick, so one second of slack keeps a
 * blob rewritten just after the cutoff from looking older than it is.
 */
export function isOlderThan(writtenAt: number, cutoff: Date): boolean {
  return writtenAt + 1000 <= cutoff.getTime();
}
