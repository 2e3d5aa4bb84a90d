import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deltaSeriesPlotData,
  droppedShare,
  formatClockOffset,
  formatNanoseconds,
  formatPercent,
  formatPpm,
  histogramPlotData,
  stampSourceOf,
} from './sync.js';

describe('formatNanoseconds', () => {
  it('picks the unit by magnitude and keeps three significant digits and the sign', () => {
    expect(formatNanoseconds(0)).toBe('0 ns');
    expect(formatNanoseconds(850)).toBe('850 ns');
    expect(formatNanoseconds(918_400)).toBe('918 µs');
    expect(formatNanoseconds(-9_175_039)).toBe('-9.18 ms');
    expect(formatNanoseconds(24_248_319)).toBe('24.2 ms');
    expect(formatNanoseconds(1_240_000_000)).toBe('1.24 s');
    expect(formatNanoseconds(Number.NaN)).toBe('—');
  });

  it('writes offsets of clocks on time since boot in whole seconds', () => {
    expect(formatClockOffset('-1728719611147671000')).toBe('-1,728,719,611 s');
    expect(formatClockOffset('-4220036')).toBe('-4.22 ms');
  });
});

describe('small formats', () => {
  it('formats drift and fractions', () => {
    expect(formatPpm(-5.5431)).toBe('-5.54 ppm');
    expect(formatPpm(18.91)).toBe('18.9 ppm');
    expect(formatPercent(0.9958333)).toBe('99.6 %');
    expect(formatPercent(1)).toBe('100.0 %');
  });

  it('says where stamps came from', () => {
    expect(stampSourceOf({ stampSource: { header: 712, logTime: 0 } }).label).toBe('header');
    expect(stampSourceOf({ stampSource: { header: 0, logTime: 40 } }).label).toBe('log time');
    const mixed = stampSourceOf({ stampSource: { header: 1200, logTime: 3 } });
    expect(mixed.label).toBe('mixed');
    expect(mixed.detail).toContain('1,200 messages on their header stamp, 3 on log time');
  });

  it('relates dropped messages to those the nominal rate implies', () => {
    const rate = {
      nominalPeriodNs: 1e8,
      nominalRateHz: 10,
      dropped: 8,
      gaps: 8,
      gapTimeNs: 8e8,
      duplicateStamps: 0,
      backwardStamps: 0,
    };
    expect(droppedShare({ messages: 792, rate })).toBeCloseTo(0.01, 10);
    expect(droppedShare({ messages: 0, rate: { ...rate, dropped: 0 } })).toBe(0);
  });
});

/** 80 bins over ±4 tolerances, as the sync report makes them. */
function histogramOf(toleranceNs: number, deltas: readonly number[]) {
  const binNs = (8 * toleranceNs) / 80;
  const startNs = -40 * binNs;
  const counts = Array.from({ length: 80 }, () => 0);
  let below = 0;
  let above = 0;
  for (const delta of deltas) {
    const k = Math.floor((delta - startNs) / binNs);
    if (k < 0) below++;
    else if (k >= 80) above++;
    else counts[k] = (counts[k] ?? 0) + 1;
  }
  return { startNs, binNs, counts, below, above };
}

describe('histogramPlotData', () => {
  it('shows the tolerance and one bin either side when the deltas are all close', () => {
    const data = histogramPlotData(histogramOf(50e6, [-9e6, -8.5e6, -8e6, 3e6]), 50e6);
    expect(data).toBeDefined();
    if (data === undefined) return;
    expect(data.from).toBe(-55);
    expect(data.to).toBe(55);
    expect(data.binMs).toBe(5);
    expect(data.centres).toHaveLength(22);
    expect(data.centres[0]).toBe(-52.5);
    expect(data.counts.reduce((a, b) => a + b, 0)).toBe(4);
    // -9 ms, -8.5 ms and -8 ms fall in [-10, -5): the bin centred on -7.5 ms.
    expect(data.counts[data.centres.indexOf(-7.5)]).toBe(3);
    expect(data.counts[data.centres.indexOf(2.5)]).toBe(1);
    expect(data.outside).toBe(0);
  });

  it('widens to the farthest filled bin and counts what is beyond the range', () => {
    const data = histogramPlotData(histogramOf(50e6, [120e6, -3e6, 900e6]), 50e6);
    expect(data?.from).toBe(-130);
    expect(data?.to).toBe(130);
    expect(data?.outside).toBe(1);
  });

  it('keeps every delta inside the range and is symmetric, for any deltas', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }).map((ms) => ms * 1e6),
        fc.array(
          fc.integer({ min: -500, max: 500 }).map((ms) => ms * 1e6 + 1),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        (tolerance, deltas) => {
          const histogram = histogramOf(tolerance, deltas);
          const data = histogramPlotData(histogram, tolerance);
          expect(data).toBeDefined();
          if (data === undefined) return;
          const shown = data.counts.reduce((a, b) => a + b, 0);
          expect(shown + data.outside).toBe(deltas.length);
          expect(data.outside).toBe(histogram.below + histogram.above);
          expect(data.from).toBeCloseTo(-data.to, 6);
          expect(data.to).toBeGreaterThanOrEqual(tolerance / 1e6);
        },
      ),
    );
  });

  it('has nothing to plot without deltas', () => {
    expect(histogramPlotData(histogramOf(50e6, []), 50e6)).toBeUndefined();
  });
});

describe('deltaSeriesPlotData', () => {
  const bucket = (t: number, mean: number) => ({
    t,
    n: 10,
    min: mean - 1e6,
    max: mean + 1e6,
    mean,
  });

  it('places buckets at their centres in seconds from the recording start, in ms', () => {
    const data = deltaSeriesPlotData(
      { bucketNs: 1e9, buckets: [bucket(0, -8e6), bucket(1e9, -9e6)] },
      '1728719611023492000',
      '2024-10-12T07:53:31.000Z',
    );
    expect(data?.times[0]).toBeCloseTo(0.023492 + 0.5, 9);
    expect(data?.times[1]).toBeCloseTo(1.523492, 9);
    expect(data?.mean).toEqual([-8, -9]);
    expect(data?.min).toEqual([-9, -10]);
    expect(data?.max).toEqual([-7, -8]);
  });

  it('breaks the line where buckets are missing', () => {
    const data = deltaSeriesPlotData(
      { bucketNs: 1e9, buckets: [bucket(0, 1e6), bucket(1e9, 2e6), bucket(4e9, 3e6)] },
      '1000000000',
      null,
    );
    expect(data?.times).toEqual([0.5, 1.5, 2.5, 4.5]);
    expect(data?.mean).toEqual([1, 2, null, 3]);
    expect(data?.min).toEqual([0, 1, null, 2]);
  });

  it('has nothing to plot without buckets', () => {
    expect(deltaSeriesPlotData({ bucketNs: 1e9, buckets: [] }, '0', null)).toBeUndefined();
  });
});
