import { getPosition } from 'suncalc';
import { InvalidInput } from '../../platform/index.js';
import type { Light } from './camera.js';
import { Random } from './random.js';
import { regions, type DrivingMode, type Region, type Weather } from './route.js';

/** What one generated recording is: vehicle, people, place, time and conditions. */
export interface RecordingPlan {
  readonly seed: number;
  readonly vehicleIndex: number;
  /** e.g. `veh-003` */
  readonly vehicleId: string;
  readonly driver: string;
  readonly campaign: string;
  readonly region: Region;
  readonly weather: Weather;
  /** Daylight: the sun at least 6° up (`day`) or 8° down (`night`) for the first 3 h. */
  readonly light: Light;
  /** UTC start of the recording (log time 0), nanoseconds since the Unix epoch. */
  readonly startTimeNs: bigint;
  /** Local time at the start, ISO 8601 with the UTC offset (CET/CEST). */
  readonly localStartTime: string;
  readonly durationNs: number;
  readonly initialMode: DrivingMode;
  readonly highwayShare: number;
  readonly outsideTempC: number;
  readonly odometerStartKm: number;
  /** `<vehicle>_<UTC start>.mcap` */
  readonly fileName: string;
}

/** The fleet to generate. */
export interface FleetOptions {
  readonly seed: number;
  readonly vehicles: number;
  /** Length of every recording, minutes (fractions allowed). */
  readonly minutes: number;
}

/** Limits that keep a generation request sane; the CLI reports violations as invalid input. */
export const fleetLimits = { maxVehicles: 1000, maxMinutes: 24 * 60, maxSeed: 0xffffffff } as const;

const weathers: readonly Weather[] = ['clear', 'rain', 'fog'];

/** Last Sunday of a month (UTC), 01:00 UTC: when the EU switches summer time. */
function lastSundayAt0100Utc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  const day = lastDay.getUTCDate() - lastDay.getUTCDay();
  return Date.UTC(year, month, day, 1);
}

/** CET/CEST offset in minutes at a UTC instant (all regions of the fleet are on Central European Time). */
export function centralEuropeanOffsetMinutes(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  const summer = utcMs >= lastSundayAt0100Utc(year, 2) && utcMs < lastSundayAt0100Utc(year, 9);
  return summer ? 120 : 60;
}

