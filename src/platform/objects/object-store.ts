/**
 * Where drivetrain keeps bytes: recordings, manifests, artifacts, logs. Keys are slash-separated
 * names chosen by the caller (`recordings/<id>.mcap`); every object's sha256 and size are known
 * from the moment it is written, and a write is atomic: readers see the old object or the
 * whole new one, never a part.
 */

/** What the store knows of one object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Lower-case hex sha256 of the content. */
  readonly sha256: string;
  readonly contentType: string;
  readonly createdAt: Date;
}

/**
 * Content to write: bytes in memory or a stream of chunks (read once, never buffered whole).
 * As with Node streams, a chunk must not be modified after it has been yielded.
 */
export type ObjectBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface PutOptions {
  readonly contentType?: string;
  /** When given, the write fails with InvalidInput unless the content has this sha256. */
  readonly expectedSha256?: string;
  /** Called with the number of bytes consumed so far (for progress bars). */
  readonly onProgress?: (bytes: number) => void;
}

export interface ListOptions {
  /** Opaque cursor from a previous page's `next`. */
  readonly cursor?: string;
  readonly limit?: number;
}

export interface ObjectPage {
  readonly objects: readonly ObjectInfo[];
  /** Cursor of the next page, or undefined on the last page. */
  readonly next?: string;
}

/** Random access to one object's bytes, resolved once (e.g. for reading a recording by ranges). */
export interface ObjectHandle {
  readonly info: ObjectInfo;
  /** Reads `length` bytes at `offset` (fewer only at the end of the object). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Releases what the handle holds (a local file descriptor); reads fail afterwards. Optional
   * to call: an unreachable handle is released when it is garbage-collected.
   */
  close?(): Promise<void>;
}

export interface ObjectStore {
  /** Short description for logs and /readyz, e.g. `file:///data/objects` or `s3://bucket/prefix`. */
  readonly location: string;
  /** Writes an object atomically, computing its sha256 while streaming. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Gives `to` the content and content type of `from` without reading or hashing the bytes
   * again: the new key names the blob `from` names. NotFound when `from` is absent.
   */
  copy(from: string, to: string): Promise<ObjectInfo>;
  /** Streams a whole object; NotFound when absent. */
  get(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Reads a byte range; NotFound when absent, InvalidInput when the range starts past the end. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** Opens an object for many range reads; NotFound when absent. */
  open(key: string): Promise<ObjectHandle>;
  /** Metadata of an object, or undefined when absent. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix`, in key order, one page at a time. */
  list(prefix: string, options?: ListOptions): Promise<ObjectPage>;
  /** Removes an object; removing an absent object is not an error. */
  delete(key: string): Promise<void>;
  /** Checks that the store is reachable and writable enough to serve (for /readyz). */
  ping(): Promise<void>;
}
