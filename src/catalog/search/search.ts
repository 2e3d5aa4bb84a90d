import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  decodeCursor,
  encodeCursor,
  pageSize,
  type Page,
  type PlatformTables,
  type Principal,
  type Store,
} from '../../platform/index.js';
import type { RecordingsTables } from '../../recordings/index.js';
import { parseQuery, type QueryNode } from '../query/index.js';
import type { CatalogService, ReadScope } from '../service.js';
import type { CatalogTables } from '../tables.js';
import { compileQuery } from './compile.js';

/** A segment found by a scenario search. */
export interface SegmentHit {
  readonly id: string;
  readonly recordingId: string;
  readonly seq: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly country: string | null;
  readonly daylight: string | null;
  readonly speedKmhMean: number | null;
  readonly speedKmhMax: number | null;
  readonly lat: number | null;
  readonly lon: number | null;
  /** Every tag of the segment. */
  readonly tags: string[];
  /** The tags the query asked for that the segment carries. */
  readonly matchedTags: string[];
}

/** The GNSS track of a recording: one point per segment the caller may read. */
export interface Track {
  readonly recordingId: string;
  readonly points: {
    readonly seq: number;
    readonly lat: number;
    readonly lon: number;
    readonly startMs: number;
  }[];
}

interface SegmentRow {
  id: string;
  recording_id: string;
  seq: number;
  start_ms: number;
  end_ms: number;
  country: string | null;
  daylight: string | null;
  speed_kmh_mean: number | null;
  speed_kmh_max: number | null;
  lat: number | null;
  lon: number | null;
  tags: string;
}

type Db = Kysely<PlatformTables & RecordingsTables & CatalogTables>;

/** The condition limiting segments to what a caller may read; undefined when it reads all. */
export function scopeCondition(scope: ReadScope): RawBuilder<boolean> | undefined {
  if (scope.all) return undefined;
  const parts: RawBuilder<boolean>[] = [];
  if (scope.teamIds.length > 0) {
    parts.push(
      sql<boolean>`exists (select 1 from recordings ro where ro.id = s.recording_id and ro.team_id in (${sql.join(scope.teamIds)}))`,
    );
  }
  for (const product of scope.products) {
    const served = sql<boolean>`s.recording_id in (select pr.recording_id from product_recordings pr where pr.product_id = ${product.id})`;
    parts.push(
      product.query === null
        ? served
        : sql<boolean>`(${served} and ${compileQuery(product.query)})`,
    );
  }
  if (parts.length === 0) return sql<boolean>`1 = 0`;
  return sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

/** Tags a query asks for outside negations: its tag conditions, daylight and country equalities. */
export function wantedTags(node: QueryNode): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.items.flatMap(wantedTags);
    case 'not':
      return [];
    case 'tag':
      return [node.tag];
    case 'compare':
      if (node.op !== '=') return [];
      if (node.field === 'daylight') return [String(node.value)];
      return node.field === 'country' ? [`country:${String(node.value)}`] : [];
    case 'in':
      if (node.field === 'daylight') return node.values.map(String);
      return node.field === 'country' ? node.values.map((v) => `country:${String(v)}`) : [];
  }
}

function toHit(row: SegmentRow, wanted: ReadonlySet<string>): SegmentHit {
  const tags = JSON.parse(row.tags) as string[];
  return {
    id: row.id,
    recordingId: row.recording_id,
    seq: Number(row.seq),
    startMs: Number(row.start_ms),
    endMs: Number(row.end_ms),
    country: row.country,
    daylight: row.daylight,
    speedKmhMean: row.speed_kmh_mean,
    speedKmhMax: row.speed_kmh_max,
    lat: row.lat,
    lon: row.lon,
    tags,
    matchedTags: tags.filter((t) => wanted.has(t)),
  };
}

/**
 * Scenario search over segments, honouring access: a caller finds the segments of its teams'
 * recordings and of the data products granted to its teams. Results come in segment id order
 * (ingest order), one page at a time.
 */
export class SearchService {
  constructor(
    private readonly store: Store,
    private readonly catalog: CatalogService,
  ) {}

  private get db(): Db {
    return this.store.db.withTables<RecordingsTables & CatalogTables>();
  }

