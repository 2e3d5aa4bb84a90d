/**
 * The scenario query language: a recursive-descent parser that resolves words against the
 * segment vocabulary as it goes, so every error (syntax or meaning) points at a column.
 *
 *   query      := or
 *   or         := and ("or" and)*
 *   and        := unary ("and" unary)*
 *   unary      := "not" unary | primary
 *   primary    := "(" or ")" | field op value | field "in" "(" value ("," value)* ")"
 *               | set "has" value | word | string
 *
 * A bare word is a condition (`night`, `rain`, `highway`), a `key:value` tag
 * (`campaign:winter-2026`, `sensor:lidar`), and a string is a tag spelled exactly.
 */
import type { CompareOp, Field, QueryNode, Span, Value } from './ast.js';
import { isNumericField, isTimeField } from './ast.js';
import { describeToken, queryError, tokenize, type Token } from './lexer.js';

/** Sensor kinds a `sensors has …` condition accepts (the recordings context's classification). */
export const sensorKinds = [
  'camera',
  'lidar',
  'radar',
  'can',
  'gnss',
  'imu',
  'pose',
  'other',
] as const;
export const daylightValues = ['day', 'twilight', 'night'] as const;
export const weatherValues = ['rain', 'snow', 'fog', 'clear'] as const;
export const speedClasses = ['standstill', 'urban', 'rural', 'highway'] as const;

/** Field names as written in queries (aliases included) and the field each means. */
const fieldNames: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['speed_kmh', 'speed_kmh'],
  ['speed', 'speed_kmh'],
  ['speed_kmh_mean', 'speed_kmh'],
  ['speed_kmh_max', 'speed_kmh_max'],
  ['lat', 'lat'],
  ['lon', 'lon'],
  ['start', 'start'],
  ['end', 'end'],
  ['country', 'country'],
  ['daylight', 'daylight'],
  ['recording', 'recording'],
  ['vehicle', 'vehicle'],
]);

/** Names of set-valued properties and the tag prefix `has` looks up. */
const setNames: ReadonlyMap<string, string> = new Map([
  ['sensors', 'sensor:'],
  ['sensor', 'sensor:'],
  ['tags', ''],
  ['weather', ''],
]);

/** Bare words that are conditions, and what each means. */
function bareWord(word: string, span: Span): QueryNode | undefined {
  const lower = word.toLowerCase();
  if ((daylightValues as readonly string[]).includes(lower)) {
    return { kind: 'compare', field: 'daylight', op: '=', value: lower, span };
  }
  if ((weatherValues as readonly string[]).includes(lower))
    return { kind: 'tag', tag: lower, span };
  if ((speedClasses as readonly string[]).includes(lower)) {
    return { kind: 'tag', tag: `speed:${lower}`, span };
  }
  return undefined;
}

const conditionWords = [...daylightValues, ...weatherValues, ...speedClasses];
const startOfCondition = ['a tag', 'a field', 'not', '('];
const comparisonOps = ['=', '!=', '<', '<=', '>', '>='];

