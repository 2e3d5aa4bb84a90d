import { describe, expect, it } from 'vitest';
import { alignLines } from './plot-data.js';

describe('alignLines', () => {
  it('puts every line on the union of x values, with gaps where a line has no value', () => {
    expect(
      alignLines([
        {
          label: 'attempt 1',
          points: [
            [1, 0.9],
            [2, 0.5],
          ],
        },
        {
          label: 'attempt 2',
          points: [
            [2, 0.4],
            [3, 0.3],
          ],
        },
      ]),
    ).toEqual([
      [1, 2, 3],
      [0.9, 0.5, null],
      [null, 0.4, 0.3],
    ]);
  });

  it('keeps an empty plot empty', () => {
    expect(alignLines([])).toEqual([[]]);
  });
});
