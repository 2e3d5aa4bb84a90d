/**
 * A training job's input on disk: a dataset version exported with its messages, plus
 * `manifest.jsonl`, one JSON line per sample with its split, recording, segment, time, segment
 * tags and, per stream, the exported message file. Compressed camera frames are also written
 * as plain `.jpg`/`.png` files, so a job reads images without a CDR or Protobuf decoder.
 * The format is documented in docs/job-inputs.md.
 */
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { createMessageDecoder, type MessageDecoder } from '../formats/index.js';
import {
  Forbidden,
  InvalidInput,
  NotFound,
  type ObjectStore,
  type PlatformTables,
  type Principal,
} from '../platform/index.js';
import { openStoredRecording, type RecordingsTables } from '../recordings/index.js';
import { exportVersion, manifestRows, openManifest } from './read.js';
import { versionKeys, type DatasetService, type DatasetVersion } from './service.js';

export interface JobInputDependencies {
  readonly datasets: DatasetService;
  readonly objects: ObjectStore;
  readonly db: Kysely<PlatformTables & RecordingsTables>;
  readonly scratchDir: string;
}

/** An input as a job lists it: a dataset name and `latest`, a version id or an id prefix. */
export interface JobInputRef {
  readonly dataset: string;
  readonly version: string;
}

/** What materializing one input wrote. */
export interface MaterializedInput {
  readonly id: string;
  readonly samples: number;
  readonly messages: number;
  readonly images: number;
}

/** One stream of a sample in `manifest.jsonl`; null where an optional stream had no message. */
export interface JobSampleStream {
  readonly topic: string;
  readonly stampNs: string;
  readonly logTimeNs: string;
  /** The message as stored (its encoding is in `messages/<recording>/channels.json`). */
  readonly message: string;
  /** The compressed image of a camera message, when the stream carries JPEG or PNG frames. */
  readonly image?: string;
}

/** One line of `manifest.jsonl`. Paths are relative to the folder of the manifest. */
export interface JobSample {
  readonly split: string;
  readonly recording: string;
  readonly vehicle: string | null;
  readonly segment: string;
  /** The reference stamp of the sample, ISO-8601 and exact nanoseconds since the epoch. */
  readonly time: string;
  readonly timeNs: string;
  readonly tags: readonly string[];
  readonly streams: Readonly<Record<string, JobSampleStream | null>>;
}

/** Schemas whose messages carry a compressed image: `format` (text) and `data` (bytes). */
const compressedImageSchema = /(^|[/.])CompressedImage$/;

