/**
 * Reading dataset versions back: manifest rows by row group (hyparquet, ranged reads from the
 * object store), the diff of two versions, and export of a version to a folder a training job
 * reads without drivetrain.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  parquetMetadataAsync,
  parquetReadObjects,
  type AsyncBuffer,
  type FileMetaData,
} from 'hyparquet';
import type { Kysely } from 'kysely';
import type { ObjectStore, PlatformTables, Principal } from '../platform/index.js';
import { openStoredRecording, type RecordingsTables } from '../recordings/index.js';
import { coverageChange } from './coverage.js';
import type { DatasetDefinition } from './definition.js';
import { versionKeys, type DatasetService } from './service.js';

/** A manifest opened for reading by ranges. */
export interface OpenedManifest {
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  close(): Promise<void>;
}

/** Opens a manifest object for ranged reads. */
export async function openManifest(objects: ObjectStore, key: string): Promise<OpenedManifest> {
  const handle = await objects.open(key);
  const size = handle.info.size;
  const file: AsyncBuffer = {
    byteLength: size,
    slice: async (start: number, end?: number) => {
      const bytes = await handle.read(start, (end ?? size) - start);
      return bytes.slice().buffer;
    },
  };
  return {
    file,
    metadata: await parquetMetadataAsync(file),
    close: () => handle.close?.() ?? Promise.resolve(),
  };
}

/** The rows of a manifest, one row group at a time, with the given columns. */
export async function* manifestRows(
  manifest: OpenedManifest,
  columns: readonly string[],
): AsyncGenerator<Record<string, unknown>[]> {
  let start = 0;
  for (const group of manifest.metadata.row_groups) {
    const rows = Number(group.num_rows);
    yield (await parquetReadObjects({
      file: manifest.file,
      metadata: manifest.metadata,
      columns: [...columns],
      rowStart: start,
      rowEnd: start + rows,
      utf8: true,
      // Timestamps stay exact nanoseconds, not dates rounded to milliseconds.
      parsers: { timestampFromNanoseconds: (nanos: bigint) => nanos },
    })) as Record<string, unknown>[];
    start += rows;
  }
}

interface SampleKey {
  readonly recordingId: string;
  readonly timeNs: bigint;
}

async function* keysOf(manifest: OpenedManifest): AsyncGenerator<SampleKey> {
  for await (const rows of manifestRows(manifest, ['recording_id', 'time_ns'])) {
    for (const row of rows) {
      yield { recordingId: String(row.recording_id), timeNs: row.time_ns as bigint };
    }
  }
}

function compare(a: SampleKey, b: SampleKey): number {
  if (a.recordingId !== b.recordingId) return a.recordingId < b.recordingId ? -1 : 1;
  return a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0;
}

/** What changed from version A to version B. */
export interface DatasetDiff {
  readonly from: { readonly id: string; readonly samples: number };
  readonly to: { readonly id: string; readonly samples: number };
  readonly added: number;
  readonly removed: number;
  readonly unchanged: number;
  /** A few samples of each, as recording and ISO time of the reference stamp. */
  readonly examples: {
    readonly added: readonly { readonly recordingId: string; readonly time: string }[];
    readonly removed: readonly { readonly recordingId: string; readonly time: string }[];
  };
  readonly splits: readonly {
    readonly split: string;
    readonly from: number;
    readonly to: number;
  }[];
  readonly coverage: ReturnType<typeof coverageChange>;
}

function example(key: SampleKey): { recordingId: string; time: string } {
  const ms = Number(key.timeNs / 1_000_000n);
  return { recordingId: key.recordingId, time: new Date(ms).toISOString() };
}

/**
 * Samples added and removed between two versions, identified by recording and reference stamp.
 * Manifests are ordered by recording and time, so the two are merged in one pass with memory
 * bounded by a row group of each.
 */
