/**
 * The embedded object store: content-addressed files under one directory (docs/adr/010).
 *
 *   <root>/blobs/sha256/ab/ab12…   content, named by its sha256, written once per distinct content
 *   <root>/refs/<key>.ref          one small JSON record per key: sha256, size, type, time
 *   <root>/tmp/                    files being written; renamed into place when complete
 *
 * A put streams into a temporary file while hashing, fsyncs it and renames it onto its blob
 * name, then writes the ref the same way. Renames are atomic, so a crash at any point leaves the
 * old object or the new one: at worst a temporary file (swept when the store is next opened)
 * or a blob that no ref names yet (removed by `collectGarbage`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { constants } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rmdir,
  unlink,
  utimes,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { DrivetrainError, Internal, InvalidInput, NotFound, Unavailable } from '../errors.js';
import { pageSize } from '../pagination.js';
import {
  bodyChunks,
  decodeListCursor,
  encodeListCursor,
  rangeLength,
  validateContentType,
  validateKey,
  validatePrefix,
  validateSha256,
} from './input.js';
import {
  blobName,
  blobSha256,
  decodeRef,
  defaultGraceMs,
  encodeRef,
  type GarbageCollecting,
  type GarbageCollectionOptions,
  type GarbageReport,
  isOlderThan,
} from './layout.js';
import type {
  ListOptions,
  ObjectBody,
  ObjectHandle,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  PutOptions,
} from './object-store.js';

/** Size of the buffers that small incoming chunks are gathered into before a write. */
const writeBufferBytes = 1024 * 1024;
/** Chunks at least this large are written as they are, without copying. */
const directWriteBytes = 256 * 1024;
/** Chunk size of whole-object reads. */
const readChunkBytes = 1024 * 1024;
/** A temporary file of another host is assumed abandoned after this long. */
const foreignTemporaryMs = 24 * 60 * 60 * 1000;

// Temporary names carry the writer's host and pid, so that opening a store removes only the
// leftovers of processes that are gone, not the files another live process is writing.
const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const temporaryName = /^([0-9a-f]{8})-(\d+)-[0-9a-f]{16}\.(blob|ref|probe|gc-([0-9a-f]{64}))$/;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM';
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Largest ref record: a 768-byte key, escaped in JSON, plus the other fields. */
const refReadBytes = 8 * 1024;

/**
 * Reads a ref record with one open, one read and one close; `readFile` also stats the file and
 * reads once more to see the end, which doubles the cost of every head, open and list entry.
 */
async function readSmallFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(refReadBytes);
    const { bytesRead } = await handle.read(buffer, 0, refReadBytes, 0);
    if (bytesRead < refReadBytes) return buffer.subarray(0, bytesRead);
    // The read above was positional, so the file position is still 0: this reads it all.
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const result = await handle.write(
      bytes,
      written,
      bytes.byteLength - written,
      position + written,
    );
    written += result.bytesWritten;
  }
}

/**
 * Writes a stream of chunks to a file with at most one write in flight, so hashing the next
 * chunk overlaps the previous write, and gathers small chunks into large writes.
 */
class FileSink {
  private position = 0;
  private pending: Promise<void> = Promise.resolve();
  private spare: Buffer | undefined;
  private buffer: Buffer | undefined;
  private used = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength >= directWriteBytes) {
      await this.flush();
      await this.issue(chunk);
      return;
    }
    let offset = 0;
    while (offset < chunk.byteLength) {
      this.buffer ??= this.spare ?? Buffer.allocUnsafeSlow(writeBufferBytes);
      this.spare = undefined;
      const copied = Math.min(chunk.byteLength - offset, writeBufferBytes - this.used);
      this.buffer.set(chunk.subarray(offset, offset + copied), this.used);
      this.used += copied;
      offset += copied;
      if (this.used === writeBufferBytes) await this.flush();
    }
  }

  /** Writes what is gathered and waits until every write has completed. */
  async finish(): Promise<void> {
    await this.flush();
    await this.pending;
  }

  private async flush(): Promise<void> {
    const buffer = this.buffer;
    if (buffer === undefined || this.used === 0) return;
    const used = this.used;
    this.buffer = undefined;
    this.used = 0;
    await this.issue(buffer.subarray(0, used));
    // The write of `buffer` is still in flight; it becomes the spare once that write is done,
    // which is guaranteed by the time the next flush waits for `pending`.
    this.pending = this.pending.then(() => {
      this.spare = buffer;
    });
    this.pending.catch(() => undefined);
  }

  private async issue(bytes: Uint8Array): Promise<void> {
    await this.pending;
    const position = this.position;
    this.position += bytes.byteLength;
    this.pending = writeFully(this.handle, bytes, position);
    // The failure is reported when the next write or `finish` awaits `pending`.
    this.pending.catch(() => undefined);
  }
}

