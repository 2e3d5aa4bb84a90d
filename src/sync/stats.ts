/**
 * Bounded-memory statistics for sync quality: quantiles (HdrHistogram), a linear histogram of
 * signed deltas and a delta-over-time series whose buckets widen as the recording grows.
 */
import * as hdr from 'hdr-histogram-js';

/** Quantiles of non-negative values to 1% relative accuracy; the maximum is exact. */
export class Quantiles {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    autoResize: true,
    numberOfSignificantValueDigits: 2,
    bitBucketSize: 'packed',
    useWebAssembly: false,
  });
  private max = 0;
  private zeros = 0;
  count = 0;

  add(value: number): void {
    this.count++;
    if (value > this.max) this.max = value;
    // HdrHistogram's lowest discernible value is 1: zero is kept apart so that it stays exact.
    if (value < 1) this.zeros++;
    else this.histogram.recordValue(Math.round(value));
  }

  /** The value below which `percent` of the values lie; 0 with no values. */
  at(percent: number): number {
    if (this.count === 0) return 0;
    const rank = (percent / 100) * this.count;
    if (rank <= this.zeros) return 0;
    const rest = this.count - this.zeros;
    return Math.min(
      this.max,
      this.histogram.getValueAtPercentile(((rank - this.zeros) / rest) * 100),
    );
  }

  get maximum(): number {
    return this.max;
  }
}

/** A histogram with fixed linear bins, counting values outside them below and above. */
export interface LinearHistogram {
  /** Lower edge of the first bin, ns. */
  readonly startNs: number;
  readonly binNs: number;
  readonly counts: number[];
  readonly below: number;
  readonly above: number;
}

/** Builds a linear histogram of `bins` bins centred on 0 spanning ±`halfWidth`. */
export class SignedHistogram {
  private readonly counts: Float64Array;
  private below = 0;
  private above = 0;
  private readonly start: number;
  private readonly bin: number;

  constructor(halfWidth: number, bins: number) {
    this.bin = Math.max(1, (2 * halfWidth) / bins);
    this.start = -this.bin * (bins / 2);
    this.counts = new Float64Array(bins);
  }

  add(value: number): void {
    const k = Math.floor((value - this.start) / this.bin);
    if (k < 0) this.below++;
    else if (k >= this.counts.length) this.above++;
    else this.counts[k] = this.counts[k]! + 1;
  }

  result(): LinearHistogram {
    return {
      startNs: this.start,
      binNs: this.bin,
      counts: Array.from(this.counts),
      below: this.below,
      above: this.above,
    };
  }
}

/** One bucket of a series: the values that fell into [t, t + bucketNs). */
export interface SeriesBucket {
  /** Start of the bucket, ns after the series' start. */
  readonly t: number;
  readonly n: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** A downsampled series of values over time. */
export interface Series {
  readonly bucketNs: number;
  readonly buckets: SeriesBucket[];
}

/** Min/max/mean per time bucket; past `maxBuckets` buckets, neighbours merge and the bucket doubles. */
export class DownsampledSeries {
  private bucket: number;
  private start = NaN;
  private readonly n: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private used = 0;

  constructor(
    initialBucketNs: number,
    private readonly maxBuckets = 512,
  ) {
    this.bucket = initialBucketNs;
    this.n = new Float64Array(maxBuckets);
    this.min = new Float64Array(maxBuckets).fill(Infinity);
    this.max = new Float64Array(maxBuckets).fill(-Infinity);
    this.sum = new Float64Array(maxBuckets);
  }

  /** The series' origin: the time of its first value. */
  get origin(): number {
    return this.start;
  }

  add(time: number, value: number): void {
    if (Number.isNaN(this.start)) this.start = time;
    let k = Math.floor((time - this.start) / this.bucket);
    if (k < 0) k = 0;
    while (k >= this.maxBuckets) {
      this.halve();
      k = Math.floor((time - this.start) / this.bucket);
    }
    this.n[k] = this.n[k]! + 1;
    if (value < this.min[k]!) this.min[k] = value;
    if (value > this.max[k]!) this.max[k] = value;
    this.sum[k] = this.sum[k]! + value;
    if (k + 1 > this.used) this.used = k + 1;
  }

  result(): Series {
    const buckets: SeriesBucket[] = [];
    for (let k = 0; k < this.used; k++) {
      const n = this.n[k]!;
      if (n === 0) continue;
      buckets.push({
        t: k * this.bucket,
        n,
        min: this.min[k]!,
        max: this.max[k]!,
        mean: this.sum[k]! / n,
      });
    }
    return { bucketNs: this.bucket, buckets };
  }

  private halve(): void {
    const half = this.maxBuckets >> 1;
    for (let k = 0; k < half; k++) {
      const a = 2 * k;
      const b = a + 1;
      this.n[k] = this.n[a]! + this.n[b]!;
      this.min[k] = Math.min(this.min[a]!, this.min[b]!);
      this.max[k] = Math.max(this.max[a]!, this.max[b]!);
      this.sum[k] = this.sum[a]! + this.sum[b]!;
    }
    this.n.fill(0, half);
    this.min.fill(Infinity, half);
    this.max.fill(-Infinity, half);
    this.sum.fill(0, half);
    this.bucket *= 2;
    this.used = Math.ceil(this.used / 2);
  }
}
