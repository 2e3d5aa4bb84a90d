import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../platform/errors.js';
import {
  MAX_OFFSET,
  ROS_TIME_LIMIT,
  TimeBase,
  formatMilliseconds,
  parseMilliseconds,
  parseNanoseconds,
  rosScaledDurationAtLeast,
} from './time.js';

describe('parseNanoseconds', () => {
  it('reads decimal strings exactly, beyond 2^53', () => {
    expect(parseNanoseconds('1700000000123456789', 'x')).toBe(1_700_000_000_123_456_789n);
    expect(parseNanoseconds('0', 'x')).toBe(0n);
  });

  it.each([
    [1700000000, 'use a string'],
    [undefined, 'the field is missing'],
    [null, 'got null'],
    ['12.5', 'decimal string'],
    ['0x10', 'decimal string'],
    ['', 'decimal string'],
    ['007', 'decimal string'],
    ['-5', 'before 1970'],
    [(ROS_TIME_LIMIT + 1n).toString(), 'after 2106'],
  ])('rejects %j naming the field (%s)', (value, message) => {
    const call = () => parseNanoseconds(value, 'streams[0].messages[3].stamp');
    expect(call).toThrow(InvalidInput);
    expect(call).toThrow(message);
    expect(call).toThrow('streams[0].messages[3].stamp');
  });
});

describe('parseMilliseconds', () => {
  it('converts decimal milliseconds to whole nanoseconds without rounding', () => {
    expect(parseMilliseconds('33.333333', 'x')).toBe(33_333_333n);
    expect(parseMilliseconds('0.3', 'x')).toBe(300_000n);
    expect(parseMilliseconds('50', 'x')).toBe(50_000_000n);
    expect(parseMilliseconds('0.000001', 'x')).toBe(1n);
  });

  it('rejects sub-nanosecond precision, signs and junk', () => {
    for (const text of ['0.0000001', '-1', '1e3', 'abc', '']) {
      expect(() => parseMilliseconds(text, 'slop-ms')).toThrow(InvalidInput);
    }
  });

  it('round-trips through formatMilliseconds', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (ns) => {
        expect(parseMilliseconds(formatMilliseconds(ns), 'x')).toBe(ns);
      }),
    );
  });
});

describe('TimeBase', () => {
  it('keeps offsets and their differences exact for stamps within 52 days of the base', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: ROS_TIME_LIMIT - BigInt(MAX_OFFSET) - 1n }),
        fc.array(fc.bigInt({ min: -BigInt(MAX_OFFSET), max: BigInt(MAX_OFFSET) }), {
          minLength: 2,
          maxLength: 20,
        }),
        (base, deltas) => {
          const timeBase = new TimeBase(base);
          const stamps = deltas.map((d) => base + d);
          const offsets = stamps.map((s) => timeBase.offset(s, 'stamp'));
          for (let i = 0; i < stamps.length; i++) {
            expect(timeBase.absolute(offsets[i]!)).toBe(stamps[i]);
            for (let j = 0; j < stamps.length; j++) {
              // The difference of two offsets as a number equals the exact bigint difference.
              expect(BigInt(offsets[i]! - offsets[j]!)).toBe(stamps[i]! - stamps[j]!);
              expect(offsets[i]! < offsets[j]!).toBe(stamps[i]! < stamps[j]!);
            }
          }
        },
      ),
    );
  });

  it('takes the first time it sees as base', () => {
    const base = new TimeBase();
    expect(base.offset(1_700_000_000_000_000_123n, 'a')).toBe(0);
    expect(base.offset(1_700_000_000_000_000_100n, 'b')).toBe(-23);
    expect(base.base).toBe(1_700_000_000_000_000_123n);
  });

  it('rejects a time more than 52 days away, naming it', () => {
    const base = new TimeBase(1_700_000_000_000_000_000n);
    expect(() =>
      base.offset(
        1_700_000_000_000_000_000n + 5_000_000_000_000_000n,
        'streams[1].messages[0].stamp',
      ),
    ).toThrow(/streams\[1\]\.messages\[0\]\.stamp: .* days from the first time/);
    expect(() => base.offset(0n, 'x')).toThrow(InvalidInput);
  });
});

describe('rosScaledDurationAtLeast', () => {
  it('compares exactly when the detour through double seconds loses nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
        fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
        (a, b) => {
          expect(rosScaledDurationAtLeast(a, 1, b)).toBe(a >= b);
        },
      ),
    );
  });

  it('is monotonic in the compared duration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
        fc.integer({ min: 0, max: 1000 }),
        (a, factor, b, step) => {
          if (rosScaledDurationAtLeast(a, factor, b)) {
            expect(rosScaledDurationAtLeast(a, factor, b - step)).toBe(true);
          }
        },
      ),
    );
  });

  it('rounds like ROS: 0.1 s × 1.1 is 110000000 ns, and 1 ns below that is exceeded', () => {
    expect(rosScaledDurationAtLeast(100_000_000, 1.1, 110_000_000)).toBe(true);
    expect(rosScaledDurationAtLeast(100_000_000, 1.1, 110_000_001)).toBe(false);
  });

  it('throws where ROS would leave the 32-bit duration range', () => {
    expect(() => rosScaledDurationAtLeast(2 ** 52, 1000, 0)).toThrow(InvalidInput);
  });
});
