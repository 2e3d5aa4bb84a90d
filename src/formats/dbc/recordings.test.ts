import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { fileReader } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { decodeCanFrame } from '../mdf4/can.js';
import { openMdf4Source } from '../mdf4/source.js';
import { parseDbc } from './parse.js';
import type { SignalTimeSeries } from './signals.js';
import { recordingSignals, timeSeries } from './signals.js';

const base = (...parts: string[]): string =>
  sharedPath('recordings', 'css-electronics-api-examples', ...parts);

async function decodeFile(
  log: string[],
  dbc: string,
): Promise<{
  series: Map<string, SignalTimeSeries>;
  frames: { time: bigint; id: number; data: Uint8Array }[];
}> {
  const database = parseDbc(await readFile(base('dbc_files', dbc), 'latin1'), dbc);
  const reader = await fileReader(base('LOG', ...log));
  try {
    const source = await openMdf4Source(reader, { file: log.at(-1)! });
    const series = await timeSeries(recordingSignals(source, database));
    const frames: { time: bigint; id: number; data: Uint8Array }[] = [];
    for await (const message of source.messages()) {
      const frame = decodeCanFrame(message.data);
      frames.push({ time: message.logTime, id: frame.id, data: frame.data });
    }
    return { series, frames };
  } finally {
    await reader.close();
  }
}

function get(series: Map<string, SignalTimeSeries>, key: string): SignalTimeSeries {
  const found = series.get(key);
  if (found === undefined)
    throw new Error(`no signal ${key}; have ${[...series.keys()].join(', ')}`);
  return found;
}

/** Great-circle distance in metres. */
function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = 6_371_000;
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}

function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** Checks a GNSS module's position, speed, time and IMU against each other and the log times. */
function checkGnss(series: Map<string, SignalTimeSeries>): void {
  const lat = get(series, 'gnss_pos.Latitude');
  const lon = get(series, 'gnss_pos.Longitude');
  expect(lat.value.length).toBeGreaterThan(30);
  expect(lat.value.every((v) => v >= -90 && v <= 90)).toBe(true);
  expect(lon.value.every((v) => v >= -180 && v <= 180)).toBe(true);
  // Consecutive fixes: no jump faster than 70 m/s, and the path agrees with the speed signal.
  let path = 0;
  for (let i = 1; i < lat.value.length; i++) {
    const d = haversine(lat.value[i - 1]!, lon.value[i - 1]!, lat.value[i]!, lon.value[i]!);
    const dt = seconds(lat.time[i]! - lat.time[i - 1]!);
    expect(d / Math.max(dt, 0.05)).toBeLessThan(70);
    path += d;
  }
  const speed = get(series, 'gnss_speed.Speed');
  let integrated = 0;
  for (let i = 1; i < speed.value.length; i++)
    integrated += speed.value[i - 1]! * seconds(speed.time[i]! - speed.time[i - 1]!);
  expect(Math.abs(integrated - path)).toBeLessThan(Math.max(25, 0.25 * path));
  // GNSS epoch against the logger's time base: the logger clock is off by a constant (a few
  // to about 30 s in these logs), so the offset must be steady to a second.
  const epoch = get(series, 'gnss_time.Epoch');
  const offsets = epoch.value.map((v, i) => v - seconds(epoch.time[i]!));
  expect(Math.max(...offsets.map(Math.abs))).toBeLessThan(60);
  expect(Math.max(...offsets) - Math.min(...offsets)).toBeLessThan(1);
  // At rest or driving gently, the accelerometer measures about 1 g.
  const ax = get(series, 'gnss_imu.AccelerationX').value;
  const ay = get(series, 'gnss_imu.AccelerationY').value;
  const az = get(series, 'gnss_imu.AccelerationZ').value;
  const g = ax.reduce((sum, x, i) => sum + Math.hypot(x, ay[i]!, az[i]!), 0) / ax.length;
  expect(g).toBeGreaterThan(9.0);
  expect(g).toBeLessThan(10.6);
}

