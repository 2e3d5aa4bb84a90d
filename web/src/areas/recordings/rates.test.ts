import { describe, expect, it } from 'vitest';
import { binsFor, ratePlotData } from './rates.js';

describe('binsFor', () => {
  it('gives one-second bins for short drives and caps long ones', () => {
    expect(binsFor(24)).toBe(24);
    expect(binsFor(24.2)).toBe(25);
    expect(binsFor(0.3)).toBe(1);
    expect(binsFor(3600)).toBe(300);
    expect(binsFor(3600, 120)).toBe(120);
  });

  it('asks for one bin when the duration is not known', () => {
    expect(binsFor(null)).toBe(1);
    expect(binsFor(0)).toBe(1);
    expect(binsFor(Number.NaN)).toBe(1);
  });
});

describe('ratePlotData', () => {
  const rates = {
    start: '2030-06-15T10:00:00.000Z',
    binSeconds: 0.5,
    channels: [
      { key: 3, topic: '/imu', sensor: 'imu', counts: [50, 50, 49] },
      { key: 1, topic: '/cam/front', sensor: 'camera', counts: [15, 15, 15] },
      { key: 2, topic: '/cam/back', sensor: 'camera', counts: [15, 0, 15] },
      { key: 5, topic: '/cam/front_left', sensor: 'camera', counts: [15, 15, 15] },
      { key: 4, topic: '/mystery', sensor: 'thermal', counts: [1] },
    ],
  };

  it('turns counts into messages per second at each bin’s offset from the start', () => {
    const data = ratePlotData(rates);
    expect(data?.times).toEqual([0, 0.5, 1, 1.5]);
    expect(data?.series.find((s) => s.topic === '/imu')?.values).toEqual([100, 100, 98, 98]);
    expect(data?.series.find((s) => s.topic === '/imu')?.mean).toBeCloseTo(99.33, 2);
    expect(data?.series.find((s) => s.topic === '/cam/back')?.values).toEqual([30, 0, 30, 30]);
    // A channel with fewer bins is zero where it has none.
    expect(data?.series.find((s) => s.topic === '/mystery')?.values).toEqual([2, 0, 0, 0]);
  });

  it('groups channels by sensor and gives channels of one sensor distinct shades of its hue', () => {
    const data = ratePlotData(rates);
    expect(data?.series.map((s) => s.topic)).toEqual([
      '/cam/back',
      '/cam/front',
      '/cam/front_left',
      '/imu',
      '/mystery',
    ]);
    const [back, front] = data?.series ?? [];
    expect(back?.color).not.toBe(front?.color);
    expect(back?.color.split(' ')[0]).toBe(front?.color.split(' ')[0]);
  });

  it('has nothing to plot before the recording is read through', () => {
    expect(ratePlotData({ start: null, binSeconds: 0, channels: [] })).toBeUndefined();
    expect(ratePlotData({ start: rates.start, binSeconds: 0, channels: [] })).toBeUndefined();
  });
});
