import { canFramesPerSecond } from './can.js';
import { Random } from './random.js';
import type { Ros2SchemaName } from './schemas.js';

/** What a sensor of the rig measures. `can` is the logger's CAN interface, not a sensor proper. */
export type SensorKind = 'camera' | 'lidar' | 'radar' | 'imu' | 'gnss' | 'can';

/** How camera frames are stored: small JPEG frames or raw rgb8 images. */
export type CameraFormat = 'jpeg' | 'raw';

/**
 * The time scale of the GNSS receiver's header stamps. `utc`: the driver stamps the fix in UTC,
 * the receiver's GPS time less the leap seconds it broadcasts, as ROS `NavSatFix` stamps are, so
 * the fix shares the other sensors' clock. `gps`: a driver that skips that conversion, a known
 * fault that puts every fix `gpsLeapSecondsNs` ahead of the rest of the rig.
 */
export type GnssTimeScale = 'utc' | 'gps';

/** GPS time minus UTC since 2017-01-01 (no leap second has been added since). */
export const gpsLeapSecondsNs = 18e9;

/**
 * The true timing of one clocked source, all set by the seed. Times are nanoseconds relative to
 * the recording's reference start (log time 0); the reference clock is the logger's (log time).
 *
 * - sensor clock: `clock(t) = t + offsetNs + driftPpm·1e-6·t`
 * - the sensor samples whenever its clock reads `phaseNs + k·periodNs` (true capture time `t_k`)
 * - header stamp: `clock(t_k) + e_k`, with `e_k ~ N(0, stampJitterNs)` rounded to `stampResolutionNs`
 * - log time: `t_k + latencyMinNs + x_k`, `x_k ~ Exp(latencyMeanNs)`; a message never overtakes
 *   the previous one of its topic (head-of-line blocking), so the realised latency can be larger
 * - dropped: each sample with probability `dropRate`; a burst of `1 + Exp(burstMeanLength − 1)`
 *   consecutive samples starts with probability `burstRate`
 */
export interface ClockModel {
  readonly offsetNs: number;
  readonly driftPpm: number;
  readonly periodNs: number;
  readonly phaseNs: number;
  readonly stampJitterNs: number;
  readonly stampResolutionNs: number;
  readonly latencyMinNs: number;
  readonly latencyMeanNs: number;
  readonly dropRate: number;
  readonly burstRate: number;
  readonly burstMeanLength: number;
}

/** One clocked source of the rig: where it sits, what it publishes, and its true clock. */
export interface RigSensor {
  /** Stable identifier, e.g. `camera_front`, `radar_rear_left`, `can`. */
  readonly id: string;
  readonly kind: SensorKind;
  readonly topic: string;
  readonly frameId: string;
  readonly schemaName: Ros2SchemaName;
  /** Nominal rate in the sensor's own clock; for `can`, the sum over all CAN ids. */
  readonly rateHz: number;
  /** Mounting in the vehicle frame (x forward, y left, z up; metres; yaw in radians). */
  readonly mount: {
    readonly x: number;
    readonly y: number;
    readonly z: number;
    readonly yaw: number;
  };
  readonly clock: ClockModel;
}

/** The sensor rig of one vehicle with its true clock parameters. */
export interface Rig {
  readonly seed: number;
  readonly vehicleId: string;
  readonly sensors: readonly RigSensor[];
}

interface SensorTemplate {
  readonly id: string;
  readonly kind: SensorKind;
  readonly topic: string;
  readonly frameId: string;
  readonly rateHz: number;
  readonly mount: RigSensor['mount'];
}

const deg = Math.PI / 180;

const cameraMounts: readonly [string, RigSensor['mount']][] = [
  ['front', { x: 1.9, y: 0, z: 1.45, yaw: 0 }],
  ['front_left', { x: 1.75, y: 0.85, z: 1.4, yaw: 55 * deg }],
  ['front_right', { x: 1.75, y: -0.85, z: 1.4, yaw: -55 * deg }],
  ['rear', { x: -1.0, y: 0, z: 1.5, yaw: 180 * deg }],
  ['rear_left', { x: 0.9, y: 0.95, z: 1.3, yaw: 110 * deg }],
  ['rear_right', { x: 0.9, y: -0.95, z: 1.3, yaw: -110 * deg }],
];

