import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../platform/errors.js';
import { coverage } from './coverage.js';
import { definitionHash, parseDefinition } from './definition.js';
import { SplitAssigner, splitIndex, splitKey } from './split.js';

const base = {
  name: 'night-lidar',
  query: 'sensors has lidar and night',
  sync: {
    reference: 'lidar',
    streams: { lidar: 'lidar', front: { sensor: 'camera', topic: '/cam/front/*' } },
  },
  split: { by: 'vehicle', fractions: { train: 0.7, val: 0.15, test: 0.15 } },
  sampling: { rateHz: 2 },
  requirements: [{ tag: 'rain', minPercent: 5 }, { countries: ['de', 'FR'] }],
};

function fieldOf(value: unknown): string | undefined {
  try {
    parseDefinition(value);
  } catch (error) {
    if (error instanceof InvalidInput) return error.field;
    throw error;
  }
  return undefined;
}

describe('dataset definitions', () => {
  it('reads a definition with defaults filled in', () => {
    const definition = parseDefinition(base);
    expect(definition.sync).toMatchObject({
      policy: 'reference',
      required: ['lidar', 'front'],
      defaultToleranceMs: 50,
    });
    expect(definition.split).toMatchObject({ by: 'vehicle', cellDegrees: 0.1, seed: '' });
    expect(definition.sampleRateHz).toBe(2);
    expect(definition.requirements[1]).toEqual({
      id: 'R2',
      kind: 'countries',
      countries: ['DE', 'FR'],
      minSamples: 1,
    });
  });

  it('names the field of every mistake', () => {
    expect(fieldOf({ ...base, split: { by: 'sample' } })).toBe('definition.split.by');
    expect(
      fieldOf({ ...base, split: { by: 'recording', fractions: { train: 0.7, test: 0.2 } } }),
    ).toBe('definition.split.fractions');
    expect(fieldOf({ ...base, sync: { ...base.sync, streams: { lidar: 'sonar' } } })).toBe(
      'definition.sync.streams.lidar.sensor',
    );
    expect(fieldOf({ ...base, sync: { ...base.sync, reference: 'rear' } })).toBe(
      'definition.sync.reference',
    );
    expect(fieldOf({ ...base, sync: { ...base.sync, required: ['lidar', 'gps'] } })).toBe(
      'definition.sync.required[1]',
    );
    expect(fieldOf({ ...base, query: 'night and' })).toBe('definition.query');
    expect(fieldOf({ ...base, requirements: [{ tag: 'rain' }] })).toBe(
      'definition.requirements[0]',
    );
    expect(fieldOf({ ...base, colour: 'red' })).toBe('definition.colour');
    expect(fieldOf({ ...base, sampling: { rateHz: 0 } })).toBe('definition.sampling.rateHz');
    expect(fieldOf({ ...base, sync: { ...base.sync, policy: 'slop' } })).toBe(
      'definition.sync.slopMs',
    );
  });

  it('hashes equal meanings equally and different ones differently', () => {
    const reordered = {
      requirements: base.requirements,
      sampling: base.sampling,
      split: base.split,
      sync: base.sync,
      query: base.query,
      name: base.name,
    };
    expect(definitionHash(parseDefinition(reordered))).toBe(definitionHash(parseDefinition(base)));
    expect(definitionHash(parseDefinition({ ...base, sampling: { rateHz: 3 } }))).not.toBe(
      definitionHash(parseDefinition(base)),
    );
  });

  it('never fails on garbage with anything but InvalidInput', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseDefinition(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInput);
        }
      }),
    );
  });
});

describe('splits', () => {
  const rule = parseDefinition(base).split;

  it('puts every sample of a key in the same split, whatever else differs (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.option(fc.double({ min: -90, max: 90, noNaN: true })),
        (vehicle, r1, r2, lat) => {
          const assigner = new SplitAssigner(rule);
          expect(assigner.assign({ recordingId: r1, vehicle, lat, lon: 11 })).toBe(
            assigner.assign({ recordingId: r2, vehicle, lat: null, lon: null }),
          );
        },
      ),
    );
  });

  it('follows the fractions over many keys', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[splitIndex(rule, `vehicle:v${i}`)]! += 1;
    expect(counts[0]! / 20_000).toBeCloseTo(0.7, 1);
    expect(counts[1]! / 20_000).toBeCloseTo(0.15, 1);
  });

  it('keys geographic cells by their size', () => {
    const cells = { ...rule, by: 'cell' as const, cellDegrees: 0.5 };
    expect(splitKey(cells, { recordingId: 'r', vehicle: null, lat: 48.26, lon: 11.74 })).toBe(
      'cell:96:23',
    );
    expect(splitKey(cells, { recordingId: 'r', vehicle: null, lat: -0.1, lon: -0.1 })).toBe(
      'cell:-1:-1',
    );
    expect(splitKey(cells, { recordingId: 'r', vehicle: null, lat: null, lon: null })).toBe(
      'cell:none',
    );
  });
});

describe('coverage', () => {
  it('checks shares, counts and countries against their targets', () => {
    const requirements = parseDefinition({
      ...base,
      requirements: [
        { tag: 'night', minPercent: 10, minSamples: 50 },
        { countries: ['DE', 'NL'], minSamples: 5 },
      ],
    }).requirements;
    const counts = new Map([
      ['night', 40],
      ['country:DE', 300],
    ]);
    expect(coverage(requirements, counts, 300)).toEqual([
      {
        requirement: 'R1',
        attribute: 'night',
        unit: 'percent',
        target: 10,
        actual: 13.33,
        pass: true,
      },
      {
        requirement: 'R1',
        attribute: 'night',
        unit: 'samples',
        target: 50,
        actual: 40,
        pass: false,
      },
      {
        requirement: 'R2',
        attribute: 'country:DE',
        unit: 'samples',
        target: 5,
        actual: 300,
        pass: true,
      },
      {
        requirement: 'R2',
        attribute: 'country:NL',
        unit: 'samples',
        target: 5,
        actual: 0,
        pass: false,
      },
    ]);
    expect(coverage(requirements, new Map(), 0)[0]).toMatchObject({ actual: 0, pass: false });
  });
});