export async function diffVersions(
  datasets: DatasetService,
  objects: ObjectStore,
  actor: Principal,
  fromRef: string,
  toRef: string,
): Promise<DatasetDiff> {
  const a = await datasets.requireDataAccess(actor, fromRef);
  const b = await datasets.requireDataAccess(actor, toRef);
  const left = await openManifest(objects, versionKeys(a.id).manifest);
  const right = await openManifest(objects, versionKeys(b.id).manifest);
  try {
    const xs = keysOf(left);
    const ys = keysOf(right);
    let x = await xs.next();
    let y = await ys.next();
    let added = 0;
    let removed = 0;
    let unchanged = 0;
    const examples = {
      added: [] as { recordingId: string; time: string }[],
      removed: [] as { recordingId: string; time: string }[],
    };
    while (!x.done || !y.done) {
      const order = x.done ? 1 : y.done ? -1 : compare(x.value, y.value);
      if (order === 0) {
        unchanged++;
        x = await xs.next();
        y = await ys.next();
      } else if (order < 0) {
        removed++;
        if (examples.removed.length < 10 && !x.done) examples.removed.push(example(x.value));
        x = await xs.next();
      } else {
        added++;
        if (examples.added.length < 10 && !y.done) examples.added.push(example(y.value));
        y = await ys.next();
      }
    }
    const splitNames = [...new Set([...Object.keys(a.splits), ...Object.keys(b.splits)])];
    return {
      from: { id: a.id, samples: a.samples },
      to: { id: b.id, samples: b.samples },
      added,
      removed,
      unchanged,
      examples,
      splits: splitNames.map((split) => ({
        split,
        from: a.splits[split] ?? 0,
        to: b.splits[split] ?? 0,
      })),
      coverage: coverageChange(a.coverage, b.coverage),
    };
  } finally {
    await left.close();
    await right.close();
  }
}

/** What an export wrote. */
export interface ExportResult {
  readonly id: string;
  readonly dir: string;
  readonly files: number;
  readonly messages: number;
  readonly bytes: number;
}

async function writeObject(objects: ObjectStore, key: string, path: string): Promise<number> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of await objects.get(key)) {
    chunks.push(chunk);
    size += chunk.length;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.concat(chunks));
  return size;
}

/**
 * Writes a version to a folder: `manifest.parquet`, `splits/<split>.parquet`, `coverage.json`,
 * `card.json`, and with `messages` every referenced message's bytes as
 * `messages/<recording>/<channel>/<log time ns>.bin` next to `messages/<recording>/channels.json`
 * (topic, schema and encodings per channel), so a training job needs nothing but the folder.
 */
