import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/errors.js';
import type { QueryNode } from './ast.js';
import { formatQuery, matches, parseQuery, type SegmentFacts } from './index.js';

/** The tree without positions, for comparing parses of different texts. */
function shape(node: QueryNode): unknown {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { [node.kind]: node.items.map(shape) };
    case 'not':
      return { not: shape(node.item) };
    case 'tag':
      return { tag: node.tag };
    case 'compare':
      return { [node.field]: [node.op, node.value] };
    case 'in':
      return { [node.field]: ['in', node.values] };
  }
}

function errorOf(query: string): InvalidInput {
  try {
    parseQuery(query);
  } catch (error) {
    if (error instanceof InvalidInput) return error;
    throw error;
  }
  throw new Error(`query ${JSON.stringify(query)} parsed`);
}

describe('scenario query parser', () => {
  it('parses the example of the issue into tags and comparisons', () => {
    const tree = parseQuery(
      'sensors has lidar and country = "DE" and night and speed_kmh > 80 and rain',
    );
    expect(shape(tree)).toEqual({
      and: [
        { tag: 'sensor:lidar' },
        { country: ['=', 'DE'] },
        { daylight: ['=', 'night'] },
        { speed_kmh: ['>', 80] },
        { tag: 'rain' },
      ],
    });
    expect(tree.span).toEqual({ start: 0, end: 74 });
  });

  it('binds and tighter than or, and not tighter than both; parentheses override', () => {
    expect(shape(parseQuery('day or night and not rain'))).toEqual({
      or: [
        { daylight: ['=', 'day'] },
        { and: [{ daylight: ['=', 'night'] }, { not: { tag: 'rain' } }] },
      ],
    });
    expect(shape(parseQuery('(day or night) and rain'))).toEqual({
      and: [{ or: [{ daylight: ['=', 'day'] }, { daylight: ['=', 'night'] }] }, { tag: 'rain' }],
    });
  });

  it('reads key:value tags, quoted tags, speed classes, weather and lists', () => {
    expect(shape(parseQuery('campaign:winter-2026 and "Odd Tag" and highway'))).toEqual({
      and: [{ tag: 'campaign:winter-2026' }, { tag: 'Odd Tag' }, { tag: 'speed:highway' }],
    });
    expect(shape(parseQuery('country:de and weather = snow and tags has "x"'))).toEqual({
      and: [{ tag: 'country:DE' }, { tag: 'snow' }, { tag: 'x' }],
    });
    expect(shape(parseQuery('country in (\'de\', "FR") and speed_kmh_max <= 30.5'))).toEqual({
      and: [{ country: ['in', ['DE', 'FR']] }, { speed_kmh_max: ['<=', 30.5] }],
    });
    expect(shape(parseQuery('start >= "2026-01-31" AND lat > -10.5'))).toEqual({
      and: [{ start: ['>=', Date.parse('2026-01-31')] }, { lat: ['>', -10.5] }],
    });
  });

  it('names the column and the expected token of a syntax error', () => {
    const error = errorOf('sensors has lidar and speed_kmh >');
    expect(error.message).toBe(
      'query: expected a value after speed_kmh, found the end of the query at column 34',
    );
    expect(error.details).toMatchObject({
      field: 'query',
      position: 33,
      column: 34,
      expected: ['a value'],
    });
    expect(String(error.details.excerpt)).toContain('^');

    expect(errorOf('night and (rain or snow').details).toMatchObject({
      column: 24,
      expected: [')', 'and', 'or'],
    });
    expect(errorOf('night rain').message).toContain(
      "expected 'and', 'or' or the end of the query, found 'rain' at column 7",
    );
    expect(errorOf('').message).toContain(
      'expected a condition, found the end of the query at column 1',
    );
    expect(errorOf('country = "D"').message).toContain('ISO 3166-1 alpha-2');
    expect(errorOf('country > "DE"').details).toMatchObject({
      column: 9,
      expected: ['=', '!=', 'in'],
    });
    expect(errorOf('sensors has sonar').details).toMatchObject({ column: 13 });
    expect(errorOf('sensors has sonar').message).toContain('camera, lidar, radar');
    expect(errorOf('speed_kmh > fast').message).toContain('expected a number after speed_kmh');
    expect(errorOf('start > "yesterday"').message).toContain('ISO-8601');
    expect(errorOf('raining').message).toContain("unknown condition 'raining'");
    expect(errorOf('night & rain').details).toMatchObject({ column: 7 });
    expect(errorOf('"open').message).toContain('not closed');
    expect(errorOf('a != ').details).toMatchObject({ column: 1 });
    expect(errorOf('12abc').message).toContain('neither a number nor a word');
    expect(errorOf('x'.repeat(5000)).message).toContain('longer than');
  });

  it('gives back the same tree from the canonical text (property)', () => {
    const leaf: fc.Arbitrary<string> = fc.oneof(
      fc.constantFrom('night', 'day', 'rain', 'highway', 'sensors has lidar', 'sensors has camera'),
      fc.constantFrom('DE', 'FR', 'nl').map((c) => `country = "${c}"`),
      fc.integer({ min: -300, max: 300 }).map((n) => `speed_kmh > ${n / 2}`),
      fc.string({ minLength: 1, maxLength: 8 }).map((t) => JSON.stringify(t)),
      fc.constantFrom('campaign:winter-2026', 'driver:anna'),
      fc.constant('vehicle in ("v1", "v2")'),
      fc.constant('start < "2026-03-01T10:00:00.000Z"'),
    );
    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc
          .tuple(tie('e'), fc.constantFrom('and', 'or', 'AND'), tie('e'))
          .map(([a, op, b]) => `(${a}) ${op} (${b})`),
        tie('e').map((e) => `not (${e})`),
      ),
    })).e;
    fc.assert(
      fc.property(expr, (text) => {
        const tree = parseQuery(text);
        expect(shape(parseQuery(formatQuery(tree)))).toEqual(shape(tree));
      }),
    );
  });

  it('fails on any garbage with InvalidInput naming a column inside the text (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseQuery(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInput);
          const column = (error as InvalidInput).details.column as number;
          expect(column).toBeGreaterThanOrEqual(1);
          expect(column).toBeLessThanOrEqual(text.length + 1);
        }
      }),
    );
  });
});

