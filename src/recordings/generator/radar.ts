import { Random } from './random.js';
import type { RigSensor } from './rig.js';
import type { VehicleState, Weather } from './route.js';

/** One detection, as `radar_msgs/msg/RadarReturn` (sensor frame; radians; m/s; dBsm). */
export interface RadarReturnData {
  range: number;
  azimuth: number;
  elevation: number;
  doppler_velocity: number;
  amplitude: number;
}

interface Track {
  /** Position in the vehicle frame, metres. */
  x: number;
  y: number;
  /** Absolute speed along the vehicle's x axis, m/s. */
  speed: number;
  rcs: number;
}

const fieldOfView = (60 * Math.PI) / 180;
const maxRangeM = 100;

/**
 * A corner radar: static clutter whose Doppler follows the ego speed and the line of sight
 * (`-v·cos(bearing)`), plus a few tracked vehicles moving through the field of view. The
 * returns are consistent with the CAN speed, which lets a sync check use radar Doppler.
 */
export class RadarModel {
  readonly #random: Random;
  readonly #tracks: Track[] = [];
  readonly #mountX: number;
  readonly #mountY: number;
  readonly #mountYaw: number;
  readonly #clutter: number;
  #lastTimeNs: number | undefined;

  constructor(seed: number, vehicleId: string, sensor: RigSensor, weather: Weather) {
    this.#random = Random.derive(seed, 'radar', vehicleId, sensor.id);
    this.#mountX = sensor.mount.x;
    this.#mountY = sensor.mount.y;
    this.#mountYaw = sensor.mount.yaw;
    this.#clutter = weather === 'rain' ? 40 : 28;
  }

  #spawn(state: VehicleState): Track {
    const random = this.#random;
    const bearing = this.#mountYaw + random.range(-fieldOfView, fieldOfView);
    const range = random.range(5, 70);
    return {
      x: this.#mountX + range * Math.cos(bearing),
      y: this.#mountY + range * Math.sin(bearing),
      speed: Math.max(0, state.speed + random.range(-5, 5)),
      rcs: random.range(5, 20),
    };
  }

  /** The detections of one scan at `timeNs` (reference clock). */
  scan(state: VehicleState, timeNs: number): RadarReturnData[] {
    const random = this.#random;
    const dt = this.#lastTimeNs === undefined ? 0 : Math.max(0, (timeNs - this.#lastTimeNs) / 1e9);
    this.#lastTimeNs = timeNs;
    const returns: RadarReturnData[] = [];
    const speed = state.speed;

    const clutter = this.#clutter + random.int(12);
    for (let i = 0; i < clutter; i++) {
      const azimuth = random.range(-fieldOfView, fieldOfView);
      const range = Math.min(maxRangeM, 1.5 + random.exponential(22));
      returns.push({
        range,
        azimuth,
        elevation: random.normal() * 0.03,
        doppler_velocity: -speed * Math.cos(this.#mountYaw + azimuth) + random.normal() * 0.08,
        amplitude: random.normal() * 6 - 5,
      });
    }

    for (const track of this.#tracks) track.x += (track.speed - speed) * dt;
    for (let i = this.#tracks.length - 1; i >= 0; i--) {
      const t = this.#tracks[i]!;
      const bearing = Math.atan2(t.y - this.#mountY, t.x - this.#mountX) - this.#mountYaw;
      const wrapped = Math.atan2(Math.sin(bearing), Math.cos(bearing));
      if (
        Math.abs(wrapped) > fieldOfView ||
        Math.hypot(t.x - this.#mountX, t.y - this.#mountY) > maxRangeM
      ) {
        this.#tracks.splice(i, 1);
      }
    }
    while (this.#tracks.length < 3) this.#tracks.push(this.#spawn(state));
    for (const t of this.#tracks) {
      const dx = t.x - this.#mountX;
      const dy = t.y - this.#mountY;
      const range = Math.hypot(dx, dy);
      const lineOfSight = Math.atan2(dy, dx);
      const azimuth = Math.atan2(
        Math.sin(lineOfSight - this.#mountYaw),
        Math.cos(lineOfSight - this.#mountYaw),
      );
      const points = 1 + random.int(3);
      for (let p = 0; p < points; p++) {
        returns.push({
          range: range + random.normal() * 0.15,
          azimuth: azimuth + random.normal() * 0.01,
          elevation: random.normal() * 0.02,
          doppler_velocity: (t.speed - speed) * Math.cos(lineOfSight) + random.normal() * 0.05,
          amplitude: t.rcs + random.normal() * 2,
        });
      }
    }
    return returns;
  }
}
