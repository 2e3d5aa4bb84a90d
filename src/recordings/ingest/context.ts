import type { MessageDefinition } from '@foxglove/message-definition';
import {
  createMessageDecoder,
  decodeCanFrame,
  CAN_MESSAGE_ENCODING,
  type ChannelInfo,
  type DbcDecoder,
  type DecodedSignal,
  type FrameLike,
  type MessageDecoder,
  type RecordedMessage,
  primitiveSizes,
  readUint32,
} from '../../formats/index.js';
import type { Sensor } from '../sensors.js';

/** Where the vehicle was and how fast it went, as a recording's messages tell it. */
export interface ContextSink {
  position(timeMs: number, lat: number, lon: number): void;
  speed(timeMs: number, kmh: number): void;
}

/** Reads one message of a context channel into the sink. */
export type ContextReader = (message: RecordedMessage) => void;

const speedSignal = /speed|velocity/i;
const latitudeSignal = /^(lat|latitude)$|latitude/i;
const longitudeSignal = /^(lon|lng|longitude)$|longitude/i;

function speedKmh(signal: DecodedSignal): number | undefined {
  const unit = signal.unit.toLowerCase().replace(/\s/g, '');
  if (unit === 'km/h' || unit === 'kph' || unit === 'kmh') return signal.value;
  if (unit === 'm/s' || unit === 'mps') return signal.value * 3.6;
  if (unit === 'mph') return signal.value * 1.609344;
  return undefined;
}

