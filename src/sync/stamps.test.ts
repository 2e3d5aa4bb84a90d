/**
 * Bad and unusual input: every problem is a clear InvalidInput naming its place, and every
 * unusual but valid input has documented behaviour. Never a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DrivetrainError, InvalidInput } from '../platform/errors.js';
import { feedOrder, synchronizeStamps } from './run.js';
import { parseStampsDocument, type StampStream } from './stamps.js';
import type { PolicySpec } from './policy.js';

const base = 1_700_000_000_000_000_000n;
const ms = 1_000_000n;

function stream(name: string, stamps: readonly bigint[], logs?: readonly bigint[]): StampStream {
  return {
    name,
    messages: stamps.map((stamp, i) => ({
      stamp: base + stamp,
      logTime: base + (logs?.[i] ?? stamp),
    })),
  };
}

function document(streams: unknown): unknown {
  return { streams };
}

const allPolicies: PolicySpec[] = [
  { policy: 'approximate', queueSize: 5 },
  { policy: 'slop', queueSize: 5, slop: 20n * ms },
  { policy: 'reference', reference: 'a', keepIncomplete: true },
];

describe('parseStampsDocument', () => {
  it('reads a document', () => {
    const streams = parseStampsDocument(
      document([
        {
          name: 'cam',
          messages: [{ stamp: '1700000000000000001', logTime: '1700000000000000009' }],
        },
      ]),
    );
    expect(streams).toEqual([
      {
        name: 'cam',
        messages: [{ stamp: 1_700_000_000_000_000_001n, logTime: 1_700_000_000_000_000_009n }],
      },
    ]);
  });

  it.each([
    [null, /expected an object with a "streams" array/],
    [{}, /"streams" must be an array/],
    [document([5]), /streams\[0\]: expected an object/],
    [document([{ messages: [] }]), /streams\[0\]\.name: expected a non-empty string/],
    [document([{ name: 'a=b', messages: [] }]), /streams\[0\]\.name: .* contains '=' or ','/],
    [
      document([
        { name: 'a', messages: [] },
        { name: 'a', messages: [] },
      ]),
      /streams\[1\]\.name: "a" is used by another stream/,
    ],
    [document([{ name: 'a' }]), /streams\[0\]\.messages: expected an array/],
    [
      document([{ name: 'a', messages: [{ stamp: '1' }] }]),
      /streams\[0\]\.messages\[0\]\.logTime: .*missing/,
    ],
    [
      document([{ name: 'a', messages: [{ logTime: '1' }] }]),
      /streams\[0\]\.messages\[0\]\.stamp: .*missing/,
    ],
    [
      document([{ name: 'a', messages: [{ stamp: 1, logTime: '1' }] }]),
      /messages\[0\]\.stamp: .*use a string/,
    ],
    [document([{ name: 'a', messages: [{ stamp: '-1', logTime: '1' }] }]), /before 1970/],
    [
      document([{ name: 'a', messages: [{ stamp: '99999999999999999999', logTime: '1' }] }]),
      /after 2106/,
    ],
  ])('rejects %j with a message naming the place', (value, message) => {
    expect(() => parseStampsDocument(value)).toThrow(InvalidInput);
    expect(() => parseStampsDocument(value)).toThrow(message);
  });

  it('never throws anything but InvalidInput on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseStampsDocument(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInput);
        }
      }),
    );
  });
});

describe('unusual input', () => {
  it.each(allPolicies)('$policy: empty streams give no sets', (spec) => {
    expect(synchronizeStamps([stream('a', []), stream('b', [])], spec)).toEqual([]);
    expect(synchronizeStamps([stream('a', [1n]), stream('b', [])], { ...spec })).toEqual(
      spec.policy === 'reference' ? [[base + 1n, null]] : [],
    );
  });

  it('a stream with one message can still form a set', () => {
    const streams = [stream('a', [0n, 100n * ms, 200n * ms]), stream('b', [101n * ms])];
    expect(synchronizeStamps(streams, { policy: 'slop', queueSize: 5, slop: 5n * ms })).toEqual([
      [base + 100n * ms, base + 101n * ms],
    ]);
    expect(synchronizeStamps(streams, { policy: 'reference', reference: 'b' })).toEqual([
      [base + 100n * ms, base + 101n * ms],
    ]);
  });

  it('feeds messages in log-time order whatever their order in the file', () => {
    const sorted = [
      stream(
        'a',
        [0n, 10n, 20n].map((x) => x * ms),
      ),
      stream(
        'b',
        [1n, 11n, 21n].map((x) => x * ms),
      ),
    ];
    const shuffled = sorted.map((s) => ({ ...s, messages: [...s.messages].reverse() }));
    for (const spec of allPolicies) {
      expect(synchronizeStamps(shuffled, spec)).toEqual(synchronizeStamps(sorted, spec));
    }
  });

  it('orders equal log times by stream, then by message', () => {
    const order = feedOrder([Float64Array.of(5, 5, 1), Float64Array.of(5, 0)]);
    expect(Array.from(order.streams)).toEqual([1, 0, 0, 0, 1]);
    expect(Array.from(order.messages)).toEqual([1, 2, 0, 1, 0]);
  });

  it('handles duplicate stamps: the slop policy keeps the latest message under a stamp, like Python', () => {
    const streams = [
      stream('a', [10n * ms, 10n * ms], [10n * ms, 11n * ms]),
      stream('b', [10n * ms], [12n * ms]),
    ];
    expect(synchronizeStamps(streams, { policy: 'slop', queueSize: 5, slop: 1n * ms })).toEqual([
      [base + 10n * ms, base + 10n * ms],
    ]);
    expect(
      synchronizeStamps(streams, { policy: 'approximate', queueSize: 5 }).length,
    ).toBeLessThanOrEqual(1);
  });

  it('accepts stamps from 1970 up to 2106, with clear errors beyond a 52-day span', () => {
    const early = [
      {
        name: 'a',
        messages: [
          { stamp: 0n, logTime: 0n },
          { stamp: 5n, logTime: 5n },
        ],
      },
      {
        name: 'b',
        messages: [
          { stamp: 1n, logTime: 1n },
          { stamp: 6n, logTime: 6n },
        ],
      },
    ];
    expect(synchronizeStamps(early, { policy: 'slop', queueSize: 5, slop: 2n })).toEqual([
      [0n, 1n],
      [5n, 6n],
    ]);
    const far = [
      stream('a', [0n]),
      { name: 'b', messages: [{ stamp: 4_000_000_000_000_000_000n, logTime: base }] },
    ];
    expect(() => synchronizeStamps(far, { policy: 'approximate', queueSize: 5 })).toThrow(
      /streams\[1\]\.messages\[0\]\.stamp: .*days from the first time of this run/,
    );
  });

  it('rejects bad parameters with InvalidInput', () => {
    const streams = [stream('a', [0n]), stream('b', [0n])];
    const bad: PolicySpec[] = [
      { policy: 'approximate', queueSize: 0 },
      { policy: 'approximate', queueSize: 5, agePenalty: -1 },
      { policy: 'approximate', queueSize: 5, maxInterval: -1n },
      { policy: 'approximate', queueSize: 5, lowerBounds: { nope: 1n } },
      { policy: 'slop', queueSize: 5, slop: -1n },
      { policy: 'reference', reference: 'nope' },
      { policy: 'reference', reference: 'a', tolerances: { b: -1n } },
      { policy: 'reference', reference: 'a', interpolate: ['a'] },
    ];
    for (const spec of bad) expect(() => synchronizeStamps(streams, spec)).toThrow(InvalidInput);
    expect(() =>
      synchronizeStamps([stream('a', [0n])], { policy: 'approximate', queueSize: 5 }),
    ).toThrow(/at least 2 streams/);
  });

  it('never crashes on generated messy input: sets or an InvalidInput', () => {
    const messy = fc.array(
      fc.record({
        name: fc.constantFrom('a', 'b', 'c'),
        messages: fc.array(
          fc.record({
            stamp: fc.bigInt({ min: 0n, max: 200n * ms }).map((x) => base + x),
            logTime: fc.bigInt({ min: 0n, max: 200n * ms }).map((x) => base + x),
          }),
          { maxLength: 30 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    );
    fc.assert(
      fc.property(messy, fc.constantFrom(...allPolicies), (streams, spec) => {
        const unique = streams.filter((s, i) => streams.findIndex((t) => t.name === s.name) === i);
        try {
          const sets = synchronizeStamps(unique, spec);
          for (const set of sets) expect(set).toHaveLength(unique.length);
        } catch (error) {
          expect(error).toBeInstanceOf(DrivetrainError);
        }
      }),
    );
  });
});