function isoWithOffset(utcMs: number, offsetMinutes: number): string {
  const local = new Date(utcMs + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local}${sign}${hours}:${minutes}`;
}

/** Sun altitude margins, in degrees, that make a drive unambiguously day or night. */
const dayAltitude = 6;
const nightAltitude = -8;
/** How much of a drive the light condition is guaranteed for. */
const lightCheckMs = 3 * 3_600_000;

function lightHolds(utcMs: number, region: Region, light: Light, durationMs: number): boolean {
  const span = Math.min(durationMs, lightCheckMs);
  for (let t = 0; ; t = Math.min(t + 15 * 60_000, span)) {
    const altitude = getPosition(new Date(utcMs + t), region.latitude, region.longitude).altitude;
    if (light === 'day' ? altitude < dayAltitude : altitude > nightAltitude) return false;
    if (t === span) return true;
  }
}

/**
 * A UTC start in 2024 for a drive in `region`: local 09:00–15:00 for day, 22:00–04:00 for night,
 * redrawn (date and time) until the sun stays at least 6° up, or 8° down, for the drive's first
 * three hours; northern summer nights and winter afternoons are too short for some drives.
 */
function startTime(
  region: Region,
  light: Light,
  durationMs: number,
  random: Random,
): { utcMs: number; offset: number } {
  let chosen = { utcMs: 0, offset: 0 };
  for (let attempt = 0; attempt < 200; attempt++) {
    const dayOfYear = 7 + random.int(350);
    const localMinutes = light === 'day' ? 540 + random.int(360) : (1320 + random.int(360)) % 1440;
    const localMs =
      Date.UTC(2024, 0, 1) + dayOfYear * 86_400_000 + localMinutes * 60_000 + random.int(60_000);
    let offset = centralEuropeanOffsetMinutes(localMs - 60 * 60_000);
    offset = centralEuropeanOffsetMinutes(localMs - offset * 60_000);
    chosen = { utcMs: localMs - offset * 60_000, offset };
    if (lightHolds(chosen.utcMs, region, light, durationMs)) break;
  }
  return chosen;
}

function compactUtc(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Checks fleet options, naming the offending field. */
export function validateFleetOptions(options: FleetOptions): void {
  const { seed, vehicles, minutes } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > fleetLimits.maxSeed) {
    throw new InvalidInput(
      `seed must be an integer from 0 to ${fleetLimits.maxSeed}, got ${seed}`,
      'seed',
    );
  }
  if (!Number.isInteger(vehicles) || vehicles < 1 || vehicles > fleetLimits.maxVehicles) {
    throw new InvalidInput(
      `vehicles must be an integer from 1 to ${fleetLimits.maxVehicles}, got ${vehicles}`,
      'vehicles',
    );
  }
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > fleetLimits.maxMinutes) {
    throw new InvalidInput(
      `minutes must be a number above 0 and at most ${fleetLimits.maxMinutes}, got ${minutes}`,
      'minutes',
    );
  }
}

/**
 * Plans the recordings of a fleet: vehicle i drives in the i-th country of a seeded order of the
 * regions (so a fleet of n ≤ 8 vehicles covers n countries), weather cycles through clear, rain
 * and fog, about a third of the drives are at night (at least one of each in any fleet of two or
 * more), and start dates spread over 2024, chosen so the sun agrees with day or night.
 */
export function planFleet(options: FleetOptions): RecordingPlan[] {
  validateFleetOptions(options);
  const { seed, vehicles, minutes } = options;
  const fleetRandom = Random.derive(seed, 'fleet');
  const countries = shuffled([...new Set(regions.map((r) => r.country))], fleetRandom);
  const weatherCycle = shuffled(weathers, fleetRandom);
  const lights: Light[] = Array.from({ length: vehicles }, () =>
    fleetRandom.chance(0.35) ? 'night' : 'day',
  );
  if (vehicles >= 2 && !lights.includes('night')) lights[vehicles - 1] = 'night';
  if (vehicles >= 2 && !lights.includes('day')) lights[0] = 'day';

  return Array.from({ length: vehicles }, (_, index): RecordingPlan => {
    const random = Random.derive(seed, 'plan', index);
    const country = countries[index % countries.length]!;
    const region = random.pick(regions.filter((r) => r.country === country));
    const weather = weatherCycle[index % weatherCycle.length]!;
    const light = lights[index]!;
    const vehicleId = `veh-${String(index + 1).padStart(3, '0')}`;

    const { utcMs, offset } = startTime(region, light, Math.round(minutes * 60_000), random);

    const campaign =
      light === 'night'
        ? 'night-validation-2024'
        : weather !== 'clear'
          ? 'adverse-weather-2024'
          : random.pick(['urban-perception-2024', 'highway-pilot-2024']);
    const initialMode: DrivingMode =
      campaign === 'highway-pilot-2024'
        ? random.pick(['rural', 'highway'] as const)
        : random.pick(['urban', 'urban', 'rural'] as const);
    const month = new Date(utcMs).getUTCMonth();
    const seasonal = 10 - 10 * Math.cos(((month + 0.5) / 12) * 2 * Math.PI);
    const outsideTempC =
      Math.round((seasonal - (light === 'night' ? 5 : 0) + random.range(-3, 3)) * 2) / 2;

    return {
      seed,
      vehicleIndex: index,
      vehicleId,
      driver: `drv-${String(1 + random.int(48)).padStart(3, '0')}`,
      campaign,
      region,
      weather,
      light,
      startTimeNs: BigInt(utcMs) * 1_000_000n,
      localStartTime: isoWithOffset(utcMs, offset),
      durationNs: Math.round(minutes * 60e9),
      initialMode,
      highwayShare: campaign === 'highway-pilot-2024' ? 0.8 : 0.3,
      outsideTempC,
      odometerStartKm: Math.round(random.range(3000, 120_000) * 10) / 10,
      fileName: `${vehicleId}_${compactUtc(utcMs)}Z.mcap`,
    };
  });
}
