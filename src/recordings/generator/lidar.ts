import { Random } from './random.js';
import type { DrivingMode, VehicleState, Weather } from './route.js';

/** Bytes per point: x, y, z, intensity as little-endian float32. */
export const lidarPointStep = 16;

/** The PointCloud2 `fields` of a lidar scan (datatype 7 = FLOAT32). */
export const lidarPointFields = [
  { name: 'x', offset: 0, datatype: 7, count: 1 },
  { name: 'y', offset: 4, datatype: 7, count: 1 },
  { name: 'z', offset: 8, datatype: 7, count: 1 },
  { name: 'intensity', offset: 12, datatype: 7, count: 1 },
] as const;

const sensorHeightM = 1.95;
const maxRangeM: Readonly<Record<Weather, number>> = { clear: 120, rain: 85, fog: 40 };
const blockLengthM: Readonly<Record<DrivingMode, number>> = { urban: 32, rural: 18, highway: 24 };
const noiseTableSize = 8192;

/** Integer hash of a block (side, index) to [0, 1). */
function blockHash(seed: number, side: number, index: number, salt: number): number {
  let h = Math.imul(
    seed ^ Math.imul(index, 0x9e3779b1) ^ Math.imul(side + 3, 0x85ebca6b),
    0xc2b2ae35,
  );
  h ^= Math.imul(salt, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

interface Neighbour {
  /** Position along the road relative to where it was spawned, metres. */
  along: number;
  lateral: number;
  speed: number;
}

/**
 * A spinning multi-beam lidar in a procedural street corridor: ground, facades, barriers or tree
 * lines per road class (laid out by a hash of the distance along the road, so the scene is the
 * same when the vehicle passes again), and neighbouring vehicles. Produces organized clouds
 * (height = beams, width = columns) with NaN for beams without a return, like real drivers.
 */
export class LidarScanner {
  readonly beams: number;
  readonly columns: number;
  readonly #seed: number;
  readonly #random: Random;
  readonly #sinEl: Float64Array;
  readonly #cosEl: Float64Array;
  readonly #tanEl: Float64Array;
  readonly #cosAz: Float64Array;
  readonly #sinAz: Float64Array;
  readonly #noise: Float32Array;
  readonly #wallDh: Float64Array;
  readonly #wallTop: Float64Array;
  readonly #wallIntensity: Float64Array;
  readonly #maxRange: number;
  readonly #neighbours: Neighbour[] = [];
  #lastTimeNs = 0;
  #egoDistance = 0;

  constructor(seed: number, vehicleId: string, beams: number, columns: number, weather: Weather) {
    this.beams = beams;
    this.columns = columns;
    this.#seed = Random.derive(seed, 'lidar-scene', vehicleId).int32();
    this.#random = Random.derive(seed, 'lidar', vehicleId);
    this.#maxRange = maxRangeM[weather];
    this.#sinEl = new Float64Array(beams);
    this.#cosEl = new Float64Array(beams);
    this.#tanEl = new Float64Array(beams);
    for (let b = 0; b < beams; b++) {
      // denser near the horizon, like automotive lidars: -25° .. +15°
      const u = beams === 1 ? 0.5 : b / (beams - 1);
      const elevation =
        ((-25 + 40 * (u < 0.5 ? 0.5 * Math.pow(2 * u, 1.6) : 1 - 0.5 * Math.pow(2 - 2 * u, 1.6))) *
          Math.PI) /
        180;
      this.#sinEl[b] = Math.sin(elevation);
      this.#cosEl[b] = Math.cos(elevation);
      this.#tanEl[b] = Math.tan(elevation);
    }
    this.#cosAz = new Float64Array(columns);
    this.#sinAz = new Float64Array(columns);
    for (let c = 0; c < columns; c++) {
      const azimuth = (2 * Math.PI * c) / columns - Math.PI;
      this.#cosAz[c] = Math.cos(azimuth);
      this.#sinAz[c] = Math.sin(azimuth);
    }
    this.#noise = new Float32Array(noiseTableSize);
    for (let i = 0; i < noiseTableSize; i++) this.#noise[i] = this.#random.normal() * 0.015;
    this.#wallDh = new Float64Array(columns);
    this.#wallTop = new Float64Array(columns);
    this.#wallIntensity = new Float64Array(columns);
  }

  /** Floats per scan (4 per point). */
  get floatsPerScan(): number {
    return this.beams * this.columns * 4;
  }

  #updateNeighbours(state: VehicleState, timeNs: number): void {
    const dt = Math.max(0, (timeNs - this.#lastTimeNs) / 1e9);
    this.#lastTimeNs = timeNs;
    const egoAdvance = state.distance - this.#egoDistance;
    this.#egoDistance = state.distance;
    const random = this.#random;
    const wanted = state.mode === 'highway' ? 5 : state.mode === 'rural' ? 2 : 4;
    for (const n of this.#neighbours) n.along += n.speed * dt - egoAdvance;
    for (let i = this.#neighbours.length - 1; i >= 0; i--) {
      if (Math.abs(this.#neighbours[i]!.along) > this.#maxRange) this.#neighbours.splice(i, 1);
    }
    while (this.#neighbours.length < wanted) {
      const lane = random.pick(state.mode === 'highway' ? [-3.6, 3.6, 7.2] : [-3.4, 3.4, 0]);
      const ahead = random.chance(0.6);
      this.#neighbours.push({
        along: random.sign() * random.range(8, this.#maxRange * 0.9),
        lateral: lane,
        speed: Math.max(0, state.speed + random.range(-4, 4) * (ahead ? 1 : 1.5)),
      });
    }
  }

  /** Fills the per-column nearest obstacle (facade, barrier, vehicle) of the current position. */
  #layoutColumns(state: VehicleState): void {
    const mode = state.mode;
    const blockLength = blockLengthM[mode];
    const seed = this.#seed;
    for (let c = 0; c < this.columns; c++) {
      const sinAz = this.#sinAz[c]!;
      const cosAz = this.#cosAz[c]!;
      let dh = Infinity;
      let top = 0;
      let intensity = 0;
      if (Math.abs(sinAz) > 0.02) {
        const side = sinAz > 0 ? 1 : -1;
        const baseLateral = mode === 'urban' ? 9 : mode === 'rural' ? 6 : side > 0 ? 3.8 : 9;
        const guess = baseLateral / Math.abs(sinAz);
        const along = state.distance + guess * cosAz;
        const index = Math.floor(along / blockLength);
        const present = blockHash(seed, side, index, 1);
        const presentShare = mode === 'urban' ? 0.85 : mode === 'rural' ? 0.45 : 0.95;
        if (present < presentShare) {
          const lateral =
            baseLateral + (blockHash(seed, side, index, 2) - 0.5) * (mode === 'highway' ? 0.4 : 4);
          dh = lateral / Math.abs(sinAz);
          const heightDraw = blockHash(seed, side, index, 3);
          top =
            mode === 'urban'
              ? 8 + heightDraw * 17
              : mode === 'rural'
                ? 3 + heightDraw * 9
                : heightDraw < 0.2
                  ? 4
                  : 0.8;
          intensity = 20 + blockHash(seed, side, index, 4) * 50;
        }
      }
      for (const n of this.#neighbours) {
        // vehicles as vertical cylinders of radius 1 m, 1.5 m tall
        const along = n.along;
        const lateral = n.lateral;
        const projection = along * cosAz + lateral * sinAz;
        if (projection <= 0) continue;
        const perpendicular = Math.abs(-along * sinAz + lateral * cosAz);
        if (perpendicular >= 1) continue;
        const hit = projection - Math.sqrt(1 - perpendicular * perpendicular);
        if (hit < dh) {
          dh = hit;
          top = 1.5;
          intensity = 85;
        }
      }
      this.#wallDh[c] = dh;
      this.#wallTop[c] = top;
      this.#wallIntensity[c] = intensity;
    }
  }

  /** Writes one revolution at `timeNs` (4 floats per point, row = beam) into `out`. */
  scan(state: VehicleState, timeNs: number, out: Float32Array): void {
    this.#updateNeighbours(state, timeNs);
    this.#layoutColumns(state);
    const noise = this.#noise;
    let noiseIndex = this.#random.int(noiseTableSize);
    const maxRange = this.#maxRange;
    const columns = this.columns;
    let o = 0;
    for (let b = 0; b < this.beams; b++) {
      const sinEl = this.#sinEl[b]!;
      const cosEl = this.#cosEl[b]!;
      const tanEl = this.#tanEl[b]!;
      const groundDh = sinEl < 0 ? sensorHeightM / -tanEl : Infinity;
      for (let c = 0; c < columns; c++) {
        let dh = groundDh;
        let intensity = 12;
        const wallDh = this.#wallDh[c]!;
        if (wallDh < dh) {
          const z = sensorHeightM + wallDh * tanEl;
          if (z >= 0 && z <= this.#wallTop[c]!) {
            dh = wallDh;
            intensity = this.#wallIntensity[c]!;
          }
        } else if (dh !== Infinity) {
          // lane markings 1.75 m either side of the ego lane centre (3.5 m lanes) are retro-reflective
          const lateral = (Math.abs(dh * this.#sinAz[c]!) + 1.75) % 3.5;
          if (lateral < 0.12 || lateral > 3.38) intensity = 55;
        }
        const range = dh / cosEl + noise[noiseIndex]!;
        noiseIndex = (noiseIndex + 1) & (noiseTableSize - 1);
        if (dh === Infinity || range > maxRange) {
          out[o] = NaN;
          out[o + 1] = NaN;
          out[o + 2] = NaN;
          out[o + 3] = 0;
        } else {
          const horizontal = range * cosEl;
          out[o] = horizontal * this.#cosAz[c]!;
          out[o + 1] = horizontal * this.#sinAz[c]!;
          out[o + 2] = range * sinEl;
          out[o + 3] = intensity;
        }
        o += 4;
      }
    }
  }
}
