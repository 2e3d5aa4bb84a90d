import { sensorKinds, type MessageRates } from '../../api/index.js';
import { sensorColor, sensorKind } from './sensors.js';

/**
 * Bins for a recording's rate plot: one per second for short drives (finer bins hold one or two
 * messages of a slow sensor and jitter between them), at most `maxBins` for long ones.
 */
export function binsFor(durationSeconds: number | null, maxBins = 300): number {
  if (durationSeconds === null || !Number.isFinite(durationSeconds) || durationSeconds <= 0)
    return 1;
  return Math.max(1, Math.min(maxBins, Math.ceil(durationSeconds)));
}

export interface RateSeries {
  readonly key: number;
  readonly topic: string;
  readonly sensor: string;
  readonly color: string;
  /** Messages per second in each bin. */
  readonly values: number[];
  /** Messages per second over the whole drive. */
  readonly mean: number;
}

export interface RatePlotData {
  /** Seconds from the recording's start: the start of each bin, and the end of the last one. */
  readonly times: number[];
  readonly series: readonly RateSeries[];
}

/**
 * The rate plot's data: messages per second per channel and bin, channels grouped by sensor.
 * Each series repeats its last value at the end time, so a stepped line draws the last bin too.
 * Undefined when there is nothing to plot (the recording is not read through yet).
 */
export function ratePlotData(rates: MessageRates): RatePlotData | undefined {
  if (rates.start === null || rates.binSeconds <= 0 || rates.channels.length === 0)
    return undefined;
  const bins = Math.max(...rates.channels.map((c) => c.counts.length));
  if (bins === 0) return undefined;
  const times = Array.from({ length: bins + 1 }, (_, i) => i * rates.binSeconds);
  const order = (sensor: string) => sensorKinds.indexOf(sensorKind(sensor));
  // By code unit, so /cam/front sorts before /cam/front_left as in a file listing.
  const channels = [...rates.channels].sort(
    (a, b) =>
      order(a.sensor) - order(b.sensor) || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0),
  );
  const perSensor = new Map<string, number>();
  for (const channel of channels) {
    const kind = sensorKind(channel.sensor);
    perSensor.set(kind, (perSensor.get(kind) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  const series = channels.map((channel) => {
    const kind = sensorKind(channel.sensor);
    const index = seen.get(kind) ?? 0;
    seen.set(kind, index + 1);
    const values = Array.from(
      { length: bins },
      (_, i) => (channel.counts[i] ?? 0) / rates.binSeconds,
    );
    const total = channel.counts.reduce((sum, count) => sum + count, 0);
    values.push(values[values.length - 1] ?? 0);
    return {
      mean: total / (bins * rates.binSeconds),
      key: channel.key,
      topic: channel.topic,
      sensor: channel.sensor,
      color: sensorColor(channel.sensor, index, perSensor.get(kind) ?? 1),
      values,
    };
  });
  return { times, series };
}
