import type { RecordingMetadata } from '../../formats/index.js';
import { countryAt, daylightAt, isValidPosition, type Daylight } from '../geo.js';
import type { Sensor } from '../sensors.js';

/** Default segment length: long enough to hold a scenario, short enough to find it in. */
export const defaultSegmentMs = 20_000;

export type SpeedBand = 'standstill' | 'urban' | 'rural' | 'highway';

/** Speed bands by mean speed: below 1 km/h the vehicle stands; urban below 50; rural to 100. */
export function speedBand(kmh: number): SpeedBand {
  if (kmh < 1) return 'standstill';
  if (kmh < 50) return 'urban';
  if (kmh <= 100) return 'rural';
  return 'highway';
}

/** A segment's facts and tags, as ingest stores them. */
export interface SegmentSummary {
  readonly seq: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly country: string | null;
  readonly daylight: Daylight | null;
  readonly speedKmhMean: number | null;
  readonly speedKmhMax: number | null;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly sensors: readonly Sensor[];
  readonly tags: readonly string[];
}

const weatherWords = new Set(['rain', 'snow', 'fog', 'clear', 'sleet', 'hail', 'drizzle', 'storm']);
/** Metadata records that describe the file or the platform, not the scene. */
const internalRecords = /^(drivetrain\.|rosbag2|ros2|mcap)/i;
const tagValue = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;
const timeLike = /^\d{4}-\d{2}-\d{2}|^\d+(\.\d+)?$/;

function tagWord(value: string): string {
  return value.trim().toLowerCase().replace(/\s+/g, '-');
}

/**
 * Tags from the metadata records a file carries: the weather as a bare word (`rain`), and every
 * other short, identifier-like entry as `key:value` (`campaign:winter-2026`). Times, numbers
 * and long texts are facts of the file, not of the scene, and are left out.
 */
export function metadataTags(records: readonly RecordingMetadata[]): string[] {
  const tags = new Set<string>();
  for (const record of records) {
    if (internalRecords.test(record.name)) continue;
    for (const [key, raw] of Object.entries(record.entries)) {
      const value = raw.trim();
      if (!tagValue.test(value) || timeLike.test(value)) continue;
      const word = tagWord(value);
      if (key.toLowerCase() === 'weather' && weatherWords.has(word)) tags.add(word);
      else tags.add(`${tagWord(key)}:${word}`);
    }
  }
  return [...tags].sort();
}

/** Splits [startMs, endMs] into consecutive segments of `lengthMs` (the last one may be shorter). */
export function planSegments(
  startMs: number,
  endMs: number,
  lengthMs = defaultSegmentMs,
): { startMs: number; endMs: number }[] {
  if (!(endMs >= startMs) || lengthMs <= 0) return [];
  const plans: { startMs: number; endMs: number }[] = [];
  for (let start = startMs; start <= endMs; start += lengthMs) {
    plans.push({ startMs: start, endMs: Math.min(start + lengthMs, endMs) });
    if (start + lengthMs > endMs) break;
  }
  return plans;
}

/** What one second of a recording contributed. */
interface Second {
  sensors: number;
  positionTime: number;
  lat: number;
  lon: number;
  speedSum: number;
  speedCount: number;
  speedMax: number;
}

const sensorBits: readonly Sensor[] = [
  'camera',
  'lidar',
  'radar',
  'can',
  'gnss',
  'imu',
  'pose',
  'other',
];

/**
 * Collects, per second of log time, which sensors delivered messages, where the vehicle was and
 * how fast it went; `finish` rolls the seconds up into segments and derives their tags. Works
 * on messages in any order (a streamed file is in file order, not time order) without knowing
 * the recording's time range in advance; memory is one small record per second.
 */
export class SegmentAccumulator {
  private readonly seconds = new Map<number, Second>();

  private second(timeMs: number): Second {
    const key = Math.floor(timeMs / 1000);
    let second = this.seconds.get(key);
    if (second === undefined) {
      second = {
        sensors: 0,
        positionTime: Number.NaN,
        lat: 0,
        lon: 0,
        speedSum: 0,
        speedCount: 0,
        speedMax: 0,
      };
      this.seconds.set(key, second);
    }
    return second;
  }

