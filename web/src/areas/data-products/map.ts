/**
 * The arithmetic of the track map: a Web-Mercator projection fitted to the tracks, and the
 * graticule drawn over it. Pure, so it is tested without a browser.
 */

/** Mercator runs to infinity at the poles; Web-Mercator cuts the world off here. */
export const maxMercatorLat = 85.05112878;

export interface Bounds {
  readonly minLat: number;
  readonly maxLat: number;
  readonly minLon: number;
  readonly maxLon: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

const radians = Math.PI / 180;

/** The Mercator y of a latitude, in radians of the equator (north is positive). */
export function mercatorY(lat: number): number {
  const clamped = Math.max(-maxMercatorLat, Math.min(maxMercatorLat, lat));
  return Math.log(Math.tan(Math.PI / 4 + (clamped * radians) / 2));
}

/** The latitude of a Mercator y; the inverse of `mercatorY`. */
export function latitudeOf(y: number): number {
  return (2 * Math.atan(Math.exp(y)) - Math.PI / 2) / radians;
}

/**
 * The smallest box around the points, widened to at least `minSpan` degrees each way, so a
 * single point or a standing vehicle still gets a map around it. Undefined without points.
 */
export function boundsOf(
  points: Iterable<{ readonly lat: number; readonly lon: number }>,
  minSpan = 0.01,
): Bounds | undefined {
  let minLat = Infinity;
  let maxLat = -Infinity;
  let minLon = Infinity;
  let maxLon = -Infinity;
  for (const { lat, lon } of points) {
    minLat = Math.min(minLat, lat);
    maxLat = Math.max(maxLat, lat);
    minLon = Math.min(minLon, lon);
    maxLon = Math.max(maxLon, lon);
  }
  if (minLat > maxLat) return undefined;
  const widen = (min: number, max: number): [number, number] => {
    const missing = minSpan - (max - min);
    return missing > 0 ? [min - missing / 2, max + missing / 2] : [min, max];
  };
  [minLat, maxLat] = widen(minLat, maxLat);
  [minLon, maxLon] = widen(minLon, maxLon);
  return { minLat, maxLat, minLon, maxLon };
}

export interface Projection {
  /** Pixel position of a point: x grows east, y grows south (SVG coordinates). */
  project(lat: number, lon: number): Point;
  /** Latitude and longitude at a pixel position. */
  invert(point: Point): { lat: number; lon: number };
  /** What the whole frame shows, which is more than the bounds along one axis. */
  readonly visible: Bounds;
}

/**
 * A Web-Mercator projection that fits `bounds` into a `width` × `height` frame with `padding`
 * pixels on every side, centred, with the same scale along both axes so shapes keep their form.
 */
export function fitMercator(
  bounds: Bounds,
  width: number,
  height: number,
  padding = 0,
): Projection {
  const west = bounds.minLon * radians;
  const east = bounds.maxLon * radians;
  const south = mercatorY(bounds.minLat);
  const north = mercatorY(bounds.maxLat);
  const innerWidth = Math.max(1, width - 2 * padding);
  const innerHeight = Math.max(1, height - 2 * padding);
  const scale = Math.min(
    innerWidth / Math.max(east - west, Number.EPSILON),
    innerHeight / Math.max(north - south, Number.EPSILON),
  );
  const centreX = (west + east) / 2;
  const centreY = (south + north) / 2;
  const project = (lat: number, lon: number): Point => ({
    x: width / 2 + (lon * radians - centreX) * scale,
    y: height / 2 - (mercatorY(lat) - centreY) * scale,
  });
  const invert = ({ x, y }: Point) => ({
    lat: latitudeOf(centreY - (y - height / 2) / scale),
    lon: (centreX + (x - width / 2) / scale) / radians,
  });
  const topLeft = invert({ x: 0, y: 0 });
  const bottomRight = invert({ x: width, y: height });
  return {
    project,
    invert,
    visible: {
      minLat: bottomRight.lat,
      maxLat: topLeft.lat,
      minLon: topLeft.lon,
      maxLon: bottomRight.lon,
    },
  };
}

/** Graticule spacings in degrees, each a round number a reader can add up. */
const steps = [
  0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10,
  15, 30, 45, 90,
];

/** The smallest round spacing that puts at most `maxLines` lines across `span` degrees. */
export function graticuleStep(span: number, maxLines = 6): number {
  for (const step of steps) {
    if (span / step <= maxLines) return step;
  }
  return steps[steps.length - 1]!;
}

/** Decimals that show every line of a spacing apart (0.25 needs 2, 5 needs none). */
export function decimalsOf(step: number): number {
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-9)
    decimals += 1;
  return decimals;
}

/** The multiples of `step` from `min` to `max`, inclusive, free of floating-point dust. */
export function graticuleLines(min: number, max: number, step: number): number[] {
  const decimals = decimalsOf(step);
  const lines: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9; k += 1) {
    lines.push(Number((k * step).toFixed(decimals)));
  }
  return lines;
}

/** A latitude as a map label: `48.15°N`, with the decimals the spacing needs. */
export function formatLatitude(lat: number, step: number): string {
  const text = Math.abs(lat).toFixed(decimalsOf(step));
  return lat === 0 ? `${text}°` : `${text}°${lat > 0 ? 'N' : 'S'}`;
}

/** A longitude as a map label: `11.5°E`, with the decimals the spacing needs. */
export function formatLongitude(lon: number, step: number): string {
  const text = Math.abs(lon).toFixed(decimalsOf(step));
  return lon === 0 ? `${text}°` : `${text}°${lon > 0 ? 'E' : 'W'}`;
}

/**
 * An SVG path through the points in order, rounded to tenths of a pixel. A single point becomes a
 * zero-length line, which round line caps draw as a dot.
 */
export function pathOf(points: readonly Point[]): string {
  return (points.length === 1 ? [points[0]!, points[0]!] : points)
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`)
    .join(' ');
}
