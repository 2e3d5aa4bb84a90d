import jpeg from 'jpeg-js';
import { Random } from './random.js';
import type { CameraFormat } from './rig.js';
import type { Weather } from './route.js';

/** Daylight at the recording's place and time. */
export type Light = 'day' | 'night';

/** What a camera frame pool is rendered for. */
export interface FramePoolSpec {
  readonly seed: number;
  readonly cameraId: string;
  /** Camera yaw in the vehicle frame: forward and rearward cameras see the road ahead of them. */
  readonly yaw: number;
  readonly light: Light;
  readonly weather: Weather;
  readonly format: CameraFormat;
  readonly width: number;
  readonly height: number;
  readonly count: number;
}

/** Pre-rendered frames of one camera, cycled through while generating (JPEG bytes or rgb8). */
export interface FramePool {
  readonly format: CameraFormat;
  readonly width: number;
  readonly height: number;
  readonly frames: readonly Uint8Array[];
}

/** Rendered pools kept for reuse, least recently used first; bounded by their total bytes. */
const cache = new Map<string, FramePool>();
const cacheLimitBytes = 64 * 1024 * 1024;
let cachedBytes = 0;

function poolBytes(pool: FramePool): number {
  return pool.frames.reduce((sum, frame) => sum + frame.byteLength, 0);
}

const jpegQuality = 80;

interface Palette {
  skyTop: readonly [number, number, number];
  skyHorizon: readonly [number, number, number];
  ground: readonly [number, number, number];
  road: readonly [number, number, number];
  marking: readonly [number, number, number];
  brightness: number;
  haze: number;
}

function palette(light: Light, weather: Weather): Palette {
  const day = light === 'day';
  const sky: Record<Weather, Palette['skyTop']> = {
    clear: day ? [70, 130, 215] : [6, 8, 18],
    rain: day ? [110, 115, 125] : [10, 10, 14],
    fog: day ? [190, 192, 195] : [30, 30, 32],
  };
  return {
    skyTop: sky[weather],
    skyHorizon: day ? (weather === 'clear' ? [185, 210, 235] : [170, 172, 176]) : [20, 22, 30],
    ground: day ? [96, 110, 80] : [14, 15, 14],
    road: weather === 'rain' ? [58, 60, 64] : [92, 92, 94],
    marking: [235, 235, 225],
    brightness: day ? 1 : 0.22,
    haze: weather === 'fog' ? 0.75 : weather === 'rain' ? 0.25 : 0,
  };
}

/**
 * Draws one procedural street scene into `rgb` (3 bytes per pixel): sky, a row of buildings,
 * ground, and for cameras looking along the road the carriageway with dashed lane markings
 * (`phase` moves them between frames), a few vehicles, fog haze and night lighting.
 */
