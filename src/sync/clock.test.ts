/**
 * Clock estimation recovers the offsets and drifts the generator's rig clock model put into
 * its recordings, within stated tolerances; detects clock jumps; keeps bounded memory.
 *
 * Tolerances (from the model: Gaussian stamp noise σ, exponential latency above a minimum):
 * - drift: 0.05 ppm + (10σ + 0.1 ms) / duration — the envelope's ends can each sit a few σ low;
 * - offset: 5σ + 50 µs + the stamp resolution — the lowest point of the envelope undercuts the
 *   true minimum latency by the most negative stamp noise, about 4σ over 10⁴–10⁵ messages.
 * The offset is the sensor clock minus the recorder clock at the envelope, which includes the
 * minimum transport latency (ADR 044).
 */
import { describe, expect, it } from 'vitest';
import { createRig, rigTimeline, type RigSensor } from '../recordings/index.js';
import { ClockEstimator } from './clock.js';
import { SyncAnalyzer } from './quality.js';
import { TimeBase } from './time.js';

const minutes = 10;
const durationNs = minutes * 60e9;

function tolerances(sensor: RigSensor): { driftPpm: number; offsetNs: number } {
  const sigma = sensor.clock.stampJitterNs;
  return {
    driftPpm: 0.05 + ((10 * sigma + 100_000) / durationNs) * 1e6,
    offsetNs: 5 * sigma + 50_000 + sensor.clock.stampResolutionNs,
  };
}

/** The truth at a stamp: sensor stamp minus log time for a message with minimum latency. */
function trueOffsetAt(sensor: RigSensor, stamp: number): number {
  const { offsetNs, driftPpm, latencyMinNs } = sensor.clock;
  // stamp ≈ t + offset + drift·t  ⇒  t ≈ (stamp − offset) / (1 + drift)
  const t = (stamp - offsetNs) / (1 + driftPpm * 1e-6);
  return offsetNs + driftPpm * 1e-6 * t - latencyMinNs;
}

describe('clock estimation on generated rigs', () => {
  for (const seed of [3, 11]) {
    it(`recovers every sensor's offset and drift (seed ${seed}, ${minutes} min)`, () => {
      const rig = createRig(seed, `vehicle-${seed}`);
      const sensors = rig.sensors.filter((s) => s.kind !== 'can');
      const timelines = rigTimeline(
        rig,
        durationNs,
        sensors.map((s) => s.id),
      );
      for (const timeline of timelines) {
        const sensor = sensors.find((s) => s.id === timeline.sensorId)!;
        const estimator = new ClockEstimator();
        for (let i = 0; i < timeline.count; i++) {
          estimator.add(timeline.stampNs[i]!, timeline.logNs[i]! - timeline.stampNs[i]!);
        }
        const fit = estimator.result();
        expect(fit.jumps, sensor.id).toEqual([]);
        expect(fit.segments).toHaveLength(1);
        const segment = fit.segments[0]!;
        const driftPpm = (1 / (1 + segment.slope) - 1) * 1e6;
        const offset = -segment.envelopeAtFirst;
        const tolerance = tolerances(sensor);
        expect(
          Math.abs(driftPpm - sensor.clock.driftPpm),
          `${sensor.id} drift`,
        ).toBeLessThanOrEqual(tolerance.driftPpm);
        expect(
          Math.abs(offset - trueOffsetAt(sensor, segment.firstStamp)),
          `${sensor.id} offset`,
        ).toBeLessThanOrEqual(tolerance.offsetNs);
        // Jitter: the spread of the latency above its minimum (exponential: σ = mean), plus stamp noise.
        const expectedJitter = Math.hypot(sensor.clock.latencyMeanNs, sensor.clock.stampJitterNs);
        expect(segment.jitterNs / expectedJitter, `${sensor.id} jitter`).toBeGreaterThan(0.8);
        expect(segment.jitterNs / expectedJitter, `${sensor.id} jitter`).toBeLessThan(1.25);
      }
    });
  }

  it('reports the same figures with absolute times through the quality report', () => {
    const rig = createRig(5, 'vehicle-5');
    const sensors = rig.sensors.filter((s) => s.kind === 'radar' || s.kind === 'gnss');
    const timelines = rigTimeline(
      rig,
      durationNs,
      sensors.map((s) => s.id),
    );
    const start = 1_714_000_000_000_000_000n;
    const base = new TimeBase();
    const analyzer = new SyncAnalyzer(
      timelines.map((t) => t.sensorId),
      base,
      { reference: 0, tolerancesNs: timelines.map(() => 50e6) },
    );
    // Feed in log-time order across the channels, as a recording delivers them.
    const cursors = timelines.map(() => 0);
    for (;;) {
      let next = -1;
      for (let s = 0; s < timelines.length; s++) {
        const i = cursors[s]!;
        if (
          i < timelines[s]!.count &&
          (next < 0 || timelines[s]!.logNs[i]! < timelines[next]!.logNs[cursors[next]!]!)
        ) {
          next = s;
        }
      }
      if (next < 0) break;
      const i = cursors[next]!++;
      const stamp = start + BigInt(timelines[next]!.stampNs[i]!);
      const logTime = start + BigInt(timelines[next]!.logNs[i]!);
      analyzer.add(next, base.offset(stamp, 'stamp'), stamp, logTime);
    }
    const report = analyzer.finish();
    for (const channel of report.channels) {
      const sensor = sensors.find((s) => s.id === channel.name)!;
      const firstStamp = Number(BigInt(channel.clock!.segments[0]!.firstStamp) - start);
      const offset = Number(BigInt(channel.clock!.offsetNs));
      const tolerance = tolerances(sensor);
      expect(Math.abs(offset - trueOffsetAt(sensor, firstStamp))).toBeLessThanOrEqual(
        tolerance.offsetNs,
      );
      expect(Math.abs(channel.clock!.driftPpm - sensor.clock.driftPpm)).toBeLessThanOrEqual(
        tolerance.driftPpm,
      );
      expect(channel.clock!.jumpCount).toBe(0);
    }
  });
});

