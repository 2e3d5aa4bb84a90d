import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { DbcDecoder, parseDbc } from '../formats/index.js';
import {
  appendAudit,
  CorruptRecording,
  DrivetrainError,
  InvalidInput,
  decodeCursor,
  isUniqueViolation,
  newId,
  NotFound,
  pageSize,
  runIdFor,
  toPage,
  type LineageService,
  type Logger,
  type ObjectBody,
  type ObjectStore,
  type Page,
  type PlatformTables,
  type Principal,
  type Store,
  type TaskContext,
  type TaskHandler,
  type TaskQueue,
} from '../platform/index.js';
import { reportFromColumns, type SyncQualityReport } from '../sync/index.js';
import {
  analyze,
  catalogue,
  type ChannelAnalysis,
  type RecordingAnalysis,
} from './ingest/analyze.js';
import { openStoredRecording, type OpenedSource } from './ingest/sources.js';
import { readTimelines, TimelineWriter } from './ingest/timelines.js';
import {
  toChannel,
  toRecording,
  toSegment,
  type Channel,
  type Recording,
  type RecordingError,
  type RecordingStatus,
  type Segment,
} from './model.js';
import type { RecordingsTables, RecordingsTable } from './tables.js';

type Db = Kysely<PlatformTables & RecordingsTables>;

export const ingestTaskKind = 'recordings.ingest';
export const analyzeTaskKind = 'recordings.analyze';

export interface RecordingsDependencies {
  readonly store: Store;
  readonly objects: ObjectStore;
  readonly tasks: TaskQueue;
  readonly log: Logger;
  /** Where ingest keeps scratch files (timeline columns, SQLite copies). */
  readonly scratchDir: string;
  /** Receives an OpenLineage run per ingest step: the stored bytes in, the recording out. */
  readonly lineage?: LineageService;
  /**
   * Told of every recording ingest catalogued or analysed (with its sync score once known), so
   * that data products can take it in and re-run their contract checks. Awaited: a failure
   * retries the ingest task, which is idempotent.
   */
  readonly onIngested?: (
    recordingId: string,
    quality: { syncScore?: number | null },
  ) => Promise<unknown>;
}

/** What one ingest step ended with. */
interface IngestOutcome {
  readonly recordingId: string;
  readonly status: RecordingStatus;
  readonly bytesRead?: number;
  /** The sync quality score, when this step computed the sync report. */
  readonly syncScore?: number;
  readonly error?: RecordingError;
}

/** A file to add as a recording. */
export interface NewRecording {
  readonly name: string;
  readonly teamId: string;
  readonly vehicle?: string | null;
  /** A single file's bytes, streamed once. */
  readonly body?: ObjectBody;
  /** Or the files of a rosbag2 folder by relative path (including `metadata.yaml`). */
  readonly files?: readonly { readonly path: string; readonly body: () => ObjectBody }[];
  /** A DBC text for the recording's CAN channels (speed and position signals). */
  readonly dbc?: string;
  readonly onProgress?: (bytes: number) => void;
}

/** What adding a file did: a new recording, or the one that already had the same content. */
export interface AddedRecording {
  readonly recording: Recording;
  readonly duplicate: boolean;
}

export interface RecordingQuery {
  readonly teamIds?: readonly string[];
  readonly vehicle?: string;
  readonly status?: RecordingStatus;
  readonly sensor?: string;
  readonly country?: string;
  readonly tag?: string;
  /** Recordings overlapping [from, to]. */
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
  readonly cursor?: string;
}

const chunkRows = 400;

function recordingError(error: DrivetrainError): RecordingError {
  const offset =
    error instanceof CorruptRecording
      ? error.offset
      : typeof error.details.offset === 'number'
        ? error.details.offset
        : null;
  return { code: error.code, message: error.message, offset };
}

/** Errors that say the file is not a recording we can read: the recording is rejected, not retried. */
function rejects(error: unknown): error is DrivetrainError {
  return (
    error instanceof DrivetrainError &&
    ['corrupt_recording', 'unsupported', 'invalid_input'].includes(error.code)
  );
}

/**
 * Recordings: adding files (content-addressed, duplicates detected by sha256), the durable ingest
 * and analysis tasks, and the catalog queries over recordings, channels and segments.
 */
export class RecordingsService {
  private readonly db: Db;

