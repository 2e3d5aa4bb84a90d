/**
 * A parser for Vector DBC files: the parts that decoding needs — messages (BO_), signals
 * (SG_, with simple and extended multiplexing), value tables (VAL_), float signals
 * (SIG_VALTYPE_), extended multiplexing (SG_MUL_VAL_), comments (CM_) and the attributes that
 * select J1939 addressing (VFrameFormat, ProtocolType). Everything else is skipped statement
 * by statement. Errors name the file and line.
 */
import { InvalidInput } from '../../platform/errors.js';

/** One signal of a message. */
export interface DbcSignal {
  readonly name: string;
  /** Start bit as written in the DBC (LSB for Intel, MSB in sawtooth numbering for Motorola). */
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: 'intel' | 'motorola';
  readonly signed: boolean;
  readonly valueType: 'integer' | 'float32' | 'float64';
  readonly factor: number;
  readonly offset: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly unit: string;
  readonly receivers: readonly string[];
  /** True for a multiplexor (`M`, or `mNM` in extended multiplexing). */
  readonly multiplexer: boolean;
  /** `N` of `mN`: the signal is present when its multiplexor has this raw value. */
  readonly multiplexValue?: number;
  /** From SG_MUL_VAL_: the multiplexor and raw value ranges for which the signal is present. */
  readonly multiplexSwitch?: {
    readonly name: string;
    readonly ranges: readonly (readonly [number, number])[];
  };
  readonly valueTable?: ReadonlyMap<number, string>;
  readonly comment?: string;
}

/** One message (frame layout). */
export interface DbcMessage {
  /** CAN identifier without the extended-frame flag. */
  readonly id: number;
  readonly extended: boolean;
  readonly name: string;
  /** Size in bytes as declared (up to 64 for CAN FD, more for transport-protocol messages). */
  readonly size: number;
  readonly transmitter: string;
  /** Match frames by J1939 parameter group number instead of the full identifier. */
  readonly j1939: boolean;
  readonly signals: readonly DbcSignal[];
  readonly comment?: string;
}

/** A parsed DBC file. */
export interface DbcDatabase {
  readonly version: string;
  readonly messages: readonly DbcMessage[];
}

interface Token {
  readonly kind: 'word' | 'number' | 'string' | 'punct';
  readonly text: string;
  readonly line: number;
}

const MAX_DBC_BYTES = 64 * 1024 * 1024;
const EXTENDED_FLAG = 0x80000000;