  /** One page of the segments matching `query` that the caller may read. */
  async search(
    actor: Principal,
    request: { query: string; limit?: number; cursor?: string },
  ): Promise<Page<SegmentHit> & { query: QueryNode }> {
    const tree = parseQuery(request.query);
    const limit = pageSize(request.limit);
    const after =
      request.cursor === undefined ? undefined : String(decodeCursor(request.cursor, 1)[0]);
    const scope = await this.catalog.readScope(actor);
    const rows = await this.select(tree, scope, after, limit + 1);
    const wanted = new Set(wantedTags(tree));
    const shown = rows.slice(0, limit);
    const last = shown.at(-1);
    return {
      items: shown.map((row) => toHit(row, wanted)),
      next: rows.length > limit && last !== undefined ? encodeCursor([last.id]) : null,
      query: tree,
    };
  }

  /**
   * Every matching segment the caller may read, in batches, memory holding one batch at a time
   * (for dataset builds, which need them all). Optionally only the segments a data product
   * serves, and in recording order (recording id, then position) instead of segment id order.
   */
  async *matching(
    actor: Principal,
    tree: QueryNode,
    options: {
      batchSize?: number;
      product?: { id: string; query: QueryNode | null };
      byRecording?: boolean;
    } = {},
  ): AsyncGenerator<SegmentHit[]> {
    const scope = await this.catalog.readScope(actor);
    const wanted = new Set(wantedTags(tree));
    const batchSize = options.batchSize ?? 2000;
    const extra: RawBuilder<boolean>[] = [];
    if (options.product !== undefined) {
      extra.push(
        sql<boolean>`s.recording_id in (select pr.recording_id from product_recordings pr where pr.product_id = ${options.product.id})`,
      );
      if (options.product.query !== null) extra.push(compileQuery(options.product.query));
    }
    let after: SegmentRow | undefined;
    for (;;) {
      const position =
        after === undefined
          ? []
          : options.byRecording === true
            ? [
                sql<boolean>`(s.recording_id > ${after.recording_id} or (s.recording_id = ${after.recording_id} and s.seq > ${after.seq}))`,
              ]
            : [sql<boolean>`s.id > ${after.id}`];
      const rows = await this.rows(
        tree,
        scope,
        [...extra, ...position],
        options.byRecording === true ? sql`s.recording_id, s.seq` : sql`s.id`,
        batchSize,
      );
      if (rows.length === 0) return;
      yield rows.map((row) => toHit(row, wanted));
      if (rows.length < batchSize) return;
      after = rows.at(-1);
    }
  }

  private select(
    tree: QueryNode,
    scope: ReadScope,
    after: string | undefined,
    limit: number,
  ): Promise<SegmentRow[]> {
    return this.rows(
      tree,
      scope,
      after === undefined ? [] : [sql<boolean>`s.id > ${after}`],
      sql`s.id`,
      limit,
    );
  }

  private async rows(
    tree: QueryNode,
    scope: ReadScope,
    extra: readonly RawBuilder<boolean>[],
    order: RawBuilder<unknown>,
    limit: number,
  ): Promise<SegmentRow[]> {
    const conditions = [compileQuery(tree), ...extra];
    const access = scopeCondition(scope);
    if (access !== undefined) conditions.push(access);
    const result = await sql<SegmentRow>`
      select s.id, s.recording_id, s.seq, s.start_ms, s.end_ms, s.country, s.daylight,
             s.speed_kmh_mean, s.speed_kmh_max, s.lat, s.lon, s.tags
      from segments s
      where ${sql.join(conditions, sql` and `)}
      order by ${order}
      limit ${limit}`.execute(this.db);
    return result.rows;
  }

  /** GNSS tracks (one point per segment) of recordings, limited to the segments the caller may read. */
  async tracks(actor: Principal, recordingIds: readonly string[]): Promise<Track[]> {
    if (recordingIds.length === 0) return [];
    const scope = await this.catalog.readScope(actor);
    const conditions = [
      sql<boolean>`s.recording_id in (${sql.join(recordingIds)})`,
      sql<boolean>`s.lat is not null`,
    ];
    const access = scopeCondition(scope);
    if (access !== undefined) conditions.push(access);
    const result = await sql<{
      recording_id: string;
      seq: number;
      lat: number;
      lon: number;
      start_ms: number;
    }>`
      select s.recording_id, s.seq, s.lat, s.lon, s.start_ms from segments s
      where ${sql.join(conditions, sql` and `)}
      order by s.recording_id, s.seq`.execute(this.db);
    const byRecording = new Map<string, Track['points'][number][]>();
    for (const row of result.rows) {
      const points = byRecording.get(row.recording_id) ?? [];
      points.push({
        seq: Number(row.seq),
        lat: row.lat,
        lon: row.lon,
        startMs: Number(row.start_ms),
      });
      byRecording.set(row.recording_id, points);
    }
    return [...byRecording].map(([recordingId, points]) => ({ recordingId, points }));
  }
}
