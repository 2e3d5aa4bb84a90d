import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDraft,
  draftOf,
  draftProblems,
  filterCount,
  filtersFromParams,
  paramsFromFilters,
  toLocalInput,
} from './filters.js';

describe('filters in the URL', () => {
  it('reads the filters a URL names and writes them back in a fixed order', () => {
    const filters = filtersFromParams(
      new URLSearchParams(
        'to=2030-06-15T12:00:00Z&sensor=lidar&country=de&vehicle=veh-001&tag=night',
      ),
    );
    expect(filters).toEqual({
      vehicle: 'veh-001',
      sensor: 'lidar',
      country: 'DE',
      tag: 'night',
      to: '2030-06-15T12:00:00.000Z',
    });
    expect(paramsFromFilters(filters).toString()).toBe(
      'vehicle=veh-001&sensor=lidar&country=DE&tag=night&to=2030-06-15T12%3A00%3A00.000Z',
    );
    expect(filterCount(filters)).toBe(5);
  });

  it('leaves out values the API would refuse', () => {
    expect(
      filtersFromParams(
        new URLSearchParams('status=done&sensor=sonar&country=DEU&from=yesterday&vehicle=%20%20'),
      ),
    ).toEqual({});
  });

  it('reads back what it wrote, whatever the values', () => {
    const filters = fc.record(
      {
        vehicle: fc
          .string({ minLength: 1, maxLength: 100 })
          .filter((s) => s.trim() === s && s !== ''),
        status: fc.constantFrom('queued', 'ingesting', 'catalogued', 'ready', 'rejected' as const),
        sensor: fc.constantFrom(
          'camera',
          'lidar',
          'radar',
          'can',
          'gnss',
          'imu',
          'pose',
          'other' as const,
        ),
        country: fc.stringMatching(/^[A-Z]{2}$/),
        tag: fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim() === s && s !== ''),
        from: fc
          .date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) })
          .map((d) => d.toISOString()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(filters, (f) => {
        expect(filtersFromParams(new URLSearchParams(paramsFromFilters(f).toString()))).toEqual(f);
      }),
    );
  });
});

describe('the filter form', () => {
  const empty = { vehicle: '', country: '', tag: '', from: '', to: '' };

  it('names what is wrong with a draft', () => {
    expect(draftProblems(empty)).toEqual({});
    expect(draftProblems({ ...empty, country: 'Germany' })).toEqual({
      country: 'Two letters (ISO 3166-1), e.g. DE.',
    });
    expect(draftProblems({ ...empty, from: '2030-06-15T12:00', to: '2030-06-15T11:00' })).toEqual({
      to: 'The end is before the start.',
    });
  });

  it('applies the text fields, keeping the select filters and dropping emptied ones', () => {
    const before = { sensor: 'camera' as const, vehicle: 'veh-001', tag: 'rain' };
    const after = applyDraft(before, {
      ...draftOf(before),
      vehicle: ' veh-002 ',
      tag: '',
      country: 'fr',
    });
    expect(after).toEqual({ sensor: 'camera', vehicle: 'veh-002', country: 'FR' });
  });

  it('shows times in local time to the minute and applies them as ISO times', () => {
    const iso = new Date(2030, 5, 15, 9, 5).toISOString();
    expect(toLocalInput(iso)).toBe('2030-06-15T09:05');
    expect(toLocalInput(undefined)).toBe('');
    expect(applyDraft({}, { ...empty, from: '2030-06-15T09:05' })).toEqual({ from: iso });
  });
});
