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
import {
  parseQuery,
  type CompareNode,
  type Field,
  type InNode,
  type QueryNode,
} from '../query/index.js';
import type { CatalogService, ReadScope } from '../service.js';
import type { CatalogTables } from '../tables.js';
import { compileQuery, type CompileOptions } from './compile.js';

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

/**
 * The condition limiting segments to what a caller may read, over `segments s` joined to its
 * recording as `recordings ro` (see `fromSegments`); undefined when it reads all. The team is
 * read through the join rather than a subquery so that SQLite checks access after the query's
 * tags (which it turns into joins too, visited before the recording) instead of on every
 * candidate. A product's recordings are looked up one by one, as only the segments that match
 * the query are asked about: an IN list is built whole, by SQLite on every search, and with one
 * PostgreSQL preferred hashing all recordings to looking up the few hundred a time window
 * matched.
 */
export function scopeCondition(
  scope: ReadScope,
  options: CompileOptions = {},
): RawBuilder<boolean> | undefined {
  if (scope.all) return undefined;
  const parts: RawBuilder<boolean>[] = [];
  if (scope.teamIds.length > 0) {
    parts.push(sql<boolean>`ro.team_id in (${sql.join(scope.teamIds)})`);
  }
  for (const product of scope.products) {
    const served = sql<boolean>`exists (select 1 from product_recordings pr where pr.product_id = ${product.id} and pr.recording_id = s.recording_id)`;
    parts.push(
      product.query === null
        ? served
        : sql<boolean>`(${served} and ${compileQuery(product.query, options)})`,
    );
  }
  if (parts.length === 0) return sql<boolean>`1 = 0`;
  return sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

/** The FROM clause for segments `s`, with their recordings `ro` when an access condition needs them. */
function fromSegments(access: RawBuilder<boolean> | undefined): RawBuilder<unknown> {
  return access === undefined
    ? sql`segments s`
    : sql`segments s join recordings ro on ro.id = s.recording_id`;
}

/**
 * When SQLite should not start a search from a range (see `rangeSources`): when the range holds
 * at least this share of all segments, and at least `minWideRange` of them. Reading a range's
 * segments through its index, checking and sorting them costs in proportion to how many it
 * holds; walking the segments in id order stops as soon as a page is full, which takes fewer rows
 * the more segments match. The share, not a count, decides because both costs grow with the
 * fleet: at 300,000 recordings `speed_kmh > 130` holds 45,000 segments, 5 % as at 1,000,000,
 * and is as much faster to walk, while a position box of 0.8 % with 20 hits is faster from its
 * index at either size.
 */
const wideShare = 0.02;
const minWideRange = 2_000;

/** Indexes on segments that serve a field's ranges (`IN` lists for country and daylight). */
const rangeIndexes: Partial<Record<Field, string>> = {
  speed_kmh: 'segments_speed',
  start: 'segments_start',
  lat: 'segments_position',
  lon: 'segments_position',
  country: 'segments_country',
  daylight: 'segments_daylight',
};

function conjuncts(node: QueryNode): QueryNode[] {
  return node.kind === 'and' ? node.items.flatMap(conjuncts) : [node];
}

/**
 * The conditions of a query that SQLite could start a search from through an index that does not
 * return segments in id order, grouped by that index: the comparisons among the query's top-level
 * conjuncts on a field with such an index. A single country or daylight is read from its index in
 * id order already, and `!=` uses no index; longitudes only narrow a latitude range, which leads
 * `segments_position`.
 */
function rangeSources(tree: QueryNode): { index: string; leaves: (CompareNode | InNode)[] }[] {
  const groups = new Map<string, (CompareNode | InNode)[]>();
  for (const node of conjuncts(tree)) {
    if (node.kind !== 'compare' && node.kind !== 'in') continue;
    if (node.kind === 'compare' && node.op === '!=') continue;
    const index = rangeIndexes[node.field];
    const inIdOrder =
      (node.field === 'country' || node.field === 'daylight') &&
      !(node.kind === 'in' && node.values.length > 1);
    if (index === undefined || inIdOrder) continue;
    groups.set(index, [...(groups.get(index) ?? []), node]);
  }
  const position = groups.get('segments_position');
  if (position !== undefined && !position.some((node) => node.field === 'lat')) {
    groups.delete('segments_position');
  }
  return [...groups].map(([index, leaves]) => ({ index, leaves }));
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
  private readonly wideRange: number | undefined;

  /**
   * `wideRange`: a fixed segment count from which SQLite does not start from a range, instead of
   * the share of all segments (tests set it to make every range wide).
   */
  constructor(
    private readonly store: Store,
    private readonly catalog: CatalogService,
    options: { wideRange?: number } = {},
  ) {
    this.wideRange = options.wideRange;
  }

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
      if (options.product.query !== null) {
        extra.push(compileQuery(options.product.query, { dialect: this.store.dialect }));
      }
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

  /**
   * The comparisons of `rangeSources` whose index holds too many segments to start from
   * (SQLite only). SQLite's planner counts a LIMIT in the cost of sorting but not of reading: it
   * would rather read the 150,000 segments of `speed_kmh > 130` and sort them than walk segments
   * in id order, which for `speed_kmh > 130 and fog` fills a page after some 60,000 rows. So each
   * range is counted from its index, up to the count that makes it wide (`wideShare`), and the
   * wide ones are written out of the index's reach.
   */
  private async wideRanges(tree: QueryNode): Promise<Set<QueryNode>> {
    const sources = rangeSources(tree);
    if (this.store.dialect !== 'sqlite' || sources.length === 0) return new Set();
    const wideRange = this.wideRange ?? (await this.wideRangeOfFleet());
    const counts = sources.map(
      ({ index, leaves }, i) =>
        sql`(select count(*) from (select 1 from segments s indexed by ${sql.id(index)}
          where ${sql.join(
            leaves.map((leaf) => compileQuery(leaf, { dialect: 'sqlite' })),
            sql` and `,
          )} limit ${sql.lit(wideRange)})) as ${sql.ref(`n${i}`)}`,
    );
    const result = await sql<Record<string, number>>`select ${sql.join(counts)}`.execute(this.db);
    const row = result.rows[0] ?? {};
    return new Set(
      sources.filter((_, i) => Number(row[`n${i}`]) >= wideRange).flatMap((s) => s.leaves),
    );
  }

  /**
   * `wideShare` of the segments, at least `minWideRange`. The largest rowid stands for the
   * number of segments: one step down the table's b-tree where counting would read all of it; the
   * gaps deleted segments leave make it err high, toward starting from the range.
   */
  private async wideRangeOfFleet(): Promise<number> {
    const { rows } = await sql<{
      last: number | null;
    }>`select max(rowid) as last from segments`.execute(this.db);
    return Math.max(minWideRange, Math.ceil(wideShare * Number(rows[0]?.last ?? 0)));
  }

  private async rows(
    tree: QueryNode,
    scope: ReadScope,
    extra: readonly RawBuilder<boolean>[],
    order: RawBuilder<unknown>,
    limit: number,
  ): Promise<SegmentRow[]> {
    const dialect = this.store.dialect;
    const unindexed = await this.wideRanges(tree);
    const conditions = [compileQuery(tree, { dialect, unindexed }), ...extra];
    const access = scopeCondition(scope, { dialect });
    if (access !== undefined) conditions.push(access);
    // The limit is written out, not a parameter, so that SQLite's planner counts it (see above).
    const query = sql<SegmentRow>`
      select s.id, s.recording_id, s.seq, s.start_ms, s.end_ms, s.country, s.daylight,
             s.speed_kmh_mean, s.speed_kmh_max, s.lat, s.lon, s.tags
      from ${fromSegments(access)}
      where ${sql.join(conditions, sql` and `)}
      order by ${order}
      limit ${sql.lit(limit)}`;
    const result = await query.execute(this.db);
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
    const access = scopeCondition(scope, { dialect: this.store.dialect });
    if (access !== undefined) conditions.push(access);
    const result = await sql<{
      recording_id: string;
      seq: number;
      lat: number;
      lon: number;
      start_ms: number;
    }>`
      select s.recording_id, s.seq, s.lat, s.lon, s.start_ms from ${fromSegments(access)}
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