/** Parses DBC text; throws `InvalidInput` naming `file` and the line of the first error. */
export function parseDbc(text: string, file = 'database.dbc'): DbcDatabase {
  if (text.length > MAX_DBC_BYTES)
    throw new InvalidInput(`${file}: larger than ${MAX_DBC_BYTES} characters`, 'dbc');
  const tokens = tokenize(text, file);
  let pos = 0;
  const fail = (message: string, token = tokens[pos]): never => {
    throw new InvalidInput(`${file}:${token?.line ?? lineCount(text)}: ${message}`, 'dbc', {
      file,
      line: token?.line,
    });
  };
  const next = (): Token => tokens[pos++] ?? fail('unexpected end of file');
  const expect = (text: string): void => {
    const token = next();
    if (token.text !== text) fail(`expected '${text}', found '${token.text}'`, token);
  };
  const number = (what: string): number => {
    const token = next();
    let sign = 1;
    let value = token;
    if (token.kind === 'punct' && (token.text === '-' || token.text === '+')) {
      sign = token.text === '-' ? -1 : 1;
      value = next();
    }
    if (value.kind !== 'number') fail(`expected ${what} (a number), found '${value.text}'`, value);
    return sign * Number(value.text);
  };
  const integer = (what: string): number => {
    const token = tokens[pos];
    const value = number(what);
    if (!Number.isSafeInteger(value)) fail(`expected ${what} (an integer), found ${value}`, token);
    return value;
  };
  const word = (what: string): string => {
    const token = next();
    if (token.kind !== 'word') fail(`expected ${what}, found '${token.text}'`, token);
    return token.text;
  };
  const string = (what: string): string => {
    const token = next();
    if (token.kind !== 'string')
      fail(`expected ${what} (a quoted string), found '${token.text}'`, token);
    return token.text;
  };
  const skipStatement = (): void => {
    const line = tokens[pos - 1]?.line ?? 0;
    while (pos < tokens.length) {
      const token = tokens[pos]!;
      if (token.text === ';') {
        pos++;
        return;
      }
      if (token.line !== line && token.kind === 'word' && KEYWORDS.has(token.text)) return;
      pos++;
    }
  };

  let version = '';
  interface MutableMessage {
    id: number;
    extended: boolean;
    name: string;
    size: number;
    transmitter: string;
    signals: MutableSignal[];
    comment?: string;
    frameFormat?: string;
  }
  type MutableSignal = { -readonly [K in keyof DbcSignal]: DbcSignal[K] };
  const messages: MutableMessage[] = [];
  const byRawId = new Map<number, MutableMessage>();
  const attributeEnums = new Map<string, string[]>();
  const attributeDefaults = new Map<string, string>();
  const globalAttributes = new Map<string, string>();
  const valueTypes: { id: number; name: string; type: number; token: Token }[] = [];
  const muxValues: {
    id: number;
    name: string;
    switchName: string;
    ranges: [number, number][];
    token: Token;
  }[] = [];
  const values: { id: number; name: string; table: Map<number, string> }[] = [];
  const comments: { id: number; name?: string; text: string }[] = [];

  while (pos < tokens.length) {
    const token = next();
    if (token.kind !== 'word') fail(`expected a keyword, found '${token.text}'`, token);
    switch (token.text) {
      case 'VERSION':
        version = string('the version');
        break;
      case 'NS_':
        while (pos < tokens.length && !['BS_', 'BU_', 'BO_'].includes(tokens[pos]!.text)) pos++;
        break;
      case 'BO_': {
        const rawId = integer('the message id');
        const name = word('the message name');
        expect(':');
        const size = integer('the message size');
        const transmitter =
          tokens[pos]?.kind === 'word' && tokens[pos]!.line === token.line ? next().text : '';
        if (rawId < 0 || rawId > 0xffffffff) fail(`message id ${rawId} is out of range`, token);
        const message: MutableMessage = {
          id: (rawId & 0x1fffffff) >>> 0,
          extended: (rawId & EXTENDED_FLAG) !== 0,
          name,
          size,
          transmitter,
          signals: [],
        };
        messages.push(message);
        byRawId.set(rawId >>> 0, message);
        while (tokens[pos]?.text === 'SG_') {
          pos++;
          message.signals.push(parseSignal());
        }
        break;
      }
      case 'VAL_': {
        if (tokens[pos]?.kind !== 'number') {
          skipStatement();
          break;
        }
        const id = integer('the message id');
        const name = word('the signal name');
        const table = new Map<number, string>();
        while (tokens[pos]?.text !== ';') {
          const key = number('a value');
          table.set(key, string('the value description'));
        }
        pos++;
        values.push({ id, name, table });
        break;
      }
      case 'SIG_VALTYPE_': {
        const id = integer('the message id');
        const name = word('the signal name');
        if (tokens[pos]?.text === ':') pos++;
        valueTypes.push({ id, name, type: integer('the value type'), token });
        expect(';');
        break;
      }
      case 'SG_MUL_VAL_': {
        const id = integer('the message id');
        const name = word('the signal name');
        const switchName = word('the multiplexor name');
        const ranges: [number, number][] = [];
        for (;;) {
          const low = integer('a multiplexor value');
          const high = Math.abs(integer('a multiplexor value'));
          if (high < low) fail(`multiplexor range ${low}-${high} is empty`, token);
          ranges.push([low, high]);
          const separator = next();
          if (separator.text === ';') break;
          if (separator.text !== ',')
            fail(`expected ',' or ';', found '${separator.text}'`, separator);
        }
        muxValues.push({ id, name, switchName, ranges, token });
        break;
      }
      case 'CM_': {
        const kind = tokens[pos];
        if (kind?.text === 'BO_') {
          pos++;
          comments.push({ id: integer('the message id'), text: string('the comment') });
        } else if (kind?.text === 'SG_') {
          pos++;
          const id = integer('the message id');
          comments.push({ id, name: word('the signal name'), text: string('the comment') });
        } else {
          skipStatement();
          break;
        }
        expect(';');
        break;
      }
      case 'BA_DEF_': {
        if (tokens[pos]?.kind === 'word') pos++;
        const name = string('the attribute name');
        if (tokens[pos]?.text === 'ENUM') {
          pos++;
          const options: string[] = [];
          while (tokens[pos]?.kind === 'string') {
            options.push(next().text);
            if (tokens[pos]?.text === ',') pos++;
          }
          attributeEnums.set(name, options);
        }
        skipStatement();
        break;
      }
      case 'BA_DEF_DEF_': {
        const name = string('the attribute name');
        const value = next();
        attributeDefaults.set(name, value.text);
        skipStatement();
        break;
      }
      case 'BA_': {
        const name = string('the attribute name');
        const target = tokens[pos];
        if (target?.text === 'BO_') {
          pos++;
          const message = byRawId.get(integer('the message id') >>> 0);
          const value = next();
          const format = frameFormat(value.text, attributeEnums.get(name));
          if (message !== undefined && name === 'VFrameFormat' && format !== undefined) {
            message.frameFormat = format;
          }
        } else if (target?.kind === 'string' || target?.kind === 'number') {
          globalAttributes.set(name, next().text);
        }
        skipStatement();
        break;
      }
      default:
        skipStatement();
    }
  }

  function parseSignal(): MutableSignal {
    const start = tokens[pos - 1]!;
    const name = word('the signal name');
    let multiplexer = false;
    let multiplexValue: number | undefined;
    if (tokens[pos]?.text !== ':') {
      const mux = word('a multiplex indicator');
      const match = /^(?:m(\d+))?(M)?$/.exec(mux);
      if (match === null || mux === '')
        fail(`'${mux}' is not a multiplex indicator (M, mN or mNM)`, start);
      multiplexer = match?.[2] === 'M';
      if (match?.[1] !== undefined) multiplexValue = Number(match[1]);
    }
    expect(':');
    const startBit = integer('the start bit');
    expect('|');
    const length = integer('the signal length');
    expect('@');
    const order = integer('the byte order (0 or 1)');
    const sign = next();
    if ((order !== 0 && order !== 1) || (sign.text !== '+' && sign.text !== '-'))
      fail(`expected @0+, @0-, @1+ or @1-`, sign);
    if (length < 1 || length > 64 || startBit < 0 || startBit > 4095)
      fail(`signal ${name}: start bit ${startBit} and length ${length} are out of range`, start);
    expect('(');
    const factor = number('the factor');
    expect(',');
    const offset = number('the offset');
    expect(')');
    expect('[');
    const minimum = number('the minimum');
    expect('|');
    const maximum = number('the maximum');
    expect(']');
    const unit = string('the unit');
    const receivers: string[] = [];
    while (
      tokens[pos] !== undefined &&
      tokens[pos]!.line === sign.line &&
      (tokens[pos]!.kind === 'word' || tokens[pos]!.text === ',')
    ) {
      const token = next();
      if (token.kind === 'word') receivers.push(token.text);
    }
    return {
      name,
      startBit,
      length,
      byteOrder: order === 1 ? 'intel' : 'motorola',
      signed: sign.text === '-',
      valueType: 'integer',
      factor,
      offset,
      minimum,
      maximum,
      unit,
      receivers,
      multiplexer,
      ...(multiplexValue === undefined ? {} : { multiplexValue }),
    };
  }

  const signalOf = (id: number, name: string): MutableSignal | undefined =>
    byRawId.get(id >>> 0)?.signals.find((s) => s.name === name);
  for (const { id, name, type, token } of valueTypes) {
    const signal = signalOf(id, name);
    if (signal === undefined) continue;
    if (type === 1 && signal.length === 32) signal.valueType = 'float32';
    else if (type === 2 && signal.length === 64) signal.valueType = 'float64';
    else if (type !== 0)
      fail(`SIG_VALTYPE_ ${type} does not fit signal ${name} of ${signal.length} bits`, token);
  }
  for (const { id, name, switchName, ranges, token } of muxValues) {
    const signal = signalOf(id, name);
    if (signal === undefined) continue;
    if (signalOf(id, switchName) === undefined)
      fail(`SG_MUL_VAL_ names multiplexor ${switchName}, which message ${id} does not have`, token);
    const previous =
      signal.multiplexSwitch?.name === switchName ? signal.multiplexSwitch.ranges : [];
    signal.multiplexSwitch = { name: switchName, ranges: [...previous, ...ranges] };
  }
  for (const { id, name, table } of values) {
    const signal = signalOf(id, name);
    if (signal !== undefined) signal.valueTable = table;
  }
  for (const { id, name, text } of comments) {
    if (name === undefined) {
      const message = byRawId.get(id >>> 0);
      if (message !== undefined) message.comment = text;
    } else {
      const signal = signalOf(id, name);
      if (signal !== undefined) signal.comment = text;
    }
  }
  const defaultFormat = frameFormat(
    attributeDefaults.get('VFrameFormat') ?? '',
    attributeEnums.get('VFrameFormat'),
  );
  const protocol =
    globalAttributes.get('ProtocolType') ?? attributeDefaults.get('ProtocolType') ?? '';
  return {
    version,
    messages: messages.map(({ frameFormat: format, ...message }) => {
      const resolved = format ?? defaultFormat;
      const j1939 =
        message.extended &&
        (resolved === 'J1939PG' || (resolved === undefined && protocol === 'J1939'));
      return { ...message, j1939 };
    }),
  };
}

