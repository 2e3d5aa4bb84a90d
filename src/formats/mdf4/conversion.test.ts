import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Unsupported } from '../../platform/errors.js';
import type { ConversionSpec } from './conversion.js';
import { compileConversion } from './conversion.js';
import { compileFormula } from './formula.js';

const spec = (
  type: number,
  values: number[] = [],
  refs: ConversionSpec['refs'] = [],
): ConversionSpec => ({
  type,
  flags: 0,
  values,
  refs,
});

describe('MDF 4 conversions', () => {
  it('evaluates linear and rational conversions', () => {
    expect(compileConversion(spec(1, [-40, 0.5]), true)(100)).toBe(10);
    expect(compileConversion(spec(1, [0, 1]), true)(2n ** 60n)).toBe(2n ** 60n);
    expect(compileConversion(spec(2, [1, 0, 0, 0, 0, 1]), true)(3)).toBe(9);
    expect(compileConversion(spec(2, [0, 2, 1, 0, 1, 0]), true)(4)).toBe(9 / 4);
  });

  it('looks up tables with and without interpolation', () => {
    const table = [0, 0, 10, 100, 20, 400];
    const interpolated = compileConversion(spec(4, table), true);
    expect([-5, 0, 5, 15, 20, 25].map((x) => interpolated(x))).toEqual([0, 0, 50, 250, 400, 400]);
    const nearest = compileConversion(spec(5, table), true);
    expect([4, 5, 6, 14, 16].map((x) => nearest(x))).toEqual([0, 0, 100, 100, 400]);
  });

  it('uses inclusive upper bounds for integer ranges and exclusive ones for floats', () => {
    const ranges = spec(6, [0, 10, 1, 10, 20, 2, -1]);
    expect([0, 10, 15, 20, 21].map((x) => compileConversion(ranges, true)(x))).toEqual([
      1, 1, 2, 2, -1,
    ]);
    expect([0, 9.5, 10, 19.99, 20].map((x) => compileConversion(ranges, false)(x))).toEqual([
      1, 1, 2, 2, -1,
    ]);
    const texts = spec(8, [0, 1, 2, 3], ['low', spec(1, [100, 1]), 'default']);
    expect([0, 1, 2, 3, 4].map((x) => compileConversion(texts, true)(x))).toEqual([
      'low',
      'low',
      102,
      103,
      'default',
    ]);
  });

  it('maps values to texts, texts to values and texts to texts', () => {
    const valueToText = compileConversion(spec(7, [1, 2], ['one', null, 'other']), true);
    expect([1, 2, 3].map((x) => valueToText(x))).toEqual(['one', 2, 'other']);
    const textToValue = compileConversion(spec(9, [1, 2, -1], ['on', 'off']), false);
    expect(['on', 'off', 'maybe'].map((x) => textToValue(x))).toEqual([1, 2, -1]);
    const textToText = compileConversion(spec(10, [], ['a', 'A', 'b', null, null]), false);
    expect(['a', 'b', 'c'].map((x) => textToText(x))).toEqual(['A', 'b', 'c']);
  });

  it('joins bitfield texts', () => {
    const flags = compileConversion(
      spec(
        11,
        [1, 6],
        [spec(7, [1], ['ready', null]), spec(7, [2, 4, 6], ['slow', 'fast', 'both', ''])],
      ),
      true,
    );
    expect([0, 1, 2, 5, 7].map((x) => flags(x))).toEqual([
      '',
      'ready',
      'slow',
      'ready|fast',
      'ready|both',
    ]);
  });

  it('compiles formulas and reports the ones it cannot read', () => {
    expect(compileConversion(spec(3, [], ['X^2 - 3*X + sin(0)']), true)(4)).toBe(4);
    expect(compileConversion(spec(3, [], ['(X1 + 1) / 2']), true)(5)).toBe(3);
    expect(() => compileConversion(spec(3, [], ['X +* 2']), true)).toThrow(Unsupported);
    expect(() => compileConversion(spec(3, [], ['frobnicate(X)']), true)).toThrow(/unknown name/);
    expect(() => compileConversion(spec(42), true)).toThrow(Unsupported);
  });

  it('never throws on arbitrary formula text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const compiled = compileFormula(text);
        if (typeof compiled === 'function') expect(typeof compiled(1.5)).toBe('number');
        else expect(compiled.error.length).toBeGreaterThan(0);
      }),
    );
    const deep = '('.repeat(500) + 'X' + ')'.repeat(500);
    const result = compileFormula(deep);
    expect(typeof result === 'function' ? '' : result.error).toMatch(/nesting too deep/);
  });
});
