import {
  createMessageDecoder,
  decodeCanFrame,
  CAN_MESSAGE_ENCODING,
  type ChannelInfo,
  type DbcDecoder,
  type DecodedSignal,
  type FrameLike,
  type RecordedMessage,
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
    const decode =
      channel.messageEncoding === CAN_MESSAGE_ENCODING
        ? (data: Uint8Array): FrameLike | undefined => decodeCanFrame(data)
        : (() => {
            const decoder = safeDecoder(channel, file);
            return decoder === undefined
              ? undefined
              : (data: Uint8Array) => rosCanFrame(decoder(data));
          })();
    if (decode === undefined) return undefined;
    let lat: number | undefined;
    let lon: number | undefined;
    return (message) => {
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
      const fix = record(attempt(() => decoder(message.data)));
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
    const decoded = record(attempt(() => decoder(message.data)));
    const twist = record(record(decoded?.twist)?.twist) ?? record(decoded?.twist);
    const speed = vectorNorm(twist?.linear);
    if (speed !== undefined) sink.speed(timeMs(message), speed * 3.6);
  };
}

function safeDecoder(
  channel: ChannelInfo,
  file: string,
): ((data: Uint8Array) => unknown) | undefined {
  try {
    const decoder = createMessageDecoder(channel, { file });
    return (data) => decoder.decode(data);
  } catch {
    return undefined;
  }
}

function attempt<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch {
    return undefined;
  }
}