/** Resolves a VFrameFormat value (an enum index or name) to its name. */
function frameFormat(value: string, options: readonly string[] | undefined): string | undefined {
  if (value === '') return undefined;
  return /^\d+$/.test(value) ? (options?.[Number(value)] ?? value) : value;
}

const KEYWORDS = new Set([
  'VERSION',
  'NS_',
  'BS_',
  'BU_',
  'BO_',
  'SG_',
  'CM_',
  'BA_DEF_',
  'BA_DEF_DEF_',
  'BA_',
  'VAL_',
  'VAL_TABLE_',
  'SIG_VALTYPE_',
  'SG_MUL_VAL_',
  'EV_',
  'BO_TX_BU_',
  'SIG_GROUP_',
  'ENVVAR_DATA_',
  'SIG_TYPE_REF_',
  'SGTYPE_',
  'BA_DEF_REL_',
  'BA_REL_',
  'BA_DEF_DEF_REL_',
  'CAT_DEF_',
  'CAT_',
  'FILTER',
  'SIGTYPE_VALTYPE_',
  'BU_SG_REL_',
  'BU_EV_REL_',
  'BU_BO_REL_',
  'EV_DATA_',
]);

function lineCount(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
    } else if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
    } else if (c === 34) {
      const startLine = line;
      let value = '';
      i++;
      for (;;) {
        if (i >= n)
          throw new InvalidInput(`${file}:${startLine}: string is never closed`, 'dbc', {
            file,
            line: startLine,
          });
        const d = text[i]!;
        if (d === '\\' && i + 1 < n) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (d === '"') break;
        if (d === '\n') line++;
        value += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: value, line: startLine });
    } else if ((c >= 48 && c <= 57) || (c === 46 && /\d/.test(text[i + 1] ?? ''))) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64))!;
      tokens.push({ kind: 'number', text: match[0], line });
      i += match[0].length;
    } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j), line });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: text[i]!, line });
      i++;
    }
  }
  return tokens;
}
