import type { Random } from './random.js';
import type { VehicleState, Weather } from './route.js';

/** One signal of a CAN message: Intel (little-endian) byte order, as in a DBC `@1` signal. */
export interface CanSignal {
  readonly name: string;
  readonly startBit: number;
  readonly length: number;
  readonly signed: boolean;
  readonly factor: number;
  readonly offset: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly comment?: string;
  readonly values?: Readonly<Record<number, string>>;
}

/** What the CAN encoders need besides the vehicle state. */
export interface CanEnvironment {
  readonly night: boolean;
  readonly weather: Weather;
  readonly outsideTempC: number;
  /** Odometer reading at the start of the recording, km. */
  readonly odometerStartKm: number;
}

/** One periodic message of the vehicle bus. */
export interface CanMessageDefinition {
  readonly id: number;
  readonly name: string;
  readonly dlc: number;
  readonly periodMs: number;
  readonly sender: string;
  readonly comment: string;
  readonly signals: readonly CanSignal[];
  /**
   * Physical values of the signals in order, except `Counter` and `Checksum`, which the encoder
   * fills in itself.
   */
  readonly values: (state: VehicleState, env: CanEnvironment, random: Random) => readonly number[];
}

function signal(
  name: string,
  startBit: number,
  length: number,
  options: Partial<Omit<CanSignal, 'name' | 'startBit' | 'length'>> = {},
): CanSignal {
  const signed = options.signed ?? false;
  const factor = options.factor ?? 1;
  const offset = options.offset ?? 0;
  const rawMin = signed ? -(2 ** (length - 1)) : 0;
  const rawMax = signed ? 2 ** (length - 1) - 1 : 2 ** length - 1;
  return {
    name,
    startBit,
    length,
    signed,
    factor,
    offset,
    min: options.min ?? rawMin * factor + offset,
    max: options.max ?? rawMax * factor + offset,
    unit: options.unit ?? '',
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    ...(options.values === undefined ? {} : { values: options.values }),
  };
}

const counter = signal('Counter', 52, 4, { comment: 'Rolling counter, +1 per frame of this id' });
const checksum = signal('Checksum', 56, 8, {
  comment: '0xFF minus (sum of bytes 0..6 and the two low bytes of the CAN id) mod 256',
});

const kph = 3.6;
const radToDeg = 180 / Math.PI;
const steeringRatio = 15.5;
const wheelCircumferenceM = 2.05;
const gearRatios = [0, 4.7, 3.1, 2.1, 1.67, 1.29, 1.0, 0.84, 0.67];
const finalDrive = 3.2;

function gearFor(speed: number): number {
  return Math.min(8, 1 + Math.floor(speed / 4.2));
}

function engineRpm(state: VehicleState): number {
  if (state.speed < 0.2) return 780;
  const wheelRps = state.speed / wheelCircumferenceM;
  const rpm = wheelRps * 60 * (gearRatios[gearFor(state.speed)] ?? 1) * finalDrive;
  return Math.max(780, rpm + Math.max(0, state.accel) * 250);
}