function timeMs(message: RecordedMessage): number {
  return Number(message.logTime / 1_000_000n);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

function vectorNorm(value: unknown): number | undefined {
  const v = record(value);
  if (v === undefined) return undefined;
  const [x, y, z] = [v.x, v.y, v.z].map((n) => (typeof n === 'number' ? n : 0));
  return Math.hypot(x ?? 0, y ?? 0, z ?? 0);
}

/** Bytes of a decoded `uint8[]` field, whichever array type the decoder produced. */
function byteArray(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number'))
    return Uint8Array.from(value);
  return undefined;
}

/** A CAN frame of a ROS `can_msgs/Frame`, decoded. */
function rosCanFrame(decoded: unknown): FrameLike | undefined {
  const frame = record(decoded);
  const data = byteArray(frame?.data);
  if (frame === undefined || typeof frame.id !== 'number' || data === undefined) return undefined;
  const dlc = typeof frame.dlc === 'number' ? frame.dlc : data.byteLength;
  return {
    id: frame.id,
    ide: frame.is_extended === true,
    data: data.subarray(0, Math.min(dlc, data.byteLength)),
  };
}

/**
 * The reader of a channel's context signals: GNSS fixes (`latitude`/`longitude` of NavSatFix or
 * foxglove LocationFix), speed from odometry or twist messages, and — with a DBC — speed and
 * position signals of CAN frames. Undefined for channels that carry none of these. A message
 * that does not decode is skipped: context is best effort and never fails an ingest.
 */
export function contextReader(
  channel: ChannelInfo,
  sensor: Sensor,
  dbc: DbcDecoder | undefined,
  sink: ContextSink,
  file: string,
): ContextReader | undefined {
  if (sensor === 'can') {
    if (dbc === undefined) return undefined;
    const wanted = new Set<number>();
    for (const message of dbc.database.messages) {
      if (
        message.signals.some(
          (s) =>
            speedSignal.test(s.name) || latitudeSignal.test(s.name) || longitudeSignal.test(s.name),
        )
      ) {
        wanted.add(message.id);
      }
    }
    if (wanted.size === 0) return undefined;
    let decode: (data: Uint8Array) => FrameLike | undefined;
    // Most frames on a bus carry none of the wanted signals: their id, read straight from the
    // payload, is enough to pass them by without decoding them.
    let frameId: ((data: Uint8Array) => number | undefined) | undefined;
    if (channel.messageEncoding === CAN_MESSAGE_ENCODING) {
      decode = (data) => decodeCanFrame(data);
    } else {
      const decoder = safeDecoder(channel, file);
      if (decoder === undefined) return undefined;
      decode = (data) => rosCanFrame(decoder.decode(data));
      frameId =
        decoder.definitions === undefined
          ? undefined
          : frameIdReader(decoder.definitions, channel.messageEncoding);
    }
    let lat: number | undefined;
    let lon: number | undefined;
    return (message) => {
      const id = frameId?.(message.data);
      if (id !== undefined && !wanted.has(id)) return;
      const frame = attempt(() => decode(message.data));
      if (frame === undefined || !wanted.has(frame.id)) return;
      const decoded = dbc.decode(frame);
      if (decoded === undefined) return;
      const t = timeMs(message);
      for (const signal of decoded.signals) {
        if (speedSignal.test(signal.name)) {
          const kmh = speedKmh(signal);
          if (kmh !== undefined) sink.speed(t, kmh);
        } else if (latitudeSignal.test(signal.name)) lat = signal.value;
        else if (longitudeSignal.test(signal.name)) lon = signal.value;
      }
      if (lat !== undefined && lon !== undefined) {
        sink.position(t, lat, lon);
        lat = undefined;
        lon = undefined;
      }
    };
  }
  if (sensor !== 'gnss' && sensor !== 'pose') return undefined;
  const decoder = safeDecoder(channel, file);
  if (decoder === undefined) return undefined;
  if (sensor === 'gnss') {
    return (message) => {
      const fix = record(attempt(() => decoder.decode(message.data)));
      if (
        fix !== undefined &&
        typeof fix.latitude === 'number' &&
        typeof fix.longitude === 'number'
      ) {
        sink.position(timeMs(message), fix.latitude, fix.longitude);
      }
    };
  }
  return (message) => {
    const decoded = record(attempt(() => decoder.decode(message.data)));
    const twist = record(record(decoded?.twist)?.twist) ?? record(decoded?.twist);
    const speed = vectorNorm(twist?.linear);
    if (speed !== undefined) sink.speed(timeMs(message), speed * 3.6);
  };
}

function safeDecoder(channel: ChannelInfo, file: string): MessageDecoder | undefined {
  try {
    return createMessageDecoder(channel, { file });
  } catch {
    return undefined;
  }
}

/** How the fields before a CAN frame's id are laid out: fixed-size fields and strings. */
type Layout = ({ readonly size: number; readonly align: number } | 'string')[];

/**
 * Appends the layout of `fields` to `layout`, up to the field named `stop` when given; false
 * when a field has no simple layout (an array) or `stop` is not met.
 */
function appendLayout(
  definitions: readonly MessageDefinition[],
  fields: MessageDefinition['definitions'],
  layout: Layout,
  stop: string | undefined,
  depth: number,
): boolean {
  for (const field of fields) {
    if (field.isConstant === true) continue;
    if (field.name === stop) return true;
    if (field.isArray === true) return false;
    const size = primitiveSizes[field.type];
    if (field.type === 'string') layout.push('string');
    else if (field.type === 'time' || field.type === 'duration') layout.push({ size: 8, align: 4 });
    else if (size !== undefined) layout.push({ size, align: size });
    else {
      const nested = definitions.find((d) => d.name === field.type);
      if (
        field.isComplex !== true ||
        nested === undefined ||
        depth > 8 ||
        !appendLayout(definitions, nested.definitions, layout, undefined, depth + 1)
      )
        return false;
    }
  }
  return stop === undefined;
}

/**
 * Reads the `uint32 id` of a ROS CAN frame (`can_msgs/Frame` and alike) from its payload, when
 * the fields before it have a simple layout (a Header does); undefined when they do not. The
 * reader returns undefined for a payload it cannot place the id in (big-endian or XCDR2 CDR, too
 * short): that one is decoded.
 */
export function frameIdReader(
  definitions: readonly MessageDefinition[],
  messageEncoding: string,
): ((data: Uint8Array) => number | undefined) | undefined {
  const root = definitions[0];
  const id = root?.definitions.find((f) => f.name === 'id' && f.isConstant !== true);
  if (root === undefined || id?.type !== 'uint32' || id.isArray === true) return undefined;
  if (messageEncoding !== 'cdr' && messageEncoding !== 'ros1') return undefined;
  const layout: Layout = [];
  if (!appendLayout(definitions, root.definitions, layout, 'id', 0)) return undefined;
  const cdr = messageEncoding === 'cdr';
  // CDR aligns each field to its size, counted from the end of the 4-byte encapsulation header;
  // ROS 1 packs fields without padding.
  const origin = cdr ? 4 : 0;
  const aligned = (pos: number, align: number): number =>
    cdr ? origin + Math.ceil((pos - origin) / align) * align : pos;
  return (data) => {
    if (cdr && (data.byteLength < 4 || data[0] !== 0 || data[1] !== 1)) return undefined;
    let pos = origin;
    for (const field of layout) {
      if (field === 'string') {
        pos = aligned(pos, 4);
        if (pos + 4 > data.byteLength) return undefined;
        pos += 4 + readUint32(data, pos, true);
      } else {
        pos = aligned(pos, field.align) + field.size;
      }
    }
    pos = aligned(pos, 4);
    return pos + 4 > data.byteLength ? undefined : readUint32(data, pos, true);
  };
}

function attempt<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch {
    return undefined;
  }
}
