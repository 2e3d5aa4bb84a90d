import { describe, expect, it } from 'vitest';
import { parseDefinition } from '../../../../src/datasets/index.js';
import { definitionSource } from './definition-source.js';

const written = {
  name: 'lidar-front',
  query: 'sensors has lidar',
  sync: {
    reference: 'lidar',
    streams: { lidar: { sensor: 'lidar' }, front: { sensor: 'camera', topic: '/cam/front*' } },
    toleranceMs: { front: 30 },
  },
  split: { by: 'recording', fractions: { train: 0.5, val: 0.5 }, seed: 'a' },
  sampling: { rateHz: 2 },
  requirements: [{ tag: 'night', minPercent: 10 }, { countries: ['DE', 'fr'] }],
};

describe('definition source', () => {
  it('writes a normalised definition back in a form the server parses to the same definition', () => {
    const normalised = parseDefinition(written);
    const source = definitionSource(normalised);
    expect(source).not.toHaveProperty('sampleRateHz');
    expect(source.sampling).toEqual({ rateHz: 2 });
    expect(parseDefinition(JSON.parse(JSON.stringify(source)))).toEqual(normalised);
  });

  it('leaves out what was not set', () => {
    const source = definitionSource(
      parseDefinition({
        name: 'all',
        query: 'sensors has lidar',
        sync: { streams: { l: 'lidar' } },
      }),
    );
    expect(Object.keys(source)).toEqual(['name', 'query', 'sync', 'split']);
  });
});
