import { Random } from './random.js';

/** A real place where synthetic drives start; inland, far enough from borders for a 15 km radius. */
export interface Region {
  /** ISO 3166-1 alpha-2 country code. */
  readonly country: string;
  readonly countryName: string;
  readonly city: string;
  readonly latitude: number;
  readonly longitude: number;
  /** Ground elevation above the WGS 84 ellipsoid around the city, metres. */
  readonly altitudeM: number;
}

/** Cities of the fleet's campaigns, at least 40 km from any border or sea coast. */
export const regions: readonly Region[] = [
  {
    country: 'DE',
    countryName: 'Germany',
    city: 'Munich',
    latitude: 48.1374,
    longitude: 11.5755,
    altitudeM: 567,
  },
  {
    country: 'DE',
    countryName: 'Germany',
    city: 'Berlin',
    latitude: 52.52,
    longitude: 13.405,
    altitudeM: 83,
  },
  {
    country: 'FR',
    countryName: 'France',
    city: 'Paris',
    latitude: 48.8566,
    longitude: 2.3522,
    altitudeM: 80,
  },
  {
    country: 'FR',
    countryName: 'France',
    city: 'Lyon',
    latitude: 45.764,
    longitude: 4.8357,
    altitudeM: 220,
  },
  {
    country: 'NL',
    countryName: 'Netherlands',
    city: 'Utrecht',
    latitude: 52.0907,
    longitude: 5.1214,
    altitudeM: 48,
  },
  {
    country: 'ES',
    countryName: 'Spain',
    city: 'Madrid',
    latitude: 40.4168,
    longitude: -3.7038,
    altitudeM: 700,
  },
  {
    country: 'IT',
    countryName: 'Italy',
    city: 'Bologna',
    latitude: 44.4949,
    longitude: 11.3426,
    altitudeM: 90,
  },
  {
    country: 'PL',
    countryName: 'Poland',
    city: 'Warsaw',
    latitude: 52.2297,
    longitude: 21.0122,
    altitudeM: 130,
  },
  {
    country: 'CZ',
    countryName: 'Czechia',
    city: 'Prague',
    latitude: 50.0755,
    longitude: 14.4378,
    altitudeM: 280,
  },
  {
    country: 'SE',
    countryName: 'Sweden',
    city: 'Jönköping',
    latitude: 57.7826,
    longitude: 14.1618,
    altitudeM: 130,
  },
];

/** Road class the vehicle is driving on; sets its speeds, stops and curvature. */
export type DrivingMode = 'urban' | 'rural' | 'highway';

/** Weather of a drive: sets speeds here, and camera, lidar and CAN content elsewhere. */
export type Weather = 'clear' | 'rain' | 'fog';

/** The vehicle's true state at one instant, in a local ENU frame centred on the region's city. */
export interface VehicleState {
  /** East and north of the region's centre, metres. */
  x: number;
  y: number;
  /** Yaw in ENU: 0 = east, counter-clockwise positive, radians. */
  heading: number;
  /** Forward speed, m/s (never negative). */
  speed: number;
  /** Longitudinal acceleration, m/s². */
  accel: number;
  yawRate: number;
  /** Road-wheel steering angle from a bicycle model, radians. */
  steeringAngle: number;
  /** Distance driven since the start of the recording, metres. */
  distance: number;
  altitude: number;
  /** Road grade as a pitch angle, radians (nose up positive). */
  pitch: number;
  latitude: number;
  longitude: number;
  /** 0..1 */
  accelPedal: number;
  brakePressureBar: number;
  mode: DrivingMode;
}

/** What a drive is: where it starts, on which road class, and in which weather. */
export interface DrivePlan {
  readonly region: Region;
  readonly weather: Weather;
  readonly initialMode: DrivingMode;
  /** Share of highway driving the campaign aims for (0..1). */
  readonly highwayShare: number;
}

