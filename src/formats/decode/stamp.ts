/**
 * Acquisition time of a message: the `stamp` of its `std_msgs/Header` (ROS 1 `secs/nsecs`,
 * ROS 2 `sec/nanosec`) or its foxglove-style `timestamp`, falling back to the log time when the
 * message has neither or leaves it at zero. On the sync engine's hot path, so when the stamp
 * sits at a fixed offset (the schema starts with a Header or a time) it is read straight from
 * the payload bytes; otherwise the message is decoded.
 */
import type { MessageDefinition } from '@foxglove/message-definition';
import { Unsupported } from '../../platform/errors.js';
import type { RecordedMessage } from '../source.js';
import { createMessageDecoder, rosDefinitions } from './decoder.js';
import { primitiveSizes, readUint32 } from './primitives.js';
import type { DecodeContext, MessageDecoder, SchemaSource } from './decoder.js';

/** An acquisition time, and whether it came from the message itself. */
export interface Stamp {
  /** Nanoseconds since the Unix epoch. */
  readonly time: bigint;
  /** False when the message carries no usable stamp and `time` is its log time. */
  readonly fromHeader: boolean;
}

/** Extracts stamps from the messages of one channel. */
export interface StampExtractor {
  /** `fixed`: read from the payload bytes; `decoded`: full decode; `none`: always log time. */
  readonly path: 'fixed' | 'decoded' | 'none';
  stamp(
    message: Pick<RecordedMessage, 'data' | 'logTime'> & { location?: { offset: number } },
  ): Stamp;
}

const NS = 1_000_000_000n;

const STAMP_NAMES = new Set(['stamp', 'timestamp']);

function fields(definition: MessageDefinition): MessageDefinition['definitions'] {
  return definition.definitions.filter((field) => field.isConstant !== true);
}

/**
 * The stamp's offset in the payload (after the CDR encapsulation header for ROS 2), when the
 * root type starts with a time field named stamp/timestamp, or with a `header` whose type starts
 * with fixed-size fields followed by a time field named stamp.
 */
function fixedOffset(definitions: readonly MessageDefinition[], cdr: boolean): number | undefined {
  const root = definitions[0];
  if (root === undefined) return undefined;
  const first = fields(root)[0];
  if (first === undefined || first.isArray === true) return undefined;
  if (first.type === 'time' && STAMP_NAMES.has(first.name)) return 0;
  if (first.name !== 'header' || first.isComplex !== true) return undefined;
  const header = definitions.find((d) => d.name === first.type);
  if (header === undefined) return undefined;
  let offset = 0;
  for (const field of fields(header)) {
    if (field.isArray === true) return undefined;
    if (field.type === 'time') return field.name === 'stamp' ? offset : undefined;
    const size = primitiveSizes[field.type];
    if (size === undefined) return undefined;
    if (cdr) offset = Math.ceil(offset / size) * size;
    offset += size;
  }
  return undefined;
}

/** Whether the root type has a top-level header or stamp a decode would find. */
function hasStampField(definitions: readonly MessageDefinition[]): boolean {
  const root = definitions[0];
  if (root === undefined) return false;
  return fields(root).some(
    (f) =>
      f.isArray !== true &&
      ((f.name === 'header' && f.isComplex === true) ||
        (STAMP_NAMES.has(f.name) && f.type === 'time')),
  );
}

function stampOrLogTime(time: bigint | undefined, logTime: bigint): Stamp {
  return time === undefined || time <= 0n
    ? { time: logTime, fromHeader: false }
    : { time, fromHeader: true };
}

function integer(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** Nanoseconds of a decoded time value: `{sec, nsec}`, `{sec, nanosec}` or protobuf `{seconds, nanos}`. */
export function timeValue(value: unknown): bigint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const time = value as Record<string, unknown>;
  const sec = integer(time['sec'] ?? time['secs'] ?? time['seconds']);
  const nsec = integer(time['nsec'] ?? time['nanosec'] ?? time['nsecs'] ?? time['nanos'] ?? 0);
  if (sec === undefined || nsec === undefined || sec < 0n || nsec < 0n || nsec >= NS)
    return undefined;
  return sec * NS + nsec;
}

/** The stamp of a decoded message: `header.stamp`, else `timestamp`, else `stamp`. */
export function decodedStamp(message: unknown): bigint | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const record = message as Record<string, unknown>;
  const header = record['header'];
  const fromHeader =
    typeof header === 'object' && header !== null
      ? timeValue((header as Record<string, unknown>)['stamp'])
      : undefined;
  return fromHeader ?? timeValue(record['timestamp']) ?? timeValue(record['stamp']);
}

/** An extractor that decodes each message and looks for its stamp. */
function decodingExtractor(decoder: MessageDecoder): StampExtractor {
  return {
    path: 'decoded',
    stamp: (message) =>
      stampOrLogTime(
        decodedStamp(decoder.decode(message.data, message.location?.offset)),
        message.logTime,
      ),
  };
}

/**
 * Builds the stamp extractor of a channel. Channels whose messages cannot be decoded (no
 * schema, unknown encoding) get one that always returns the log time. `fixedOffsets: false`
 * forces the decoding path (to check the fast path against it).
 */
export function createStampExtractor(
  channel: SchemaSource,
  context: DecodeContext,
  options: { readonly fixedOffsets?: boolean } = {},
): StampExtractor {
  const none: StampExtractor = {
    path: 'none',
    stamp: (message) => ({ time: message.logTime, fromHeader: false }),
  };
  let decoder: MessageDecoder;
  try {
    decoder = createMessageDecoder(channel, context);
  } catch (error) {
    if (error instanceof Unsupported) return none;
    throw error;
  }
  if (channel.messageEncoding !== 'ros1' && channel.messageEncoding !== 'cdr')
    return decodingExtractor(decoder);
  const definitions = decoder.definitions ?? rosDefinitions(channel, context);
  const cdr = channel.messageEncoding === 'cdr';
  const offset = options.fixedOffsets === false ? undefined : fixedOffset(definitions, cdr);
  if (offset === undefined) return hasStampField(definitions) ? decodingExtractor(decoder) : none;
  const slow = decodingExtractor(decoder);
  if (!cdr) {
    return {
      path: 'fixed',
      stamp: (message) => {
        const data = message.data;
        if (data.byteLength < offset + 8) return slow.stamp(message);
        const sec = readUint32(data, offset, true);
        const nsec = readUint32(data, offset + 4, true);
        if (nsec >= 1_000_000_000) return slow.stamp(message);
        return stampOrLogTime(BigInt(sec) * NS + BigInt(nsec), message.logTime);
      },
    };
  }
  return {
    path: 'fixed',
    stamp: (message) => {
      const data = message.data;
      // Plain CDR (0x00 big, 0x01 little endian) puts the stamp at the computed offset; XCDR2
      // final types (0x06, 0x07) do too when nothing precedes it (their alignment differs for
      // 8-byte fields). Parameter lists and delimited types go through a full decode.
      const kind = data[1];
      const plain = kind === 0 || kind === 1 || (offset === 0 && (kind === 6 || kind === 7));
      if (data.byteLength < 4 + offset + 8 || data[0] !== 0 || !plain) return slow.stamp(message);
      const little = kind === 1 || kind === 7;
      const sec = readUint32(data, 4 + offset, little);
      const nsec = readUint32(data, 8 + offset, little);
      if (sec > 0x7fff_ffff || nsec >= 1_000_000_000) return slow.stamp(message);
      return stampOrLogTime(BigInt(sec) * NS + BigInt(nsec), message.logTime);
    },
  };
}