describeShared('DBC decoding of the CANedge logs', () => {
  it('UDS log + tp_uds.dbc: state of charge from re-assembled ISO-TP responses, checked against the raw frames', async () => {
    const { series, frames } = await decodeFile(
      ['17BD1DB7', '00000006', '00000170.MF4'],
      'tp_uds.dbc',
    );
    const soc = get(series, 'Battery.M_SID_0x220101_StateOfChargeBMS');
    expect(soc.unit).toBe('%');
    expect(soc.value.length).toBeGreaterThan(50);
    expect(soc.value.every((v) => v >= 0 && v <= 100)).toBe(true);
    // Hand decode: a first frame 10 LL 62 01 01 … starts a DID 0x0101 response; UDS byte 7
    // (the SoC, 0.5 %/bit) is byte 2 of the next consecutive frame.
    const expected: { time: bigint; value: number }[] = [];
    frames.forEach((frame, i) => {
      const d = frame.data;
      if (frame.id !== 0x7ec || d[0]! >> 4 !== 1 || d[2] !== 0x62 || d[3] !== 0x01 || d[4] !== 0x01)
        return;
      const next = frames.slice(i + 1).find((f) => f.id === 0x7ec);
      if (next !== undefined && next.data[0] === 0x21)
        expected.push({ time: frame.time, value: next.data[2]! * 0.5 });
    });
    expect(expected.length).toBeGreaterThan(50);
    const decoded = soc.time.map((time, i) => ({ time, value: soc.value[i]! }));
    expect(decoded.slice(0, expected.length)).toEqual(expected.slice(0, decoded.length));
    expect(get(series, 'Battery.service').value.every((v) => v === 0x62)).toBe(true);
    expect(get(series, 'Battery.response').value.every((v) => v === 0x0101)).toBe(true);
    const outdoor = get(series, 'Temperature.M_SID_0x220100_OutdoorTemp');
    expect(outdoor.value.every((v) => v > -40 && v < 50)).toBe(true);
  });

  it('NMEA 2000 log + tp_nmea.dbc: GNSS position from re-assembled fast packets', async () => {
    const { series } = await decodeFile(['94C49784', '00000005', '00000002.MF4'], 'tp_nmea.dbc');
    const lat = get(series, 'gnssPositionData.latitude');
    const lon = get(series, 'gnssPositionData.longitude');
    expect(lat.value.length).toBeGreaterThan(30);
    expect(lat.value.every((v) => v > -90 && v < 90 && v !== 0)).toBe(true);
    expect(lon.value.every((v) => v > -180 && v < 180 && v !== 0)).toBe(true);
    expect(Math.max(...lat.value) - Math.min(...lat.value)).toBeLessThan(0.01);
    expect(Math.max(...lon.value) - Math.min(...lon.value)).toBeLessThan(0.01);
    // PGN 129029 carries days since 1970 and seconds since midnight: compare with the log time.
    const date = get(series, 'gnssPositionData.date');
    const time = get(series, 'gnssPositionData.time');
    const offsets = date.value.map(
      (days, i) => days * 86400 + time.value[i]! - seconds(date.time[i]!),
    );
    expect(Math.max(...offsets.map(Math.abs))).toBeLessThan(60);
    const svs = get(series, 'gnssPositionData.numberOfSvs');
    expect(svs.value.every((v) => v >= 3 && v <= 40)).toBe(true);
  });

  it('CANmod.gps log + canmod-gps.dbc: position, speed, GNSS time and IMU agree', async () => {
    const { series } = await decodeFile(
      ['3BA199E2', '00000164', '00000005-60FEB5A8.MF4'],
      'canmod-gps.dbc',
    );
    checkGnss(series);
  });

  it('GNSS/IMU log + gnss.dbc: position, speed, GNSS time and IMU agree (ids 0x11 to 0x19)', async () => {
    const { series } = await decodeFile(
      ['2F6913DB', '00001089', '00000001-63BEF5CD.MF4'],
      'gnss.dbc',
    );
    checkGnss(series);
  });
});
