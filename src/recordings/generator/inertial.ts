import { Random } from './random.js';
import type { VehicleState } from './route.js';

const gravity = 9.80665;

/** A ROS header as the CDR writer takes it. */
export interface RosHeader {
  stamp: { sec: number; nanosec: number };
  frame_id: string;
}

function diagonal(a: number, b: number, c: number): number[] {
  return [a, 0, 0, 0, b, 0, 0, 0, c];
}

/**
 * A MEMS IMU in the vehicle frame (x forward, y left, z up, REP-103): orientation from the true
 * heading and grade, angular rate and specific force with white noise, slowly wandering biases and
 * road vibration that grows with speed.
 */
export class ImuModel {
  readonly #random: Random;
  #gyroBiasZ: number;
  #accelBiasX: number;

  constructor(seed: number, vehicleId: string) {
    this.#random = Random.derive(seed, 'imu', vehicleId);
    this.#gyroBiasZ = this.#random.normal() * 0.002;
    this.#accelBiasX = this.#random.normal() * 0.03;
  }

  /** An `sensor_msgs/msg/Imu` message for the state (CDR writer object). */
  message(state: VehicleState, header: RosHeader): Record<string, unknown> {
    const random = this.#random;
    this.#gyroBiasZ += random.normal() * 2e-6;
    this.#accelBiasX += random.normal() * 2e-5;
    const vibration = 0.05 + state.speed * 0.012;
    // REP-103: positive pitch about +y (left) is nose down
    const pitch = -state.pitch;
    const roll = random.normal() * 0.002;
    const yaw = state.heading;
    const cr = Math.cos(roll / 2);
    const sr = Math.sin(roll / 2);
    const cp = Math.cos(pitch / 2);
    const sp = Math.sin(pitch / 2);
    const cy = Math.cos(yaw / 2);
    const sy = Math.sin(yaw / 2);
    return {
      header,
      orientation: {
        x: sr * cp * cy - cr * sp * sy,
        y: cr * sp * cy + sr * cp * sy,
        z: cr * cp * sy - sr * sp * cy,
        w: cr * cp * cy + sr * sp * sy,
      },
      orientation_covariance: diagonal(3e-4, 3e-4, 2e-3),
      angular_velocity: {
        x: random.normal() * 0.004,
        y: random.normal() * 0.004,
        z: state.yawRate + this.#gyroBiasZ + random.normal() * 0.003,
      },
      angular_velocity_covariance: diagonal(1.6e-5, 1.6e-5, 1e-5),
      linear_acceleration: {
        x:
          state.accel +
          gravity * Math.sin(state.pitch) +
          this.#accelBiasX +
          random.normal() * vibration,
        y: state.speed * state.yawRate + random.normal() * vibration,
        z: gravity * Math.cos(state.pitch) + random.normal() * vibration * 1.5,
      },
      linear_acceleration_covariance: diagonal(4e-3, 4e-3, 6e-3),
    };
  }
}

/** Fix quality reported in `sensor_msgs/NavSatStatus.status`. */
const statusFix = 0;
const statusSbasFix = 1;
/** GPS | Galileo. */
const service = 1 | 8;
const metresPerDegree = 111_320;

/**
 * A GNSS receiver: the true position plus an error that wanders (Ornstein-Uhlenbeck, about a
 * metre, 40 s correlation) and white noise; worse in town (multipath), with SBAS elsewhere.
 */
export class GnssModel {
  readonly #random: Random;
  #east = 0;
  #north = 0;
  #up = 0;
  #lastTimeNs: number | undefined;

  constructor(seed: number, vehicleId: string) {
    this.#random = Random.derive(seed, 'gnss', vehicleId);
    this.#east = this.#random.normal() * 0.8;
    this.#north = this.#random.normal() * 0.8;
  }

  /** An `sensor_msgs/msg/NavSatFix` message for the state at `timeNs` (CDR writer object). */
  message(state: VehicleState, timeNs: number, header: RosHeader): Record<string, unknown> {
    const random = this.#random;
    const dt =
      this.#lastTimeNs === undefined ? 0.1 : Math.max(0, (timeNs - this.#lastTimeNs) / 1e9);
    this.#lastTimeNs = timeNs;
    const urban = state.mode === 'urban';
    const sigma = urban ? 1.8 : 0.8;
    const decay = Math.exp(-dt / 40);
    const kick = sigma * Math.sqrt(1 - decay * decay);
    this.#east = this.#east * decay + kick * random.normal();
    this.#north = this.#north * decay + kick * random.normal();
    this.#up = this.#up * decay + kick * 1.6 * random.normal();
    const east = this.#east + random.normal() * 0.15;
    const north = this.#north + random.normal() * 0.15;
    const cosLat = Math.cos((state.latitude * Math.PI) / 180);
    const horizontalVariance = sigma * sigma;
    return {
      header,
      status: { status: urban ? statusFix : statusSbasFix, service },
      latitude: state.latitude + north / metresPerDegree,
      longitude: state.longitude + east / (metresPerDegree * cosLat),
      altitude: state.altitude + this.#up,
      position_covariance: diagonal(
        horizontalVariance,
        horizontalVariance,
        horizontalVariance * 2.5,
      ),
      position_covariance_type: 2,
    };
  }
}