/** A 20 Hz sensor with latency 10–15 ms and a clock given by `clock(t)`. */
function feed(estimator: ClockEstimator, seconds: number, clock: (t: number) => number): void {
  let state = 7;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let k = 0; k < seconds * 20; k++) {
    const t = k * 50e6;
    const stamp = Math.round(clock(t));
    const log = t + 10e6 + Math.round(random() * 5e6);
    estimator.add(stamp, log - stamp);
  }
}

describe('clock jumps', () => {
  it('finds a step forward and a step back, and fits each stretch on its own', () => {
    const estimator = new ClockEstimator();
    // 20 ppm fast; +2 s at 60 s; −0.5 s at 120 s.
    feed(estimator, 180, (t) => t * (1 + 20e-6) + (t >= 60e9 ? 2e9 : 0) - (t >= 120e9 ? 0.5e9 : 0));
    const fit = estimator.result();
    expect(fit.jumps).toHaveLength(2);
    expect(fit.jumps[0]!.stepNs).toBeCloseTo(-2e9, -7);
    expect(fit.jumps[1]!.stepNs).toBeCloseTo(0.5e9, -7);
    expect(fit.segments.map((s) => s.messages)).toEqual([1200, 1200, 1200]);
    for (const segment of fit.segments) {
      expect((1 / (1 + segment.slope) - 1) * 1e6).toBeCloseTo(20, 0);
    }
  });

  it('does not mistake a transport stall for a jump', () => {
    const estimator = new ClockEstimator();
    let k = 0;
    for (; k < 2000; k++) {
      const t = k * 50e6;
      // 800 ms stall around 40 s: latencies rise, then recover
      const stall = t > 40e9 && t < 40.8e9 ? 40.8e9 - t : 0;
      estimator.add(t, 10e6 + stall);
    }
    expect(estimator.result().jumps).toEqual([]);
  });

  it('keeps bounded memory over long input and still recovers the drift', () => {
    const estimator = new ClockEstimator({ maxWindows: 64 });
    feed(estimator, 3 * 3600, (t) => 5e9 + t * (1 - 35e-6));
    const fit = estimator.result();
    expect(fit.segments).toHaveLength(1);
    expect((1 / (1 + fit.segments[0]!.slope) - 1) * 1e6).toBeCloseTo(-35, 1);
  });

  it('handles a sensor stamping time since boot next to UTC log times', () => {
    const base = new TimeBase();
    const analyzer = new SyncAnalyzer(['boot'], base, { reference: 0, tolerancesNs: [0] });
    const bootTime = 1_714_000_000_000_000_000n - 12_345_678_901_234n;
    for (let k = 0n; k < 2000n; k++) {
      const logTime = 1_714_000_000_000_000_000n + k * 10_000_000n + 2_000_000n;
      const stamp = logTime - bootTime - 2_000_000n;
      analyzer.add(0, base.offset(logTime, 'logTime'), stamp, logTime);
    }
    const clock = analyzer.finish().channels[0]!.clock!;
    expect(BigInt(clock.offsetNs)).toBe(-bootTime - 2_000_000n);
    expect(Math.abs(clock.driftPpm)).toBeLessThan(1e-6);
  });
});
