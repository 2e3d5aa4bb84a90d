/**
 * Tokens of the scenario query language. Positions are 0-based offsets into the query text;
 * errors show them 1-based as columns.
 */
import { InvalidInput } from '../../platform/errors.js';

export type TokenKind =
  | 'word'
  | 'string'
  | 'number'
  | 'op'
  | 'and'
  | 'or'
  | 'not'
  | 'has'
  | 'in'
  | '('
  | ')'
  | ','
  | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The token's text; for strings the unescaped value. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Longest query accepted: a query is typed by a person, so this is generous. */
export const maxQueryLength = 4096;

const keywords: ReadonlyMap<string, TokenKind> = new Map([
  ['and', 'and'],
  ['or', 'or'],
  ['not', 'not'],
  ['has', 'has'],
  ['in', 'in'],
]);

const wordStart = /[A-Za-z_]/;
const wordPart = /[A-Za-z0-9_:.\-/]/;
const digit = /[0-9]/;

/** What a token is called in an error message. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the query';
    case 'string':
      return `the string ${JSON.stringify(token.text)}`;
    case 'number':
      return `the number ${token.text}`;
    case 'word':
      return `'${token.text}'`;
    default:
      return `'${token.text}'`;
  }
}

/** Thrown for any query the language does not accept; names the column and what was expected. */
export function queryError(
  query: string,
  position: number,
  message: string,
  expected: readonly string[] = [],
): InvalidInput {
  const column = position + 1;
  return new InvalidInput(`query: ${message} at column ${column}`, 'query', {
    position,
    column,
    expected,
    excerpt: excerpt(query, position),
  });
}

/** The query with a caret under `position`, for people reading the error in a terminal. */
function excerpt(query: string, position: number): string {
  const from = Math.max(0, position - 40);
  const to = Math.min(query.length, position + 40);
  const prefix = from > 0 ? '…' : '';
  const line = `${prefix}${query.slice(from, to)}${to < query.length ? '…' : ''}`;
  return `${line}\n${' '.repeat(prefix.length + position - from)}^`;
}

/** Splits a query into tokens; the last token is always `end`. */
export function tokenize(query: string): Token[] {
  if (query.length > maxQueryLength) {
    throw queryError(
      query,
      maxQueryLength,
      `the query is longer than ${maxQueryLength} characters`,
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, start, end: i + 1 });
      i++;
    } else if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = query.slice(i, i + 2);
      if (two === '<=' || two === '>=' || two === '!=') {
        tokens.push({ kind: 'op', text: two, start, end: i + 2 });
        i += 2;
      } else if (c === '!') {
        throw queryError(query, i, "'!' must be followed by '=' (use 'not' to negate)", ['!=']);
      } else {
        tokens.push({ kind: 'op', text: c, start, end: i + 1 });
        i++;
      }
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= query.length) {
          throw queryError(query, start, `the string starting here is not closed with ${c}`, [c]);
        }
        const d = query[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const next = query[i + 1];
          if (next !== c && next !== '\\') {
            throw queryError(query, i, `unknown escape in a string; write \\${c} or \\\\`, [
              `\\${c}`,
              '\\\\',
            ]);
          }
          value += next;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'string', text: value, start, end: i });
    } else if (digit.test(c) || (c === '-' && digit.test(query[i + 1] ?? ''))) {
      i++;
      while (i < query.length && digit.test(query[i]!)) i++;
      if (query[i] === '.' && digit.test(query[i + 1] ?? '')) {
        i++;
        while (i < query.length && digit.test(query[i]!)) i++;
      }
      if (i < query.length && wordPart.test(query[i]!) && query[i] !== '.') {
        throw queryError(
          query,
          start,
          `'${query.slice(start, i + 1)}' is neither a number nor a word`,
          ['a number'],
        );
      }
      tokens.push({ kind: 'number', text: query.slice(start, i), start, end: i });
    } else if (wordStart.test(c)) {
      i++;
      while (i < query.length && wordPart.test(query[i]!)) i++;
      const text = query.slice(start, i);
      tokens.push({ kind: keywords.get(text.toLowerCase()) ?? 'word', text, start, end: i });
    } else {
      throw queryError(query, i, `unexpected character ${JSON.stringify(c)}`, [
        'a tag',
        'a field',
        '(',
      ]);
    }
  }
  tokens.push({ kind: 'end', text: '', start: query.length, end: query.length });
  return tokens;
}