const radarMounts: readonly [string, RigSensor['mount']][] = [
  ['front_left', { x: 3.6, y: 0.75, z: 0.5, yaw: 45 * deg }],
  ['front_right', { x: 3.6, y: -0.75, z: 0.5, yaw: -45 * deg }],
  ['rear_left', { x: -0.9, y: 0.75, z: 0.5, yaw: 135 * deg }],
  ['rear_right', { x: -0.9, y: -0.75, z: 0.5, yaw: -135 * deg }],
];

function templates(cameraFormat: CameraFormat): SensorTemplate[] {
  const cameraTopic = cameraFormat === 'jpeg' ? 'image/compressed' : 'image';
  return [
    ...cameraMounts.map(([position, mount]) => ({
      id: `camera_${position}`,
      kind: 'camera' as const,
      topic: `/sensors/camera/${position}/${cameraTopic}`,
      frameId: `camera_${position}_optical`,
      rateHz: 30,
      mount,
    })),
    {
      id: 'lidar_top',
      kind: 'lidar',
      topic: '/sensors/lidar/top/points',
      frameId: 'lidar_top',
      rateHz: 10,
      mount: { x: 1.2, y: 0, z: 1.95, yaw: 0 },
    },
    ...radarMounts.map(([position, mount]) => ({
      id: `radar_${position}`,
      kind: 'radar' as const,
      topic: `/sensors/radar/${position}/scan`,
      frameId: `radar_${position}`,
      rateHz: 20,
      mount,
    })),
    {
      id: 'imu',
      kind: 'imu',
      topic: '/sensors/imu/data',
      frameId: 'imu_link',
      rateHz: 100,
      mount: { x: 0, y: 0, z: 0.4, yaw: 0 },
    },
    {
      id: 'gnss',
      kind: 'gnss',
      topic: '/sensors/gnss/fix',
      frameId: 'gnss_antenna',
      rateHz: 10,
      mount: { x: 0.4, y: 0, z: 1.6, yaw: 0 },
    },
    {
      id: 'can',
      kind: 'can',
      topic: '/vehicle/can/raw',
      frameId: 'can0',
      rateHz: canFramesPerSecond,
      mount: { x: 0, y: 0, z: 0, yaw: 0 },
    },
  ];
}

const schemaOf = (kind: SensorKind, cameraFormat: CameraFormat): Ros2SchemaName => {
  switch (kind) {
    case 'camera':
      return cameraFormat === 'jpeg' ? 'sensor_msgs/msg/CompressedImage' : 'sensor_msgs/msg/Image';
    case 'lidar':
      return 'sensor_msgs/msg/PointCloud2';
    case 'radar':
      return 'radar_msgs/msg/RadarScan';
    case 'imu':
      return 'sensor_msgs/msg/Imu';
    case 'gnss':
      return 'sensor_msgs/msg/NavSatFix';
    case 'can':
      return 'can_msgs/msg/Frame';
  }
};

const ms = 1e6;
const us = 1e3;

/** Magnitude drawn log-uniformly between lo and hi, with a random sign. */
function signedLogUniform(random: Random, lo: number, hi: number): number {
  return random.sign() * Math.exp(random.range(Math.log(lo), Math.log(hi)));
}

/**
 * Draws the clock of one source. The ranges are those of real rigs: PTP-synchronised cameras and
 * lidar sit within milliseconds, free-running radars, IMU and CAN interfaces are off by up to
 * seconds and drift by tens of ppm, the GNSS receiver is disciplined by the satellites to within
 * microseconds of UTC, or sits the leap seconds ahead when it stamps GPS time.
 */
