import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../../platform/index.js';
import type { Field, QueryNode } from '../query/index.js';

/** How to write a query for one store. */
export interface CompileOptions {
  /** The store's dialect; without it, SQL that both accept. */
  readonly dialect?: Dialect;
  /**
   * Comparisons that no index may serve (SQLite): their column is read as `+column`, an
   * expression, which SQLite does not look up in an index.
   */
  readonly unindexed?: ReadonlySet<QueryNode>;
}

/** The SQL expression reading a field, with `s` the segment and `r` its recording. */
const columns: Readonly<Record<Exclude<Field, 'vehicle'>, string>> = {
  speed_kmh: 's.speed_kmh_mean',
  speed_kmh_max: 's.speed_kmh_max',
  lat: 's.lat',
  lon: 's.lon',
  start: 's.start_ms',
  end: 's.end_ms',
  country: 's.country',
  daylight: 's.daylight',
  recording: 's.recording_id',
};

function condition(
  column: RawBuilder<unknown>,
  node: Extract<QueryNode, { kind: 'compare' | 'in' }>,
): RawBuilder<boolean> {
  return node.kind === 'compare'
    ? sql<boolean>`${column} ${sql.raw(node.op === '!=' ? '<>' : node.op)} ${node.value}`
    : sql<boolean>`${column} in (${sql.join(node.values)})`;
}

function leaf(
  node: Extract<QueryNode, { kind: 'tag' | 'compare' | 'in' }>,
  options: CompileOptions,
): RawBuilder<boolean> {
  if (node.kind === 'tag') {
    return sql<boolean>`exists (select 1 from segment_tags t where t.tag = ${node.tag} and t.segment_id = s.id)`;
  }
  if (node.field === 'vehicle') {
    // The set of the vehicle's recordings (from the recordings_vehicle index), rather than a
    // lookup of each segment's vehicle: a planner can then start from that set. A recording
    // without a vehicle is in no such set, as its NULL fails the comparison.
    const recordings = sql`select r.id from recordings r where ${condition(sql`r.vehicle`, node)}`;
    // PostgreSQL, expecting a vehicle's segments spread evenly over the fleet, would walk all
    // segments in id order and look each one's recording up until a page is full (220,000
    // segments for a vehicle with 2,000 of 1,000,000 recordings). Given the set as an array,
    // whose size it does not estimate, it starts from the set. Only for named vehicles, whose
    // sets are small.
    const named = node.kind === 'in' || node.op === '=';
    return options.dialect === 'postgres' && named
      ? sql<boolean>`s.recording_id = any(array(${recordings}))`
      : sql<boolean>`s.recording_id in (${recordings})`;
  }
  const column = columns[node.field];
  return condition(sql.raw(options.unindexed?.has(node) === true ? `+${column}` : column), node);
}

function compile(node: QueryNode, negated: boolean, options: CompileOptions): RawBuilder<boolean> {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const parts = node.items.map((item) => compile(item, negated, options));
      return sql<boolean>`(${sql.join(parts, sql.raw(` ${node.kind} `))})`;
    }
    case 'not':
      return sql<boolean>`not ${compile(node.item, !negated, options)}`;
    case 'tag':
      return leaf(node, options);
    default:
      return negated ? sql<boolean>`coalesce(${leaf(node, options)}, false)` : leaf(node, options);
  }
}

/**
 * Compiles a query into a WHERE condition over `segments s`. Logic is two-valued as in
 * `matches`: where a comparison is negated, a missing value (SQL NULL) counts as false before
 * the negation, so it does not drop the row. Outside negations NULL already acts as false in a
 * WHERE, and the comparisons stay bare so that the planner can use their indexes (but for the
 * `unindexed` ones).
 */
export function compileQuery(node: QueryNode, options: CompileOptions = {}): RawBuilder<boolean> {
  return compile(node, false, options);
}
