import { parse } from 'yaml';
import { InvalidInput } from '../../platform/errors.js';
import { f32 } from './float32.js';
import { cosf, sinf } from './libm.js';

/** Per-laser corrections of a Velodyne calibration file, held as float32 like the sensor's. */
export interface VelodyneLaserCorrection {
  readonly laserId: number;
  /** Azimuth correction, radians. */
  readonly rotCorrection: number;
  /** Elevation of the laser, radians. */
  readonly vertCorrection: number;
  /** Distance offset, metres. */
  readonly distCorrection: number;
  readonly twoPtCorrectionAvailable: boolean;
  readonly distCorrectionX: number;
  readonly distCorrectionY: number;
  readonly vertOffsetCorrection: number;
  readonly horizOffsetCorrection: number;
  readonly maxIntensity: number;
  readonly minIntensity: number;
  readonly focalDistance: number;
  readonly focalSlope: number;
  readonly cosVertCorrection: number;
  readonly sinVertCorrection: number;
  /** Rank of the laser by elevation, lowest first: the ring number. */
  readonly laserRing: number;
}

/** A parsed Velodyne calibration (the `VLP32.yaml`-style file of the ROS drivers). */
export interface VelodyneCalibration {
  /** Metres per distance unit in the packet. */
  readonly distanceResolution: number;
  readonly numLasers: number;
  /** Indexed by laser id, `0 .. numLasers - 1`. */
  readonly lasers: readonly VelodyneLaserCorrection[];
}

const maxLasers = 128;

/** Parses the text of a Velodyne calibration YAML file; `name` labels errors. */
export function parseVelodyneCalibration(
  text: string,
  name = 'velodyne calibration',
): VelodyneCalibration {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new InvalidInput(`${name}: not valid YAML: ${(error as Error).message}`, name);
  }
  if (!isRecord(document)) throw new InvalidInput(`${name}: expected a YAML mapping`, name);

  const numLasers = integerField(document, 'num_lasers', name);
  if (numLasers < 1 || numLasers > maxLasers) {
    throw new InvalidInput(`${name}: num_lasers must be 1 to ${maxLasers}`, 'num_lasers');
  }
  const distanceResolution =
    document.distance_resolution === undefined
      ? f32(0.002)
      : f32(numberField(document, 'distance_resolution', name));
  const entries = document.lasers;
  if (!Array.isArray(entries) || entries.length < numLasers) {
    throw new InvalidInput(`${name}: lasers must list at least num_lasers entries`, 'lasers');
  }

  const raw: Omit<VelodyneLaserCorrection, 'laserRing'>[] = [];
  for (let i = 0; i < numLasers; i++) {
    const entry: unknown = entries[i];
    const path = `lasers[${i}]`;
    if (!isRecord(entry)) throw new InvalidInput(`${name}: ${path} is not a mapping`, path);
    const laserId = integerField(entry, 'laser_id', name, path);
    if (laserId < 0 || laserId >= numLasers) {
      throw new InvalidInput(`${name}: ${path}.laser_id must be 0 to num_lasers - 1`, path);
    }
    if (raw.some((laser) => laser.laserId === laserId)) {
      throw new InvalidInput(`${name}: ${path}.laser_id ${laserId} is listed twice`, path);
    }
    const float = (key: string): number => f32(numberField(entry, key, name, path));
    const optionalFloat = (key: string, fallback: number): number =>
      entry[key] === undefined ? fallback : float(key);
    const vertCorrection = float('vert_correction');
    raw.push({
      laserId,
      rotCorrection: float('rot_correction'),
      vertCorrection,
      distCorrection: float('dist_correction'),
      twoPtCorrectionAvailable: entry.two_pt_correction_available === true,
      distCorrectionX: float('dist_correction_x'),
      distCorrectionY: float('dist_correction_y'),
      vertOffsetCorrection: float('vert_offset_correction'),
      horizOffsetCorrection: optionalFloat('horiz_offset_correction', 0),
      // Intensity bounds are read as float and floored, as the ROS drivers do.
      maxIntensity: Math.floor(optionalFloat('max_intensity', 255)),
      minIntensity: Math.floor(optionalFloat('min_intensity', 0)),
      focalDistance: float('focal_distance'),
      focalSlope: float('focal_slope'),
      cosVertCorrection: cosf(vertCorrection),
      sinVertCorrection: sinf(vertCorrection),
    });
  }

  raw.sort((a, b) => a.laserId - b.laserId);

  // Rings number the lasers from the lowest elevation up; of lasers at the same elevation only
  // the lowest id gets a ring, the others keep ring 0 (as in the ROS drivers).
  const rings = new Map<number, number>();
  let previous = -Infinity;
  for (let ring = 0; ring < raw.length; ring++) {
    let best: (typeof raw)[number] | undefined;
    for (const laser of raw) {
      if (laser.vertCorrection > previous && (!best || laser.vertCorrection < best.vertCorrection))
        best = laser;
    }
    if (!best) break;
    rings.set(best.laserId, ring);
    previous = best.vertCorrection;
  }

  const lasers = raw.map((laser) => ({ ...laser, laserRing: rings.get(laser.laserId) ?? 0 }));
  return { distanceResolution, numLasers, lasers };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberField(
  record: Record<string, unknown>,
  key: string,
  name: string,
  path?: string,
): number {
  const value = record[key];
  const field = path === undefined ? key : `${path}.${key}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInput(`${name}: ${field} must be a finite number`, field);
  }
  return value;
}

function integerField(
  record: Record<string, unknown>,
  key: string,
  name: string,
  path?: string,
): number {
  const value = numberField(record, key, name, path);
  if (!Number.isInteger(value)) {
    const field = path === undefined ? key : `${path}.${key}`;
    throw new InvalidInput(`${name}: ${field} must be an integer`, field);
  }
  return value;
}
