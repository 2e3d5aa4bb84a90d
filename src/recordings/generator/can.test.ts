import { Can, Dbc } from 'candied';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canChecksumValid,
  canDatabase,
  canFramesPerSecond,
  decodeSignal,
  decodeVehicleSpeedKph,
  encodeCanFrame,
  encodeSignal,
  vehicleDbc,
  vehicleSpeedMessageId,
  type CanEnvironment,
  type CanSignal,
} from './can.js';
import { Random } from './random.js';
import { emptyVehicleState } from './route.js';

const env: CanEnvironment = {
  night: true,
  weather: 'rain',
  outsideTempC: 4.5,
  odometerStartKm: 48_211.3,
};

function frameFor(id: number, speedMps: number, count = 3): Uint8Array {
  const message = canDatabase.find((m) => m.id === id)!;
  const state = {
    ...emptyVehicleState(),
    speed: speedMps,
    yawRate: 0.05,
    accel: 0.4,
    distance: 1234,
  };
  const data = new Uint8Array(8);
  encodeCanFrame(message, state, env, count, new Random(1), data);
  return data;
}

describe('CAN database', () => {
  it('carries a couple of thousand frames per second over unique ids', () => {
    expect(canFramesPerSecond).toBeGreaterThan(1900);
    expect(canFramesPerSecond).toBeLessThan(2200);
    expect(new Set(canDatabase.map((m) => m.id)).size).toBe(canDatabase.length);
    for (const message of canDatabase) {
      const bits = message.signals.reduce((sum, s) => sum + s.length, 0);
      expect(bits, message.name).toBeLessThanOrEqual(message.dlc * 8);
    }
  });

  it('encodes the vehicle speed at 0.01 km/h in bits 0..15 of 0x0B4, with counter and checksum', () => {
    const data = frameFor(vehicleSpeedMessageId, 100 / 3.6, 11);
    expect(decodeVehicleSpeedKph(data)).toBeCloseTo(100, 2);
    expect(data[0]! | (data[1]! << 8)).toBe(10_000);
    expect((data[6]! >> 4) & 0xf).toBe(11);
    expect(canChecksumValid(vehicleSpeedMessageId, data)).toBe(true);
    data[0] = data[0]! ^ 1;
    expect(canChecksumValid(vehicleSpeedMessageId, data)).toBe(false);
  });

  it('round-trips any in-range value of any signal to within one step', () => {
    const signals = canDatabase.flatMap((m) => m.signals);
    fc.assert(
      fc.property(
        fc.constantFrom(...signals),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (s: CanSignal, u: number) => {
          const value = s.min + (s.max - s.min) * u;
          const data = new Uint8Array(8).fill(0xa5);
          encodeSignal(data, s, value);
          return Math.abs(decodeSignal(data, s) - value) <= Math.abs(s.factor) / 2 + 1e-9;
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves the bits of other signals alone', () => {
    const message = canDatabase.find((m) => m.name === 'YawRateAccel')!;
    const [yaw, lateral, longitudinal] = message.signals;
    const data = new Uint8Array(8);
    encodeSignal(data, yaw!, -12.34);
    encodeSignal(data, lateral!, 2.5);
    encodeSignal(data, longitudinal!, -1.25);
    expect(decodeSignal(data, yaw!)).toBeCloseTo(-12.34, 2);
    expect(decodeSignal(data, lateral!)).toBeCloseTo(2.5, 3);
    expect(decodeSignal(data, longitudinal!)).toBeCloseTo(-1.25, 3);
  });

  it('ships a DBC that an independent parser reads back and decodes the frames with', () => {
    const dbc = new Dbc();
    const data = dbc.load(vehicleDbc(), true);
    expect(data.messages.size).toBe(canDatabase.length);
    for (const message of canDatabase) {
      const parsed = data.messages.get(message.name);
      expect(parsed?.id, message.name).toBe(message.id);
      expect([...(parsed?.signals.keys() ?? [])]).toEqual(message.signals.map((s) => s.name));
    }
    const can = new Can();
    can.database = data;
    for (const kph of [0, 7.5, 49.99, 130]) {
      const frame = frameFor(vehicleSpeedMessageId, kph / 3.6);
      const decoded = can.decode(can.createFrame(vehicleSpeedMessageId, [...frame]));
      expect(decoded?.boundSignals.get('VehicleSpeed')?.value).toBeCloseTo(kph, 2);
    }
    const odometer = frameFor(0x580, 10);
    const decoded = can.decode(can.createFrame(0x580, [...odometer]));
    expect(decoded?.boundSignals.get('Odometer')?.value).toBeCloseTo(48_212.5, 1);
    const lights = can.decode(can.createFrame(0x3e0, [...frameFor(0x3e0, 10)]));
    expect(lights?.boundSignals.get('LowBeam')?.value).toBe(1);
    expect(lights?.boundSignals.get('WiperMode')?.value).toBe(2);
  });
});
