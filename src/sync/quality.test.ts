import { describe, expect, it } from 'vitest';
import {
  createRig,
  planFleet,
  rigTimeline,
  type GnssTimeScale,
  type RecordingPlan,
} from '../recordings/index.js';
import { reportFromColumns } from './columns.js';
import { SyncAnalyzer, type SyncQualityReport } from './quality.js';
import { TimeBase } from './time.js';

const start = 1_714_000_000_000_000_000n;

/** Feeds (name, stamps, log times) channels through an analyzer in log-time order. */
function analyze(
  channels: {
    name: string;
    stamps: ArrayLike<number>;
    logs: ArrayLike<number>;
    noStamp?: boolean;
  }[],
  tolerancesNs: number[],
  threshold?: number,
): SyncQualityReport {
  const base = new TimeBase();
  const analyzer = new SyncAnalyzer(
    channels.map((c) => c.name),
    base,
    { reference: 0, tolerancesNs, ...(threshold === undefined ? {} : { threshold }) },
  );
  const cursors = channels.map(() => 0);
  for (;;) {
    let next = -1;
    for (let s = 0; s < channels.length; s++) {
      const i = cursors[s]!;
      if (i >= channels[s]!.stamps.length) continue;
      if (next < 0 || channels[s]!.logs[i]! < channels[next]!.logs[cursors[next]!]!) next = s;
    }
    if (next < 0) break;
    const channel = channels[next]!;
    const i = cursors[next]!++;
    const logTime = start + BigInt(channel.logs[i]!);
    const stamp = channel.noStamp === true ? undefined : start + BigInt(channel.stamps[i]!);
    analyzer.add(next, base.offset(stamp ?? logTime, 'stamp'), stamp, logTime);
  }
  return analyzer.finish();
}

function periodic(
  periodNs: number,
  count: number,
  offsetNs = 0,
  latencyNs = 20e6,
): { stamps: number[]; logs: number[] } {
  const stamps = Array.from({ length: count }, (_, k) => Math.round(k * periodNs + offsetNs));
  return { stamps, logs: stamps.map((s) => s + latencyNs) };
}

