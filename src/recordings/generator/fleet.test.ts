import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/index.js';
import { countryAt, daylightAt } from '../geo.js';
import { centralEuropeanOffsetMinutes, planFleet } from './fleet.js';
import { Random, deriveSeed } from './random.js';

describe('planFleet', () => {
  it('spreads a fleet over countries, weather, day and night', () => {
    const plans = planFleet({ seed: 1, vehicles: 8, minutes: 2 });
    expect(new Set(plans.map((p) => p.region.country)).size).toBe(8);
    expect(new Set(plans.map((p) => p.weather))).toEqual(new Set(['clear', 'rain', 'fog']));
    expect(plans.map((p) => p.light)).toContain('night');
    expect(plans.map((p) => p.light)).toContain('day');
    expect(new Set(plans.map((p) => p.fileName)).size).toBe(8);
    for (const p of plans) {
      expect(p.durationNs).toBe(120e9);
      expect(p.fileName).toMatch(/^veh-\d{3}_2024\d{4}T\d{6}Z\.mcap$/);
      const localHour = Number(p.localStartTime.slice(11, 13));
      if (p.light === 'day') expect(localHour >= 9 && localHour < 15).toBe(true);
      else expect(localHour >= 22 || localHour < 4).toBe(true);
    }
  });

  it('has at least one night and one day drive in any fleet of two', () => {
    for (let seed = 0; seed < 40; seed++) {
      const lights = planFleet({ seed, vehicles: 2, minutes: 1 }).map((p) => p.light);
      expect(lights.sort()).toEqual(['day', 'night']);
    }
  });

  it('keeps the local time and the UTC start consistent', () => {
    for (const p of planFleet({ seed: 9, vehicles: 6, minutes: 1 })) {
      const local = new Date(p.localStartTime).getTime();
      expect(BigInt(local) * 1_000_000n).toBe(p.startTimeNs);
    }
  });

  it('is deterministic per seed', () => {
    expect(planFleet({ seed: 77, vehicles: 5, minutes: 3 })).toEqual(
      planFleet({ seed: 77, vehicles: 5, minutes: 3 }),
    );
    expect(planFleet({ seed: 78, vehicles: 5, minutes: 3 })).not.toEqual(
      planFleet({ seed: 77, vehicles: 5, minutes: 3 }),
    );
  });

  it('rejects bad options naming the field', () => {
    const bad = [
      [{ seed: -1, vehicles: 1, minutes: 1 }, 'seed'],
      [{ seed: 1.5, vehicles: 1, minutes: 1 }, 'seed'],
      [{ seed: 1, vehicles: 0, minutes: 1 }, 'vehicles'],
      [{ seed: 1, vehicles: 1001, minutes: 1 }, 'vehicles'],
      [{ seed: 1, vehicles: 1, minutes: 0 }, 'minutes'],
      [{ seed: 1, vehicles: 1, minutes: Number.NaN }, 'minutes'],
      [{ seed: 1, vehicles: 1, minutes: 24 * 60 + 1 }, 'minutes'],
    ] as const;
    for (const [options, field] of bad) {
      const error = (() => {
        try {
          planFleet(options);
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidInput);
      expect((error as InvalidInput).field).toBe(field);
    }
  });
});

describe('centralEuropeanOffsetMinutes', () => {
  it('switches to summer time on the last Sundays of March and October at 01:00 UTC', () => {
    expect(centralEuropeanOffsetMinutes(Date.UTC(2024, 2, 31, 0, 59))).toBe(60);
    expect(centralEuropeanOffsetMinutes(Date.UTC(2024, 2, 31, 1, 0))).toBe(120);
    expect(centralEuropeanOffsetMinutes(Date.UTC(2024, 9, 27, 0, 59))).toBe(120);
    expect(centralEuropeanOffsetMinutes(Date.UTC(2024, 9, 27, 1, 0))).toBe(60);
  });
});

describe('Random', () => {
  it('derives independent, reproducible streams', () => {
    expect(deriveSeed(1, 'a')).toBe(deriveSeed(1, 'a'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(1, 'b'));
    expect(deriveSeed(1, 'ab', 'c')).not.toBe(deriveSeed(1, 'a', 'bc'));
    const a = Random.derive(5, 'x');
    const b = Random.derive(5, 'x');
    expect(Array.from({ length: 5 }, () => a.float())).toEqual(
      Array.from({ length: 5 }, () => b.float()),
    );
  });

  it('draws the distributions it names', () => {
    const random = new Random(123);
    const n = 20_000;
    const normals = Array.from({ length: n }, () => random.normal());
    const mean = normals.reduce((s, x) => s + x, 0) / n;
    const variance = normals.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const exponential = Array.from({ length: n }, () => random.exponential(3));
    expect(exponential.reduce((s, x) => s + x, 0) / n).toBeCloseTo(3, 0);
    expect(Math.min(...exponential)).toBeGreaterThanOrEqual(0);
    const ints = Array.from({ length: n }, () => random.int(7));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });
});

describe('planned conditions against the tagger', () => {
  it('starts day drives in daylight and night drives in darkness, for the whole hour, in the planned country', () => {
    const plans = Array.from({ length: 40 }, (_, seed) =>
      planFleet({ seed, vehicles: 8, minutes: 60 }),
    ).flat();
    const wrong: string[] = [];
    for (const p of plans) {
      const start = Number(p.startTimeNs / 1_000_000n);
      const { latitude, longitude } = p.region;
      for (const offsetMin of [0, 30, 60]) {
        const daylight = daylightAt(start + offsetMin * 60_000, latitude, longitude);
        if (daylight !== p.light) wrong.push(`${p.fileName} +${offsetMin} min: ${daylight}`);
      }
      if (countryAt(latitude, longitude) !== p.region.country) wrong.push(`${p.fileName}: country`);
    }
    expect(wrong).toEqual([]);
  });
});
