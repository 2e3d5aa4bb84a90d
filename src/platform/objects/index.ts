/**
 * The object store of drivetrain: where recordings, manifests, artifacts and logs live. The
 * embedded default is a directory of content-addressed files; at scale the same layout sits in
 * an S3-compatible bucket, chosen by configuration alone (`DRIVETRAIN_OBJECTS`).
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInput } from '../errors.js';
import type { GarbageCollecting } from './layout.js';
import { openLocalObjectStore } from './local.js';
import type { ObjectStore } from './object-store.js';
import { openS3ObjectStore, type S3ObjectStoreOptions } from './s3.js';

export type * from './object-store.js';
export type { GarbageCollecting, GarbageCollectionOptions, GarbageReport } from './layout.js';
export { LocalObjectStore, openLocalObjectStore } from './local.js';
export {
  copyRanges,
  openS3ObjectStore,
  parseS3Url,
  S3ObjectStore,
  s3ClientConfig,
  type S3Location,
  type S3ObjectStoreOptions,
} from './s3.js';
export {
  maxKeyBytes,
  maxReadBytes,
  maxSegmentBytes,
  validateKey,
  validatePrefix,
} from './input.js';

/** An opened object store: the ObjectStore interface plus maintenance. */
export type OpenedObjectStore = ObjectStore &
  GarbageCollecting & {
    /** Releases file descriptors or sockets held by the store. */
    close(): Promise<void>;
  };

/** How `openObjectStore` resolves its location. */
export interface OpenObjectStoreOptions extends Omit<
  S3ObjectStoreOptions,
  'client' | 'bucket' | 'prefix'
> {
  /** AWS settings for `s3://` locations (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory that a relative path is resolved against (default: the working directory). */
  readonly baseDir?: string;
}

/**
 * Opens the object store at `location`: `s3://bucket/prefix` for S3 or an S3-compatible service
 * (configured by the standard AWS variables, see `s3ClientConfig`), or a directory as a
 * `file://` URL or a plain path.
 */
export async function openObjectStore(
  location: string,
  options: OpenObjectStoreOptions = {},
): Promise<OpenedObjectStore> {
  const { baseDir, ...s3 } = options;
  if (location.startsWith('s3://')) return openS3ObjectStore(location, s3);
  let directory: string;
  if (location.startsWith('file:')) {
    try {
      directory = fileURLToPath(location);
    } catch (error) {
      throw new InvalidInput(
        `DRIVETRAIN_OBJECTS ${JSON.stringify(location)} is not a valid file URL: ${(error as Error).message}`,
        'DRIVETRAIN_OBJECTS',
      );
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new InvalidInput(
      `DRIVETRAIN_OBJECTS ${JSON.stringify(location)} has an unsupported scheme; use a directory, file:// or s3://bucket/prefix`,
      'DRIVETRAIN_OBJECTS',
    );
  } else if (location === '') {
    throw new InvalidInput('DRIVETRAIN_OBJECTS must not be empty', 'DRIVETRAIN_OBJECTS');
  } else {
    directory = isAbsolute(location) ? location : resolve(baseDir ?? process.cwd(), location);
  }
  return openLocalObjectStore(directory);
}