function imageExtension(data: Uint8Array, format: string): 'jpg' | 'png' | undefined {
  if (data[0] === 0xff && data[1] === 0xd8) return 'jpg';
  if (data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return 'png';
  if (/png/i.test(format)) return 'png';
  if (/jpe?g/i.test(format)) return 'jpg';
  return undefined;
}

/** The bytes and format of a decoded CompressedImage (ROS 1, ROS 2, Foxglove; JSON gives base64). */
function imagePayload(decoded: unknown): { data: Uint8Array; format: string } | undefined {
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  const { data, format } = decoded as { data?: unknown; format?: unknown };
  const text = typeof format === 'string' ? format : '';
  if (data instanceof Uint8Array) return { data, format: text };
  if (typeof data === 'string') return { data: Buffer.from(data, 'base64'), format: text };
  if (Array.isArray(data)) return { data: Uint8Array.from(data as number[]), format: text };
  return undefined;
}

const isoOfNs = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** What writing the samples of one recording needs to know, and what it wrote. */
interface RecordingState {
  readonly id: string;
  readonly schemas: ReadonlyMap<number, string>;
  readonly tags: Map<string, readonly string[]>;
  /** Image file of each image message already written (null: the payload is no JPEG or PNG). */
  readonly images: Map<string, string | null>;
  /** Decoders of image channels, made from the schemas the recording stores. */
  decoders?: ReadonlyMap<number, MessageDecoder>;
  written: number;
}

/**
 * Writes the input dataset versions of training jobs into their input folders, as the team
 * that runs the job may read them (the platform's `InputMaterializer` for compute).
 */
export class JobInputMaterializer {
  constructor(private readonly deps: JobInputDependencies) {}

  /**
   * Resolves `input` as `job.team` sees it, exports the version with its messages into `dir`
   * and writes `manifest.jsonl` next to it.
   */
  async materialize(
    input: JobInputRef,
    dir: string,
    job: { readonly team: string },
  ): Promise<MaterializedInput> {
    const reader = await this.teamPrincipal(job.team);
    const version = await this.resolve(reader, input);
    const exported = await exportVersion(this.deps, reader, version.id, dir, { messages: true });
    const { definition } = await this.deps.datasets.card(reader, version.id);
    const written = await this.writeSamples(version.id, Object.keys(definition.sync.streams), dir);
    return { id: version.id, messages: exported.messages, ...written };
  }

  /** A principal standing for the job's team: it reads what the team's members may read. */
  private async teamPrincipal(team: string): Promise<Principal> {
    const row = await this.deps.db
      .selectFrom('teams')
      .select('id')
      .where('name', '=', team)
      .executeTakeFirst();
    if (row === undefined)
      throw new Forbidden(`team '${team}' does not exist, so it may read no dataset`);
    return {
      ref: `team:${team}`,
      userId: null,
      name: `team ${team}`,
      platformAdmin: false,
      memberships: [{ teamId: row.id, role: 'viewer' }],
    };
  }

  private async resolve(reader: Principal, input: JobInputRef): Promise<DatasetVersion> {
    if (input.version === 'latest') {
      const page = await this.deps.datasets.list(reader, { name: input.dataset, limit: 1 });
      const newest = page.items[0];
      if (newest === undefined) throw new NotFound('dataset version', `${input.dataset}@latest`);
      return newest;
    }
    const version = await this.deps.datasets.get(reader, input.version);
    if (version.name !== input.dataset) {
      throw new InvalidInput(
        `inputs: version ${version.id} belongs to dataset '${version.name}', not '${input.dataset}'`,
        'inputs',
      );
    }
    return version;
  }

  /** Writes `manifest.jsonl` (to a temporary name first), one row group of the manifest at a time. */
  private async writeSamples(
    id: string,
    streams: readonly string[],
    dir: string,
  ): Promise<{ samples: number; images: number }> {
    const columns = [
      'recording_id',
      'vehicle',
      'segment_id',
      'split',
      'time_ns',
      ...streams.flatMap((s) => [
        `${s}_topic`,
        `${s}_channel`,
        `${s}_log_time_ns`,
        `${s}_stamp_ns`,
      ]),
    ];
    const target = join(dir, 'manifest.jsonl');
    const out = await open(`${target}.tmp`, 'w');
    const manifest = await openManifest(this.deps.objects, versionKeys(id).manifest);
    let state: RecordingState | undefined;
    let samples = 0;
    let images = 0;
    try {
      for await (const rows of manifestRows(manifest, columns)) {
        let lines = '';
        for (const row of rows) {
          const recordingId = String(row.recording_id);
          if (state?.id !== recordingId) {
            images += state?.written ?? 0;
            state = await this.recordingState(recordingId);
          }
          const byStream: Record<string, JobSampleStream | null> = {};
          for (const stream of streams) {
            const channel = row[`${stream}_channel`];
            if (typeof channel !== 'number') {
              byStream[stream] = null;
              continue;
            }
            const logTime = String(row[`${stream}_log_time_ns`]);
            const message = `messages/${recordingId}/${channel}/${logTime}.bin`;
            const image = await this.imageOf(state, dir, channel, logTime, message);
            byStream[stream] = {
              topic: String(row[`${stream}_topic`]),
              stampNs: String(row[`${stream}_stamp_ns`]),
              logTimeNs: logTime,
              message,
              ...(image === undefined ? {} : { image }),
            };
          }
          const segment = String(row.segment_id);
          const sample: JobSample = {
            split: String(row.split),
            recording: recordingId,
            vehicle: typeof row.vehicle === 'string' ? row.vehicle : null,
            segment,
            time: isoOfNs(row.time_ns as bigint),
            timeNs: String(row.time_ns),
            tags: await this.tagsOf(state, segment),
            streams: byStream,
          };
          lines += `${JSON.stringify(sample)}\n`;
          samples++;
        }
        await out.write(lines);
      }
      await out.sync();
    } finally {
      await out.close();
      await manifest.close();
    }
    await rename(`${target}.tmp`, target);
    return { samples, images: images + (state?.written ?? 0) };
  }

  private async recordingState(recordingId: string): Promise<RecordingState> {
    const channels = await this.deps.db
      .selectFrom('recording_channels')
      .select(['channel_key', 'schema_name'])
      .where('recording_id', '=', recordingId)
      .execute();
    return {
      id: recordingId,
      schemas: new Map(channels.map((c) => [c.channel_key, c.schema_name])),
      tags: new Map(),
      images: new Map(),
      written: 0,
    };
  }

  /**
   * Writes the image of a camera message as its own file (once per message) and returns its
   * path; undefined for messages that are not compressed images.
   */
  private async imageOf(
    state: RecordingState,
    dir: string,
    channel: number,
    logTime: string,
    message: string,
  ): Promise<string | undefined> {
    if (!compressedImageSchema.test(state.schemas.get(channel) ?? '')) return undefined;
    const known = state.images.get(message);
    if (known !== undefined) return known ?? undefined;
    state.decoders ??= await this.imageDecoders(state);
    const decoder = state.decoders.get(channel);
    if (decoder === undefined) throw new Error(`no decoder for channel ${channel} of ${state.id}`);
    const payload = imagePayload(decoder.decode(await readFile(join(dir, message))));
    const extension =
      payload === undefined ? undefined : imageExtension(payload.data, payload.format);
    if (payload === undefined || extension === undefined) {
      state.images.set(message, null);
      return undefined;
    }
    const path = `images/${state.id}/${channel}/${logTime}.${extension}`;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), payload.data);
    state.images.set(message, path);
    state.written++;
    return path;
  }

  /** Decoders of a recording's image channels, from the schemas stored in the recording itself. */
  private async imageDecoders(state: RecordingState): Promise<Map<number, MessageDecoder>> {
    const recording = await this.deps.db
      .selectFrom('recordings')
      .select(['name', 'object_key'])
      .where('id', '=', state.id)
      .executeTakeFirstOrThrow();
    const opened = await openStoredRecording(
      this.deps.objects,
      recording.object_key,
      recording.name,
      this.deps.scratchDir,
      recording.object_key.endsWith('/'),
    );
    try {
      const summary = await opened.source.summary();
      return new Map(
        summary.channels
          .filter((c) => compressedImageSchema.test(c.schemaName))
          .map((c) => [c.id, createMessageDecoder(c, { file: recording.name })]),
      );
    } finally {
      await opened.close();
    }
  }

  /** The tags of a segment, read once per segment from `segment_tags`. */
  private async tagsOf(state: RecordingState, segment: string): Promise<readonly string[]> {
    const known = state.tags.get(segment);
    if (known !== undefined) return known;
    const rows = await this.deps.db
      .selectFrom('segment_tags')
      .select('tag')
      .where('segment_id', '=', segment)
      .orderBy('tag')
      .execute();
    const tags = rows.map((r) => r.tag);
    state.tags.set(segment, tags);
    return tags;
  }
}