function renderScene(
  rgb: Uint8ClampedArray,
  width: number,
  height: number,
  spec: FramePoolSpec,
  phase: number,
  random: Random,
): void {
  const p = palette(spec.light, spec.weather);
  const horizon = Math.round(height * (0.42 + random.range(-0.01, 0.01)));
  const alongRoad = Math.abs(Math.cos(spec.yaw)) > 0.5;
  const night = spec.light === 'night';

  const buildings: { x0: number; x1: number; top: number; colour: readonly number[] }[] = [];
  for (let x = -random.int(40); x < width;) {
    const w = 20 + random.int(70);
    const top = horizon - (alongRoad ? 10 + random.int(50) : 30 + random.int(70));
    const shade = 90 + random.int(110);
    buildings.push({ x0: x, x1: x + w, top, colour: [shade, shade * 0.9, shade * 0.8] });
    x += w + random.int(12);
  }
  const cars: { cx: number; row: number; w: number; h: number; colour: readonly number[] }[] = [];
  const carCount = random.int(4);
  for (let i = 0; i < carCount; i++) {
    // side cameras see traffic on the carriageway strip at the bottom of the frame
    const row = alongRoad
      ? horizon + 8 + random.int(Math.max(1, Math.round(height * 0.3)))
      : Math.round(height * 0.8) + random.int(Math.max(1, Math.round(height * 0.15)));
    const scale = (row - horizon) / (height - horizon);
    cars.push({
      cx: alongRoad
        ? width / 2 + random.range(-0.35, 0.35) * width * scale * 2
        : random.range(0, width),
      row,
      w: 18 + 90 * scale,
      h: 10 + 50 * scale,
      colour: random.pick([
        [30, 30, 35],
        [180, 180, 185],
        [150, 20, 25],
        [25, 45, 110],
        [220, 220, 220],
      ]),
    });
  }

  let o = 0;
  for (let y = 0; y < height; y++) {
    const depth = y < horizon ? 1 : Math.max(0.02, (horizon + 1) / (y + 1)); // 1 far .. small near
    const skyT = y / Math.max(1, horizon);
    const roadHalf = ((y - horizon) / (height - horizon)) * width * 0.75;
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      if (y < horizon) {
        r = p.skyTop[0] + (p.skyHorizon[0] - p.skyTop[0]) * skyT;
        g = p.skyTop[1] + (p.skyHorizon[1] - p.skyTop[1]) * skyT;
        b = p.skyTop[2] + (p.skyHorizon[2] - p.skyTop[2]) * skyT;
        for (const building of buildings) {
          if (x >= building.x0 && x < building.x1 && y >= building.top) {
            const window = (x - building.x0) % 9 < 5 && (y - building.top) % 11 < 6;
            const lit = night && window && (((x - building.x0) * 7 + y * 3) & 7) < 3;
            r = lit ? 250 : building.colour[0]! * (window ? 0.6 : 1) * p.brightness;
            g = lit ? 210 : building.colour[1]! * (window ? 0.6 : 1) * p.brightness;
            b = lit ? 120 : building.colour[2]! * (window ? 0.65 : 1) * p.brightness;
            break;
          }
        }
      } else {
        const dx = x - width / 2;
        const onRoad = alongRoad ? Math.abs(dx) < roadHalf : y > height * 0.8;
        if (onRoad) {
          r = p.road[0] * p.brightness;
          g = p.road[1] * p.brightness;
          b = p.road[2] * p.brightness;
          const lane = alongRoad
            ? Math.abs(Math.abs(dx) - roadHalf * 0.33) < 1 + roadHalf * 0.012
            : false;
          const dash = Math.floor(40 * depth + phase) % 2 === 0;
          if (lane && dash) {
            r = p.marking[0] * Math.max(p.brightness, night ? 0.45 : 0);
            g = p.marking[1] * Math.max(p.brightness, night ? 0.45 : 0);
            b = p.marking[2] * Math.max(p.brightness, night ? 0.45 : 0);
          }
          if (night && alongRoad && Math.cos(spec.yaw) > 0) {
            const beam =
              Math.max(0, 1 - Math.abs(dx) / (roadHalf + 1)) *
              Math.max(0, (y - horizon) / (height - horizon));
            r += 120 * beam;
            g += 115 * beam;
            b += 95 * beam;
          }
        } else {
          r = p.ground[0] * p.brightness;
          g = p.ground[1] * p.brightness;
          b = p.ground[2] * p.brightness;
        }
        for (const car of cars) {
          if (Math.abs(x - car.cx) < car.w / 2 && y <= car.row && y > car.row - car.h) {
            const rear =
              night &&
              y > car.row - car.h * 0.45 &&
              y < car.row - car.h * 0.3 &&
              Math.abs(Math.abs(x - car.cx) - car.w * 0.38) < car.w * 0.08;
            r = rear ? 255 : car.colour[0]! * p.brightness;
            g = rear ? 30 : car.colour[1]! * p.brightness;
            b = rear ? 20 : car.colour[2]! * p.brightness;
          }
        }
      }
      if (p.haze > 0) {
        const h = p.haze * (y < horizon ? 1 : depth);
        const grey = night ? 28 : 200;
        r += (grey - r) * h;
        g += (grey - g) * h;
        b += (grey - b) * h;
      }
      const noise = (random.int32() % 7) * (night ? 1.5 : 1);
      rgb[o++] = r + noise;
      rgb[o++] = g + noise;
      rgb[o++] = b + noise;
    }
  }
}

/** Renders the frames of one camera (uncached; see `cameraFramePool`). */
export function renderFramePool(spec: FramePoolSpec): FramePool {
  const random = Random.derive(spec.seed, 'camera', spec.cameraId, spec.light, spec.weather);
  const { width, height } = spec;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < spec.count; i++) {
    const rgb = new Uint8ClampedArray(width * height * 3);
    renderScene(rgb, width, height, spec, (i * 2) / spec.count, random);
    if (spec.format === 'raw') {
      frames.push(new Uint8Array(rgb.buffer));
      continue;
    }
    const rgba = new Uint8Array(width * height * 4);
    for (let s = 0, d = 0; s < rgb.length; s += 3, d += 4) {
      rgba[d] = rgb[s]!;
      rgba[d + 1] = rgb[s + 1]!;
      rgba[d + 2] = rgb[s + 2]!;
      rgba[d + 3] = 255;
    }
    const encoded = jpeg.encode({ data: rgba, width, height }, jpegQuality).data;
    frames.push(new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength));
  }
  return { format: spec.format, width, height, frames };
}

/**
 * The frames of one camera, rendered once per spec and cycled while generating. Encoding JPEG in
 * JavaScript costs tens of milliseconds a frame, so a small pool keeps the stream fast while
 * every frame is a real image a decoder accepts; pools are cached (LRU, 64 MiB) because the
 * recordings of a fleet share them per light and weather. Frames must not be modified.
 */
export function cameraFramePool(spec: FramePoolSpec): FramePool {
  const key = JSON.stringify(spec);
  const cached = cache.get(key);
  if (cached !== undefined) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const pool = renderFramePool(spec);
  cache.set(key, pool);
  cachedBytes += poolBytes(pool);
  for (const [oldKey, old] of cache) {
    if (cachedBytes <= cacheLimitBytes || oldKey === key) break;
    cache.delete(oldKey);
    cachedBytes -= poolBytes(old);
  }
  return pool;
}
