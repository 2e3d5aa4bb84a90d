import { describe, expect, it } from 'vitest';
import {
  failingCheckNames,
  recordingsOf,
  ruleEntries,
  sloEntries,
  splitAtError,
} from './describe.js';

describe('ruleEntries', () => {
  it('says nothing about an empty rule', () => {
    expect(ruleEntries({})).toEqual([]);
    expect(ruleEntries({ sensors: [], vehicles: [] })).toEqual([]);
  });

  it('names every part that is set', () => {
    expect(
      ruleEntries({
        sensors: ['lidar', 'camera'],
        vehicles: ['veh-0*'],
        countries: ['DE', 'FR'],
        from: '2026-01-01',
        to: '2026-02-01',
        query: 'night and rain',
      }),
    ).toEqual([
      { label: 'Sensors', value: 'has lidar, camera' },
      { label: 'Vehicles', value: 'veh-0*' },
      { label: 'Countries', value: 'DE, FR' },
      { label: 'Driven from', value: '2026-01-01' },
      { label: 'Driven before', value: '2026-02-01' },
      { label: 'Segments matching', value: 'night and rain' },
    ]);
  });
});

describe('sloEntries', () => {
  it('names every service level with its unit', () => {
    expect(
      sloEntries({
        requiredSensors: ['lidar'],
        minSyncScore: 90,
        minCompletenessPercent: 95,
        maxAgeHours: 24,
      }),
    ).toEqual([
      { label: 'Required sensors', value: 'lidar' },
      { label: 'Sync score', value: 'at least 90' },
      { label: 'Complete segments', value: 'at least 95 %' },
      { label: 'Newest recording', value: 'at most 24 h old' },
    ]);
    expect(sloEntries({ requiredSensors: [] })).toEqual([]);
  });
});

describe('failingCheckNames', () => {
  it('lists each failing check once', () => {
    const failure = (check: string) => ({ check, recordings: 1, example: null, detail: '' });
    expect(
      failingCheckNames({
        quality: {
          status: 'failing',
          checkedAt: null,
          failures: [failure('sync-score'), failure('freshness'), failure('sync-score')],
        },
      }),
    ).toEqual(['sync-score', 'freshness']);
  });
});

describe('recordingsOf', () => {
  it('keeps the first appearance of each recording', () => {
    expect(
      recordingsOf([{ recordingId: 'b' }, { recordingId: 'a' }, { recordingId: 'b' }]),
    ).toEqual(['b', 'a']);
  });
});

describe('splitAtError', () => {
  it('marks the character at the position, or the end of the query', () => {
    expect(splitAtError('night and', 4)).toEqual({ before: 'nigh', at: 't', after: ' and' });
    expect(splitAtError('night and', 9)).toEqual({ before: 'night and', at: '', after: '' });
    expect(splitAtError('night', 99)).toEqual({ before: 'night', at: '', after: '' });
  });
});
