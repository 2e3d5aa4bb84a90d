import type { CompareOp, Field, QueryNode, Value } from './ast.js';

/** What a query sees of one segment. */
export interface SegmentFacts {
  readonly tags: ReadonlySet<string>;
  readonly country: string | null;
  readonly daylight: string | null;
  readonly speedKmhMean: number | null;
  readonly speedKmhMax: number | null;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly recordingId: string;
  readonly vehicle: string | null;
}

function fieldValue(facts: SegmentFacts, field: Field): Value | null {
  switch (field) {
    case 'speed_kmh':
      return facts.speedKmhMean;
    case 'speed_kmh_max':
      return facts.speedKmhMax;
    case 'lat':
      return facts.lat;
    case 'lon':
      return facts.lon;
    case 'start':
      return facts.startMs;
    case 'end':
      return facts.endMs;
    case 'country':
      return facts.country;
    case 'daylight':
      return facts.daylight;
    case 'recording':
      return facts.recordingId;
    case 'vehicle':
      return facts.vehicle;
  }
}

function compare(actual: Value, op: CompareOp, expected: Value): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
  }
}

/**
 * Whether a segment matches a query. Logic is two-valued: a comparison on a value the segment
 * lacks (no GNSS fix, no speed) is false, so `not country = "DE"` includes segments of unknown
 * country. The SQL compilation follows the same rule on both databases.
 */
export function matches(node: QueryNode, facts: SegmentFacts): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((item) => matches(item, facts));
    case 'or':
      return node.items.some((item) => matches(item, facts));
    case 'not':
      return !matches(node.item, facts);
    case 'tag':
      return facts.tags.has(node.tag);
    case 'compare': {
      const actual = fieldValue(facts, node.field);
      return actual !== null && compare(actual, node.op, node.value);
    }
    case 'in': {
      const actual = fieldValue(facts, node.field);
      return actual !== null && node.values.includes(actual);
    }
  }
}
