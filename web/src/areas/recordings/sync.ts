// From the types module alone, so Node-side tests can use these helpers without the DOM.
import type { ChannelSync, SyncHistogram, SyncSeries } from '../../api/types.js';

/** Three significant digits, as the sync figures are quoted. */
function significant(value: number): string {
  const magnitude = Math.abs(value);
  return value.toFixed(magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2);
}

/** A signed time in nanoseconds with a fitting unit: "850 ns", "918 µs", "-9.18 ms", "1.24 s". */
export function formatNanoseconds(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  const magnitude = Math.abs(ns);
  if (magnitude < 1e3) return `${Math.round(ns)} ns`;
  if (magnitude < 1e6) return `${significant(ns / 1e3)} µs`;
  if (magnitude < 1e9) return `${significant(ns / 1e6)} ms`;
  // Sensors stamping time since boot sit days or years off the recorder's clock.
  if (magnitude < 1e12) return `${significant(ns / 1e9)} s`;
  return `${(ns / 1e9).toLocaleString('en-US', { maximumFractionDigits: 0 })} s`;
}

/** A clock offset, which the API sends as a decimal string since it can exceed 2^53 ns. */
export function formatClockOffset(offsetNs: string): string {
  return formatNanoseconds(Number(offsetNs));
}

/** Clock drift in parts per million, signed: "-5.54 ppm". */
export function formatPpm(ppm: number): string {
  return Number.isFinite(ppm) ? `${significant(ppm)} ppm` : '—';
}

/** A fraction (0–1) as a percentage with one decimal: "99.6 %". */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)} %` : '—';
}

/** A sync score (0–100) with one decimal. */
export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(1) : '—';
}

/** What the list's badge says about a recording whose sync failed. */
export function syncFailedTitle(score: number): string {
  return `Sync score ${formatScore(score)} of 100, below the pass threshold`;
}

/** Where a channel's stamps came from: its message headers, the recorder's log time, or both. */
export function stampSourceOf(channel: Pick<ChannelSync, 'stampSource'>): {
  readonly label: string;
  readonly detail: string;
} {
  const { header, logTime } = channel.stampSource;
  if (logTime === 0)
    return { label: 'header', detail: 'Every message was synchronized on its header stamp.' };
  if (header === 0)
    return {
      label: 'log time',
      detail: 'No message carried a usable header stamp, so the recorder’s log time stood in.',
    };
  return {
    label: 'mixed',
    detail: `${header.toLocaleString('en-US')} messages on their header stamp, ${logTime.toLocaleString('en-US')} on log time (no usable stamp).`,
  };
}

/** Share of the messages the nominal rate implies that were never recorded. */
export function droppedShare(channel: Pick<ChannelSync, 'messages' | 'rate'>): number {
  const expected = channel.messages + channel.rate.dropped;
  return expected === 0 ? 0 : channel.rate.dropped / expected;
}

export interface HistogramPlotData {
  /** Centre of each shown bin, ms. */
  readonly centres: number[];
  readonly counts: number[];
  /** The shown range, ms: the outer edges of the first and last bin. */
  readonly from: number;
  readonly to: number;
  readonly binMs: number;
  /** Deltas beyond the histogram's range (it spans ±4 tolerances). */
  readonly outside: number;
}

/**
 * The histogram's bins worth showing: symmetric around zero, wide enough for the tolerance and
 * every filled bin, plus one empty bin each side; the rest of the ±4-tolerance range is empty
 * and would squeeze the distribution into a spike. Undefined when no delta was measured.
 */
export function histogramPlotData(
  histogram: SyncHistogram,
  toleranceNs: number,
): HistogramPlotData | undefined {
  const { startNs, binNs, counts } = histogram;
  const outside = histogram.below + histogram.above;
  if (binNs <= 0 || counts.length === 0) return undefined;
  if (counts.every((c) => c === 0) && outside === 0) return undefined;
  let reach = Math.max(0, toleranceNs);
  counts.forEach((count, i) => {
    if (count === 0) return;
    const low = startNs + i * binNs;
    reach = Math.max(reach, Math.abs(low), Math.abs(low + binNs));
  });
  // The small tolerance makes rounding of (edge − start) / bin land just off a whole bin.
  const epsilon = 1e-9;
  const first = Math.max(0, Math.floor((-reach - startNs) / binNs + epsilon) - 1);
  const last = Math.min(counts.length - 1, Math.ceil((reach - startNs) / binNs - epsilon));
  const shown = counts.slice(first, last + 1);
  return {
    centres: shown.map((_, k) => (startNs + (first + k + 0.5) * binNs) / 1e6),
    counts: [...shown],
    from: (startNs + first * binNs) / 1e6,
    to: (startNs + (last + 1) * binNs) / 1e6,
    binMs: binNs / 1e6,
    outside,
  };
}

export interface DeltaSeriesPlotData {
  /** Seconds from the recording's start (from the series' start when that is unknown). */
  readonly times: number[];
  /** Signed delta per bucket, ms; null where no reference message fell, to break the line. */
  readonly mean: (number | null)[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
}

/**
 * The delta-over-time plot's data: one point per bucket, at its centre. Buckets without
 * reference messages are absent from the report; a null point where they were breaks the line
 * there instead of bridging the gap. Undefined when the series is empty.
 */
export function deltaSeriesPlotData(
  series: SyncSeries,
  seriesStart: string,
  recordingStart: string | null,
): DeltaSeriesPlotData | undefined {
  if (series.buckets.length === 0 || series.bucketNs <= 0) return undefined;
  const startMs = recordingStart === null ? Number.NaN : Date.parse(recordingStart);
  // BigInt first: absolute times in ns are beyond 2^53.
  const offsetSeconds = Number.isNaN(startMs)
    ? 0
    : Number(BigInt(seriesStart) - BigInt(startMs) * 1_000_000n) / 1e9;
  const data: DeltaSeriesPlotData = { times: [], mean: [], min: [], max: [] };
  const at = (t: number): number => offsetSeconds + (t + series.bucketNs / 2) / 1e9;
  let previous: number | undefined;
  for (const bucket of series.buckets) {
    if (previous !== undefined && bucket.t - previous > series.bucketNs) {
      data.times.push(at(previous + series.bucketNs));
      data.mean.push(null);
      data.min.push(null);
      data.max.push(null);
    }
    data.times.push(at(bucket.t));
    data.mean.push(bucket.mean / 1e6);
    data.min.push(bucket.min / 1e6);
    data.max.push(bucket.max / 1e6);
    previous = bucket.t;
  }
  return data;
}