/** The documented messages: these carry the signals tagging and tests decode. */
const documented: readonly CanMessageDefinition[] = [
  {
    id: 0x0b4,
    name: 'VehicleSpeed',
    dlc: 8,
    periodMs: 10,
    sender: 'ABS',
    comment: 'Vehicle reference speed from the ABS/ESC wheel speed fusion.',
    signals: [
      signal('VehicleSpeed', 0, 16, {
        factor: 0.01,
        unit: 'km/h',
        comment: 'Vehicle speed over ground',
      }),
      signal('SpeedValid', 16, 1, { values: { 0: 'Invalid', 1: 'Valid' } }),
      signal('MovingDirection', 17, 2, {
        values: { 0: 'Standstill', 1: 'Forward', 2: 'Reverse', 3: 'Invalid' },
      }),
      counter,
      checksum,
    ],
    values: (s) => [s.speed * kph, 1, s.speed < 0.05 ? 0 : 1],
  },
  {
    id: 0x0b6,
    name: 'WheelSpeeds',
    dlc: 8,
    periodMs: 20,
    sender: 'ABS',
    comment: 'Individual wheel speeds.',
    signals: ['FL', 'FR', 'RL', 'RR'].map((wheel, i) =>
      signal(`WheelSpeed${wheel}`, i * 16, 16, { factor: 0.01, unit: 'km/h' }),
    ),
    values: (s, _env, random) => {
      // inner wheels turn slower in a curve; track 1.6 m
      const delta = s.yawRate * 0.8 * kph;
      const v = s.speed * kph;
      const noise = (): number => (s.speed > 0 ? random.normal() * 0.03 : 0);
      const clamp = (x: number): number => Math.max(0, x + noise());
      return [clamp(v - delta), clamp(v + delta), clamp(v - delta), clamp(v + delta)];
    },
  },
  {
    id: 0x025,
    name: 'SteeringAngle',
    dlc: 8,
    periodMs: 10,
    sender: 'EPS',
    comment: 'Steering wheel angle and rate, counter-clockwise positive.',
    signals: [
      signal('SteeringWheelAngle', 0, 16, {
        signed: true,
        factor: 0.1,
        unit: 'deg',
        min: -780,
        max: 780,
      }),
      signal('SteeringWheelRate', 16, 16, { signed: true, factor: 1, unit: 'deg/s' }),
      counter,
      checksum,
    ],
    values: (s) => [s.steeringAngle * steeringRatio * radToDeg, 0],
  },
  {
    id: 0x130,
    name: 'YawRateAccel',
    dlc: 8,
    periodMs: 10,
    sender: 'ESC',
    comment: 'Inertial signals of the ESC sensor cluster.',
    signals: [
      signal('YawRate', 0, 16, { signed: true, factor: 0.01, unit: 'deg/s' }),
      signal('LateralAccel', 16, 16, { signed: true, factor: 0.001, unit: 'm/s2' }),
      signal('LongitudinalAccel', 32, 16, { signed: true, factor: 0.001, unit: 'm/s2' }),
      counter,
      checksum,
    ],
    values: (s, _env, random) => [
      s.yawRate * radToDeg + random.normal() * 0.05,
      s.speed * s.yawRate + random.normal() * 0.02,
      s.accel + 9.81 * Math.sin(s.pitch) + random.normal() * 0.02,
    ],
  },
  {
    id: 0x1a0,
    name: 'EngineData',
    dlc: 8,
    periodMs: 10,
    sender: 'ECM',
    comment: 'Engine speed, accelerator pedal and torque.',
    signals: [
      signal('EngineSpeed', 0, 16, { factor: 0.25, unit: 'rpm' }),
      signal('AccelPedal', 16, 8, { factor: 0.4, unit: '%', max: 100 }),
      signal('EngineTorque', 24, 16, { signed: true, factor: 0.1, unit: 'Nm' }),
      counter,
      checksum,
    ],
    values: (s) => [engineRpm(s), s.accelPedal * 100, s.accelPedal * 320 - (s.accel < 0 ? 20 : 0)],
  },
  {
    id: 0x1f5,
    name: 'BrakeStatus',
    dlc: 8,
    periodMs: 20,
    sender: 'ESC',
    comment: 'Brake system pressure and pedal switch.',
    signals: [
      signal('BrakePressure', 0, 16, { factor: 0.01, unit: 'bar' }),
      signal('BrakePedalPressed', 16, 1, { values: { 0: 'Released', 1: 'Pressed' } }),
      counter,
      checksum,
    ],
    values: (s) => [s.brakePressureBar, s.brakePressureBar > 0.5 ? 1 : 0],
  },
  {
    id: 0x3bc,
    name: 'GearStatus',
    dlc: 8,
    periodMs: 100,
    sender: 'TCU',
    comment: 'Selector lever position and engaged gear.',
    signals: [
      signal('GearLever', 0, 4, { values: { 0: 'P', 1: 'R', 2: 'N', 3: 'D' } }),
      signal('EngagedGear', 4, 4, {}),
      counter,
      checksum,
    ],
    values: (s) => [3, s.speed < 0.2 ? 1 : gearFor(s.speed)],
  },
  {
    id: 0x3e0,
    name: 'BodyLights',
    dlc: 8,
    periodMs: 100,
    sender: 'BCM',
    comment: 'Exterior lights and wipers.',
    signals: [
      signal('LowBeam', 0, 1, { values: { 0: 'Off', 1: 'On' } }),
      signal('HighBeam', 1, 1, { values: { 0: 'Off', 1: 'On' } }),
      signal('FogLight', 2, 1, { values: { 0: 'Off', 1: 'On' } }),
      signal('WiperMode', 4, 2, { values: { 0: 'Off', 1: 'Interval', 2: 'Normal', 3: 'Fast' } }),
      counter,
      checksum,
    ],
    values: (s, env) => [
      env.night || env.weather === 'fog' ? 1 : 0,
      env.night && s.mode !== 'urban' ? 1 : 0,
      env.weather === 'fog' ? 1 : 0,
      env.weather === 'rain' ? (s.speed > 22 ? 3 : 2) : 0,
    ],
  },
  {
    id: 0x3e8,
    name: 'Ambient',
    dlc: 8,
    periodMs: 1000,
    sender: 'BCM',
    comment: 'Ambient sensors: outside temperature, rain and light sensor.',
    signals: [
      signal('OutsideTemp', 0, 8, { factor: 0.5, offset: -40, unit: 'degC' }),
      signal('RainIntensity', 8, 8, { unit: '%', max: 100 }),
      signal('AmbientLight', 16, 16, { unit: 'lux' }),
      counter,
      checksum,
    ],
    values: (_s, env, random) => [
      env.outsideTempC,
      env.weather === 'rain' ? 40 + random.int(40) : 0,
      env.night
        ? 2 + random.int(20)
        : env.weather === 'clear'
          ? 20_000 + random.int(30_000)
          : 3000 + random.int(5000),
    ],
  },
  {
    id: 0x580,
    name: 'Odometer',
    dlc: 8,
    periodMs: 1000,
    sender: 'IC',
    comment: 'Total distance driven by the vehicle.',
    signals: [signal('Odometer', 0, 24, { factor: 0.1, unit: 'km' }), counter, checksum],
    values: (s, env) => [env.odometerStartKm + s.distance / 1000],
  },
];