/** Parses a scenario query into its syntax tree; InvalidInput (field `query`) on any error. */
export function parseQuery(query: string): QueryNode {
  const tokens = tokenize(query);
  let index = 0;
  const peek = (): Token => tokens[index]!;
  const take = (): Token => tokens[index++]!;
  const fail = (token: Token, what: string, expected: readonly string[]): never => {
    throw queryError(
      query,
      token.start,
      `expected ${what}, found ${describeToken(token)}`,
      expected,
    );
  };

  const parseOr = (): QueryNode => {
    const first = parseAnd();
    const items = [first];
    while (peek().kind === 'or') {
      take();
      items.push(parseAnd());
    }
    return items.length === 1
      ? first
      : { kind: 'or', items, span: { start: first.span.start, end: items.at(-1)!.span.end } };
  };

  const parseAnd = (): QueryNode => {
    const first = parseUnary();
    const items = [first];
    while (peek().kind === 'and') {
      take();
      items.push(parseUnary());
    }
    return items.length === 1
      ? first
      : { kind: 'and', items, span: { start: first.span.start, end: items.at(-1)!.span.end } };
  };

  const parseUnary = (): QueryNode => {
    const token = peek();
    if (token.kind === 'not') {
      take();
      const item = parseUnary();
      return { kind: 'not', item, span: { start: token.start, end: item.span.end } };
    }
    return parsePrimary();
  };

  const parseValue = (field: Field | 'set', name: string): { value: Value; token: Token } => {
    const token = take();
    if (token.kind === 'number') {
      if (field === 'set' || !(isNumericField(field) || isTimeField(field))) {
        // Text fields also accept bare numbers written as words would be odd; keep them strings.
        return { value: token.text, token };
      }
      return { value: Number(token.text), token };
    }
    if (token.kind === 'string' || token.kind === 'word') {
      if (field !== 'set' && isNumericField(field)) {
        return fail(token, `a number after ${name}`, ['a number']);
      }
      if (field !== 'set' && isTimeField(field)) {
        const ms = Date.parse(token.text);
        if (!/^\d{4}-\d{2}-\d{2}/.test(token.text) || Number.isNaN(ms)) {
          throw queryError(
            query,
            token.start,
            `${name} takes an ISO-8601 time such as "2026-01-31" or "2026-01-31T08:00:00Z", found ${describeToken(token)}`,
            ['an ISO-8601 time'],
          );
        }
        return { value: ms, token };
      }
      return { value: token.text, token };
    }
    return fail(token, `a value after ${name}`, ['a value']);
  };

  /** Checks and normalises a value of a text field (country codes upper case, daylight words). */
  const textValue = (field: Field, value: Value, token: Token): Value => {
    if (field === 'country') {
      const code = String(value).toUpperCase();
      if (!/^[A-Z]{2}$/.test(code)) {
        throw queryError(
          query,
          token.start,
          `country takes an ISO 3166-1 alpha-2 code such as "DE", found ${describeToken(token)}`,
          ['a two-letter country code'],
        );
      }
      return code;
    }
    if (field === 'daylight') {
      const word = String(value).toLowerCase();
      if (!(daylightValues as readonly string[]).includes(word)) {
        throw queryError(
          query,
          token.start,
          `daylight is one of ${daylightValues.join(', ')}, found ${describeToken(token)}`,
          [...daylightValues],
        );
      }
      return word;
    }
    return value;
  };

  const parseComparison = (nameToken: Token, field: Field): QueryNode => {
    const opToken = take();
    if (opToken.kind === 'in') {
      const open = take();
      if (open.kind !== '(') fail(open, `'(' after in`, ['(']);
      const values: Value[] = [];
      for (;;) {
        const { value, token } = parseValue(field, nameToken.text);
        values.push(textValue(field, value, token));
        const next = take();
        if (next.kind === ')') {
          return { kind: 'in', field, values, span: { start: nameToken.start, end: next.end } };
        }
        if (next.kind !== ',') fail(next, `',' or ')' in the list of values`, [',', ')']);
      }
    }
    if (opToken.kind !== 'op') {
      return fail(opToken, `a comparison after ${nameToken.text}`, [...comparisonOps, 'in']);
    }
    const op = opToken.text as CompareOp;
    const { value, token } = parseValue(field, nameToken.text);
    const ordered = op !== '=' && op !== '!=';
    if (ordered && !(isNumericField(field) || isTimeField(field))) {
      throw queryError(
        query,
        opToken.start,
        `${nameToken.text} can only be compared with = or != (or in)`,
        ['=', '!=', 'in'],
      );
    }
    return {
      kind: 'compare',
      field,
      op,
      value: textValue(field, value, token),
      span: { start: nameToken.start, end: token.end },
    };
  };

  const parseHas = (nameToken: Token, prefix: string): QueryNode => {
    const hasToken = take();
    const isWeather = nameToken.text.toLowerCase() === 'weather';
    if (
      hasToken.kind !== 'has' &&
      !(isWeather && hasToken.kind === 'op' && hasToken.text === '=')
    ) {
      return fail(hasToken, `'has' after ${nameToken.text}`, isWeather ? ['has', '='] : ['has']);
    }
    const { value, token } = parseValue('set', nameToken.text);
    const text = String(value);
    if (prefix === 'sensor:') {
      const kind = text.toLowerCase();
      if (!(sensorKinds as readonly string[]).includes(kind)) {
        throw queryError(
          query,
          token.start,
          `unknown sensor ${describeToken(token)}; sensors are ${sensorKinds.join(', ')}`,
          [...sensorKinds],
        );
      }
      return {
        kind: 'tag',
        tag: `sensor:${kind}`,
        span: { start: nameToken.start, end: token.end },
      };
    }
    if (isWeather && !(weatherValues as readonly string[]).includes(text.toLowerCase())) {
      throw queryError(
        query,
        token.start,
        `weather is one of ${weatherValues.join(', ')}, found ${describeToken(token)}`,
        [...weatherValues],
      );
    }
    return {
      kind: 'tag',
      tag: isWeather ? text.toLowerCase() : text,
      span: { start: nameToken.start, end: token.end },
    };
  };

  const parsePrimary = (): QueryNode => {
    const token = take();
    switch (token.kind) {
      case '(': {
        const inner = parseOr();
        const close = take();
        if (close.kind !== ')')
          fail(close, `')' to close the '(' at column ${token.start + 1}`, [')', 'and', 'or']);
        return inner;
      }
      case 'string':
        if (token.text === '')
          throw queryError(query, token.start, 'a tag cannot be empty', ['a tag']);
        return { kind: 'tag', tag: token.text, span: { start: token.start, end: token.end } };
      case 'word': {
        const lower = token.text.toLowerCase();
        const field = fieldNames.get(lower);
        const next = peek();
        if (field !== undefined && (next.kind === 'op' || next.kind === 'in')) {
          return parseComparison(token, field);
        }
        const prefix = setNames.get(lower);
        if (prefix !== undefined && (next.kind === 'has' || next.kind === 'op')) {
          return parseHas(token, prefix);
        }
        const span = { start: token.start, end: token.end };
        if (token.text.includes(':')) {
          const [key = '', ...rest] = token.text.split(':');
          const value = rest.join(':');
          if (key === '' || value === '') {
            throw queryError(
              query,
              token.start,
              `a tag is written key:value, found ${describeToken(token)}`,
              ['key:value'],
            );
          }
          // Country codes are upper case in tags; every other key and value is lower case.
          return {
            kind: 'tag',
            tag:
              key.toLowerCase() === 'country'
                ? `country:${value.toUpperCase()}`
                : token.text.toLowerCase(),
            span,
          };
        }
        const condition = bareWord(token.text, span);
        if (condition !== undefined) return condition;
        if (field !== undefined) {
          return fail(next, `a comparison after ${token.text}`, [...comparisonOps, 'in']);
        }
        if (prefix !== undefined) return fail(next, `'has' after ${token.text}`, ['has']);
        throw queryError(
          query,
          token.start,
          `unknown condition ${describeToken(token)}; use a field (${[...fieldNames.keys()].join(', ')}), sensors has …, a condition (${conditionWords.join(', ')}), a key:value tag or a "quoted tag"`,
          [...fieldNames.keys(), 'sensors', 'tags', ...conditionWords, 'key:value', 'a quoted tag'],
        );
      }
      default:
        return fail(token, 'a condition', startOfCondition);
    }
  };

  const root = parseOr();
  const last = peek();
  if (last.kind !== 'end') fail(last, "'and', 'or' or the end of the query", ['and', 'or', 'end']);
  return root;
}