export async function exportVersion(
  deps: {
    datasets: DatasetService;
    objects: ObjectStore;
    db: Kysely<PlatformTables & RecordingsTables>;
    scratchDir: string;
  },
  actor: Principal,
  ref: string,
  dir: string,
  options: { messages?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<ExportResult> {
  const card = await deps.datasets.card(actor, ref);
  await deps.datasets.requireDataAccess(actor, card.id);
  const keys = versionKeys(card.id);
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  let files = 0;
  bytes += await writeObject(deps.objects, keys.manifest, join(dir, 'manifest.parquet'));
  for (const split of Object.keys(card.splits)) {
    bytes += await writeObject(
      deps.objects,
      keys.split(split),
      join(dir, 'splits', `${split}.parquet`),
    );
    files++;
  }
  bytes += await writeObject(deps.objects, keys.coverage, join(dir, 'coverage.json'));
  bytes += await writeObject(deps.objects, keys.card, join(dir, 'card.json'));
  files += 3;
  let messages = 0;
  if (options.messages === true) {
    const written = await exportMessages(
      deps,
      card.id,
      card.definition,
      dir,
      card.samples,
      options.onProgress,
    );
    bytes += written.bytes;
    messages = written.messages;
  }
  return { id: card.id, dir, files, messages, bytes };
}

async function exportMessages(
  deps: {
    objects: ObjectStore;
    db: Kysely<PlatformTables & RecordingsTables>;
    scratchDir: string;
  },
  id: string,
  definition: DatasetDefinition,
  dir: string,
  total: number,
  onProgress?: (done: number, total: number) => void,
): Promise<{ bytes: number; messages: number }> {
  const streams = Object.keys(definition.sync.streams);
  const columns = [
    'recording_id',
    ...streams.flatMap((s) => [
      `${s}_channel`,
      `${s}_log_time_ns`,
      `${s}_offset`,
      `${s}_length`,
      `${s}_offset_in_chunk`,
    ]),
  ];
  const manifest = await openManifest(deps.objects, versionKeys(id).manifest);
  let bytes = 0;
  let done = 0;
  let messages = 0;
  let current:
    | {
        id: string;
        close: () => Promise<void>;
        read: (l: {
          offset: number;
          length: number;
          offsetInChunk?: number;
        }) => Promise<Uint8Array>;
      }
    | undefined;
  const written = new Set<string>();
  try {
    for await (const rows of manifestRows(manifest, columns)) {
      for (const row of rows) {
        const recordingId = String(row.recording_id);
        if (current?.id !== recordingId) {
          await current?.close();
          current = await openForMessages(deps, recordingId, join(dir, 'messages', recordingId));
        }
        for (const stream of streams) {
          const channel = row[`${stream}_channel`];
          if (typeof channel !== 'number') continue;
          const logTime = row[`${stream}_log_time_ns`] as bigint;
          const path = join(dir, 'messages', recordingId, String(channel), `${logTime}.bin`);
          if (written.has(path)) continue;
          const inChunk = row[`${stream}_offset_in_chunk`] as number;
          const data = await current.read({
            offset: Number(row[`${stream}_offset`]),
            length: row[`${stream}_length`] as number,
            ...(inChunk >= 0 ? { offsetInChunk: inChunk } : {}),
          });
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, data);
          written.add(path);
          bytes += data.length;
          messages++;
        }
        done++;
        if (done % 1000 === 0) onProgress?.(done, total);
      }
      // Paths of finished row groups are not seen again (rows are ordered by recording).
      written.clear();
    }
  } finally {
    await current?.close();
    await manifest.close();
  }
  onProgress?.(done, total);
  return { bytes, messages };
}

async function openForMessages(
  deps: { objects: ObjectStore; db: Kysely<PlatformTables & RecordingsTables>; scratchDir: string },
  recordingId: string,
  dir: string,
): Promise<{
  id: string;
  close: () => Promise<void>;
  read: (l: { offset: number; length: number; offsetInChunk?: number }) => Promise<Uint8Array>;
}> {
  const recording = await deps.db
    .selectFrom('recordings')
    .select(['name', 'object_key'])
    .where('id', '=', recordingId)
    .executeTakeFirstOrThrow();
  const channels = await deps.db
    .selectFrom('recording_channels')
    .select([
      'channel_key',
      'topic',
      'schema_name',
      'schema_encoding',
      'message_encoding',
      'sensor',
    ])
    .where('recording_id', '=', recordingId)
    .orderBy('channel_key')
    .execute();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'channels.json'),
    JSON.stringify(
      channels.map((c) => ({
        channel: c.channel_key,
        topic: c.topic,
        sensor: c.sensor,
        schemaName: c.schema_name,
        schemaEncoding: c.schema_encoding,
        messageEncoding: c.message_encoding,
      })),
      null,
      2,
    ),
  );
  const folder = recording.object_key.endsWith('/');
  const opened = await openStoredRecording(
    deps.objects,
    recording.object_key,
    recording.name,
    deps.scratchDir,
    folder,
  );
  return {
    id: recordingId,
    close: () => opened.close(),
    read: async (location) => {
      if (opened.source.messageAt === undefined) {
        throw new Error(`recording ${recordingId} cannot be read by byte location`);
      }
      const message = await opened.source.messageAt(location);
      return message.data;
    },
  };
}