/** Status frames of the other ECUs on the bus: they make the load realistic; only a counter. */
const fillerIds = [
  [0x101, 10],
  [0x10c, 10],
  [0x11a, 10],
  [0x128, 10],
  [0x13f, 10],
  [0x14d, 10],
  [0x15b, 10],
  [0x16a, 10],
  [0x178, 10],
  [0x186, 10],
  [0x1b4, 10],
  [0x1c2, 10],
  [0x1d0, 10],
  [0x260, 20],
  [0x26e, 20],
  [0x27c, 20],
  [0x28a, 20],
] as const;

const filler: readonly CanMessageDefinition[] = fillerIds.map(([id, periodMs]) => ({
  id,
  name: `GatewayStatus_${id.toString(16).toUpperCase()}`,
  dlc: 8,
  periodMs,
  sender: 'GW',
  comment: 'Status frame routed by the central gateway; content not decoded.',
  signals: [signal('Status', 0, 8), signal('Value', 8, 16), counter, checksum],
  values: (_s, _env, random) => [random.int(4), 1000 + random.int(64)],
}));

/** Every message of the generated vehicle bus, by id. */
export const canDatabase: readonly CanMessageDefinition[] = [...documented, ...filler].sort(
  (a, b) => a.id - b.id,
);

/** The message carrying the vehicle speed: id 0x0B4, signal `VehicleSpeed` (bits 0..15, 0.01 km/h). */
export const vehicleSpeedMessageId = 0x0b4;

/** Frames per second the bus carries in total (the CAN source's nominal rate). */
export const canFramesPerSecond = canDatabase.reduce((sum, m) => sum + 1000 / m.periodMs, 0);

function writeRaw(data: Uint8Array, startBit: number, length: number, raw: number): void {
  let value = raw;
  for (let bit = 0; bit < length; bit++) {
    const position = startBit + bit;
    const byte = position >> 3;
    const mask = 1 << (position & 7);
    const current = data[byte] ?? 0;
    data[byte] = value % 2 === 1 ? current | mask : current & ~mask;
    value = Math.floor(value / 2);
  }
}

function readRaw(data: Uint8Array, startBit: number, length: number): number {
  let value = 0;
  for (let bit = length - 1; bit >= 0; bit--) {
    const position = startBit + bit;
    value = value * 2 + (((data[position >> 3] ?? 0) >> (position & 7)) & 1);
  }
  return value;
}

