import { describe, expect, it } from 'vitest';
import type { CoverageRow } from '../../api/index.js';
import {
  coverageBars,
  formatCoverageChange,
  formatCoverageValue,
  niceCeiling,
  requirementStatus,
  splitSummary,
} from './coverage.js';

const row = (over: Partial<CoverageRow>): CoverageRow => ({
  requirement: 'R1',
  attribute: 'night',
  unit: 'percent',
  target: 10,
  actual: 12.5,
  pass: true,
  ...over,
});

describe('coverage shaping', () => {
  it('puts a percentage on a 0 to 100 % scale with the target marked', () => {
    const [bar] = coverageBars([row({})]);
    expect(bar).toMatchObject({ scaleMax: 100, actualFraction: 0.125, targetFraction: 0.1 });
    expect(bar?.summary).toBe('night: 12.5 %, target at least 10 %, passes');
  });

  it('scales a sample count to a round number above both count and target', () => {
    const [short, over] = coverageBars([
      row({ attribute: 'country:XX', unit: 'samples', target: 1, actual: 0, pass: false }),
      row({ attribute: 'country:DE', unit: 'samples', target: 1, actual: 340, pass: true }),
    ]);
    expect(short).toMatchObject({ scaleMax: 2, actualFraction: 0, targetFraction: 0.5 });
    expect(short?.summary).toBe('country:XX: 0 samples, target at least 1 sample, fails');
    expect(over?.scaleMax).toBe(500);
    expect(over?.actualFraction).toBeCloseTo(0.68);
    expect(over?.targetFraction).toBeGreaterThan(0);
  });

  it('keeps fractions inside the bar', () => {
    const [bar] = coverageBars([row({ actual: 140 })]);
    expect(bar?.actualFraction).toBe(1);
  });

  it('gives every bar a distinct key, even for one attribute in two units', () => {
    const bars = coverageBars([row({}), row({ unit: 'samples', target: 5, actual: 9 })]);
    expect(new Set(bars.map((b) => b.key)).size).toBe(2);
  });

  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 1.1, 3, 7, 10, 11, 260, 5000].map(niceCeiling)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 500, 5000,
    ]);
  });

  it('says whether all requirements pass and names the attributes that fail', () => {
    expect(requirementStatus({ coverage: [] })).toMatchObject({
      met: true,
      text: 'no requirements',
    });
    expect(requirementStatus({ coverage: [row({}), row({ attribute: 'day' })] })).toMatchObject({
      met: true,
      text: 'all 2 met',
    });
    const failing = requirementStatus({
      coverage: [
        row({}),
        row({ attribute: 'country:XX', unit: 'samples', pass: false }),
        row({ attribute: 'rain', pass: false }),
      ],
    });
    expect(failing).toEqual({ met: false, text: '2 of 3 fail', failing: ['country:XX', 'rain'] });
  });

  it('writes values, split sizes and changes plainly', () => {
    expect(formatCoverageValue(33.333, 'percent')).toBe('33.33 %');
    expect(formatCoverageValue(1234, 'samples')).toBe('1,234 samples');
    expect(splitSummary({ train: 1200, val: 40, test: 0 })).toBe('train 1,200 · val 40 · test 0');
    expect(splitSummary({})).toBe('—');
    const change = { attribute: 'night', unit: 'percent' as const };
    expect(formatCoverageChange({ ...change, before: 10, after: 12.5, delta: 2.5 })).toBe('+2.5 %');
    expect(formatCoverageChange({ ...change, before: 10, after: 7, delta: -3 })).toBe('−3 %');
    expect(formatCoverageChange({ ...change, before: 10, after: 10, delta: 0 })).toBe('no change');
    expect(formatCoverageChange({ ...change, before: null, after: 5, delta: null })).toBe(
      'not required before',
    );
  });
});
