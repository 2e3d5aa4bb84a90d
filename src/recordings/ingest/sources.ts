import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import {
  detectFormat,
  detectionBytes,
  openRecording,
  openRos2Bag,
  type McapOptions,
  type RandomAccessReader,
  type RecordingSource,
  type SqliteDatabase,
  type SqlValue,
} from '../../formats/index.js';
import type { ObjectHandle, ObjectStore } from '../../platform/index.js';

type ReadInto = NonNullable<McapOptions['readInto']>;

/** Handles that fill a caller's buffer (the local store's) spare a reader one buffer per read. */
function readsInto(handle: ObjectHandle): handle is ObjectHandle & { readInto: ReadInto } {
  return typeof (handle as { readInto?: unknown }).readInto === 'function';
}

/**
 * Reads an object of the object store by ranges, resolving it once; `readInto` when the store
 * can fill buffers it is given.
 */
export async function objectReader(
  objects: ObjectStore,
  key: string,
): Promise<RandomAccessReader & { readInto?: ReadInto; close(): Promise<void> }> {
  const handle = await objects.open(key);
  return {
    size: () => Promise.resolve(handle.info.size),
    read: (offset, length) => handle.read(offset, length),
    ...(readsInto(handle)
      ? { readInto: (offset: number, target: Uint8Array) => handle.readInto(offset, target) }
      : {}),
    close: () => handle.close?.() ?? Promise.resolve(),
  };
}

/**
 * A SQLite file for the rosbag2 reader. SQLite needs a file on disk, so an object is first
 * copied to scratch space (streamed, bounded memory); the database is opened read-only and
 * integers come back as bigint so that nanosecond timestamps stay exact.
 */
async function sqliteFromObject(
  objects: ObjectStore,
  key: string,
  scratch: string,
  counted: (bytes: number) => void,
): Promise<SqliteDatabase & { close(): void }> {
  const path = join(scratch, 'bag.db3');
  await pipeline(Readable.from(await objects.get(key)), createWriteStream(path));
  counted((await objects.head(key))?.size ?? 0);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const prepare = (sql: string) => db.prepare(sql).safeIntegers(true);
  return {
    all: (sql: string, params: readonly SqlValue[] = []) =>
      Promise.resolve(prepare(sql).all(...params) as Record<string, unknown>[]),
    async *iterate(sql: string, params: readonly SqlValue[] = []) {
      for (const row of prepare(sql).iterate(...params)) yield row as Record<string, unknown>;
    },
    close: () => db.close(),
  };
}

/** An opened recording and what must be released after reading it. */
export interface OpenedSource {
  readonly source: RecordingSource;
  /** Bytes read to open it that the source does not count (SQLite files copied to scratch). */
  readonly copiedBytes: () => number;
  close(): Promise<void>;
}

/**
 * Opens a stored recording: a single file (MCAP, ROS 1 bag, MDF 4, or a rosbag2 `.db3`), or a
 * rosbag2 folder (the objects under `key/`, with its `metadata.yaml`).
 */
export async function openStoredRecording(
  objects: ObjectStore,
  key: string,
  name: string,
  scratchDir: string,
  folder: boolean,
): Promise<OpenedSource> {
  const scratch = mkdtempSync(join(scratchDir, 'source-'));
  const toClose: (() => Promise<void> | void)[] = [
    () => rmSync(scratch, { recursive: true, force: true }),
  ];
  const close = async (): Promise<void> => {
    for (const release of toClose.reverse()) await release();
  };
  let copied = 0;
  const counted = (bytes: number): void => {
    copied += bytes;
  };
  const copiedBytes = (): number => copied;
  try {
    if (folder) {
      const metadata = new TextDecoder().decode(await readAll(objects, `${key}/metadata.yaml`));
      const source = await openRos2Bag(metadata, {
        reader: async (relative) => {
          const reader = await objectReader(objects, `${key}/${relative}`);
          toClose.push(() => reader.close());
          return reader;
        },
        sqlite: async (relative) => {
          const db = await sqliteFromObject(
            objects,
            `${key}/${relative}`,
            mkdtempSync(join(scratch, 'db-')),
            counted,
          );
          toClose.push(() => db.close());
          return db;
        },
      });
      return { source, close, copiedBytes };
    }
    const reader = await objectReader(objects, key);
    toClose.push(() => reader.close());
    const size = await reader.size();
    const head =
      size === 0 ? new Uint8Array(0) : await reader.read(0, Math.min(size, detectionBytes));
    if (detectFormat(head) === 'sqlite3') {
      const db = await sqliteFromObject(objects, key, scratch, counted);
      toClose.push(() => db.close());
      return { source: await openRecording(name, reader, { sqlite: db }), close, copiedBytes };
    }
    // Chunk CRCs are checked on every byte a streamed ingest reads: zlib's native CRC-32 keeps
    // that from bounding the ingest's speed. Reading into reused buffers keeps a streamed pass
    // from allocating (and collecting) a block per read; every reader of a stored recording
    // is done with a message before it asks for the next.
    return {
      source: await openRecording(name, reader, {
        crc32: (data) => crc32(data),
        ...(reader.readInto === undefined ? {} : { readInto: reader.readInto }),
      }),
      close,
      copiedBytes,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function readAll(objects: ObjectStore, key: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await objects.get(key)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Random access to a local file, read with positioned reads (no whole-file buffering). */
export async function fileReader(
  path: string,
): Promise<RandomAccessReader & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size: () => Promise.resolve(size),
    read: async (offset, length) => {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buffer.byteLength) {
        const { bytesRead } = await handle.read(
          buffer,
          done,
          buffer.byteLength - done,
          offset + done,
        );
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buffer.subarray(0, done);
    },
    close: () => handle.close(),
  };
}
