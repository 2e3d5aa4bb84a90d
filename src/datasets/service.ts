import { sql, type Kysely } from 'kysely';
import {
  parseQuery,
  parseYaml,
  type CatalogService,
  type CatalogTables,
  type SearchService,
  type SegmentHit,
} from '../catalog/index.js';
import {
  customFacet,
  decodeCursor,
  Forbidden,
  Internal,
  InvalidInput,
  NotFound,
  pageSize,
  runIdFor,
  standardFacets,
  teamIdsOf,
  toPage,
  type LineageService,
  type Logger,
  type ObjectStore,
  type Page,
  type PlatformTables,
  type Principal,
  type Store,
  type Task,
  type TaskContext,
  type TaskHandler,
  type TaskQueue,
} from '../platform/index.js';
import { readTimelines, type RecordingsTables } from '../recordings/index.js';
import { addCounts, coverage, type CoverageRow } from './coverage.js';
import {
  canonicalDefinition,
  definitionHash,
  parseDefinition,
  type DatasetDefinition,
  type StreamSelector,
} from './definition.js';
import { encodeSamples, manifestSchema } from './manifest.js';
import {
  encodeFooter,
  encodeParquet,
  encodeRowGroup,
  parquetMagic,
  type ChunkMeta,
} from './parquet/writer.js';
import {
  SampleColumns,
  synchronizeRecording,
  type PlannedRecording,
  type StreamTimeline,
} from './samples.js';
import { SplitAssigner, sharedKeys } from './split.js';
import type { DatasetsTables } from './tables.js';

export const buildTaskKind = 'datasets.build';

type Db = Kysely<PlatformTables & RecordingsTables & CatalogTables & DatasetsTables>;

/** Reads the timelines of some channels of a recording (the recordings context's by default). */
export type TimelineReader = (
  recordingId: string,
  channelKeys: readonly number[],
) => Promise<readonly StreamTimeline[]>;

export interface DatasetsDependencies {
  readonly store: Store;
  readonly objects: ObjectStore;
  readonly tasks: TaskQueue;
  readonly catalog: CatalogService;
  readonly search: SearchService;
  readonly lineage: LineageService;
  readonly log: Logger;
  readonly timelines?: TimelineReader;
  /** Samples per part (manifest row group) a build aims at; 50,000 by default. */
  readonly partSamples?: number;
}

interface BuildPayload {
  readonly definition: unknown;
  readonly actor: Principal;
  readonly teamId: string | null;
}

/** What one finished part of a build holds, besides its bytes. */
interface PartMeta {
  readonly rows: number;
  readonly size: number;
  readonly chunks: ChunkMeta[];
  readonly tagCounts: readonly [string, number][];
  readonly splitCounts: number[];
  /** The split column as runs of [split index, rows]. */
  readonly splitRuns: readonly [number, number][];
  readonly keys: string[];
  readonly recordings: string[];
  readonly segments: number;
}

/** Why recordings were left out of a build, and stream choices worth knowing about. */
export interface BuildNotes {
  readonly notReady: number;
  readonly missingStreams: Readonly<Record<string, number>>;
  readonly ambiguousStreams: Readonly<Record<string, string>>;
}

/** The result of a build, as `drivetrain datasets build --json` prints it. */
export interface BuildResult {
  readonly id: string;
  readonly samples: number;
  readonly splits: Readonly<Record<string, number>>;
  readonly coverage: {
    readonly attribute: string;
    readonly target: number;
    readonly actual: number;
    readonly pass: boolean;
  }[];
}

