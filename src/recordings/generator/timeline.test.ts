import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRig, gpsLeapSecondsNs, type RigSensor } from './rig.js';
import { rigTimeline, type SensorTimeline } from './timeline.js';

const minute = 60e9;

function sensorOf(timeline: SensorTimeline, sensors: readonly RigSensor[]): RigSensor {
  const sensor = sensors.find((s) => s.id === timeline.sensorId);
  if (sensor === undefined) throw new Error(`no sensor ${timeline.sensorId}`);
  return sensor;
}

/** Least-squares fit y = a + b·x. */
function fit(x: Float64Array, y: Float64Array): { a: number; b: number } {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

describe('rig', () => {
  it('has 6 cameras, a lidar, 4 radars, an IMU, a GNSS receiver and the CAN interface', () => {
    const rig = createRig(1, 'veh-001');
    const kinds = rig.sensors.map((s) => s.kind);
    expect(kinds.filter((k) => k === 'camera')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'radar')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'lidar')).toHaveLength(1);
    expect(rig.sensors.find((s) => s.kind === 'can')?.rateHz).toBeGreaterThan(1900);
    expect(new Set(rig.sensors.map((s) => s.topic)).size).toBe(rig.sensors.length);
    expect(rig.sensors.map((s) => s.topic)).toContain('/sensors/camera/front/image/compressed');
    expect(createRig(1, 'veh-001', { cameraFormat: 'raw' }).sensors[0]?.topic).toBe(
      '/sensors/camera/front/image',
    );
  });

  it('draws clocks from the seed and the vehicle: same inputs, same clocks', () => {
    expect(createRig(5, 'veh-002')).toEqual(createRig(5, 'veh-002'));
    const a = createRig(5, 'veh-002').sensors.map((s) => s.clock.offsetNs);
    const b = createRig(5, 'veh-003').sensors.map((s) => s.clock.offsetNs);
    const c = createRig(6, 'veh-002').sensors.map((s) => s.clock.offsetNs);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('stamps GNSS fixes in UTC, and in GPS time (the leap seconds ahead) only when asked', () => {
    for (const vehicle of ['veh-001', 'veh-002', 'veh-003']) {
      const utc = createRig(7, vehicle).sensors.find((s) => s.kind === 'gnss')!.clock;
      expect(Math.abs(utc.offsetNs)).toBeLessThanOrEqual(0.05e6);
      const gps = createRig(7, vehicle, { gnssTime: 'gps' }).sensors.find(
        (s) => s.kind === 'gnss',
      )!.clock;
      expect(gps).toEqual({ ...utc, offsetNs: utc.offsetNs + gpsLeapSecondsNs });
    }
  });

  it('gives every source a header stamp that differs from log time by ms to s', () => {
    for (const sensor of createRig(9, 'veh-001').sensors) {
      const { offsetNs, latencyMinNs } = sensor.clock;
      expect(Math.abs(offsetNs) + latencyMinNs).toBeGreaterThan(0.1e6);
      expect(Math.abs(offsetNs)).toBeLessThan(20e9);
    }
  });
});

describe('rigTimeline', () => {
  const rig = createRig(42, 'veh-001');
  const window = 5 * minute;
  const timelines = rigTimeline(rig, window);

  it('delivers each sensor at its nominal rate less its drops', () => {
    for (const timeline of timelines) {
      const sensor = sensorOf(timeline, rig.sensors);
      const nominal = (window / 1e9) * sensor.rateHz;
      const { dropRate, burstRate, burstMeanLength } = sensor.clock;
      const expectedDrops = dropRate + burstRate * burstMeanLength;
      expect(timeline.count, timeline.sensorId).toBeLessThanOrEqual(nominal * 1.001 + 2);
      expect(timeline.count, timeline.sensorId).toBeGreaterThan(
        nominal * (1 - 3 * expectedDrops) - 20,
      );
      // the sequence counts every frame, so its gaps are exactly the dropped frames
      const span = timeline.sequence[timeline.count - 1]! - timeline.sequence[0]! + 1;
      expect(span - timeline.count, timeline.sensorId).toBeGreaterThanOrEqual(0);
      if (sensor.kind !== 'can') expect(span).toBeCloseTo(nominal, -2);
    }
  });

  it('keeps log times in order per topic, inside the window and after capture plus latency', () => {
    for (const timeline of timelines) {
      const { latencyMinNs } = sensorOf(timeline, rig.sensors).clock;
      const problems: string[] = [];
      for (let i = 0; i < timeline.count && problems.length < 5; i++) {
        const log = timeline.logNs[i]!;
        if (log < (i === 0 ? 0 : timeline.logNs[i - 1]!)) problems.push(`#${i} out of order`);
        if (log >= window) problems.push(`#${i} after the end`);
        if (log - timeline.captureNs[i]! < latencyMinNs - 1) problems.push(`#${i} too early`);
        if (!Number.isInteger(log)) problems.push(`#${i} not integer`);
      }
      expect(problems, timeline.sensorId).toEqual([]);
    }
  });

  it('stamps each capture with the sensor clock: offset, drift, jitter and resolution', () => {
    for (const timeline of timelines) {
      const sensor = sensorOf(timeline, rig.sensors);
      const { offsetNs, driftPpm, stampJitterNs, stampResolutionNs } = sensor.clock;
      let worst = 0;
      let offGrid = 0;
      for (let i = 0; i < timeline.count; i++) {
        const capture = timeline.captureNs[i]!;
        const clock = capture + offsetNs + driftPpm * 1e-6 * capture;
        const stamp = timeline.stampNs[i]!;
        worst = Math.max(worst, Math.abs(stamp - clock));
        if (Math.abs(stamp / stampResolutionNs - Math.round(stamp / stampResolutionNs)) > 1e-6)
          offGrid++;
      }
      const bound =
        sensor.kind === 'can' ? stampResolutionNs : 6 * stampJitterNs + stampResolutionNs;
      expect(worst, sensor.id).toBeLessThanOrEqual(bound);
      expect(offGrid, sensor.id).toBe(0);
    }
  });

  it('lets a linear fit of stamp against log time recover the true offset and drift', () => {
    for (const id of ['imu', 'radar_front_left', 'camera_rear']) {
      const timeline = timelines.find((t) => t.sensorId === id)!;
      const { offsetNs, driftPpm, latencyMinNs, latencyMeanNs, stampJitterNs } = sensorOf(
        timeline,
        rig.sensors,
      ).clock;
      const { a, b } = fit(timeline.logNs, timeline.stampNs);
      // standard error of the slope for this noise over this window
      const noise = Math.hypot(stampJitterNs, latencyMeanNs);
      const slopeError = noise / ((window / Math.sqrt(12)) * Math.sqrt(timeline.count));
      expect(Math.abs((b - 1) * 1e6 - driftPpm), id).toBeLessThan(5 * slopeError * 1e6 + 0.05);
      // stamp ≈ (1+d)·(log − latency) + offset
      const expectedIntercept = offsetNs - (1 + driftPpm * 1e-6) * (latencyMinNs + latencyMeanNs);
      expect(Math.abs(a - expectedIntercept), id).toBeLessThan(latencyMeanNs * 0.2 + 0.2e6);
    }
  });

  it('is exactly the same for the same rig, and filters by sensor id', () => {
    const again = rigTimeline(createRig(42, 'veh-001'), window, ['imu', 'can']);
    expect(again.map((t) => t.sensorId)).toEqual(['imu', 'can']);
    const bytes = (array: Float64Array): Buffer =>
      Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    for (const timeline of again) {
      const original = timelines.find((t) => t.sensorId === timeline.sensorId)!;
      expect(bytes(timeline.stampNs).equals(bytes(original.stampNs))).toBe(true);
      expect(bytes(timeline.logNs).equals(bytes(original.logNs))).toBe(true);
    }
  });

  it('holds its invariants for any seed and window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 3000 }),
        (seed, durationMs) => {
          const rigOfSeed = createRig(seed, 'veh-prop');
          for (const timeline of rigTimeline(rigOfSeed, durationMs * 1e6)) {
            for (let i = 0; i < timeline.count; i++) {
              const log = timeline.logNs[i]!;
              if (log < 0 || log >= durationMs * 1e6) return false;
              if (
                i > 0 &&
                (log < timeline.logNs[i - 1]! || timeline.sequence[i]! <= timeline.sequence[i - 1]!)
              ) {
                return false;
              }
            }
          }
          return true;
        },
      ),
      { numRuns: 40 },
    );
  });
});