describe('query evaluation', () => {
  const segment: SegmentFacts = {
    tags: new Set(['sensor:lidar', 'sensor:camera', 'rain', 'country:DE', 'speed:rural']),
    country: 'DE',
    daylight: 'night',
    speedKmhMean: 85,
    speedKmhMax: 97,
    lat: 48.1,
    lon: 11.5,
    startMs: Date.parse('2026-02-01T20:00:00Z'),
    endMs: Date.parse('2026-02-01T20:00:20Z'),
    recordingId: 'rec_1',
    vehicle: 'v1',
  };
  const noFix: SegmentFacts = { ...segment, country: null, lat: null, lon: null, tags: new Set() };

  it('matches the example of the issue and not its variations', () => {
    const example = 'sensors has lidar and country = "DE" and night and speed_kmh > 80 and rain';
    expect(matches(parseQuery(example), segment)).toBe(true);
    expect(matches(parseQuery(`${example} and snow`), segment)).toBe(false);
    expect(matches(parseQuery('speed_kmh > 85'), segment)).toBe(false);
    expect(matches(parseQuery('start >= "2026-02-01" and end < "2026-02-02"'), segment)).toBe(true);
    expect(matches(parseQuery('vehicle in ("v2", "v1")'), segment)).toBe(true);
  });

  it('treats a comparison on a missing value as false, also under not', () => {
    expect(matches(parseQuery('country = "DE"'), noFix)).toBe(false);
    expect(matches(parseQuery('country != "DE"'), noFix)).toBe(false);
    expect(matches(parseQuery('not country = "DE"'), noFix)).toBe(true);
    expect(matches(parseQuery('lat > 0 or not lat > 0'), noFix)).toBe(true);
  });
});