/** A dataset version as lists show it. */
export interface DatasetVersion {
  readonly id: string;
  readonly name: string;
  readonly samples: number;
  readonly recordings: number;
  readonly segments: number;
  readonly splits: Readonly<Record<string, number>>;
  readonly coverage: CoverageRow[];
  readonly requirementsMet: boolean;
  readonly manifestSize: number;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** The card of a version: definition, counts, coverage against requirements, split independence. */
export interface DatasetCard extends DatasetVersion {
  readonly definition: DatasetDefinition;
  readonly definitionHash: string;
  readonly splitBy: string;
  readonly independence: {
    readonly key: 'recording' | 'vehicle' | 'cell';
    /** The key the rule splits by must not be shared; the others are reported. */
    readonly enforced: boolean;
    readonly shared: number;
    readonly examples: string[];
    readonly pass: boolean;
  }[];
  readonly tagCounts: Readonly<Record<string, number>>;
  readonly notes: BuildNotes;
  readonly files: string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function globMatch(pattern: string, text: string): boolean {
  const expression = new RegExp(
    `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`,
  );
  return expression.test(text);
}

async function* fromPieces(pieces: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield piece;
}

async function readAll(objects: ObjectStore, key: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of await objects.get(key)) {
    chunks.push(chunk);
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Object keys of a version's files. */
export function versionKeys(id: string) {
  return {
    manifest: `datasets/${id}/manifest.parquet`,
    split: (name: string) => `datasets/${id}/splits/${name}.parquet`,
    coverage: `datasets/${id}/coverage.json`,
    card: `datasets/${id}/card.json`,
  };
}

const buildPrefix = (taskId: string): string => `dataset-builds/${taskId}`;
/** Where a build writes its manifest before its version id, the manifest's sha256, is known. */
const manifestKey = (taskId: string): string => `${buildPrefix(taskId)}/manifest.parquet`;

/** Recordings whose timelines a build reads ahead of the one it synchronizes. */
const readAhead = 4;

/**
 * Dataset definitions, durable builds of immutable versions, their cards, diffs and files.
 * A build runs as a task: planned once (the plan is stored), then part by part (each part
 * stored with its row group), so a build killed at any point resumes where it was without
 * duplicate or missing samples, and ends with the same manifest, hence the same id.
 */
export class DatasetService {
  private readonly partSamples: number;
  private readonly readTimelines: TimelineReader;

  constructor(private readonly deps: DatasetsDependencies) {
    this.partSamples = deps.partSamples ?? 50_000;
    this.readTimelines =
      deps.timelines ??
      ((recordingId, channelKeys) => readTimelines(deps.objects, recordingId, channelKeys));
  }

  private get db(): Db {
    return this.deps.store.db.withTables<RecordingsTables & CatalogTables & DatasetsTables>();
  }

  /** Parses a definition given as YAML text or as an object. */
  parse(input: unknown): DatasetDefinition {
    const value = typeof input === 'string' ? parseYaml(input, 'definition') : input;
    return parseDefinition(value);
  }

  /**
   * Checks a definition and queues its build. Fails at once on what can be known before the
   * build: the definition itself, and a product the caller may not read.
   */
  async submit(
    actor: Principal,
    input: { definition: unknown; team?: string; idempotencyKey?: string },
  ): Promise<Task> {
    const definition = this.parse(input.definition);
    if (definition.product !== null)
      await this.deps.catalog.requireReadable(actor, definition.product);
    const teams = teamIdsOf(actor);
    let teamId: string | null = teams[0] ?? null;
    if (input.team !== undefined) {
      const team = await this.db
        .selectFrom('teams')
        .select('id')
        .where((eb) => eb.or([eb('id', '=', input.team!), eb('name', '=', input.team!)]))
        .executeTakeFirst();
      if (team === undefined) throw new InvalidInput(`there is no team '${input.team}'`, 'team');
      if (!actor.platformAdmin && !teams.includes(team.id)) {
        throw new Forbidden(`you are not a member of team ${input.team}`);
      }
      teamId = team.id;
    }
    const raw =
      typeof input.definition === 'string'
        ? parseYaml(input.definition, 'definition')
        : input.definition;
    const payload: BuildPayload = { definition: raw, actor, teamId };
    return this.deps.tasks.enqueue({
      kind: buildTaskKind,
      payload,
      teamId,
      createdBy: actor.ref,
      maxAttempts: 5,
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    });
  }

  /** The task handlers of this context, for the app's worker. */
  taskHandlers(): Record<string, TaskHandler> {
    return { [buildTaskKind]: (payload, context) => this.build(payload as BuildPayload, context) };
  }

  // --- building --------------------------------------------------------------------------

  private async build(payload: BuildPayload, context: TaskContext): Promise<BuildResult> {
    const definition = parseDefinition(payload.definition);
    const task = context.task;
    for (let attempt = 1; attempt < task.attempts; attempt++) {
      await this.deps.lineage.abortIfDangling(
        runIdFor(buildTaskKind, task.id, attempt),
        'the build was interrupted; a later attempt resumed it',
      );
    }
    const run = this.deps.lineage.run(
      {
        name: `datasets.build.${definition.name}`,
        jobType: 'DATASET_BUILD',
        description: `builds dataset ${definition.name}: ${definition.query}`,
      },
      {
        runId: runIdFor(buildTaskKind, task.id, task.attempts),
        inputs:
          definition.product === null
            ? []
            : [this.deps.lineage.dataset(`products/${definition.product}`)],
        runFacets: Object.fromEntries([
          customFacet('datasetBuild', {
            taskId: task.id,
            definitionName: definition.name,
            definitionHash: definitionHash(definition),
            query: definition.query,
          }),
        ]),
      },
    );
    await run.start();
    try {
      const result = await this.runBuild(definition, payload, context);
      await run.complete({
        inputs: result.recordings.map((id) => this.deps.lineage.dataset(`recordings/${id}`)),
        outputs: [
          this.deps.lineage.dataset(`datasets/${result.result.id}`, {
            datasetVersion: standardFacets.datasetVersion(result.result.id),
            ...Object.fromEntries([
              customFacet('coverage', {
                rows: result.result.coverage,
                requirementsMet: result.result.coverage.every((c) => c.pass),
              }),
            ]),
          }),
        ].map((output) => ({
          ...output,
          outputFacets: {
            outputStatistics: standardFacets.outputStatistics({
              rowCount: result.result.samples,
              size: result.manifestSize,
              fileCount: 3 + Object.keys(result.result.splits).length,
            }),
          },
        })),
      });
      return result.result;
    } catch (error) {
      if (!context.signal.aborted) await run.fail(error);
      throw error;
    }
  }

  private async runBuild(
    definition: DatasetDefinition,
    payload: BuildPayload,
    context: TaskContext,
  ): Promise<{ result: BuildResult; recordings: string[]; manifestSize: number }> {
    const taskId = context.task.id;
    let build = await this.db
      .selectFrom('dataset_builds')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    if (build === undefined) {
      context.progress(0, 1, 'planning');
      await this.plan(taskId, definition, payload.actor, context);
      build = await this.db
        .selectFrom('dataset_builds')
        .selectAll()
        .where('task_id', '=', taskId)
        .executeTakeFirstOrThrow();
    }
    const done = new Set(
      (
        await this.db
          .selectFrom('dataset_build_parts')
          .select('part')
          .where('task_id', '=', taskId)
          .execute()
      ).map((p) => p.part),
    );
    const names = Object.keys(definition.sync.streams);
    const splitNames = Object.keys(definition.split.fractions);
    // A part is stored while the next one is synchronized; at most one store is in flight.
    let storing: Promise<void> = Promise.resolve();
    for (let part = 0; part < build.parts; part++) {
      if (context.signal.aborted) {
        await storing;
        context.signal.throwIfAborted();
      }
      if (done.has(part)) continue;
      const recordings = JSON.parse(
        new TextDecoder().decode(
          await readAll(this.deps.objects, `${buildPrefix(taskId)}/plan/${part}.json`),
        ),
      ) as PlannedRecording[];
      // Sized for the part's estimate at once: growing by doubling would allocate and copy
      // about as much again.
      const samples = new SampleColumns(
        names.length,
        splitNames.length,
        Math.max(4096, Math.ceil(this.partSamples * 1.25)),
      );
      const splits = new SplitAssigner(definition.split);
      // The timelines of the next recordings are read while this one is synchronized. A read
      // takes several trips through the event loop, and synchronizing gives it none: reading a
      // few recordings ahead and yielding once per recording lets them finish in time.
      const read = (recording: PlannedRecording) => {
        const keys = recording.channels
          .filter((c): c is NonNullable<typeof c> => c !== null)
          .map((c) => c.channelKey);
        const reading = this.readTimelines(recording.id, [...new Set(keys)]);
        reading.catch(() => undefined);
        return reading;
      };
      const readings: (Promise<readonly StreamTimeline[]> | undefined)[] = recordings
        .slice(0, readAhead)
        .map(read);
      for (const [i, recording] of recordings.entries()) {
        await new Promise(setImmediate);
        const timelines = new Map((await readings[i]!).map((t) => [t.channelKey, t]));
        readings[i] = undefined;
        if (i + readAhead < recordings.length) readings.push(read(recordings[i + readAhead]!));
        synchronizeRecording(definition, recording, timelines, splits, samples);
      }
      const group = encodeSamples(definition, samples, splitNames);
      const splitRuns = runsOf(samples.split, samples.rows);
      const meta: PartMeta = {
        rows: samples.rows,
        size: group.size,
        chunks: [...group.chunks],
        tagCounts: [...samples.tagCounts()],
        splitCounts: samples.splitCounts,
        splitRuns,
        keys: [...samples.keys],
        recordings: recordings.map((r) => r.id),
        segments: samples.segments.length,
      };
      await storing;
      storing = this.storePart(taskId, part, group.pieces, meta).then(() => {
        done.add(part);
        context.progress(done.size, build.parts + 1, `part ${done.size} of ${build.parts}`);
      });
      storing.catch(() => undefined);
    }
    await storing;
    context.progress(build.parts, build.parts + 1, 'writing the manifest');
    return this.finish(taskId, definition, payload, JSON.parse(build.notes) as BuildNotes);
  }

  /** Stores a part's row group, then records it as done: a part is done only once stored. */
  private async storePart(
    taskId: string,
    part: number,
    pieces: readonly Uint8Array[],
    meta: PartMeta,
  ): Promise<void> {
    await this.deps.objects.put(`${buildPrefix(taskId)}/parts/${part}`, fromPieces(pieces), {
      contentType: 'application/octet-stream',
    });
    await this.db
      .insertInto('dataset_build_parts')
      .values({
        task_id: taskId,
        part,
        rows: meta.rows,
        meta: JSON.stringify(meta),
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.columns(['task_id', 'part']).doNothing())
      .execute();
  }

  /**
   * Resolves the query (with the caller's access) into recordings and segments, chooses each
   * stream's channel per recording, and stores the plan in parts of about `partSamples`
   * samples. Fails when a stream matches no channel in any recording the query found.
   */
  private async plan(
    taskId: string,
    definition: DatasetDefinition,
    actor: Principal,
    context: TaskContext,
  ): Promise<void> {
    let product: { id: string; query: ReturnType<typeof parseQuery> | null } | undefined;
    if (definition.product !== null) {
      const readable = await this.deps.catalog.requireReadable(actor, definition.product);
      product = {
        id: readable.id,
        query: readable.rule.query === undefined ? null : parseQuery(readable.rule.query),
      };
    }
    const names = Object.keys(definition.sync.streams);
    const selectors = Object.values(definition.sync.streams);
    const referenceIndex = names.indexOf(definition.sync.reference);
    const requiredIndexes = definition.sync.required.map((n) => names.indexOf(n));
    const matched = new Array<number>(names.length).fill(0);
    const notes = {
      notReady: 0,
      missingStreams: {} as Record<string, number>,
      ambiguousStreams: {} as Record<string, string>,
    };
    let part: PlannedRecording[] = [];
    let partEstimate = 0;
    let parts = 0;
    let recordingsTotal = 0;
    let segmentsTotal = 0;
    const flush = async (): Promise<void> => {
      if (part.length === 0) return;
      await this.deps.objects.put(
        `${buildPrefix(taskId)}/plan/${parts}.json`,
        new TextEncoder().encode(JSON.stringify(part)),
        { contentType: 'application/json' },
      );
      parts += 1;
      part = [];
      partEstimate = 0;
    };
    const pending: SegmentHit[] = [];
    const takeRecordings = async (hits: SegmentHit[]): Promise<void> => {
      const ids = [...new Set(hits.map((h) => h.recordingId))];
      const [recordings, channels] = await Promise.all([
        this.db
          .selectFrom('recordings')
          .select(['id', 'vehicle', 'object_key', 'status'])
          .where('id', 'in', ids)
          .execute(),
        this.db
          .selectFrom('recording_channels')
          .select([
            'recording_id',
            'channel_key',
            'topic',
            'sensor',
            'message_count',
            'frequency_hz',
          ])
          .where('recording_id', 'in', ids)
          .where('message_count', '>', 0)
          .orderBy('recording_id')
          .orderBy('channel_key')
          .execute(),
      ]);
      // Grouped once: a batch holds up to thousands of recordings.
      const recordingOf = new Map(recordings.map((r) => [r.id, r]));
      const segmentsOf = groupBy(hits, (h) => h.recordingId);
      const channelsOf = groupBy(channels, (c) => c.recording_id);
      for (const id of ids) {
        const recording = recordingOf.get(id);
        if (recording === undefined) continue;
        const segments = segmentsOf.get(id) ?? [];
        if (recording.status !== 'ready') {
          notes.notReady += 1;
          continue;
        }
        const own = channelsOf.get(id) ?? [];
        const chosen = selectors.map((selector, s) => {
          const candidates = own.filter((c) => matchesSelector(selector, c));
          if (candidates.length === 0) return null;
          candidates.sort(
            (a, b) =>
              Number(b.message_count) - Number(a.message_count) || a.channel_key - b.channel_key,
          );
          if (candidates.length > 1 && notes.ambiguousStreams[names[s]!] === undefined) {
            notes.ambiguousStreams[names[s]!] =
              `${candidates.length} channels match in ${id}; took ${candidates[0]!.topic} (the one with most messages); name a topic to choose`;
          }
          matched[s]! += 1;
          return candidates[0]!;
        });
        const missing = requiredIndexes.filter((r) => chosen[r] === null);
        if (missing.length > 0) {
          for (const r of missing)
            notes.missingStreams[names[r]!] = (notes.missingStreams[names[r]!] ?? 0) + 1;
          continue;
        }
        const seconds = segments.reduce((sum, s) => sum + (s.endMs - s.startMs) / 1000, 0);
        const rate = Math.min(
          chosen[referenceIndex]?.frequency_hz ?? 10,
          definition.sampleRateHz ?? Infinity,
        );
        part.push({
          id,
          vehicle: recording.vehicle,
          objectKey: recording.object_key,
          channels: chosen.map((c) =>
            c === null ? null : { channelKey: c.channel_key, topic: c.topic },
          ),
          segments: segments.map((s) => ({
            id: s.id,
            startMs: s.startMs,
            endMs: s.endMs,
            lat: s.lat,
            lon: s.lon,
            tags: s.tags,
          })),
        });
        recordingsTotal += 1;
        segmentsTotal += segments.length;
        partEstimate += seconds * rate;
        if (partEstimate >= this.partSamples || part.length >= 2000) await flush();
      }
    };
    for await (const batch of this.deps.search.matching(actor, parseQuery(definition.query), {
      byRecording: true,
      batchSize: 5000,
      ...(product === undefined ? {} : { product }),
    })) {
      context.signal.throwIfAborted();
      pending.push(...batch);
      // Keep the last recording of the batch back: its segments may continue in the next one.
      const last = pending.at(-1)!.recordingId;
      const complete = pending.filter((h) => h.recordingId !== last);
      const rest = pending.filter((h) => h.recordingId === last);
      pending.length = 0;
      pending.push(...rest);
      if (complete.length > 0) await takeRecordings(complete);
    }
    if (pending.length > 0) await takeRecordings(pending);
    await flush();
    const considered =
      recordingsTotal +
      notes.notReady +
      Object.values(notes.missingStreams).reduce((a, b) => a + b, 0);
    if (considered === 0) {
      throw new InvalidInput(
        `definition.query: the query matches no segment you may read${definition.product === null ? '' : ` in data product ${definition.product}`}`,
        'definition.query',
      );
    }
    const unmatched = names.filter((_, s) => matched[s] === 0);
    if (unmatched.length > 0 && notes.notReady < considered) {
      const name = unmatched[0]!;
      const selector = definition.sync.streams[name]!;
      throw new InvalidInput(
        `definition.sync.streams.${name}: none of the ${considered - notes.notReady} recordings the query found has a ${selector.sensor} channel${selector.topic === undefined ? '' : ` on topic ${selector.topic}`}`,
        `definition.sync.streams.${name}`,
      );
    }
    if (recordingsTotal === 0) {
      throw new InvalidInput(
        `no recording the query found can be built: ${notes.notReady} not yet analysed, ${JSON.stringify(notes.missingStreams)} missing required streams`,
        'definition',
      );
    }
    await this.db
      .insertInto('dataset_builds')
      .values({
        task_id: taskId,
        definition_hash: definitionHash(definition),
        parts,
        recordings: recordingsTotal,
        segments: segmentsTotal,
        notes: JSON.stringify(notes),
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .execute();
  }

  /** Assembles the manifest from the parts, derives splits, coverage and card, stores the version. */
  private async finish(
    taskId: string,
    definition: DatasetDefinition,
    payload: BuildPayload,
    notes: BuildNotes,
  ): Promise<{ result: BuildResult; recordings: string[]; manifestSize: number }> {
    const rows = await this.db
      .selectFrom('dataset_build_parts')
      .select(['part', 'meta'])
      .where('task_id', '=', taskId)
      .orderBy('part')
      .execute();
    const parts = rows.map((r) => ({ part: r.part, meta: JSON.parse(r.meta) as PartMeta }));
    const schema = manifestSchema(definition);
    const placed: { offset: number; rows: number; chunks: readonly ChunkMeta[] }[] = [];
    let offset = parquetMagic.length;
    for (const { meta } of parts) {
      if (meta.rows === 0) continue;
      placed.push({ offset, rows: meta.rows, chunks: meta.chunks });
      offset += meta.size;
    }
    const footer = encodeFooter(
      schema,
      placed,
      [
        { key: 'drivetrain.definition', value: canonicalDefinition(definition) },
        { key: 'drivetrain.manifest', value: '1' },
      ],
      'drivetrain',
    );
    const objects = this.deps.objects;
    async function* manifest(): AsyncGenerator<Uint8Array> {
      yield parquetMagic;
      for (const { part, meta } of parts) {
        if (meta.rows === 0) continue;
        yield* await objects.get(`${buildPrefix(taskId)}/parts/${part}`);
      }
      yield footer;
    }
    // The version id is the manifest's sha256, which the object store computes as it writes
    // the manifest. Written under the build's own key first and then copied to the version's
    // key (a new ref to the same blob), the manifest is hashed once, by the store, which
    // verifies the content addressing of everything it files. Computing the id beforehand
    // would hash every byte a second time, and handing that digest to the store unchecked
    // would let a wrong one file the manifest under another content's name.
    const parquet = { contentType: 'application/vnd.apache.parquet' };
    const written = await objects.put(manifestKey(taskId), manifest(), parquet);
    const id = `dsv_${written.sha256}`;
    const keys = versionKeys(id);
    const existing = await this.db
      .selectFrom('dataset_versions')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    const splitNames = Object.keys(definition.split.fractions);
    const total = parts.reduce((sum, p) => sum + p.meta.rows, 0);
    const splits: Record<string, number> = Object.fromEntries(splitNames.map((n) => [n, 0]));
    const tagCounts = new Map<string, number>();
    const recordings: string[] = [];
    const keyRows: { split: string; recordingId: string; vehicle: string | null; cell: string }[] =
      [];
    for (const { meta } of parts) {
      meta.splitCounts.forEach((n, i) => (splits[splitNames[i]!]! += n));
      addCounts(tagCounts, meta.tagCounts);
      recordings.push(...meta.recordings);
      for (const key of meta.keys) {
        const [split = '0', recordingId = '', vehicle = '', cell = ''] = key.split('\u0000');
        keyRows.push({
          split: splitNames[Number(split)]!,
          recordingId,
          vehicle: vehicle === '' ? null : vehicle,
          cell,
        });
      }
    }
    const rowsCoverage = coverage(definition.requirements, tagCounts, total);
    const manifestSize = offset + footer.length;
    const result: BuildResult = {
      id,
      samples: total,
      splits,
      coverage: rowsCoverage.map((c) => ({
        attribute: c.attribute,
        target: c.target,
        actual: c.actual,
        pass: c.pass,
      })),
    };
    if (existing === undefined) {
      const shared = sharedKeys(keyRows);
      const card = {
        definitionHash: definitionHash(definition),
        splitBy: definition.split.by,
        independence: (['recording', 'vehicle', 'cell'] as const).map((key) => {
          const enforced =
            key === definition.split.by ||
            (definition.split.by === 'vehicle' && key === 'recording');
          return {
            key,
            enforced,
            shared: shared[key].length,
            examples: shared[key].slice(0, 5),
            pass: !enforced || shared[key].length === 0,
          };
        }),
        tagCounts: Object.fromEntries([...tagCounts].sort(([a], [b]) => (a < b ? -1 : 1))),
        notes,
        files: [keys.manifest, ...splitNames.map(keys.split), keys.coverage, keys.card],
      };
      if (card.independence.some((c) => !c.pass)) {
        throw new Internal(
          `split of ${id} is not independent: ${JSON.stringify(card.independence)}`,
        );
      }
      const json = { contentType: 'application/json' };
      const rowsOfSplits = splitRows(
        parts.map((p) => p.meta.splitRuns),
        splitNames.map((name) => splits[name]!),
      );
      // The files are independent of each other: written at once, they wait on their syncs
      // together. The version row below is what makes them visible, so it comes after all.
      const writes = await Promise.allSettled([
        objects.copy(manifestKey(taskId), keys.manifest),
        ...splitNames.map((name, i) => {
          const values = rowsOfSplits[i]!;
          const file = encodeParquet(
            [{ name: 'row', kind: 'int64', optional: false }],
            values.length === 0
              ? []
              : [
                  encodeRowGroup(
                    [{ name: 'row', kind: 'int64', optional: false }],
                    [{ values }],
                    values.length,
                  ),
                ],
            [{ key: 'drivetrain.manifest', value: id }],
          );
          return objects.put(keys.split(name), file, parquet);
        }),
        objects.put(
          keys.coverage,
          new TextEncoder().encode(
            JSON.stringify(
              { id, samples: total, coverage: rowsCoverage, tagCounts: card.tagCounts },
              null,
              2,
            ),
          ),
          json,
        ),
        objects.put(
          keys.card,
          new TextEncoder().encode(JSON.stringify({ id, definition, ...card }, null, 2)),
          json,
        ),
      ]);
      for (const write of writes) if (write.status === 'rejected') throw write.reason;
      await this.deps.store.transaction(async (trx) => {
        const db = trx.withTables<DatasetsTables>();
        await db
          .insertInto('dataset_versions')
          .values({
            id,
            name: definition.name,
            definition: JSON.stringify(definition),
            definition_hash: card.definitionHash,
            samples: total,
            recordings: recordings.length,
            segments: parts.reduce((sum, p) => sum + p.meta.segments, 0),
            splits: JSON.stringify(splits),
            coverage: JSON.stringify(rowsCoverage),
            card: JSON.stringify(card),
            manifest_size: manifestSize,
            task_id: taskId,
            created_by: payload.actor.ref,
            created_at: Date.now(),
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        for (let i = 0; i < recordings.length; i += 500) {
          await db
            .insertInto('dataset_version_recordings')
            .values(
              recordings
                .slice(i, i + 500)
                .map((recording_id) => ({ version_id: id, recording_id })),
            )
            .onConflict((oc) => oc.columns(['version_id', 'recording_id']).doNothing())
            .execute();
        }
      });
    }
    if (payload.teamId !== null) {
      await this.db
        .insertInto('dataset_version_teams')
        .values({ version_id: id, team_id: payload.teamId })
        .onConflict((oc) => oc.columns(['version_id', 'team_id']).doNothing())
        .execute();
    }
    await this.cleanUp(
      taskId,
      parts.map((p) => p.part),
    );
    return { result, recordings, manifestSize };
  }

  /** Removes the build's intermediate objects once its version is stored. */
  private async cleanUp(taskId: string, parts: readonly number[]): Promise<void> {
    const build = await this.db
      .selectFrom('dataset_builds')
      .select('parts')
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    const keys = [
      manifestKey(taskId),
      ...parts.map((part) => `${buildPrefix(taskId)}/parts/${part}`),
      ...Array.from(
        { length: build?.parts ?? 0 },
        (_, part) => `${buildPrefix(taskId)}/plan/${part}.json`,
      ),
    ];
    // A few at a time: each delete waits on the file system, not on the others.
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((key) => this.deps.objects.delete(key)));
    }
  }

  // --- reading ---------------------------------------------------------------------------

  private async versionRow(ref: string) {
    if (!/^dsv_[0-9a-f]{8,64}$/.test(ref)) {
      throw new InvalidInput(
        `'${ref}' is not a dataset version id (dsv_ and at least 8 hex digits)`,
        'id',
      );
    }
    const rows = await this.db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('id', 'like', `${ref}%`)
      .limit(2)
      .execute();
    if (rows.length === 0) throw new NotFound('dataset version', ref);
    if (rows.length > 1)
      throw new InvalidInput(
        `'${ref}' names more than one dataset version; give more digits`,
        'id',
      );
    return rows[0]!;
  }

  /** Whether the caller may see a version: admin, its builder, or a member of a team that built it. */
  private async canSee(
    actor: Principal,
    row: { id: string; created_by: string },
  ): Promise<boolean> {
    if (actor.platformAdmin || row.created_by === actor.ref) return true;
    const teams = teamIdsOf(actor);
    if (teams.length === 0) return false;
    const team = await this.db
      .selectFrom('dataset_version_teams')
      .select('team_id')
      .where('version_id', '=', row.id)
      .where('team_id', 'in', teams)
      .executeTakeFirst();
    return team !== undefined;
  }

  private async seeable(actor: Principal, ref: string) {
    const row = await this.versionRow(ref);
    if (!(await this.canSee(actor, row)))
      throw new Forbidden(`your teams may not see dataset version ${row.id}`);
    return row;
  }

  private toVersion(row: Awaited<ReturnType<DatasetService['versionRow']>>): DatasetVersion {
    const rowsCoverage = JSON.parse(row.coverage) as CoverageRow[];
    return {
      id: row.id,
      name: row.name,
      samples: Number(row.samples),
      recordings: row.recordings,
      segments: row.segments,
      splits: JSON.parse(row.splits) as Record<string, number>,
      coverage: rowsCoverage,
      requirementsMet: rowsCoverage.every((c) => c.pass),
      manifestSize: Number(row.manifest_size),
      createdBy: row.created_by,
      createdAt: iso(Number(row.created_at)),
    };
  }

  /** A version by id (or unique id prefix). */
  async get(actor: Principal, ref: string): Promise<DatasetVersion> {
    return this.toVersion(await this.seeable(actor, ref));
  }

  /** The card of a version. */
  async card(actor: Principal, ref: string): Promise<DatasetCard> {
    const row = await this.seeable(actor, ref);
    const card = JSON.parse(row.card) as Omit<DatasetCard, keyof DatasetVersion | 'definition'>;
    return {
      ...this.toVersion(row),
      definition: JSON.parse(row.definition) as DatasetDefinition,
      ...card,
    };
  }

  /** Versions the caller may see, newest first. */
  async list(
    actor: Principal,
    query: { limit?: number; cursor?: string; name?: string } = {},
  ): Promise<Page<DatasetVersion>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('dataset_versions')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.name !== undefined) select = select.where('name', '=', query.name);
    if (query.cursor !== undefined) {
      const [at, id] = decodeCursor(query.cursor, 2);
      select = select.where((eb) =>
        eb.or([
          eb('created_at', '<', Number(at)),
          eb.and([eb('created_at', '=', Number(at)), eb('id', '<', String(id))]),
        ]),
      );
    }
    if (!actor.platformAdmin) {
      const teams = teamIdsOf(actor);
      select = select.where((eb) =>
        eb.or([
          eb('created_by', '=', actor.ref),
          ...(teams.length === 0
            ? []
            : [
                eb(
                  'id',
                  'in',
                  eb
                    .selectFrom('dataset_version_teams')
                    .select('version_id')
                    .where('team_id', 'in', teams),
                ),
              ]),
        ]),
      );
    }
    return toPage(
      await select.execute(),
      limit,
      (r) => [Number(r.created_at), r.id],
      (r) => this.toVersion(r),
    );
  }

  /**
   * Checks that the caller may read the data of a version: every recording it samples must be
   * its teams' or served by a product granted to them.
   */
  async requireDataAccess(actor: Principal, ref: string): Promise<DatasetVersion> {
    const row = await this.seeable(actor, ref);
    if (!actor.platformAdmin) {
      const teams = teamIdsOf(actor);
      const unreadable = await sql<{ n: number }>`
        select count(*) as n from dataset_version_recordings vr
        join recordings r on r.id = vr.recording_id
        where vr.version_id = ${row.id}
          and r.team_id not in (${sql.join(teams.length === 0 ? [''] : teams)})
          and not exists (
            select 1 from product_recordings pr join product_grants g on g.product_id = pr.product_id
            where pr.recording_id = vr.recording_id and g.team_id in (${sql.join(teams.length === 0 ? [''] : teams)}))`.execute(
        this.db,
      );
      const n = Number(unreadable.rows[0]?.n ?? 0);
      if (n > 0) {
        throw new Forbidden(
          `dataset version ${row.id} samples ${n} recordings your teams may not read (grants changed since it was built)`,
        );
      }
    }
    return this.toVersion(row);
  }

  /** Streams a file of a version (`manifest`, `coverage`, `card` or `splits/<name>`). */
  async file(
    actor: Principal,
    ref: string,
    name: string,
  ): Promise<{ key: string; body: AsyncIterable<Uint8Array>; contentType: string }> {
    const version = await this.requireDataAccess(actor, ref);
    const keys = versionKeys(version.id);
    let key: string;
    if (name === 'manifest') key = keys.manifest;
    else if (name === 'coverage') key = keys.coverage;
    else if (name === 'card') key = keys.card;
    else if (name.startsWith('splits/') && name.slice(7) in version.splits)
      key = keys.split(name.slice(7));
    else
      throw new InvalidInput(
        `unknown file '${name}'; files are manifest, coverage, card and splits/<split>`,
        'file',
      );
    return {
      key,
      body: await this.deps.objects.get(key),
      contentType: key.endsWith('.json') ? 'application/json' : 'application/vnd.apache.parquet',
    };
  }

  /** The manifest bytes of a version (for diff and export). */
  async manifestBytes(
    actor: Principal,
    ref: string,
  ): Promise<{ version: DatasetVersion; bytes: Uint8Array }> {
    const version = await this.requireDataAccess(actor, ref);
    return { version, bytes: await readAll(this.deps.objects, versionKeys(version.id).manifest) };
  }
}

/**
 * The first `rows` values as runs of [value, length]. A function of its own: V8 compiles the
 * whole function around a hot loop, and the build task around it is large.
 */
function runsOf(values: Int32Array, rows: number): [number, number][] {
  const runs: [number, number][] = [];
  let i = 0;
  while (i < rows) {
    const value = values[i]!;
    let j = i + 1;
    while (j < rows && values[j] === value) j++;
    runs.push([value, j - i]);
    i = j;
  }
  return runs;
}

/** Items by key, each group in the items' order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * The manifest rows of each split, from the parts' split columns as runs of [split, rows];
 * `counts` are the rows of each split.
 */
function splitRows(
  partRuns: readonly (readonly (readonly [number, number])[])[],
  counts: readonly number[],
): BigInt64Array[] {
  const rows = counts.map((n) => new BigInt64Array(n));
  // Written as 32-bit words: a bigint per row would cost more than the rest of the file.
  const words = rows.map((r) => new Int32Array(r.buffer));
  const filled = new Array<number>(counts.length).fill(0);
  let row = 0;
  for (const runs of partRuns) {
    for (const [split, count] of runs) {
      const out = words[split]!;
      let at = filled[split]!;
      for (let k = 0; k < count; k++, row++, at++) {
        out[2 * at] = row | 0;
        out[2 * at + 1] = Math.floor(row / 2 ** 32);
      }
      filled[split] = at;
    }
  }
  return rows;
}

function matchesSelector(
  selector: StreamSelector,
  channel: { sensor: string; topic: string },
): boolean {
  if (channel.sensor !== selector.sensor) return false;
  return selector.topic === undefined || globMatch(selector.topic, channel.topic);
}
