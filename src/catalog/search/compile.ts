import { sql, type RawBuilder } from 'kysely';
import type { Field, QueryNode } from '../query/index.js';

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

function leaf(node: Extract<QueryNode, { kind: 'tag' | 'compare' | 'in' }>): RawBuilder<boolean> {
  if (node.kind === 'tag') {
    return sql<boolean>`exists (select 1 from segment_tags t where t.tag = ${node.tag} and t.segment_id = s.id)`;
  }
  if (node.field === 'vehicle') {
    // The set of the vehicle's recordings (from the recordings_vehicle index), rather than a
    // lookup of each segment's vehicle: a planner can then start from that set. A recording
    // without a vehicle is in no such set, as its NULL fails the comparison.
    return sql<boolean>`s.recording_id in (select r.id from recordings r where ${condition(sql`r.vehicle`, node)})`;
  }
  return condition(sql.raw(columns[node.field]), node);
}

/**
 * Compiles a query into a WHERE condition over `segments s`, the same text for SQLite and
 * PostgreSQL. Logic is two-valued as in `matches`: where a comparison is negated, a missing
 * value (SQL NULL) counts as false before the negation, so it does not drop the row. Outside
 * negations NULL already acts as false in a WHERE, and the comparisons stay bare so that the
 * planner can use their indexes.
 */
export function compileQuery(node: QueryNode, negated = false): RawBuilder<boolean> {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const parts = node.items.map((item) => compileQuery(item, negated));
      return sql<boolean>`(${sql.join(parts, sql.raw(` ${node.kind} `))})`;
    }
    case 'not':
      return sql<boolean>`not ${compileQuery(node.item, !negated)}`;
    case 'tag':
      return leaf(node);
    default:
      return negated ? sql<boolean>`coalesce(${leaf(node)}, false)` : leaf(node);
  }
}
