/**
 * Time representation of the sync context.
 *
 * At the API edge times are bigint nanoseconds since the Unix epoch. On the hot path they are
 * plain numbers: nanoseconds relative to a per-run base (the first stamp seen). A double holds
 * every integer up to 2^53 exactly, so as long as every time of a run lies within ±2^52 ns
 * (about 52 days) of the base, every time and every difference of two times is exact, and the
 * policies compare and subtract them exactly. `TimeBase` enforces that bound (ADR 040).
 */
import { InvalidInput } from '../platform/errors.js';

export type Nanoseconds = bigint;

/** Largest offset from the base a run may hold: every difference of two offsets stays exact. */
export const MAX_OFFSET = 2 ** 52;

/** ROS 1 times are unsigned 32-bit seconds: the peer policies cannot represent later stamps. */
export const ROS_TIME_LIMIT: Nanoseconds = 2n ** 32n * 1_000_000_000n;

/** Largest ROS 1 duration (ros::DURATION_MAX): 2^31 - 1 seconds and 999,999,999 ns. */
export const ROS_DURATION_MAX: Nanoseconds = (2n ** 31n - 1n) * 1_000_000_000n + 999_999_999n;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a stamp given as a decimal string of nanoseconds since 1970 (as MCAP and ROS store
 * it). Rejects anything else, times before 1970 and times past the ROS 1 range (2106).
 */
export function parseNanoseconds(value: unknown, field: string): Nanoseconds {
  if (typeof value !== 'string') {
    throw new InvalidInput(
      `${field}: expected integer nanoseconds as a decimal string, got ${describe(value)}`,
      field,
    );
  }
  if (value.startsWith('-') && DECIMAL.test(value.slice(1))) {
    throw new InvalidInput(`${field}: ${value} is before 1970 (negative nanoseconds)`, field);
  }
  if (!DECIMAL.test(value)) {
    throw new InvalidInput(
      `${field}: expected integer nanoseconds as a decimal string, got ${JSON.stringify(value)}`,
      field,
    );
  }
  const ns = BigInt(value);
  if (ns >= ROS_TIME_LIMIT) {
    throw new InvalidInput(
      `${field}: ${value} is after 2106-02-07 (2^32 s), beyond the range of ROS 1 time`,
      field,
    );
  }
  return ns;
}

/**
 * Parses a duration given in milliseconds as a decimal number ("33.3", "50") into exact
 * integer nanoseconds, without a detour through binary floating point.
 */
export function parseMilliseconds(text: string, field: string): Nanoseconds {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (match === null) {
    throw new InvalidInput(
      `${field}: expected a non-negative number of milliseconds with at most 6 decimals (whole nanoseconds), got ${JSON.stringify(text)}`,
      field,
    );
  }
  const whole = BigInt(match[1] ?? '0');
  const fraction = BigInt((match[2] ?? '').padEnd(6, '0'));
  return whole * 1_000_000n + fraction;
}

/** Formats bigint nanoseconds as milliseconds with up to 6 decimals, for messages. */
export function formatMilliseconds(ns: Nanoseconds): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  const whole = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * The base of a run: converts bigint times to exact number offsets and back. The first time
 * it sees becomes the base unless one is given.
 */
export class TimeBase {
  private baseNs: Nanoseconds | undefined;

  constructor(base?: Nanoseconds) {
    this.baseNs = base;
  }

  /** The base in nanoseconds since 1970 (the first time seen), if any. */
  get base(): Nanoseconds | undefined {
    return this.baseNs;
  }

  /** Offset of `ns` from the base as an exact number; throws when it is too far away. */
  offset(ns: Nanoseconds, field: string): number {
    if (this.baseNs === undefined) this.baseNs = ns;
    const delta = ns - this.baseNs;
    if (delta > BigInt(MAX_OFFSET) || delta < -BigInt(MAX_OFFSET)) {
      const days = Number(delta) / 86_400e9;
      throw new InvalidInput(
        `${field}: ${ns} lies ${days.toFixed(1)} days from the first time of this run (${this.baseNs}); a sync run spans at most 52 days (2^52 ns), so one of them is not a real time`,
        field,
      );
    }
    return Number(delta);
  }

  /** Back from an offset to nanoseconds since 1970. */
  absolute(offset: number): Nanoseconds {
    if (this.baseNs === undefined) throw new Error('TimeBase.absolute called before any offset');
    return this.baseNs + BigInt(offset);
  }
}

/**
 * Emulates ROS 1's `ros::Duration(ns) * factor >= ros::Duration(other)`, including its
 * detour through double seconds and its rounding (rostime impl/duration.h: `toSec()`, then
 * `fromSec()` with floor and round-half-away-from-zero), so that the `approximate` policy
 * takes exactly the decisions of the C++ peer. Inputs are exact integer nanoseconds.
 */
export function rosScaledDurationAtLeast(ns: number, factor: number, other: number): boolean {
  let sec = Math.floor(ns / 1e9);
  let nsec = ns - sec * 1e9;
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  } else if (nsec >= 1e9) {
    sec += 1;
    nsec -= 1e9;
  }
  const seconds = (sec + 1e-9 * nsec) * factor;
  let scaledSec = Math.floor(seconds);
  if (scaledSec < -2147483648 || scaledSec > 2147483647) {
    throw new InvalidInput(
      `age penalty ${factor - 1} scales an interval of ${ns} ns beyond the ±68 years a ROS 1 duration holds`,
      'agePenalty',
    );
  }
  // (seconds - scaledSec) * 1e9 lies in [0, 1e9]: Math.round equals boost::math::round there.
  let scaledNsec = Math.round((seconds - scaledSec) * 1e9);
  if (scaledNsec >= 1e9) {
    scaledSec += 1;
    scaledNsec -= 1e9;
  }
  let otherSec = Math.floor(other / 1e9);
  let otherNsec = other - otherSec * 1e9;
  if (otherNsec < 0) {
    otherSec -= 1;
    otherNsec += 1e9;
  } else if (otherNsec >= 1e9) {
    otherSec += 1;
    otherNsec -= 1e9;
  }
  return scaledSec > otherSec || (scaledSec === otherSec && scaledNsec >= otherNsec);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'number')
    return `the JSON number ${value} (use a string: numbers lose precision past 2^53)`;
  return typeof value;
}
