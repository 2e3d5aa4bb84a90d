import { InvalidInput } from '../../platform/errors.js';
import { f32 } from './float32.js';

/** Per-channel angles of a Hesai angle calibration (`PandarQT64.csv` and its siblings). */
export interface HesaiCalibration {
  /** Elevation of each channel (index = laser id - 1), degrees, float32. */
  readonly elevationDeg: Float32Array;
  /** Azimuth offset of each channel, degrees, float32. */
  readonly azimuthOffsetDeg: Float32Array;
}

const maxChannels = 512;
const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses the text of a Hesai calibration CSV: `Laser id,Elevation,Azimuth` lines, laser ids
 * from 1. Like the sensor's own tools, lines that are not three comma-separated values (the
 * title line, blank lines) are skipped; a laser id given twice or a gap in the ids is an error.
 */
export function parseHesaiCalibration(text: string, name = 'hesai calibration'): HesaiCalibration {
  const elevation = new Map<number, number>();
  const azimuth = new Map<number, number>();
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const tokens = line
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== '');
    if (tokens.length !== 3) return;
    const [id, elevationText, azimuthText] = tokens as [string, string, string];
    if (!/^\d+$/.test(id)) return;
    const field = `line ${index + 1}`;
    const laserId = Number(id);
    if (laserId < 1 || laserId > maxChannels) {
      throw new InvalidInput(`${name}: ${field}: laser id ${laserId} is out of range`, field);
    }
    if (!numberPattern.test(elevationText) || !numberPattern.test(azimuthText)) {
      throw new InvalidInput(`${name}: ${field}: elevation and azimuth must be numbers`, field);
    }
    if (elevation.has(laserId - 1)) {
      throw new InvalidInput(`${name}: ${field}: laser id ${laserId} is listed twice`, field);
    }
    elevation.set(laserId - 1, f32(Number(elevationText)));
    azimuth.set(laserId - 1, f32(Number(azimuthText)));
  });
  const count = elevation.size;
  if (count === 0) throw new InvalidInput(`${name}: no calibration lines found`, name);
  const elevationDeg = new Float32Array(count);
  const azimuthOffsetDeg = new Float32Array(count);
  for (let channel = 0; channel < count; channel++) {
    const e = elevation.get(channel);
    const a = azimuth.get(channel);
    if (e === undefined || a === undefined) {
      throw new InvalidInput(`${name}: laser id ${channel + 1} is missing`, name);
    }
    elevationDeg[channel] = e;
    azimuthOffsetDeg[channel] = a;
  }
  return { elevationDeg, azimuthOffsetDeg };
}
