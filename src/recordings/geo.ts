import { iso1A2Code } from '@rapideditor/country-coder';
import { getPosition } from 'suncalc';

/** A bounding box in degrees (WGS84). */
export interface BoundingBox {
  readonly minLat: number;
  readonly minLon: number;
  readonly maxLat: number;
  readonly maxLon: number;
}

/** Grows a bounding box to include a point; starts one when `box` is undefined. */
export function extendBox(box: BoundingBox | undefined, lat: number, lon: number): BoundingBox {
  if (box === undefined) return { minLat: lat, minLon: lon, maxLat: lat, maxLon: lon };
  return {
    minLat: Math.min(box.minLat, lat),
    minLon: Math.min(box.minLon, lon),
    maxLat: Math.max(box.maxLat, lat),
    maxLon: Math.max(box.maxLon, lon),
  };
}

/** Whether a fix is a position at all (receivers report 0,0 or NaN without a fix). */
export function isValidPosition(lat: number, lon: number): boolean {
  return (
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    Math.abs(lat) <= 90 &&
    Math.abs(lon) <= 180 &&
    !(lat === 0 && lon === 0)
  );
}

/** ISO 3166-1 alpha-2 code of the country a point lies in, from borders shipped with the package. */
export function countryAt(lat: number, lon: number): string | undefined {
  return iso1A2Code([lon, lat]) ?? undefined;
}

export type Daylight = 'day' | 'twilight' | 'night';

/**
 * Day, twilight or night at a place and time, by the sun's altitude: below -6° (the end of civil
 * twilight) it is night for a camera; between -6° and 0°, twilight.
 */
export function daylightAt(timeMs: number, lat: number, lon: number): Daylight {
  const altitude = getPosition(new Date(timeMs), lat, lon).altitude;
  if (altitude < -6) return 'night';
  if (altitude < 0) return 'twilight';
  return 'day';
}