/** Encodes a physical value into `data`, saturating at the signal's raw range. */
export function encodeSignal(data: Uint8Array, s: CanSignal, physical: number): void {
  const rawMin = s.signed ? -(2 ** (s.length - 1)) : 0;
  const rawMax = s.signed ? 2 ** (s.length - 1) - 1 : 2 ** s.length - 1;
  let raw = Math.round((physical - s.offset) / s.factor);
  raw = Math.max(rawMin, Math.min(rawMax, raw));
  if (raw < 0) raw += 2 ** s.length;
  writeRaw(data, s.startBit, s.length, raw);
}

/** Decodes a signal's physical value from a frame's data bytes. */
export function decodeSignal(data: Uint8Array, s: CanSignal): number {
  let raw = readRaw(data, s.startBit, s.length);
  if (s.signed && raw >= 2 ** (s.length - 1)) raw -= 2 ** s.length;
  return raw * s.factor + s.offset;
}

function checksumOf(id: number, data: Uint8Array): number {
  let sum = (id & 0xff) + ((id >> 8) & 0xff);
  for (let i = 0; i < 7; i++) sum += data[i] ?? 0;
  return 0xff - (sum & 0xff);
}

/** Fills `data` (8 bytes) with one frame of `message`; `count` is the frame's rolling count. */
export function encodeCanFrame(
  message: CanMessageDefinition,
  state: VehicleState,
  env: CanEnvironment,
  count: number,
  random: Random,
  data: Uint8Array,
): void {
  data.fill(0);
  const values = message.values(state, env, random);
  let next = 0;
  for (const s of message.signals) {
    if (s.name === 'Counter' || s.name === 'Checksum') continue;
    encodeSignal(data, s, values[next++] ?? 0);
  }
  if (message.signals.includes(counter)) encodeSignal(data, counter, count & 0xf);
  if (message.signals.includes(checksum))
    encodeSignal(data, checksum, checksumOf(message.id, data));
}

/** Whether a frame's checksum byte matches its id and data (messages with a Checksum signal). */
export function canChecksumValid(id: number, data: Uint8Array): boolean {
  return (data[7] ?? 0) === checksumOf(id, data);
}

/** The vehicle speed in km/h carried by a `VehicleSpeed` (0x0B4) frame. */
export function decodeVehicleSpeedKph(data: Uint8Array): number {
  return readRaw(data, 0, 16) * 0.01;
}

function dbcNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
}

/** The DBC text describing `canDatabase`; shipped in every recording as an attachment. */
export function vehicleDbc(): string {
  const nodes = [...new Set(canDatabase.map((m) => m.sender)), 'LOGGER'];
  const lines = [
    'VERSION "drivetrain-vehicle-1"',
    '',
    'NS_ :',
    '\tCM_',
    '\tBA_DEF_',
    '\tBA_',
    '\tVAL_',
    '',
    'BS_:',
    '',
    `BU_: ${nodes.join(' ')}`,
    '',
  ];
  for (const m of canDatabase) {
    lines.push(`BO_ ${m.id} ${m.name}: ${m.dlc} ${m.sender}`);
    for (const s of m.signals) {
      lines.push(
        ` SG_ ${s.name} : ${s.startBit}|${s.length}@1${s.signed ? '-' : '+'} ` +
          `(${dbcNumber(s.factor)},${dbcNumber(s.offset)}) [${dbcNumber(s.min)}|${dbcNumber(s.max)}] ` +
          `"${s.unit}" LOGGER`,
      );
    }
    lines.push('');
  }
  for (const m of canDatabase) {
    lines.push(`CM_ BO_ ${m.id} "${m.comment}";`);
    for (const s of m.signals) {
      if (s.comment !== undefined) lines.push(`CM_ SG_ ${m.id} ${s.name} "${s.comment}";`);
    }
  }
  lines.push('BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;');
  lines.push('BA_DEF_DEF_ "GenMsgCycleTime" 0;');
  for (const m of canDatabase) lines.push(`BA_ "GenMsgCycleTime" BO_ ${m.id} ${m.periodMs};`);
  for (const m of canDatabase) {
    for (const s of m.signals) {
      if (s.values === undefined) continue;
      const table = Object.entries(s.values)
        .map(([raw, label]) => `${raw} "${label}"`)
        .join(' ');
      lines.push(`VAL_ ${m.id} ${s.name} ${table} ;`);
    }
  }
  return `${lines.join('\n')}\n`;
}
