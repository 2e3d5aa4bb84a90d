import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metadataTags, planSegments, SegmentAccumulator, speedBand } from './segments.js';

const munich = { lat: 48.137, lon: 11.575 };
const noonJune = Date.parse('2026-06-21T10:00:00Z');
const midnightJune = Date.parse('2026-06-21T23:00:00Z');

describe('segments', () => {
  it('plans consecutive segments covering the range, the last one shorter', () => {
    expect(planSegments(0, 50_000)).toEqual([
      { startMs: 0, endMs: 20_000 },
      { startMs: 20_000, endMs: 40_000 },
      { startMs: 40_000, endMs: 50_000 },
    ]);
    expect(planSegments(0, 40_000)).toEqual([
      { startMs: 0, endMs: 20_000 },
      { startMs: 20_000, endMs: 40_000 },
      { startMs: 40_000, endMs: 40_000 },
    ]);
    expect(planSegments(10, 10)).toEqual([{ startMs: 10, endMs: 10 }]);
    expect(planSegments(10, 5)).toEqual([]);
  });

  it('covers every instant exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 1, max: 1e5 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 1e5 }),
        (start, length, whole, extra) => {
          const end = start + whole * length + (extra % length);
          const plans = planSegments(start, end, length);
          expect(plans[0]?.startMs).toBe(start);
          expect(plans.at(-1)?.endMs).toBe(end);
          for (let i = 1; i < plans.length; i += 1)
            expect(plans[i]?.startMs).toBe(plans[i - 1]?.endMs);
          expect(plans.every((p) => p.endMs - p.startMs <= length)).toBe(true);
        },
      ),
    );
  });

  it('bands speeds', () => {
    expect([0, 0.5, 30, 49.9, 50, 100, 100.1, 140].map(speedBand)).toEqual([
      'standstill',
      'standstill',
      'urban',
      'urban',
      'rural',
      'rural',
      'highway',
      'highway',
    ]);
  });

  it('derives sensors, place, daylight and speed band per segment', () => {
    const acc = new SegmentAccumulator();
    acc.sensorMessage('camera', noonJune + 1);
    acc.sensorMessage('camera', noonJune + 1_200);
    acc.sensorMessage('lidar', noonJune + 25_000);
    acc.position(noonJune + 9_000, munich.lat, munich.lon);
    acc.position(noonJune + 10_000, munich.lat, munich.lon);
    acc.position(noonJune + 30_000, 0, 0);
    acc.speed(noonJune + 1_000, 100);
    acc.speed(noonJune + 2_000, 120);
    acc.speed(noonJune + 21_000, 30);
    const [first, second, third] = acc.finish(noonJune, noonJune + 40_000, ['rain']);
    expect(first).toMatchObject({
      country: 'DE',
      daylight: 'day',
      speedKmhMean: 110,
      speedKmhMax: 120,
      sensors: ['camera'],
    });
    expect(first?.tags).toEqual(['country:DE', 'day', 'rain', 'sensor:camera', 'speed:highway']);
    expect(second).toMatchObject({
      country: null,
      daylight: null,
      speedKmhMean: 30,
      sensors: ['lidar'],
    });
    expect(second?.tags).toEqual(['rain', 'sensor:lidar', 'speed:urban']);
    expect(third?.tags).toEqual(['rain']);
  });

  it('tags night by the sun at the segment and place', () => {
    const acc = new SegmentAccumulator();
    acc.position(midnightJune + 5_000, munich.lat, munich.lon);
    expect(acc.finish(midnightJune, midnightJune + 10_000)[0]?.tags).toEqual([
      'country:DE',
      'night',
    ]);
  });

  it('turns scene metadata into tags and leaves file facts out', () => {
    expect(
      metadataTags([
        {
          name: 'recording',
          entries: {
            vehicle: 'veh-001',
            weather: 'Rain',
            campaign: 'Winter 2026',
            start_time: '2026-01-01T00:00:00Z',
            duration_s: '60',
          },
        },
        { name: 'drivetrain.rig', entries: { model: 'stamp = clock(capture) …' } },
        { name: 'notes', entries: { text: 'x'.repeat(200) } },
      ]),
    ).toEqual(['campaign:winter-2026', 'rain', 'vehicle:veh-001']);
  });
});