const earthRadiusM = 6_378_137;
const wheelBaseM = 2.9;
const stepS = 0.01;
const stepNs = stepS * 1e9;
/** Farthest from the city centre the simulated driver goes before turning back. */
const homeRadiusM = 12_000;

const modeSpeedKph: Readonly<Record<DrivingMode, readonly [number, number]>> = {
  urban: [30, 50],
  rural: [70, 100],
  highway: [100, 130],
};

const weatherSpeedFactor: Readonly<Record<Weather, number>> = { clear: 1, rain: 0.9, fog: 0.75 };

/** Fields kept per simulation step for interpolation. */
const fields = [
  'x',
  'y',
  'heading',
  'speed',
  'accel',
  'yawRate',
  'steeringAngle',
  'distance',
  'altitude',
  'pitch',
  'accelPedal',
  'brakePressureBar',
] as const;

type Field = (typeof fields)[number];

/** The state of a drive at time 0; used to seed a fresh `VehicleState`. */
export function emptyVehicleState(): VehicleState {
  return {
    x: 0,
    y: 0,
    heading: 0,
    speed: 0,
    accel: 0,
    yawRate: 0,
    steeringAngle: 0,
    distance: 0,
    altitude: 0,
    pitch: 0,
    latitude: 0,
    longitude: 0,
    accelPedal: 0,
    brakePressureBar: 0,
    mode: 'urban',
  };
}

function wrapAngle(angle: number): number {
  return Math.atan2(Math.sin(angle), Math.cos(angle));
}

/**
 * Simulates a plausible drive at 100 Hz: speed targets per road class with stops at junctions and
 * traffic lights in town, jerk-limited acceleration, curvature that follows an Ornstein-Uhlenbeck
 * process bounded by lateral acceleration, 90° turns in town, and a gentle pull back towards the
 * city once the vehicle is more than 12 km out. States are kept in a ring buffer of the last
 * `historyS` seconds, so memory stays bounded however long the drive; callers query times in
 * non-decreasing order give or take that history.
 */
export class RouteSimulator {
  readonly plan: DrivePlan;
  readonly #random: Random;
  readonly #capacity: number;
  readonly #buffers: Record<Field, Float64Array>;
  readonly #modes: Uint8Array;
  /** Index (in steps since time 0) of the newest simulated state. */
  #newest = -1;
  readonly #state: VehicleState = emptyVehicleState();

  #mode: DrivingMode;
  #modeUntilS = 0;
  #targetSpeed = 0;
  #targetUntilS = 0;
  #nextStopAtM = 0;
  #stopUntilS = -1;
  #curvature = 0;
  #turnRemaining = 0;
  #turnDirection = 0;
  #nextJunctionAtM = 0;
  #junctionTurn = 0;

  constructor(plan: DrivePlan, seed: number, historyS = 4) {
    this.plan = plan;
    this.#random = Random.derive(seed, 'route');
    this.#capacity = Math.ceil(historyS / stepS) + 2;
    this.#buffers = Object.fromEntries(
      fields.map((field) => [field, new Float64Array(this.#capacity)]),
    ) as Record<Field, Float64Array>;
    this.#modes = new Uint8Array(this.#capacity);
    this.#mode = plan.initialMode;
    const random = this.#random;
    const state = this.#state;
    state.heading = random.range(-Math.PI, Math.PI);
    state.x = random.range(-2000, 2000);
    state.y = random.range(-2000, 2000);
    state.mode = this.#mode;
    state.speed = this.#mode === 'urban' && random.chance(0.5) ? 0 : this.#pickTarget();
    this.#modeUntilS = this.#modeDuration();
    this.#nextStopAtM = this.#stopSpacing();
    this.#scheduleJunction();
    this.#record(0);
  }

  /** Places the next junction ahead and decides now whether the driver will turn there. */
  #scheduleJunction(): void {
    const random = this.#random;
    this.#nextJunctionAtM = this.#state.distance + random.range(120, 600);
    this.#junctionTurn = random.chance(0.45) ? random.sign() : 0;
  }

  #modeDuration(): number {
    const random = this.#random;
    switch (this.#mode) {
      case 'urban':
        return random.range(120, 360);
      case 'rural':
        return random.range(120, 300);
      case 'highway':
        return random.range(180, 600);
    }
  }

