/**
 * The sync quality report of a recording (ADR 045): per channel its clock (offset, drift,
 * jitter, jumps) and its rate (nominal period, drops, gaps); per sensor against a reference
 * stream the distribution of stamp deltas, the fraction within tolerance and one score. All
 * streaming, in memory bounded per channel; ingest stores the report and the web UI plots its
 * histograms and series.
 */
import { ClockEstimator, type ClockEstimatorOptions, type ClockFit } from './clock.js';
import { ReferencePolicy } from './reference.js';
import {
  DownsampledSeries,
  Quantiles,
  SignedHistogram,
  type LinearHistogram,
  type Series,
} from './stats.js';
import type { TimeBase } from './time.js';
import { MAX_OFFSET, type Nanoseconds } from './time.js';

/** Where the stamp a message was synchronized on came from. */
export type StampSource = 'header' | 'logTime';

/** The clock of a channel: sensor stamps against the recorder's log time. */
export interface ClockReport {
  /**
   * Sensor clock minus recorder clock at the channel's first stamp, in ns (decimal string: it
   * can exceed 2^53 for a sensor stamping time since boot). It includes the channel's minimum
   * transport latency, which one-way timing cannot tell apart (ADR 044).
   */
  readonly offsetNs: string;
  /** How much faster the sensor clock runs than the recorder's, parts per million. */
  readonly driftPpm: number;
  /** Standard deviation of the latency around the fitted envelope, ns. */
  readonly jitterNs: number;
  /** Mean latency above the envelope, ns. */
  readonly meanExcessLatencyNs: number;
  /** Clock jumps: first stamp after each and the step of the offset, ns (positive: stamps leapt ahead). */
  readonly jumps: readonly { readonly stamp: string; readonly stepNs: number }[];
  readonly jumpCount: number;
  /** The fits between jumps; the headline figures above are those of the longest. */
  readonly segments: readonly {
    readonly firstStamp: string;
    readonly lastStamp: string;
    readonly messages: number;
    readonly offsetNs: string;
    readonly driftPpm: number;
    readonly jitterNs: number;
    readonly meanExcessLatencyNs: number;
  }[];
}

/** Rate of a channel from its stamps. */
export interface RateReport {
  /** Median interval between consecutive stamps, ns; 0 with fewer than two messages. */
  readonly nominalPeriodNs: number;
  readonly nominalRateHz: number;
  /** Messages the nominal rate implies were never recorded (sum over gaps of intervals − 1). */
  readonly dropped: number;
  /** Intervals longer than 1.5 nominal periods. */
  readonly gaps: number;
  /** Total time missing in gaps (each gap's interval minus one period), ns. */
  readonly gapTimeNs: number;
  /** The longest gaps, longest first (at most 20). */
  readonly longestGaps: readonly {
    readonly stamp: string;
    readonly durationNs: number;
    readonly missing: number;
  }[];
  /** Consecutive messages with equal stamps. */
  readonly duplicateStamps: number;
  /** Consecutive messages whose stamp went back. */
  readonly backwardStamps: number;
}

/** One sensor measured against the reference stream. */
export interface SensorSyncReport {
  readonly toleranceNs: number;
  /** Reference messages this sensor was measured at. */
  readonly samples: number;
  /** Of those, how many found no message of this sensor at all. */
  readonly missing: number;
  /** Distribution of |stamp − reference stamp| of the nearest message, ns. */
  readonly absDeltaNs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Mean signed delta (sensor minus reference), ns. */
  readonly meanDeltaNs: number;
  readonly withinTolerance: number;
  /** Signed deltas in 80 bins over ±4 tolerances. */
  readonly histogram: LinearHistogram;
  /** Signed delta over reference time; bucket times are ns after `seriesStart`. */
  readonly series: Series;
  readonly seriesStart: string;
  /** 0–100: within-tolerance fraction times the fraction of nominal messages received. */
  readonly score: number;
}

/** Report of one channel. */
export interface ChannelSyncReport {
  readonly name: string;
  readonly messages: number;
  /** Messages synchronized on their header stamp, and on their log time (no usable stamp). */
  readonly stampSource: { readonly header: number; readonly logTime: number };
  readonly firstStamp: string | null;
  readonly lastStamp: string | null;
  /** Absent when no message carried a header stamp. */
  readonly clock?: ClockReport;
  readonly rate: RateReport;
  /** Absent for the reference stream itself. */
  readonly sync?: SensorSyncReport;
}

