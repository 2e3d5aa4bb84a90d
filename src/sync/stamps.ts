/**
 * The stamps document: the exchange format of `drivetrain sync --stamps` and of the peer
 * harnesses. `{"streams":[{"name":"cam","messages":[{"stamp":"…","logTime":"…"},…]},…]}`
 * with integer nanoseconds as decimal strings; sets come back as
 * `{"sets":[["<stamp of stream 0>",…],…]}` with `null` for a stream missing from a set.
 */
import { InvalidInput } from '../platform/errors.js';
import { parseNanoseconds, type Nanoseconds } from './time.js';

/** One message of a stamps document. */
export interface StampedMessage {
  /** When the sensor acquired it (header stamp). */
  readonly stamp: Nanoseconds;
  /** When the recorder received it; decides the arrival order. */
  readonly logTime: Nanoseconds;
}

/** One named stream of a stamps document. */
export interface StampStream {
  readonly name: string;
  readonly messages: readonly StampedMessage[];
}

/** A set: one stamp per stream, in stream order; null where a stream has no message in it. */
export type StampSet = readonly (Nanoseconds | null)[];

/**
 * Validates a parsed stamps document. Every problem names its place
 * (`streams[1].messages[7].logTime`) and what was expected.
 */
export function parseStampsDocument(value: unknown): StampStream[] {
  if (!isObject(value)) {
    throw new InvalidInput('stamps document: expected an object with a "streams" array', '');
  }
  const streams = value.streams;
  if (!Array.isArray(streams)) {
    throw new InvalidInput('stamps document: "streams" must be an array of streams', 'streams');
  }
  const names = new Set<string>();
  return streams.map((stream: unknown, s): StampStream => {
    const at = `streams[${s}]`;
    if (!isObject(stream)) throw new InvalidInput(`${at}: expected an object`, at);
    const name = stream.name;
    if (typeof name !== 'string' || name === '') {
      throw new InvalidInput(`${at}.name: expected a non-empty string`, `${at}.name`);
    }
    if (/[=,]/.test(name)) {
      throw new InvalidInput(
        `${at}.name: "${name}" contains '=' or ',', which options like --tolerance-ms NAME=X,… cannot address`,
        `${at}.name`,
      );
    }
    if (names.has(name)) {
      throw new InvalidInput(`${at}.name: "${name}" is used by another stream`, `${at}.name`);
    }
    names.add(name);
    const messages = stream.messages;
    if (!Array.isArray(messages)) {
      throw new InvalidInput(`${at}.messages: expected an array`, `${at}.messages`);
    }
    return {
      name,
      messages: messages.map((message: unknown, m): StampedMessage => {
        const here = `${at}.messages[${m}]`;
        if (!isObject(message)) throw new InvalidInput(`${here}: expected an object`, here);
        return {
          stamp: parseNanoseconds(message.stamp, `${here}.stamp`),
          logTime: parseNanoseconds(message.logTime, `${here}.logTime`),
        };
      }),
    };
  });
}

/** Serialises sets as the CLI prints them. */
export function formatSets(sets: readonly StampSet[]): { sets: (string | null)[][] } {
  return {
    sets: sets.map((set) => set.map((stamp) => (stamp === null ? null : stamp.toString()))),
  };
}

/** Serialises streams as a stamps document (for the peers and for tests). */
export function formatStampsDocument(streams: readonly StampStream[]): string {
  return JSON.stringify({
    streams: streams.map((stream) => ({
      name: stream.name,
      messages: stream.messages.map((m) => ({
        stamp: m.stamp.toString(),
        logTime: m.logTime.toString(),
      })),
    })),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