  #stopSpacing(): number {
    return this.#mode === 'urban'
      ? 150 + this.#random.exponential(350)
      : this.#mode === 'rural'
        ? 2000 + this.#random.exponential(4000)
        : 20_000 + this.#random.exponential(40_000);
  }

  #pickTarget(): number {
    const [lo, hi] = modeSpeedKph[this.#mode];
    const kph = this.#random.range(lo, hi) * weatherSpeedFactor[this.plan.weather];
    return kph / 3.6;
  }

  #nextMode(): DrivingMode {
    const random = this.#random;
    const highway = this.plan.highwayShare;
    switch (this.#mode) {
      case 'urban':
        return random.chance(0.6) ? 'rural' : random.chance(highway) ? 'highway' : 'urban';
      case 'rural':
        return random.chance(highway) ? 'highway' : 'urban';
      case 'highway':
        return random.chance(0.7) ? 'rural' : 'highway';
    }
  }

  /** Advances the simulation by one step. */
  #step(): void {
    const random = this.#random;
    const state = this.#state;
    const timeS = (this.#newest + 1) * stepS;

    if (timeS >= this.#modeUntilS) {
      this.#mode = this.#nextMode();
      this.#modeUntilS = timeS + this.#modeDuration();
      this.#nextStopAtM = state.distance + this.#stopSpacing();
      this.#targetUntilS = timeS;
    }
    if (timeS >= this.#targetUntilS) {
      this.#targetSpeed = this.#pickTarget();
      this.#targetUntilS = timeS + random.range(10, 40);
    }

    // speed: target, stops (with a braking distance), slow turns
    let target = this.#targetSpeed;
    let brakingFor = Infinity;
    if (this.#stopUntilS > timeS) {
      target = 0;
    } else {
      const toStop = this.#nextStopAtM - state.distance;
      if ((toStop <= 3 && state.speed < 1) || toStop < -5) {
        this.#stopUntilS = timeS + random.range(5, 45);
        this.#nextStopAtM = state.distance + this.#stopSpacing();
        target = 0;
      } else {
        brakingFor = Math.max(toStop, 0.5);
      }
    }
    const turnSpeed = 5;
    const toJunction = this.#nextJunctionAtM - state.distance;
    if (this.#mode === 'urban' && this.#turnDirection !== 0) target = Math.min(target, turnSpeed);

    let desiredAccel = Math.max(-3, Math.min(1.8, (target - state.speed) * 0.6));
    const stopDecel = (state.speed * state.speed) / (2 * brakingFor);
    if (stopDecel > 1.2) desiredAccel = Math.min(desiredAccel, -stopDecel);
    if (this.#mode === 'urban' && this.#junctionTurn !== 0 && toJunction < 40) {
      const junctionDecel =
        (state.speed * state.speed - turnSpeed * turnSpeed) / (2 * Math.max(toJunction, 1));
      if (junctionDecel > 1.0) desiredAccel = Math.min(desiredAccel, -junctionDecel);
    }
    const jerk = desiredAccel < state.accel ? 6 : 2.5;
    const accel =
      state.accel + Math.max(-jerk * stepS, Math.min(jerk * stepS, desiredAccel - state.accel));
    let speed = state.speed + accel * stepS;
    if (speed <= 0) speed = 0;
    state.accel = speed === 0 && desiredAccel <= 0 ? 0 : accel;
    state.speed = speed;
    state.accelPedal = Math.max(
      0,
      Math.min(1, accel > 0 ? 0.15 + accel / 3 : speed > 0 ? 0.08 : 0),
    );
    state.brakePressureBar = accel < -0.3 ? -accel * 12 : speed === 0 ? 15 : 0;

    // curvature: OU wander, urban junction turns, pull towards home
    const sigma = this.#mode === 'urban' ? 0.004 : this.#mode === 'rural' ? 0.0015 : 0.0003;
    const tau = this.#mode === 'highway' ? 20 : 6;
    this.#curvature +=
      (-this.#curvature / tau) * stepS + sigma * Math.sqrt(stepS) * random.normal();
    let curvature = this.#curvature;
    if (this.#mode === 'urban') {
      if (this.#turnDirection === 0 && toJunction <= 0) {
        this.#turnDirection = this.#junctionTurn;
        this.#turnRemaining = Math.PI / 2;
        this.#scheduleJunction();
      }
      if (this.#turnDirection !== 0) {
        curvature = this.#turnDirection / 15;
        this.#turnRemaining -= Math.abs(curvature * speed * stepS);
        if (this.#turnRemaining <= 0) this.#turnDirection = 0;
      }
    } else if (toJunction <= 0) {
      this.#scheduleJunction();
    }
    const range = Math.hypot(state.x, state.y);
    if (range > homeRadiusM && this.#turnDirection === 0) {
      const bearingHome = Math.atan2(-state.y, -state.x);
      const error = wrapAngle(bearingHome - state.heading);
      curvature += (error / 800) * Math.min(1, (range - homeRadiusM) / 2000 + 0.2);
    }
    const maxCurvature = Math.min(1 / 6, 3.5 / Math.max(speed * speed, 1e-6));
    curvature = Math.max(-maxCurvature, Math.min(maxCurvature, curvature));

    const yawRate = curvature * speed;
    const steering = Math.atan(wheelBaseM * curvature);
    state.heading = wrapAngle(state.heading + yawRate * stepS);
    state.yawRate = yawRate;
    state.steeringAngle = steering;
    state.x += Math.cos(state.heading) * speed * stepS;
    state.y += Math.sin(state.heading) * speed * stepS;
    state.distance += speed * stepS;
    const s = state.distance;
    state.altitude =
      this.plan.region.altitudeM + 14 * Math.sin(s / 3100) + 4 * Math.sin(s / 730 + 1);
    state.pitch = Math.atan((14 / 3100) * Math.cos(s / 3100) + (4 / 730) * Math.cos(s / 730 + 1));
    state.mode = this.#mode;
    this.#record(this.#newest + 1);
  }

  #record(index: number): void {
    const slot = index % this.#capacity;
    for (const field of fields) this.#buffers[field][slot] = this.#state[field];
    this.#modes[slot] = this.#mode === 'urban' ? 0 : this.#mode === 'rural' ? 1 : 2;
    this.#newest = index;
  }

  /**
   * Writes the interpolated state at `timeNs` (since the start of the recording) into `out`.
   * Times before 0 return the initial state; times older than the kept history throw.
   */
  stateAt(timeNs: number, out: VehicleState): VehicleState {
    const position = Math.max(0, timeNs / stepNs);
    const lower = Math.floor(position);
    while (this.#newest < lower + 1) this.#step();
    if (lower < this.#newest - this.#capacity + 1) {
      throw new RangeError(`route state at ${timeNs} ns is older than the simulator keeps`);
    }
    const fraction = position - lower;
    const a = lower % this.#capacity;
    const b = (lower + 1) % this.#capacity;
    for (const field of fields) {
      const buffer = this.#buffers[field];
      const va = buffer[a] ?? 0;
      const vb = buffer[b] ?? 0;
      out[field] =
        field === 'heading' ? va + wrapAngle(vb - va) * fraction : va + (vb - va) * fraction;
    }
    const mode = this.#modes[a];
    out.mode = mode === 0 ? 'urban' : mode === 1 ? 'rural' : 'highway';
    const { latitude, longitude } = this.plan.region;
    out.latitude = latitude + (out.y / earthRadiusM) * (180 / Math.PI);
    out.longitude =
      longitude + (out.x / (earthRadiusM * Math.cos((latitude * Math.PI) / 180))) * (180 / Math.PI);
    return out;
  }
}