  constructor(private readonly deps: RecordingsDependencies) {
    this.db = deps.store.db.withTables<RecordingsTables>();
    mkdirSync(deps.scratchDir, { recursive: true });
  }

  /**
   * Stores a file (or a rosbag2 folder) and queues its ingest. The content's sha256 is computed
   * while it streams in; content that is already a recording yields that recording, marked
   * duplicate, and no second copy.
   */
  async add(actor: Principal, input: NewRecording): Promise<AddedRecording> {
    const id = newId('rec');
    const folder = input.files !== undefined;
    const key = `recordings/${id}`;
    let size = 0;
    let sha256: string;
    if (input.files !== undefined) {
      // A folder's identity is the hash of its files' names and hashes, in name order.
      const entries: string[] = [];
      for (const file of [...input.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
        const info = await this.deps.objects.put(`${key}/${file.path}`, file.body(), {
          onProgress: (bytes) => input.onProgress?.(size + bytes),
        });
        size += info.size;
        entries.push(`${file.path}\0${info.sha256}\n`);
      }
      sha256 = createHash('sha256').update(entries.join('')).digest('hex');
    } else {
      if (input.body === undefined)
        throw new InvalidInput('a recording needs a file body or the files of a folder', 'body');
      const info = await this.deps.objects.put(key, input.body, {
        ...(input.onProgress === undefined ? {} : { onProgress: input.onProgress }),
      });
      size = info.size;
      sha256 = info.sha256;
    }
    const existing = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (existing !== undefined) {
      await this.removeObjects(key, folder);
      return { recording: toRecording(existing), duplicate: true };
    }
    if (input.dbc !== undefined)
      await this.deps.objects.put(`dbc/${id}`, new TextEncoder().encode(input.dbc));
    const now = Date.now();
    const row: RecordingsTable = {
      id,
      sha256,
      team_id: input.teamId,
      name: input.name,
      format: folder ? 'ros2-bag' : null,
      status: 'queued',
      size,
      bytes_read: 0,
      object_key: folder ? `${key}/` : key,
      vehicle: input.vehicle ?? null,
      start_ns: null,
      end_ns: null,
      start_ms: null,
      end_ms: null,
      message_count: null,
      country: null,
      min_lat: null,
      min_lon: null,
      max_lat: null,
      max_lon: null,
      error: null,
      metadata: '[]',
      library: null,
      task_id: null,
      sync_score: null,
      sync_passed: null,
      created_by: actor.ref,
      created_at: now,
      ingested_at: null,
    };
    try {
      await this.deps.store.transaction(async (trx) => {
        const db = trx.withTables<RecordingsTables>();
        const task = await this.deps.tasks.enqueue(
          {
            kind: ingestTaskKind,
            payload: { recordingId: id },
            idempotencyKey: `ingest:${id}`,
            teamId: input.teamId,
            createdBy: actor.ref,
          },
          trx,
        );
        row.task_id = task.id;
        await db.insertInto('recordings').values(row).execute();
        await appendAudit(trx, this.deps.store.dialect, {
          actor: actor.ref,
          action: 'recording.add',
          targetKind: 'recording',
          targetId: id,
          after: { id, sha256, name: input.name, size, teamId: input.teamId, vehicle: row.vehicle },
        });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The same content arrived concurrently and won the race: ours is the duplicate.
      await this.removeObjects(key, folder);
      const winner = await this.db
        .selectFrom('recordings')
        .selectAll()
        .where('sha256', '=', sha256)
        .executeTakeFirstOrThrow();
      return { recording: toRecording(winner), duplicate: true };
    }
    this.deps.tasks.changes.emit('change', row.task_id ?? '');
    return { recording: toRecording(row), duplicate: false };
  }

  private async removeObjects(key: string, folder: boolean): Promise<void> {
    if (!folder) {
      await this.deps.objects.delete(key);
      return;
    }
    for (let cursor: string | undefined; ;) {
      const page = await this.deps.objects.list(
        `${key}/`,
        cursor === undefined ? { limit: 500 } : { limit: 500, cursor },
      );
      for (const object of page.objects) await this.deps.objects.delete(object.key);
      if (page.next === undefined) break;
      cursor = page.next;
    }
  }

  async get(id: string): Promise<Recording> {
    const row = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('recording', id);
    return toRecording(row);
  }

  /** Opens a stored recording for reading; close it when done. */
  async open(id: string): Promise<OpenedSource> {
    const row = await this.db
      .selectFrom('recordings')
      .select(['name', 'object_key'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('recording', id);
    return this.openRow(row);
  }

  private openRow(row: Pick<RecordingsTable, 'name' | 'object_key'>): Promise<OpenedSource> {
    const folder = row.object_key.endsWith('/');
    const key = folder ? row.object_key.slice(0, -1) : row.object_key;
    return openStoredRecording(this.deps.objects, key, row.name, this.deps.scratchDir, folder);
  }

  /** The bytes of a single-file recording. */
  async file(id: string): Promise<AsyncIterable<Uint8Array>> {
    const row = await this.db
      .selectFrom('recordings')
      .select(['object_key'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('recording', id);
    if (row.object_key.endsWith('/'))
      throw new InvalidInput(`recording ${id} is a folder of files; it has no single file`, 'id');
    return this.deps.objects.get(row.object_key);
  }

  async channels(id: string): Promise<Channel[]> {
    const rows = await this.db
      .selectFrom('recording_channels')
      .selectAll()
      .where('recording_id', '=', id)
      .orderBy('channel_key')
      .execute();
    return rows.map(toChannel);
  }

  /** Recordings newest first, filtered. */
  async list(query: RecordingQuery = {}): Promise<Page<Recording>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('recordings')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.teamIds !== undefined) {
      if (query.teamIds.length === 0) return { items: [], next: null };
      select = select.where('team_id', 'in', query.teamIds);
    }
    if (query.vehicle !== undefined) select = select.where('vehicle', '=', query.vehicle);
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    if (query.country !== undefined) select = select.where('country', '=', query.country);
    if (query.from !== undefined) select = select.where('end_ms', '>=', query.from.getTime());
    if (query.to !== undefined) select = select.where('start_ms', '<=', query.to.getTime());
    if (query.sensor !== undefined) {
      const sensor = query.sensor;
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('recording_channels')
            .select('recording_channels.recording_id')
            .whereRef('recording_channels.recording_id', '=', 'recordings.id')
            .where('recording_channels.sensor', '=', sensor),
        ),
      );
    }
    if (query.tag !== undefined) {
      const tag = query.tag;
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('segments')
            .innerJoin('segment_tags', 'segment_tags.segment_id', 'segments.id')
            .select('segments.id')
            .whereRef('segments.recording_id', '=', 'recordings.id')
            .where('segment_tags.tag', '=', tag),
        ),
      );
    }
    if (query.cursor !== undefined)
      select = select.where('id', '<', String(decodeCursor(query.cursor, 1)[0]));
    return toPage(await select.execute(), limit, (r) => [r.id], toRecording);
  }

  async segments(
    recordingId: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<Page<Segment>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('segments')
      .selectAll()
      .where('recording_id', '=', recordingId)
      .orderBy('seq')
      .limit(limit + 1);
    if (query.cursor !== undefined)
      select = select.where('seq', '>', Number(decodeCursor(query.cursor, 1)[0]));
    return toPage(await select.execute(), limit, (r) => [r.seq], toSegment);
  }

  /** Message counts per channel in `bins` equal time bins, for the recording page's rate plot. */
  async rates(
    recordingId: string,
    bins: number,
  ): Promise<{
    start: string | null;
    binSeconds: number;
    channels: { key: number; topic: string; sensor: string; counts: number[] }[];
  }> {
    const recording = await this.get(recordingId);
    if (
      recording.status !== 'ready' ||
      recording.startTime === null ||
      recording.endTime === null
    ) {
      return { start: recording.startTime, binSeconds: 0, channels: [] };
    }
    const row = await this.db
      .selectFrom('recordings')
      .select(['start_ns', 'end_ns'])
      .where('id', '=', recordingId)
      .executeTakeFirstOrThrow();
    const start = BigInt(row.start_ns ?? '0');
    const span = BigInt(row.end_ns ?? '0') - start + 1n;
    const binNs = span / BigInt(bins) + 1n;
    const timelines = await readTimelines(this.deps.objects, recordingId);
    return {
      start: recording.startTime,
      binSeconds: Number(binNs) / 1e9,
      channels: timelines.map((timeline) => {
        const counts = new Array<number>(bins).fill(0);
        for (const time of timeline.logTimes) {
          const bin = Number((time - start) / binNs);
          if (bin >= 0 && bin < bins) counts[bin] = (counts[bin] ?? 0) + 1;
        }
        return { key: timeline.channelKey, topic: timeline.topic, sensor: timeline.sensor, counts };
      }),
    };
  }

  /** The task handlers of this context, by kind. */
  taskHandlers(): Record<string, TaskHandler> {
    return {
      [ingestTaskKind]: (payload, context) =>
        this.runIngest((payload as { recordingId: string }).recordingId, context, false),
      [analyzeTaskKind]: (payload, context) =>
        this.runIngest((payload as { recordingId: string }).recordingId, context, true),
    };
  }

  /**
   * Ingests a stored recording: reads its index (or, for a file without one, all of it) and
   * catalogues channels and segments; a full analysis follows, in this task for files read
   * front to back and as a second task otherwise. Idempotent: running it again rewrites the same
   * rows. A file that is not a readable recording is rejected, with the error and byte offset.
   */
  private async runIngest(
    recordingId: string,
    context: TaskContext,
    fullAnalysis: boolean,
  ): Promise<unknown> {
    const row = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('id', '=', recordingId)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('recording', recordingId);
    if (
      row.status === 'rejected' ||
      row.status === 'ready' ||
      (!fullAnalysis && row.status === 'catalogued')
    ) {
      return { recordingId, status: row.status };
    }
    const kind = fullAnalysis ? analyzeTaskKind : ingestTaskKind;
    const task = context.task;
    const lineage = this.deps.lineage;
    for (let attempt = 1; attempt < task.attempts; attempt++) {
      await lineage?.abortIfDangling(
        runIdFor(kind, task.id, attempt),
        'the ingest was interrupted; a later attempt ran it again',
      );
    }
    const run = lineage?.run(
      {
        name: kind,
        jobType: 'INGEST',
        description: fullAnalysis
          ? 'reads every message of a recording catalogued from its index'
          : 'validates, catalogues and analyses an uploaded recording',
      },
      {
        runId: runIdFor(kind, task.id, task.attempts),
        inputs: [lineage.dataset(`objects/sha256/${row.sha256}`)],
      },
    );
    await run?.start();
    let outcome: IngestOutcome;
    try {
      outcome = await this.ingestRow(row, context, fullAnalysis);
    } catch (error) {
      await run?.fail(error);
      throw error;
    }
    if (outcome.error !== undefined) {
      await run?.fail(new Error(`${outcome.error.code}: ${outcome.error.message}`));
      return outcome;
    }
    await this.deps.onIngested?.(
      recordingId,
      outcome.syncScore === undefined ? {} : { syncScore: outcome.syncScore },
    );
    if (lineage !== undefined)
      await run?.complete({ outputs: [lineage.dataset(`recordings/${recordingId}`)] });
    return { recordingId, status: outcome.status, bytesRead: outcome.bytesRead };
  }

  private async ingestRow(
    row: RecordingsTable,
    context: TaskContext,
    fullAnalysis: boolean,
  ): Promise<IngestOutcome> {
    const recordingId = row.id;
    if (row.status === 'queued')
      await this.db
        .updateTable('recordings')
        .set({ status: 'ingesting' })
        .where('id', '=', recordingId)
        .execute();
    const folder = row.object_key.endsWith('/');
    const key = folder ? row.object_key.slice(0, -1) : row.object_key;
    let opened;
    try {
      opened = await openStoredRecording(
        this.deps.objects,
        key,
        row.name,
        this.deps.scratchDir,
        folder,
      );
    } catch (error) {
      if (rejects(error)) return this.reject(row, error);
      throw error;
    }
    const timelines = new TimelineWriter(this.deps.scratchDir);
    try {
      const source = opened.source;
      const streamed = 'mode' in source && source.mode === 'streamed';
      const dbc = await this.dbcOf(recordingId);
      const options = {
        file: row.name,
        signal: context.signal,
        ...(dbc === undefined ? {} : { dbc }),
        onProgress: (messages: number) =>
          context.progress(messages, 0, `${messages} messages read`),
      };
      let analysis: RecordingAnalysis;
      let sync: SyncQualityReport | undefined;
      if (fullAnalysis || streamed) {
        analysis = await analyze(source, timelines, options);
        await timelines.store(this.deps.objects, recordingId);
        sync = await this.syncReport(recordingId, row.name, analysis.channels);
      } else {
        timelines.discard();
        analysis = await catalogue(source, options);
      }
      const bytesRead = fullAnalysis ? row.bytes_read : source.bytesRead + opened.copiedBytes();
      await this.saveAnalysis(row, source.format, analysis, bytesRead, sync);
      if (!analysis.complete) {
        await this.deps.tasks.enqueue({
          kind: analyzeTaskKind,
          payload: { recordingId },
          idempotencyKey: `analyze:${recordingId}`,
          teamId: row.team_id,
          createdBy: row.created_by,
        });
      }
      return {
        recordingId,
        status: analysis.complete ? 'ready' : 'catalogued',
        bytesRead,
        ...(sync === undefined ? {} : { syncScore: sync.score }),
      };
    } catch (error) {
      timelines.discard();
      if (rejects(error)) return this.reject(row, error);
      throw error;
    } finally {
      await opened.close();
    }
  }

  /**
   * The sync quality report of an analysed recording, from its timelines: every stamped
   * sensor channel (not bus frames) measured against the lidar (else the slowest channel).
   */
  private async syncReport(
    recordingId: string,
    name: string,
    channels: readonly ChannelAnalysis[],
  ): Promise<SyncQualityReport | undefined> {
    const chosen = channels.filter(
      (c) =>
        c.stampPath !== 'none' && c.sensor !== 'can' && c.sensor !== 'other' && c.messageCount > 1,
    );
    if (chosen.length < 2) return undefined;
    const byRate = [...chosen].sort((a, b) => a.messageCount - b.messageCount);
    const reference =
      chosen
        .filter((c) => c.sensor === 'lidar')
        .sort((a, b) => b.messageCount - a.messageCount)[0] ?? byRate[0];
    const label = (c: { topic: string; channelKey: number }): string =>
      chosen.filter((other) => other.topic === c.topic).length > 1
        ? `${c.topic}#${c.channelKey}`
        : c.topic;
    const timelines = await readTimelines(
      this.deps.objects,
      recordingId,
      chosen.map((c) => c.channelKey),
    );
    try {
      return reportFromColumns(
        timelines.map((t) => ({
          name: label(t),
          logTimes: t.logTimes,
          stamps: t.stamps,
          stampFromHeader: t.stampFromHeader,
        })),
        { file: name, reference: reference === undefined ? '' : label(reference) },
      );
    } catch (error) {
      // A recording whose stamps cannot be related (e.g. spanning months) has no report; it is
      // still a recording.
      this.deps.log.warn({ recordingId, err: error }, 'no sync report');
      return undefined;
    }
  }

  /** The sync quality report of an analysed recording, or undefined before its analysis. */
  async syncQuality(recordingId: string): Promise<SyncQualityReport | undefined> {
    const row = await this.db
      .selectFrom('recording_sync')
      .select('report')
      .where('recording_id', '=', recordingId)
      .executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.report) as SyncQualityReport);
  }

  private async dbcOf(recordingId: string): Promise<DbcDecoder | undefined> {
    if ((await this.deps.objects.head(`dbc/${recordingId}`)) === undefined) return undefined;
    const chunks: Uint8Array[] = [];
    for await (const chunk of await this.deps.objects.get(`dbc/${recordingId}`)) chunks.push(chunk);
    return new DbcDecoder(parseDbc(Buffer.concat(chunks).toString('utf8'), `${recordingId}.dbc`));
  }

  private async reject(row: RecordingsTable, error: DrivetrainError): Promise<IngestOutcome> {
    const problem = recordingError(error);
    await this.deps.store.transaction(async (trx) => {
      await trx
        .withTables<RecordingsTables>()
        .updateTable('recordings')
        .set({ status: 'rejected', error: JSON.stringify(problem), ingested_at: Date.now() })
        .where('id', '=', row.id)
        .execute();
      await appendAudit(trx, this.deps.store.dialect, {
        actor: 'system',
        action: 'recording.reject',
        targetKind: 'recording',
        targetId: row.id,
        details: { ...problem },
      });
    });
    this.deps.log.info({ recordingId: row.id, error: problem }, 'recording rejected');
    return { recordingId: row.id, status: 'rejected', error: problem };
  }

  /** Writes what ingest learnt, replacing earlier rows, in one transaction with its audit entry. */
  private async saveAnalysis(
    row: RecordingsTable,
    format: string,
    analysis: RecordingAnalysis,
    bytesRead: number,
    sync: SyncQualityReport | undefined,
  ): Promise<void> {
    const id = row.id;
    const status: RecordingStatus = analysis.complete ? 'ready' : 'catalogued';
    const startMs = analysis.startNs === null ? null : Number(analysis.startNs / 1_000_000n);
    const endMs = analysis.endNs === null ? null : Number(analysis.endNs / 1_000_000n);
    await this.deps.store.transaction(async (trx) => {
      const db = trx.withTables<RecordingsTables>();
      await db
        .deleteFrom('segment_tags')
        .where(
          'segment_id',
          'in',
          db.selectFrom('segments').select('id').where('recording_id', '=', id),
        )
        .execute();
      await db.deleteFrom('segments').where('recording_id', '=', id).execute();
      await db.deleteFrom('recording_channels').where('recording_id', '=', id).execute();
      const channels = analysis.channels.map((c) => ({
        recording_id: id,
        channel_key: c.channelKey,
        topic: c.topic,
        schema_name: c.schemaName,
        schema_encoding: c.schemaEncoding,
        message_encoding: c.messageEncoding,
        sensor: c.sensor,
        message_count: c.messageCount,
        frequency_hz: c.frequencyHz,
        start_ms: c.startNs === null ? null : Number(c.startNs / 1_000_000n),
        end_ms: c.endNs === null ? null : Number(c.endNs / 1_000_000n),
        max_gap_ms: c.maxGapMs,
        gap_count: c.gapCount,
      }));
      for (let i = 0; i < channels.length; i += chunkRows) {
        await db
          .insertInto('recording_channels')
          .values(channels.slice(i, i + chunkRows))
          .execute();
      }
      const segments = analysis.segments.map((s) => ({
        id: `seg_${id.slice(4)}_${s.seq}`,
        recording_id: id,
        seq: s.seq,
        start_ms: s.startMs,
        end_ms: s.endMs,
        country: s.country,
        daylight: s.daylight,
        speed_kmh_mean: s.speedKmhMean,
        speed_kmh_max: s.speedKmhMax,
        lat: s.lat,
        lon: s.lon,
        tags: JSON.stringify(s.tags),
      }));
      for (let i = 0; i < segments.length; i += chunkRows) {
        await db
          .insertInto('segments')
          .values(segments.slice(i, i + chunkRows))
          .execute();
      }
      const tags = analysis.segments.flatMap((s) =>
        s.tags.map((tag) => ({ segment_id: `seg_${id.slice(4)}_${s.seq}`, tag })),
      );
      for (let i = 0; i < tags.length; i += chunkRows) {
        await db
          .insertInto('segment_tags')
          .values(tags.slice(i, i + chunkRows))
          .execute();
      }
      const update = {
        format,
        status,
        bytes_read: bytesRead,
        start_ns: analysis.startNs?.toString() ?? null,
        end_ns: analysis.endNs?.toString() ?? null,
        start_ms: startMs,
        end_ms: endMs,
        message_count: analysis.messageCount,
        country: analysis.country,
        min_lat: analysis.bbox?.minLat ?? null,
        min_lon: analysis.bbox?.minLon ?? null,
        max_lat: analysis.bbox?.maxLat ?? null,
        max_lon: analysis.bbox?.maxLon ?? null,
        metadata: JSON.stringify(analysis.metadata),
        library: analysis.library ?? null,
        error: null,
        sync_score: sync?.score ?? null,
        sync_passed: sync === undefined ? null : sync.passed ? 1 : 0,
        ingested_at: Date.now(),
      };
      await db.updateTable('recordings').set(update).where('id', '=', id).execute();
      await db.deleteFrom('recording_sync').where('recording_id', '=', id).execute();
      if (sync !== undefined) {
        await db
          .insertInto('recording_sync')
          .values({ recording_id: id, report: JSON.stringify(sync) })
          .execute();
      }
      await appendAudit(trx, this.deps.store.dialect, {
        actor: 'system',
        action: analysis.complete ? 'recording.analyze' : 'recording.catalogue',
        targetKind: 'recording',
        targetId: id,
        after: { ...update, channels: channels.length, segments: segments.length },
      });
    });
  }
}