const openHandles = new FinalizationRegistry<FileHandle>((handle) => {
  handle.close().catch(() => undefined);
});

/** Random access to one blob through an open file descriptor. */
class LocalObjectHandle implements ObjectHandle {
  private closed = false;

  constructor(
    readonly info: ObjectInfo,
    private readonly handle: FileHandle,
  ) {
    openHandles.register(this, handle, this);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const wanted = rangeLength(this.info, offset, length);
    if (this.closed) throw new Internal(`handle of object '${this.info.key}' is closed`);
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(wanted).buffer, 0, wanted);
    await this.fill(bytes, offset);
    return bytes;
  }

  /**
   * Fills `target` with the object's bytes from `offset` and resolves with how many were read
   * (fewer only at the end of the object). A reader that reuses its buffers, as the streamed
   * MCAP path does, reads gigabytes without allocating any.
   */
  async readInto(offset: number, target: Uint8Array): Promise<number> {
    const wanted = rangeLength(this.info, offset, target.byteLength);
    if (this.closed) throw new Internal(`handle of object '${this.info.key}' is closed`);
    await this.fill(target.subarray(0, wanted), offset);
    return wanted;
  }

  private async fill(bytes: Uint8Array, offset: number): Promise<void> {
    const wanted = bytes.byteLength;
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.handle.read(bytes, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) {
        throw new Internal(
          `blob of object '${this.info.key}' ended at byte ${offset + filled}, before its recorded size ${this.info.size}`,
          { key: this.info.key, sha256: this.info.sha256 },
        );
      }
      filled += bytesRead;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    openHandles.unregister(this);
    await this.handle.close();
  }
}

interface TreeEntry {
  readonly key: string;
  readonly sortKey: Buffer;
  readonly path: string;
  readonly directory: boolean;
}