describe('sync quality report', () => {
  it('measures stamp deltas against the reference', () => {
    const lidar = periodic(100e6, 600);
    const camera = periodic(100e6 / 3, 1800, 5e6);
    const report = analyze(
      [
        { name: 'lidar', ...lidar },
        { name: 'camera', ...camera },
      ],
      [0, 10e6],
    );
    expect(report.reference).toBe('lidar');
    const sync = report.channels[1]!.sync!;
    // every lidar sweep has a camera frame 5 ms later (the one 28.3 ms earlier is farther)
    expect(sync.samples).toBe(600);
    expect(sync.missing).toBe(0);
    expect(sync.absDeltaNs.p50).toBeGreaterThanOrEqual(4.95e6);
    expect(sync.absDeltaNs.p50).toBeLessThanOrEqual(5.05e6);
    expect(sync.absDeltaNs.max).toBe(5e6);
    expect(sync.meanDeltaNs).toBe(5e6);
    expect(sync.withinTolerance).toBe(1);
    expect(sync.score).toBe(100);
    expect(
      sync.histogram.counts.reduce((a, b) => a + b, 0) +
        sync.histogram.below +
        sync.histogram.above,
    ).toBe(600);
    // one bin holds them all: the one containing +5 ms
    const bin = Math.floor((5e6 - sync.histogram.startNs) / sync.histogram.binNs);
    expect(sync.histogram.counts[bin]).toBe(600);
    expect(sync.series.buckets.reduce((n, b) => n + b.n, 0)).toBe(600);
    expect(sync.series.buckets.every((b) => b.min === 5e6 && b.max === 5e6)).toBe(true);
    expect(report.channels[0]!.sync).toBeUndefined();
    expect(report.passed).toBe(true);
  });

  it('fails a recording whose sensor is off by more than its tolerance', () => {
    const lidar = periodic(100e6, 100);
    const radar = periodic(50e6, 200, 23e6);
    const report = analyze(
      [
        { name: 'lidar', ...lidar },
        { name: 'radar', ...radar },
      ],
      [0, 10e6],
    );
    const sync = report.channels[1]!.sync!;
    expect(sync.withinTolerance).toBe(0);
    expect(report.score).toBe(0);
    expect(report.passed).toBe(false);
  });

  it('counts drops and gaps against the nominal rate', () => {
    const camera = periodic(100e6 / 3, 3000);
    // drop frame 100, and a burst of 30 frames from 1000
    const keep = (k: number): boolean => k !== 100 && (k < 1000 || k >= 1030);
    const stamps = camera.stamps.filter((_, k) => keep(k));
    const logs = camera.logs.filter((_, k) => keep(k));
    const report = analyze(
      [
        { name: 'lidar', ...periodic(100e6, 1000) },
        { name: 'camera', stamps, logs },
      ],
      [0, 20e6],
    );
    const rate = report.channels[1]!.rate;
    expect(rate.dropped).toBe(31);
    expect(rate.gaps).toBe(2);
    expect(rate.nominalRateHz).toBeCloseTo(30, 0);
    expect(rate.longestGaps[0]!.missing).toBe(30);
    expect(BigInt(rate.longestGaps[0]!.stamp)).toBe(start + BigInt(Math.round(999 * (100e6 / 3))));
    const sync = report.channels[1]!.sync!;
    expect(sync.score).toBeCloseTo(100 * sync.withinTolerance * (2969 / 3000), 6);
  });

  it('counts the drops the generator made, from sequence numbers', () => {
    const rig = createRig(21, 'vehicle-21');
    const ids = ['lidar_top', 'camera_front', 'radar_front_left', 'gnss'];
    const timelines = rigTimeline(rig, 5 * 60e9, ids).sort(
      (a, b) => ids.indexOf(a.sensorId) - ids.indexOf(b.sensorId),
    );
    const report = analyze(
      timelines.map((t) => ({ name: t.sensorId, stamps: t.stampNs, logs: t.logNs })),
      [0, 20e6, 30e6, 60e6],
    );
    for (const [s, timeline] of timelines.entries()) {
      const truth =
        timeline.sequence[timeline.count - 1]! - timeline.sequence[0]! + 1 - timeline.count;
      const rate = report.channels[s]!.rate;
      expect(Math.abs(rate.dropped - truth), timeline.sensorId).toBeLessThanOrEqual(
        0.02 * truth + 2,
      );
      const sensor = rig.sensors.find((x) => x.id === timeline.sensorId)!;
      expect(rate.nominalRateHz / sensor.rateHz).toBeCloseTo(1, 2);
    }
  });

  it('scores a generated fleet as healthy, and fails it when its GNSS stamps GPS time', () => {
    // As ingest scores a recording: every stamped sensor but the CAN bus, against the lidar.
    const scoreOf = (plan: RecordingPlan, gnssTime: GnssTimeScale): SyncQualityReport => {
      const rig = createRig(plan.seed, plan.vehicleId, { gnssTime });
      const sensors = rig.sensors.filter((s) => s.kind !== 'can').map((s) => s.id);
      const absolute = (times: Float64Array): BigInt64Array =>
        BigInt64Array.from(times, (t) => plan.startTimeNs + BigInt(Math.round(t)));
      return reportFromColumns(
        rigTimeline(rig, plan.durationNs, sensors).map((t) => ({
          name: t.sensorId,
          logTimes: absolute(t.logNs),
          stamps: absolute(t.stampNs),
          stampFromHeader: true,
        })),
        { file: plan.fileName, reference: 'lidar_top' },
      );
    };
    for (const plan of planFleet({ seed: 2026, vehicles: 4, minutes: 1 })) {
      const healthy = scoreOf(plan, 'utc');
      expect(healthy.score, plan.vehicleId).toBeGreaterThanOrEqual(90);
      expect(healthy.passed).toBe(true);
      const faulty = scoreOf(plan, 'gps');
      const gnss = faulty.channels.find((c) => c.name === 'gnss')!;
      expect(faulty.score, plan.vehicleId).toBe(gnss.sync!.score);
      expect(faulty.score, plan.vehicleId).toBeLessThan(80);
    }
  });

  it('says which messages had no stamp and were synchronized on log time', () => {
    const report = analyze(
      [
        { name: 'lidar', ...periodic(100e6, 50) },
        { name: 'can', ...periodic(10e6, 500), noStamp: true },
      ],
      [0, 5e6],
    );
    const can = report.channels[1]!;
    expect(can.stampSource).toEqual({ header: 0, logTime: 500 });
    expect(can.clock).toBeUndefined();
    expect(report.channels[0]!.stampSource).toEqual({ header: 50, logTime: 0 });
  });

  it('reports a channel with no messages without failing', () => {
    const report = analyze(
      [
        { name: 'lidar', ...periodic(100e6, 10) },
        { name: 'dead', stamps: [], logs: [] },
      ],
      [0, 5e6],
    );
    const dead = report.channels[1]!;
    expect(dead.messages).toBe(0);
    expect(dead.firstStamp).toBeNull();
    expect(dead.sync!.missing).toBe(10);
    expect(report.passed).toBe(false);
  });
});