function drawClock(
  kind: SensorKind,
  rateHz: number,
  random: Random,
  gnssTime: GnssTimeScale,
): ClockModel {
  const periodNs = 1e9 / rateHz;
  const phaseNs = random.range(0, periodNs);
  const base = { periodNs, phaseNs };
  switch (kind) {
    case 'camera':
      return {
        ...base,
        offsetNs: signedLogUniform(random, 1 * ms, 40 * ms),
        driftPpm: random.range(-10, 10),
        stampJitterNs: random.range(50 * us, 300 * us),
        stampResolutionNs: 1 * us,
        latencyMinNs: random.range(20 * ms, 35 * ms),
        latencyMeanNs: random.range(3 * ms, 8 * ms),
        dropRate: random.range(0.002, 0.01),
        burstRate: random.range(0.0002, 0.001),
        burstMeanLength: random.range(4, 12),
      };
    case 'lidar':
      // stamped at the start of a revolution, published once the revolution is complete
      return {
        ...base,
        offsetNs: signedLogUniform(random, 0.1 * ms, 3 * ms),
        driftPpm: random.range(-0.5, 0.5),
        stampJitterNs: random.range(5 * us, 20 * us),
        stampResolutionNs: 1 * us,
        latencyMinNs: periodNs + random.range(5 * ms, 10 * ms),
        latencyMeanNs: random.range(1 * ms, 4 * ms),
        dropRate: random.range(0.0005, 0.002),
        burstRate: 0,
        burstMeanLength: 1,
      };
    case 'radar':
      return {
        ...base,
        offsetNs: signedLogUniform(random, 50 * ms, 1500 * ms),
        driftPpm: random.range(-60, 60),
        stampJitterNs: random.range(200 * us, 1 * ms),
        stampResolutionNs: 10 * us,
        latencyMinNs: random.range(25 * ms, 50 * ms),
        latencyMeanNs: random.range(2 * ms, 6 * ms),
        dropRate: random.range(0.005, 0.02),
        burstRate: random.range(0.0005, 0.002),
        burstMeanLength: random.range(2, 6),
      };
    case 'imu':
      return {
        ...base,
        offsetNs: signedLogUniform(random, 10 * ms, 2000 * ms),
        driftPpm: random.range(-80, 80),
        stampJitterNs: random.range(10 * us, 50 * us),
        stampResolutionNs: 1 * us,
        latencyMinNs: random.range(0.5 * ms, 2 * ms),
        latencyMeanNs: random.range(0.1 * ms, 0.5 * ms),
        dropRate: random.range(0.0002, 0.001),
        burstRate: 0,
        burstMeanLength: 1,
      };
    case 'gnss':
      return {
        ...base,
        offsetNs: (gnssTime === 'gps' ? gpsLeapSecondsNs : 0) + random.range(-0.05 * ms, 0.05 * ms),
        driftPpm: random.range(-0.02, 0.02),
        stampJitterNs: random.range(1 * us, 5 * us),
        stampResolutionNs: 1 * us,
        latencyMinNs: random.range(40 * ms, 120 * ms),
        latencyMeanNs: random.range(5 * ms, 15 * ms),
        dropRate: random.range(0.002, 0.01),
        burstRate: random.range(0.0005, 0.002),
        burstMeanLength: random.range(5, 30),
      };
    case 'can':
      // periodNs and phaseNs are unused: each CAN id has its own schedule (see can.ts)
      return {
        ...base,
        offsetNs: signedLogUniform(random, 200 * ms, 3000 * ms),
        driftPpm: random.range(-50, 50),
        stampJitterNs: 1 * us,
        stampResolutionNs: 1 * us,
        latencyMinNs: random.range(0.2 * ms, 0.6 * ms),
        latencyMeanNs: random.range(0.1 * ms, 0.3 * ms),
        dropRate: random.range(0.00001, 0.0001),
        burstRate: 0,
        burstMeanLength: 1,
      };
  }
}

/** Options of `createRig`. */
export interface RigOptions {
  readonly cameraFormat?: CameraFormat;
  /** `utc` unless given; `gps` injects the unconverted-GPS-time fault. */
  readonly gnssTime?: GnssTimeScale;
}

/**
 * The rig of one vehicle: 6 cameras (30 Hz), a lidar (10 Hz), 4 corner radars (20 Hz), an IMU
 * (100 Hz), a GNSS receiver (10 Hz) and the CAN interface, each with a clock drawn from
 * `(seed, vehicleId, sensor id)`. Pure and cheap: the sync benchmark calls it directly.
 */
export function createRig(seed: number, vehicleId: string, options: RigOptions = {}): Rig {
  const cameraFormat = options.cameraFormat ?? 'jpeg';
  const gnssTime = options.gnssTime ?? 'utc';
  const sensors = templates(cameraFormat).map((template): RigSensor => {
    const random = Random.derive(seed, 'rig', vehicleId, template.id);
    return {
      ...template,
      schemaName: schemaOf(template.kind, cameraFormat),
      clock: drawClock(template.kind, template.rateHz, random, gnssTime),
    };
  });
  return { seed, vehicleId, sensors };
}
