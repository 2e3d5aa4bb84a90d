import { describe, expect, it } from 'vitest';
import { RouteSimulator, emptyVehicleState, regions, type DrivePlan } from './route.js';

function drive(plan: DrivePlan, seed: number, minutes: number, stepMs = 100) {
  const simulator = new RouteSimulator(plan, seed);
  const state = emptyVehicleState();
  const samples: {
    speed: number;
    heading: number;
    x: number;
    y: number;
    accel: number;
    yawRate: number;
    lat: number;
    lon: number;
    mode: string;
  }[] = [];
  for (let t = 0; t <= minutes * 60e9; t += stepMs * 1e6) {
    simulator.stateAt(t, state);
    samples.push({
      speed: state.speed,
      heading: state.heading,
      x: state.x,
      y: state.y,
      accel: state.accel,
      yawRate: state.yawRate,
      lat: state.latitude,
      lon: state.longitude,
      mode: state.mode,
    });
  }
  return samples;
}

const munich = regions.find((r) => r.city === 'Munich')!;

describe('RouteSimulator', () => {
  const samples = drive(
    { region: munich, weather: 'clear', initialMode: 'urban', highwayShare: 0.6 },
    11,
    40,
  );

  it('drives at city and highway speeds up to about 130 km/h, with stops', () => {
    const kph = samples.map((s) => s.speed * 3.6);
    expect(Math.max(...kph)).toBeGreaterThan(95);
    expect(Math.max(...kph)).toBeLessThanOrEqual(131);
    expect(Math.min(...kph)).toBeGreaterThanOrEqual(0);
    const stops = kph.filter((v, i) => v < 0.5 && (kph[i - 1] ?? 99) >= 0.5).length;
    expect(stops).toBeGreaterThanOrEqual(2);
    expect(new Set(samples.map((s) => s.mode)).size).toBeGreaterThanOrEqual(2);
  });

  it('moves smoothly: bounded acceleration, lateral acceleration and heading change', () => {
    let accel = 0;
    let lateral = 0;
    let turn = 0;
    let jump = 0;
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      accel = Math.max(accel, Math.abs(b.accel));
      lateral = Math.max(lateral, Math.abs(b.speed * b.yawRate));
      turn = Math.max(
        turn,
        Math.abs(Math.atan2(Math.sin(b.heading - a.heading), Math.cos(b.heading - a.heading))),
      );
      // position follows speed: never further than the distance driven in 0.1 s
      jump = Math.max(jump, Math.hypot(b.x - a.x, b.y - a.y) - Math.max(a.speed, b.speed) * 0.1);
    }
    expect(accel).toBeLessThan(4.5);
    expect(lateral).toBeLessThan(3.6);
    expect(turn).toBeLessThan(0.1);
    expect(jump).toBeLessThan(0.05);
  });

  it('stays around its city on real coordinates', () => {
    const range = Math.max(...samples.map((s) => Math.hypot(s.x, s.y)));
    const lat = Math.max(...samples.map((s) => Math.abs(s.lat - munich.latitude)));
    const lon = Math.max(...samples.map((s) => Math.abs(s.lon - munich.longitude)));
    expect(range).toBeLessThan(17_000);
    expect(lat).toBeLessThan(0.16);
    expect(lon).toBeLessThan(0.24);
  });

  it('slows down in fog and is deterministic per seed', () => {
    const plan: DrivePlan = {
      region: munich,
      weather: 'fog',
      initialMode: 'highway',
      highwayShare: 1,
    };
    const foggy = drive(plan, 3, 5);
    expect(Math.max(...foggy.map((s) => s.speed * 3.6))).toBeLessThan(100);
    expect(drive(plan, 3, 2)).toEqual(drive(plan, 3, 2));
    expect(drive(plan, 4, 2)).not.toEqual(drive(plan, 3, 2));
  });

  it('refuses times older than the history it keeps', () => {
    const simulator = new RouteSimulator(
      { region: munich, weather: 'clear', initialMode: 'rural', highwayShare: 0 },
      1,
    );
    const state = emptyVehicleState();
    simulator.stateAt(60e9, state);
    expect(() => simulator.stateAt(10e9, state)).toThrow(RangeError);
    expect(simulator.stateAt(59e9, state).speed).toBeGreaterThanOrEqual(0);
  });
});