  /** A message from a sensor at a log time. */
  sensorMessage(sensor: Sensor, timeMs: number): void {
    this.second(timeMs).sensors |= 1 << sensorBits.indexOf(sensor);
  }

  /** Marks a sensor present over a time range, as an index tells it without reading messages. */
  sensorRange(sensor: Sensor, fromMs: number, toMs: number): void {
    for (let t = fromMs; t < toMs; t += 1000) this.sensorMessage(sensor, t);
    this.sensorMessage(sensor, toMs);
  }

  /** A position fix; invalid fixes (no satellite lock) are ignored. Keeps one fix per second. */
  position(timeMs: number, lat: number, lon: number): void {
    if (!isValidPosition(lat, lon)) return;
    const second = this.second(timeMs);
    if (Number.isNaN(second.positionTime)) {
      second.positionTime = timeMs;
      second.lat = lat;
      second.lon = lon;
    }
  }

  /** A vehicle speed sample in km/h. */
  speed(timeMs: number, kmh: number): void {
    if (!Number.isFinite(kmh)) return;
    const second = this.second(timeMs);
    const value = Math.abs(kmh);
    second.speedSum += value;
    second.speedCount += 1;
    second.speedMax = Math.max(second.speedMax, value);
  }

  /**
   * Segments of `lengthMs` from `startMs` to `endMs`, each with the seconds whose middle falls in
   * it, its facts and its tags; `extraTags` (from metadata) go on every segment.
   */
  finish(
    startMs: number,
    endMs: number,
    extraTags: readonly string[] = [],
    lengthMs = defaultSegmentMs,
  ): SegmentSummary[] {
    const plans = planSegments(startMs, endMs, lengthMs);
    const buckets = plans.map(() => ({
      sensors: 0,
      speedSum: 0,
      speedCount: 0,
      speedMax: 0,
      lat: Number.NaN,
      lon: Number.NaN,
      midDistance: Number.POSITIVE_INFINITY,
    }));
    for (const [key, second] of this.seconds) {
      const middle = key * 1000 + 500;
      const index = Math.min(
        plans.length - 1,
        Math.max(0, Math.floor((middle - startMs) / lengthMs)),
      );
      const bucket = buckets[index];
      const plan = plans[index];
      if (bucket === undefined || plan === undefined) continue;
      bucket.sensors |= second.sensors;
      bucket.speedSum += second.speedSum;
      bucket.speedCount += second.speedCount;
      bucket.speedMax = Math.max(bucket.speedMax, second.speedMax);
      if (!Number.isNaN(second.positionTime)) {
        const distance = Math.abs(second.positionTime - (plan.startMs + plan.endMs) / 2);
        if (distance < bucket.midDistance) {
          bucket.midDistance = distance;
          bucket.lat = second.lat;
          bucket.lon = second.lon;
        }
      }
    }
    return buckets.map((bucket, seq) => {
      const plan = plans[seq]!;
      const located = !Number.isNaN(bucket.lat);
      const country = located ? (countryAt(bucket.lat, bucket.lon) ?? null) : null;
      const daylight = located
        ? daylightAt((plan.startMs + plan.endMs) / 2, bucket.lat, bucket.lon)
        : null;
      const speedMean = bucket.speedCount === 0 ? null : bucket.speedSum / bucket.speedCount;
      const sensorList = sensorBits.filter((_, bit) => (bucket.sensors & (1 << bit)) !== 0).sort();
      const tags = new Set<string>(extraTags);
      for (const sensor of sensorList) tags.add(`sensor:${sensor}`);
      if (daylight !== null) tags.add(daylight);
      if (country !== null) tags.add(`country:${country}`);
      if (speedMean !== null) tags.add(`speed:${speedBand(speedMean)}`);
      return {
        seq,
        startMs: plan.startMs,
        endMs: plan.endMs,
        country,
        daylight,
        speedKmhMean: speedMean,
        speedKmhMax: bucket.speedCount === 0 ? null : bucket.speedMax,
        lat: located ? bucket.lat : null,
        lon: located ? bucket.lon : null,
        sensors: sensorList,
        tags: [...tags].sort(),
      };
    });
  }
}