/** The sync quality of a recording. */
export interface SyncQualityReport {
  readonly version: 1;
  readonly reference: string;
  /** Lowest sensor score (0–100). */
  readonly score: number;
  readonly threshold: number;
  readonly passed: boolean;
  readonly channels: readonly ChannelSyncReport[];
}

/** Options of the analyzer. */
export interface QualityOptions {
  /** Index of the stream deltas are measured against. */
  readonly reference: number;
  /** Tolerance per stream, ns. */
  readonly tolerancesNs: readonly number[];
  /** Score below which the recording fails; 90 by default. */
  readonly threshold?: number;
  readonly clock?: ClockEstimatorOptions;
  /** Reference samples waiting for a stalled stream before deciding without it; 1000 by default. */
  readonly queueSize?: number;
}

const maxListedGaps = 20;
const warmUpIntervals = 63;

/** Nominal period, drops and gaps of one channel, from its stamps in arrival order. */
class RateTracker {
  private previous = NaN;
  private readonly warmUp: number[] = [];
  private period = 0;
  private readonly intervals = new Quantiles();
  dropped = 0;
  gaps = 0;
  gapTime = 0;
  duplicates = 0;
  backward = 0;
  readonly longest: { stamp: number; durationNs: number; missing: number }[] = [];

  add(stamp: number): void {
    const previous = this.previous;
    this.previous = stamp;
    if (Number.isNaN(previous)) return;
    const interval = stamp - previous;
    if (interval === 0) {
      this.duplicates++;
      return;
    }
    if (interval < 0) {
      this.backward++;
      return;
    }
    this.intervals.add(interval);
    if (this.period === 0) {
      // The nominal period comes from the median of the first intervals; judge those afterwards.
      this.warmUp.push(stamp, interval);
      if (this.warmUp.length / 2 >= warmUpIntervals) this.settle();
      return;
    }
    this.judge(stamp, interval);
  }

  /** Finishes the warm-up if the input ended during it. */
  finish(): void {
    if (this.period === 0 && this.warmUp.length > 0) this.settle();
  }

  get nominalPeriod(): number {
    return this.intervals.count === 0 ? 0 : this.intervals.at(50);
  }

  private settle(): void {
    const intervals: number[] = [];
    for (let i = 1; i < this.warmUp.length; i += 2) intervals.push(this.warmUp[i]!);
    intervals.sort((a, b) => a - b);
    this.period = intervals[intervals.length >> 1]!;
    for (let i = 0; i < this.warmUp.length; i += 2)
      this.judge(this.warmUp[i]!, this.warmUp[i + 1]!);
    this.warmUp.length = 0;
  }

  private judge(stamp: number, interval: number): void {
    if (interval <= 1.5 * this.period) return;
    const missing = Math.max(1, Math.round(interval / this.period) - 1);
    this.dropped += missing;
    this.gaps++;
    this.gapTime += interval - this.period;
    const gap = { stamp: stamp - interval, durationNs: interval, missing };
    if (this.longest.length < maxListedGaps) {
      this.longest.push(gap);
      this.longest.sort((a, b) => b.durationNs - a.durationNs);
    } else if (interval > this.longest[maxListedGaps - 1]!.durationNs) {
      this.longest[maxListedGaps - 1] = gap;
      this.longest.sort((a, b) => b.durationNs - a.durationNs);
    }
  }
}

/**
 * The clock estimator of one channel with bigint edges: times are offsets from the channel's
 * own first stamp and log time, so a sensor stamping time since boot is estimated as well as
 * one on UTC. A stamp beyond 52 days of the base is a jump by definition and starts afresh.
 */
class ChannelClock {
  private stampBase: Nanoseconds | undefined;
  private logBase: Nanoseconds = 0n;
  private estimator: ClockEstimator;
  private readonly fits: { fit: ClockFit; stampBase: Nanoseconds; logBase: Nanoseconds }[] = [];
  private readonly bigJumps: { stamp: Nanoseconds; stepNs: number }[] = [];

  constructor(private readonly options: ClockEstimatorOptions | undefined) {
    this.estimator = new ClockEstimator(options);
  }