/** Compares two keys in UTF-8 byte order, the order S3 lists in. */
function compareUtf8(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

// A ref file is named `<last segment>.ref`; a directory holding refs is named after its segment.
// A directory segment ending in `.ref` would collide with a ref file, so a directory name that
// ends in `.ref` followed by any number of `~` gets one more `~`: no directory name then ends
// in `.ref`, the mapping is reversible, and no name grows by more than one byte.
const escapedDirectory = /\.ref~*$/;

function encodeDirectory(segment: string): string {
  return escapedDirectory.test(segment) ? `${segment}~` : segment;
}

function decodeDirectory(name: string): string {
  return escapedDirectory.test(name) ? name.slice(0, -1) : name;
}

/** Opens (creating when absent) a local object store in `root` and sweeps leftover temporary files. */
export async function openLocalObjectStore(root: string): Promise<LocalObjectStore> {
  const store = new LocalObjectStore(resolve(root));
  await store.prepare();
  return store;
}

/** Content-addressed object store in a local directory; see the module comment for the layout. */
export class LocalObjectStore implements ObjectStore, GarbageCollecting {
  readonly location: string;
  private readonly refsRoot: string;
  private readonly temporaryRoot: string;

  /** Use `openLocalObjectStore`, which also prepares the directory. */
  constructor(readonly root: string) {
    this.location = pathToFileURL(root).href;
    this.refsRoot = join(root, 'refs');
    this.temporaryRoot = join(root, 'tmp');
  }

  /** Creates the directory layout and removes leftovers of writers that are gone. */
  async prepare(): Promise<void> {
    try {
      await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
      await mkdir(this.refsRoot, { recursive: true });
      await mkdir(this.temporaryRoot, { recursive: true });
    } catch (error) {
      throw this.failure(error, 'create', this.root);
    }
    await this.sweepTemporaries(new Date(Date.now() - foreignTemporaryMs));
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    const expected =
      options.expectedSha256 === undefined
        ? undefined
        : validateSha256(options.expectedSha256, 'expectedSha256');
    const contentType = validateContentType(options.contentType);
    const temporary = this.temporary('blob');
    const { sha256, size } = await this.writeTemporary(temporary, body, options.onProgress);
    try {
      if (expected !== undefined && sha256 !== expected) {
        throw new InvalidInput(
          `content of '${key}' has sha256 ${sha256}, expected ${expected}`,
          'expectedSha256',
          { key, sha256, expected },
        );
      }
      // Renaming over an existing blob of the same content keeps one copy and refreshes its
      // modification time, which is what keeps a concurrent collectGarbage off it.
      await this.renameInto(temporary, join(this.root, blobName(sha256)));
    } catch (error) {
      await removeQuietly(temporary);
      throw error;
    }
    const info: ObjectInfo = { key, size, sha256, contentType, createdAt: new Date() };
    await this.writeRef(info);
    return info;
  }

  async copy(from: string, to: string): Promise<ObjectInfo> {
    validateKey(from, 'from');
    validateKey(to, 'to');
    // The new ref names a blob this call did not write. Touching the blob before writing the
    // ref gives it the fresh modification time a put's rename gives, so collectGarbage keeps it
    // even if it missed the new ref and `from` is deleted meanwhile (docs/adr/012).
    const { info: source } = await this.atBlob(from, 'touch', async (path) => {
      const now = new Date();
      await utimes(path, now, now);
    });
    const info: ObjectInfo = { ...source, key: to, createdAt: new Date() };
    await this.writeRef(info);
    return info;
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    validateKey(key);
    const { handle } = await this.openBlob(key);
    return handle.createReadStream({ highWaterMark: readChunkBytes }) as AsyncIterable<Uint8Array>;
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const handle = await this.open(key);
    try {
      return await handle.read(offset, length);
    } finally {
      await handle.close();
    }
  }

  async open(key: string): Promise<LocalObjectHandle> {
    validateKey(key);
    const { info, handle } = await this.openBlob(key);
    return new LocalObjectHandle(info, handle);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    return this.readRef(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ObjectPage> {
    validatePrefix(prefix);
    const limit = pageSize(options.limit);
    const after =
      options.cursor === undefined
        ? undefined
        : Buffer.from(decodeListCursor(options.cursor), 'utf8');
    const objects: ObjectInfo[] = [];
    const slash = prefix.lastIndexOf('/');
    const directoryKey = prefix.slice(0, slash + 1);
    const directory = join(
      this.refsRoot,
      ...directoryKey
        .split('/')
        .filter((segment) => segment !== '')
        .map(encodeDirectory),
    );
    const keys = this.walk(directory, directoryKey, prefix.slice(slash + 1), after);
    for await (const key of keys) {
      if (objects.length === limit) {
        await keys.return(undefined);
        const last = objects[objects.length - 1];
        return last === undefined ? { objects } : { objects, next: encodeListCursor(last.key) };
      }
      const info = await this.readRef(key);
      if (info !== undefined) objects.push(info);
    }
    return { objects };
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    const path = this.refPath(key);
    try {
      await unlink(path);
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return;
      throw this.failure(error, 'remove', path);
    }
    await this.pruneDirectories(dirname(path));
  }

  async ping(): Promise<void> {
    const probe = this.temporary('probe');
    try {
      const handle = await open(probe, 'wx');
      await handle.close();
      await unlink(probe);
    } catch (error) {
      await removeQuietly(probe);
      throw this.failure(error, 'write', probe);
    }
  }

  /** Nothing to release: every descriptor belongs to an open handle or a stream. */
  async close(): Promise<void> {}

  /**
   * Removes blobs that no ref names and that were last written before `olderThan`, and
   * temporary files of writers that are gone.
   *
   * Safe against concurrent puts: refs are read before blobs are examined, so a put whose ref
   * is missed wrote its blob after the scan began, and every put renames its blob into place
   * (a fresh modification time) before writing its ref, as every copy touches its blob. A
   * candidate blob is first renamed away and its time checked again; a put that replaced it in
   * between gets it renamed back.
   */
  async collectGarbage(options: GarbageCollectionOptions = {}): Promise<GarbageReport> {
    const cutoff = options.olderThan ?? new Date(Date.now() - defaultGraceMs);
    const referenced = new Set<string>();
    for await (const key of this.walk(this.refsRoot, '', '', undefined)) {
      const info = await this.readRef(key);
      if (info !== undefined) referenced.add(info.sha256);
    }
    let blobsRemoved = 0;
    let bytesRemoved = 0;
    let blobsKept = 0;
    const blobsRoot = join(this.root, 'blobs', 'sha256');
    for (const fan of await this.entries(blobsRoot)) {
      if (!fan.isDirectory()) continue;
      for (const entry of await this.entries(join(blobsRoot, fan.name))) {
        const sha256 = blobSha256(`blobs/sha256/${fan.name}/${entry.name}`);
        if (sha256 === undefined) continue;
        if (referenced.has(sha256)) {
          blobsKept += 1;
          continue;
        }
        const removed = await this.removeBlobIfStale(sha256, cutoff);
        if (removed === undefined) blobsKept += 1;
        else {
          blobsRemoved += 1;
          bytesRemoved += removed;
        }
      }
    }
    const temporariesRemoved = await this.sweepTemporaries(cutoff);
    return { blobsRemoved, bytesRemoved, blobsKept, temporariesRemoved };
  }

  /** Removes an unreferenced blob unless it was written after `cutoff`; returns its size if removed. */
  private async removeBlobIfStale(sha256: string, cutoff: Date): Promise<number | undefined> {
    const path = join(this.root, blobName(sha256));
    try {
      const before = await lstat(path);
      if (!isOlderThan(before.mtimeMs, cutoff)) return undefined;
      const trash = this.temporary(`gc-${sha256}`);
      await rename(path, trash);
      const moved = await lstat(trash);
      if (!isOlderThan(moved.mtimeMs, cutoff)) {
        await rename(trash, path);
        return undefined;
      }
      await unlink(trash);
      return moved.size;
    } catch (error) {
      if (errno(error) === 'ENOENT') return undefined;
      throw this.failure(error, 'collect', path);
    }
  }

  /**
   * Removes temporary files of dead processes on this host, and of other hosts when older than
   * `foreignCutoff`. A blob that collectGarbage had set aside when its process died goes back.
   */
  private async sweepTemporaries(foreignCutoff: Date): Promise<number> {
    let removed = 0;
    for (const entry of await this.entries(this.temporaryRoot)) {
      const path = join(this.temporaryRoot, entry.name);
      const match = temporaryName.exec(entry.name);
      const host = match?.[1];
      const pid = Number(match?.[2]);
      let abandoned: boolean;
      if (host === hostTag && pid !== process.pid) abandoned = !processAlive(pid);
      else {
        const stats = await lstat(path).catch(() => undefined);
        abandoned = stats !== undefined && isOlderThan(stats.mtimeMs, foreignCutoff);
      }
      if (!abandoned) continue;
      const setAside = match?.[4];
      try {
        if (setAside !== undefined) {
          await this.renameInto(path, join(this.root, blobName(setAside)));
        } else {
          await unlink(path);
          removed += 1;
        }
      } catch (error) {
        if (errno(error) !== 'ENOENT') throw this.failure(error, 'remove', path);
      }
    }
    return removed;
  }

  private async entries(directory: string): Promise<Dirent[]> {
    try {
      return await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return [];
      throw this.failure(error, 'list', directory);
    }
  }

  /**
   * Keys under `directory` (whose keys start with `keyPrefix`) whose next segment starts with
   * `partial`, in UTF-8 key order, after `after`. A directory `d` holds exactly the keys that
   * start with `d/`, so sorting entries by `d/` and by file keys yields key order overall.
   */
  private async *walk(
    directory: string,
    keyPrefix: string,
    partial: string,
    after: Buffer | undefined,
  ): AsyncGenerator<string, undefined> {
    const found: TreeEntry[] = [];
    for (const entry of await this.entries(directory)) {
      const isDirectory = entry.isDirectory();
      if (!isDirectory && !(entry.isFile() && entry.name.endsWith('.ref'))) continue;
      const segment = isDirectory ? decodeDirectory(entry.name) : entry.name.slice(0, -4);
      if (!segment.startsWith(partial)) continue;
      const key = keyPrefix + segment;
      found.push({
        key,
        sortKey: Buffer.from(isDirectory ? `${key}/` : key, 'utf8'),
        path: join(directory, entry.name),
        directory: isDirectory,
      });
    }
    found.sort((a, b) => compareUtf8(a.sortKey, b.sortKey));
    for (const entry of found) {
      if (!entry.directory) {
        if (after === undefined || compareUtf8(entry.sortKey, after) > 0) yield entry.key;
        continue;
      }
      // Every key below starts with `sortKey`: skip the subtree when the cursor is past all of
      // them, walk it whole when the cursor is before it, and pass the cursor down when inside.
      const inside =
        after !== undefined &&
        after.length >= entry.sortKey.length &&
        entry.sortKey.equals(after.subarray(0, entry.sortKey.length));
      if (after !== undefined && !inside && compareUtf8(entry.sortKey, after) < 0) continue;
      yield* this.walk(entry.path, `${entry.key}/`, '', inside ? after : undefined);
    }
    return undefined;
  }

  private refPath(key: string): string {
    const segments = key.split('/');
    const last = segments.pop() ?? key;
    return join(this.refsRoot, ...segments.map(encodeDirectory), `${last}.ref`);
  }

  private temporary(kind: string): string {
    const name = `${hostTag}-${process.pid}-${randomBytes(8).toString('hex')}.${kind}`;
    return join(this.temporaryRoot, name);
  }

  private async readRef(key: string): Promise<ObjectInfo | undefined> {
    const path = this.refPath(key);
    let bytes: Uint8Array;
    try {
      bytes = await readSmallFile(path);
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return undefined;
      throw this.failure(error, 'read', path);
    }
    return decodeRef(bytes, key, this.relative(path));
  }

  /** Resolves a key to its ref and an open descriptor of its blob. */
  private async openBlob(key: string): Promise<{ info: ObjectInfo; handle: FileHandle }> {
    const { info, value: handle } = await this.atBlob(key, 'open', (path) => open(path, 'r'));
    const { size } = await handle.stat();
    if (size !== info.size) {
      await handle.close();
      throw new Internal(
        `blob ${info.sha256} of object '${key}' has ${size} bytes, its ref records ${info.size}`,
        { key, sha256: info.sha256 },
      );
    }
    return { info, handle };
  }

  /**
   * Resolves a key to its ref and runs `use` on the path of its blob. A blob can be missing for
   * an instant while collectGarbage checks it (it renames a candidate away and back), so a
   * missing blob is retried before it is reported as damage.
   */
  private async atBlob<T>(
    key: string,
    action: string,
    use: (path: string) => Promise<T>,
  ): Promise<{ info: ObjectInfo; value: T }> {
    for (let attempt = 1; ; attempt += 1) {
      const info = await this.readRef(key);
      if (info === undefined) throw new NotFound('object', key);
      const path = join(this.root, blobName(info.sha256));
      try {
        return { info, value: await use(path) };
      } catch (error) {
        if (errno(error) !== 'ENOENT') throw this.failure(error, action, path);
        if (attempt < 5) {
          await sleep(10 * attempt);
          continue;
        }
        throw new Internal(`object '${key}' refers to blob ${info.sha256}, which is missing`, {
          key,
          sha256: info.sha256,
        });
      }
    }
  }

  private async writeTemporary(
    path: string,
    body: ObjectBody,
    onProgress: ((bytes: number) => void) | undefined,
  ): Promise<{ sha256: string; size: number }> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx', 0o644);
    } catch (error) {
      throw this.failure(error, 'create', path);
    }
    const hash = createHash('sha256');
    let size = 0;
    try {
      const sink = new FileSink(handle);
      for await (const chunk of bodyChunks(body)) {
        hash.update(chunk);
        size += chunk.byteLength;
        await this.io(sink.write(chunk), 'write', path);
        onProgress?.(size);
      }
      await this.io(sink.finish(), 'write', path);
      await this.io(handle.datasync(), 'sync', path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await removeQuietly(path);
      throw error;
    }
    await this.io(handle.close(), 'close', path);
    return { sha256: hash.digest('hex'), size };
  }

  private async writeRef(info: ObjectInfo): Promise<void> {
    const temporary = this.temporary('ref');
    try {
      const handle = await open(temporary, 'wx', 0o644);
      try {
        await writeFully(handle, encodeRef(info), 0);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await this.renameInto(temporary, this.refPath(info.key));
    } catch (error) {
      await removeQuietly(temporary);
      throw this.failure(error, 'write the ref of', this.refPath(info.key));
    }
  }

  /**
   * Renames a complete file onto its final name and makes the rename durable. Parent
   * directories are created on demand; a concurrent delete may prune an empty one between
   * creating and renaming, hence the retry.
   */
  private async renameInto(from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await rename(from, to);
        break;
      } catch (error) {
        if (errno(error) !== 'ENOENT' || attempt === 5) throw this.failure(error, 'rename to', to);
        await mkdir(dirname(to), { recursive: true });
      }
    }
    await syncDirectory(dirname(to));
  }

  private async pruneDirectories(directory: string): Promise<void> {
    let current = directory;
    while (current.startsWith(this.refsRoot) && current !== this.refsRoot) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  private async io<T>(promise: Promise<T>, action: string, path: string): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      throw this.failure(error, action, path);
    }
  }

  private relative(path: string): string {
    return path.startsWith(this.root) ? path.slice(this.root.length + 1) : path;
  }

  private failure(error: unknown, action: string, path: string): DrivetrainError {
    if (error instanceof DrivetrainError) return error;
    const code = errno(error);
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return new Unavailable(
      `object store ${this.location} could not ${action} ${this.relative(path)}: ${reason}`,
      {
        location: this.location,
        path: this.relative(path),
        ...(code === undefined ? {} : { errno: code }),
      },
      { cause: error },
    );
  }
}
