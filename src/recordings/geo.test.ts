import { describe, expect, it } from 'vitest';
import { countryAt, daylightAt, extendBox, isValidPosition } from './geo.js';

describe('geography', () => {
  it('finds the country of a point', () => {
    expect(countryAt(48.137, 11.575)).toBe('DE'); // Munich
    expect(countryAt(48.857, 2.352)).toBe('FR'); // Paris
    expect(countryAt(52.37, 4.9)).toBe('NL'); // Amsterdam
    expect(countryAt(30, -45)).toBeUndefined(); // mid-Atlantic
  });

  it('tells day from night by the sun', () => {
    expect(daylightAt(Date.parse('2026-06-21T10:00:00Z'), 48.137, 11.575)).toBe('day');
    expect(daylightAt(Date.parse('2026-06-21T23:30:00Z'), 48.137, 11.575)).toBe('night');
    expect(daylightAt(Date.parse('2026-12-21T15:45:00Z'), 48.137, 11.575)).toBe('twilight');
  });

  it('grows a bounding box and rejects non-positions', () => {
    const box = extendBox(extendBox(undefined, 48, 11), 47.5, 11.8);
    expect(box).toEqual({ minLat: 47.5, minLon: 11, maxLat: 48, maxLon: 11.8 });
    expect(isValidPosition(0, 0)).toBe(false);
    expect(isValidPosition(Number.NaN, 11)).toBe(false);
    expect(isValidPosition(95, 11)).toBe(false);
    expect(isValidPosition(48.1, 11.5)).toBe(true);
  });
});