  add(stamp: Nanoseconds, logTime: Nanoseconds): void {
    if (this.stampBase === undefined) {
      this.stampBase = stamp;
      this.logBase = logTime;
    }
    const t = stamp - this.stampBase;
    const log = logTime - this.logBase;
    if (t > BigInt(MAX_OFFSET) || t < -BigInt(MAX_OFFSET) || log > BigInt(MAX_OFFSET)) {
      const previous = this.stampBase - this.logBase;
      this.fits.push({
        fit: this.estimator.result(),
        stampBase: this.stampBase,
        logBase: this.logBase,
      });
      this.bigJumps.push({ stamp, stepNs: Number(stamp - logTime - previous) });
      this.estimator = new ClockEstimator(this.options);
      this.stampBase = stamp;
      this.logBase = logTime;
      this.estimator.add(0, 0);
      return;
    }
    const tn = Number(t);
    this.estimator.add(tn, Number(log) - tn);
  }

  report(): ClockReport | undefined {
    if (this.stampBase === undefined) return undefined;
    const parts = [
      ...this.fits,
      { fit: this.estimator.result(), stampBase: this.stampBase, logBase: this.logBase },
    ];
    const segments: ClockReport['segments'][number][] = [];
    const jumps: { stamp: string; stepNs: number }[] = [];
    let jumpCount = this.bigJumps.length;
    for (const { fit, stampBase, logBase } of parts) {
      for (const segment of fit.segments) {
        // Offset = stamp − log time on the envelope = −(latency envelope) − (logBase − stampBase).
        const offset = stampBase - logBase - BigInt(Math.round(segment.envelopeAtFirst));
        segments.push({
          firstStamp: (stampBase + BigInt(segment.firstStamp)).toString(),
          lastStamp: (stampBase + BigInt(segment.lastStamp)).toString(),
          messages: segment.messages,
          offsetNs: offset.toString(),
          driftPpm: (1 / (1 + segment.slope) - 1) * 1e6,
          jitterNs: segment.jitterNs,
          meanExcessLatencyNs: segment.meanExcessNs,
        });
      }
      for (const jump of fit.jumps) {
        jumps.push({ stamp: (stampBase + BigInt(jump.stamp)).toString(), stepNs: -jump.stepNs });
      }
      jumpCount += fit.jumps.length + fit.jumpsNotListed;
    }
    for (const jump of this.bigJumps)
      jumps.push({ stamp: jump.stamp.toString(), stepNs: jump.stepNs });
    jumps.sort((a, b) => (BigInt(a.stamp) < BigInt(b.stamp) ? -1 : 1));
    const longest = segments.reduce(
      (best, s) => (s.messages > best.messages ? s : best),
      segments[0]!,
    );
    return {
      offsetNs: longest.offsetNs,
      driftPpm: longest.driftPpm,
      jitterNs: longest.jitterNs,
      meanExcessLatencyNs: longest.meanExcessLatencyNs,
      jumps,
      jumpCount,
      segments,
    };
  }
}

/** Deltas of one sensor against the reference. */
class SensorDeltas {
  readonly quantiles = new Quantiles();
  readonly histogram: SignedHistogram;
  readonly series = new DownsampledSeries(1e9);
  samples = 0;
  missing = 0;
  within = 0;
  sum = 0;

  constructor(readonly tolerance: number) {
    this.histogram = new SignedHistogram(4 * Math.max(tolerance, 1), 80);
  }

  add(time: number, delta: number): void {
    this.samples++;
    const magnitude = Math.abs(delta);
    this.quantiles.add(magnitude);
    this.histogram.add(delta);
    this.series.add(time, delta);
    this.sum += delta;
    if (magnitude <= this.tolerance) this.within++;
  }
}

/**
 * Builds the quality report while messages stream by. Feed every message in arrival order;
 * `syncStamp` is the stamp the policies use (header stamp, or log time where there is none),
 * as an offset of `stampBase`.
 */
export class SyncAnalyzer {
  private readonly reference: number;
  private readonly threshold: number;
  private readonly clocks: ChannelClock[];
  private readonly rates: RateTracker[];
  private readonly deltas: (SensorDeltas | undefined)[];
  private readonly counts: {
    messages: number;
    header: number;
    logTime: number;
    first: number;
    last: number;
  }[];
  private readonly engine: ReferencePolicy;

  constructor(
    private readonly names: readonly string[],
    private readonly stampBase: TimeBase,
    options: QualityOptions,
  ) {
    this.reference = options.reference;
    this.threshold = options.threshold ?? 90;
    this.clocks = names.map(() => new ChannelClock(options.clock));
    this.rates = names.map(() => new RateTracker());
    this.deltas = names.map((_, s) =>
      s === options.reference ? undefined : new SensorDeltas(options.tolerancesNs[s] ?? 0),
    );
    this.counts = names.map(() => ({
      messages: 0,
      header: 0,
      logTime: 0,
      first: Infinity,
      last: -Infinity,
    }));
    this.engine = new ReferencePolicy(
      names.length,
      {
        reference: options.reference,
        tolerancesNs: names.map(() => Infinity),
        keepIncomplete: true,
        exclusive: false,
        ...(options.queueSize === undefined ? {} : { queueSize: options.queueSize }),
      },
      (sample) => {
        for (let s = 0; s < names.length; s++) {
          const deltas = this.deltas[s];
          if (deltas === undefined) continue;
          if (sample.ids[s]! < 0) {
            deltas.samples++;
            deltas.missing++;
          } else {
            deltas.add(sample.time, sample.stamps[s]! - sample.time);
          }
        }
      },
    );
  }

  /**
   * Adds one message. `headerStamp` is undefined when the message carries none; `syncedOn`
   * says whether `syncStamp` is that stamp or the log time (a stamp on no shared clock).
   */
  add(
    stream: number,
    syncStamp: number,
    headerStamp: Nanoseconds | undefined,
    logTime: Nanoseconds,
    syncedOn: StampSource = headerStamp === undefined ? 'logTime' : 'header',
  ): void {
    const counts = this.counts[stream]!;
    counts.messages++;
    if (syncStamp < counts.first) counts.first = syncStamp;
    if (syncStamp > counts.last) counts.last = syncStamp;
    if (syncedOn === 'header') counts.header++;
    else counts.logTime++;
    if (headerStamp !== undefined) this.clocks[stream]!.add(headerStamp, logTime);
    this.rates[stream]!.add(syncStamp);
    this.engine.push(stream, syncStamp, counts.messages - 1);
  }

  /** Ends the input and returns the report. */
  finish(): SyncQualityReport {
    this.engine.finish();
    const absolute = (offset: number): string => this.stampBase.absolute(offset).toString();
    let score = 100;
    const channels = this.names.map((name, s): ChannelSyncReport => {
      const counts = this.counts[s]!;
      const rate = this.rates[s]!;
      rate.finish();
      const period = rate.nominalPeriod;
      const clock = this.clocks[s]!.report();
      const deltas = this.deltas[s];
      let sync: SensorSyncReport | undefined;
      if (deltas !== undefined) {
        const measured = deltas.samples - deltas.missing;
        const withinTolerance = deltas.samples === 0 ? 0 : deltas.within / deltas.samples;
        const expected = counts.messages + rate.dropped;
        const received = expected === 0 ? 0 : counts.messages / expected;
        const sensorScore = 100 * withinTolerance * received;
        score = Math.min(score, sensorScore);
        sync = {
          toleranceNs: deltas.tolerance,
          samples: deltas.samples,
          missing: deltas.missing,
          absDeltaNs: {
            p50: deltas.quantiles.at(50),
            p95: deltas.quantiles.at(95),
            p99: deltas.quantiles.at(99),
            max: deltas.quantiles.maximum,
          },
          meanDeltaNs: measured === 0 ? 0 : deltas.sum / measured,
          withinTolerance,
          histogram: deltas.histogram.result(),
          series: deltas.series.result(),
          seriesStart: Number.isNaN(deltas.series.origin) ? '0' : absolute(deltas.series.origin),
          score: sensorScore,
        };
      }
      return {
        name,
        messages: counts.messages,
        stampSource: { header: counts.header, logTime: counts.logTime },
        firstStamp: counts.messages === 0 ? null : absolute(counts.first),
        lastStamp: counts.messages === 0 ? null : absolute(counts.last),
        ...(clock === undefined ? {} : { clock }),
        rate: {
          nominalPeriodNs: period,
          nominalRateHz: period > 0 ? 1e9 / period : 0,
          dropped: rate.dropped,
          gaps: rate.gaps,
          gapTimeNs: rate.gapTime,
          longestGaps: rate.longest.map((gap) => ({ ...gap, stamp: absolute(gap.stamp) })),
          duplicateStamps: rate.duplicates,
          backwardStamps: rate.backward,
        },
        ...(sync === undefined ? {} : { sync }),
      };
    });
    return {
      version: 1,
      reference: this.names[this.reference]!,
      score,
      threshold: this.threshold,
      passed: score >= this.threshold,
      channels,
    };
  }
}
