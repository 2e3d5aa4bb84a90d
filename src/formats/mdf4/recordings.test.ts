import { expect, it } from 'vitest';
import { fileBytes, fileReader } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { bytesReader } from '../reader.js';
import type { RecordedMessage } from '../source.js';
import type { CanFrame } from './can.js';
import { decodeCanFrame } from './can.js';
import { Mdf4File } from './file.js';
import { mdf4RecordDecoder } from './schema.js';
import type { Mdf4RecordSchema } from './schema.js';
import { openMdf4Source } from './source.js';
import { flatten } from './tree.js';

const css = (...parts: string[]): string =>
  sharedPath('recordings', 'css-electronics-api-examples', 'LOG', ...parts);
const uds = (): string => css('17BD1DB7', '00000006', '00000170.MF4');
const nmea = (): string => css('94C49784', '00000005', '00000002.MF4');
const canmod = (): string => css('3BA199E2', '00000164', '00000005-60FEB5A8.MF4');
const gnss = (): string => css('2F6913DB', '00001089', '00000001-63BEF5CD.MF4');
const asap2 = (): string => sharedPath('recordings', 'danielhrisca-asammdf', 'ASAP2_Demo_V171.mf4');

async function frames(
  path: string,
  limits?: { windowBytes: number },
): Promise<{ message: RecordedMessage; frame: CanFrame }[]> {
  const reader = await fileReader(path);
  try {
    const source = await openMdf4Source(reader, {
      file: path,
      ...(limits === undefined ? {} : { limits }),
    });
    const out: { message: RecordedMessage; frame: CanFrame }[] = [];
    for await (const message of source.messages())
      out.push({ message, frame: decodeCanFrame(message.data) });
    return out;
  } finally {
    await reader.close();
  }
}

describeShared('MDF 4 reader on the CANedge logs', () => {
  const expected = [
    { name: 'UDS (unfinalized, VLSD group)', path: uds, frames: 2010, finalized: false },
    { name: 'NMEA 2000 (unfinalized, VLSD group)', path: nmea, frames: 9600, finalized: false },
    { name: 'CANmod.gps (finalized, SD block)', path: canmod, frames: 5477, finalized: true },
    {
      name: 'GNSS/IMU + UDS (unfinalized, group per bus)',
      path: gnss,
      frames: 4024,
      finalized: false,
    },
  ];

  for (const file of expected) {
    it(`${file.name}: reads all ${file.frames} frames, and the summary agrees`, async () => {
      const reader = await fileReader(file.path());
      const source = await openMdf4Source(reader, { file: file.path() });
      const summary = await source.summary();
      await reader.close();
      expect(source.file.identification.finalized).toBe(file.finalized);
      expect(summary.messageCount).toBe(file.frames);
      const read = await frames(file.path());
      expect(read).toHaveLength(file.frames);
      const perChannel = new Map<number, number>();
      const odd: unknown[] = [];
      for (const { message, frame } of read) {
        perChannel.set(message.channelId, (perChannel.get(message.channelId) ?? 0) + 1);
        const classic =
          !frame.edl && frame.dataLength <= 8 && frame.data.byteLength === frame.dataLength;
        const inRange =
          message.logTime >= summary.startTime! && message.logTime <= summary.endTime!;
        if (!classic || !inRange) odd.push({ message, frame });
      }
      expect(odd).toEqual([]);
      for (const channel of summary.channels) {
        expect(perChannel.get(channel.id) ?? 0).toBe(channel.messageCount);
        if ((channel.messageCount ?? 0) > 0) {
          expect(channel.messageEncoding).toBe('can');
          expect(channel.schemaName).toBe('mdf4/CAN_DataFrame');
        }
      }
    });

    it(`${file.name}: the same frames come out with 97-byte read windows`, async () => {
      const big = await frames(file.path());
      const small = await frames(file.path(), { windowBytes: 97 });
      expect(
        small.map((f) => [f.message.logTime, f.message.location?.offset, f.message.data]),
      ).toEqual(big.map((f) => [f.message.logTime, f.message.location?.offset, f.message.data]));
    });
  }

  it('UDS log: every frame matches a hand decode of the raw record bytes', async () => {
    // Layout read off the file's CN blocks: record id 1 = CAN_DataFrame (22 bytes: float64
    // nanoseconds (its conversion is linear, factor 1e-9), ID bits 3..31 of bytes 8..11, IDE bit 0 of byte 8, DataLength bits 1..7 of
    // byte 12, BusChannel bits 2..3 and DLC bits 4..7 of byte 13, uint64 VLSD offset), each
    // followed by a record id 2 VLSD record (uint32 length + data bytes). The DT block at
    // byte 7456 says 24 bytes long; its records run to the end of the file.
    const bytes = await fileBytes(uds());
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(String.fromCharCode(...bytes.subarray(7456, 7460))).toBe('##DT');
    expect(view.getUint32(7464, true)).toBe(24);
    const start = view.getBigUint64(64 + 24 + 6 * 8, true);
    const expectedFrames: { time: bigint; id: number; bus: number; dlc: number; data: number[] }[] =
      [];
    for (let pos = 7480; pos < bytes.byteLength;) {
      expect(bytes[pos]).toBe(1);
      const nanoseconds = view.getFloat64(pos + 1, true);
      const word = view.getUint32(pos + 9, true);
      const b13 = bytes[pos + 14]!;
      pos += 23;
      expect(bytes[pos]).toBe(2);
      const length = view.getUint32(pos + 1, true);
      expectedFrames.push({
        time: start + BigInt(nanoseconds),
        id: word >>> 3,
        bus: (b13 >> 2) & 3,
        dlc: b13 >> 4,
        data: [...bytes.subarray(pos + 5, pos + 5 + length)],
      });
      pos += 5 + length;
    }
    const read = await frames(uds());
    expect(
      read.map(({ message, frame }) => ({
        time: message.logTime,
        id: frame.id,
        bus: frame.busChannel,
        dlc: frame.dlc,
        data: [...frame.data],
      })),
    ).toEqual(expectedFrames);
    expect(new Set(read.map((f) => f.frame.id))).toEqual(new Set([0x7ec, 0x7bb]));
  });

  it('NMEA 2000 log: every frame has a 29-bit id', async () => {
    const read = await frames(nmea());
    expect(read.every((f) => f.frame.ide && f.frame.id > 0x7ff && f.frame.id <= 0x1fffffff)).toBe(
      true,
    );
  });

  it('CANmod.gps log: two buses, ids 1 to 9 present, times increasing', async () => {
    const read = await frames(canmod());
    expect(new Set(read.map((f) => f.frame.busChannel)).size).toBe(2);
    const ids = new Set(read.map((f) => f.frame.id));
    for (let id = 1; id <= 9; id++) expect(ids.has(id)).toBe(true);
    expect(read.every((f, i) => i === 0 || f.message.logTime >= read[i - 1]!.message.logTime)).toBe(
      true,
    );
  });

  it('newer layout: one channel per bus and direction, with bus and direction from virtual channels', async () => {
    const reader = await fileReader(gnss());
    const source = await openMdf4Source(reader, { file: gnss() });
    const summary = await source.summary();
    await reader.close();
    expect(summary.channels).toHaveLength(61);
    const counts = Object.fromEntries(
      summary.channels
        .filter((c) => (c.messageCount ?? 0) > 0)
        .map((c) => [c.topic, c.messageCount]),
    );
    expect(counts).toEqual({ CAN1_Rx: 764, CAN1_Tx: 247, CAN2_Rx: 3013 });
    const read = await frames(gnss());
    const byTopic = new Map(summary.channels.map((c) => [c.id, c.topic]));
    const mismatched = read.filter(({ message, frame }) => {
      const topic = byTopic.get(message.channelId)!;
      return (
        frame.busChannel !== Number(topic[3]) || frame.dir !== (topic.endsWith('_Tx') ? 'tx' : 'rx')
      );
    });
    expect(mismatched).toEqual([]);
    const ids = new Set(read.map((f) => f.frame.id));
    for (let id = 0x11; id <= 0x19; id++) expect(ids.has(id)).toBe(true);
    for (const id of [0x7a0, 0x7a8, 0x7b3, 0x7bb, 0x7e4, 0x7ec]) expect(ids.has(id)).toBe(true);
  });

  it('reads only what it needs: the summary of a finalized file touches a fraction of it', async () => {
    const bytes = await fileBytes(asap2());
    const source = await openMdf4Source(bytesReader(bytes), { file: 'ASAP2_Demo_V171.mf4' });
    await source.summary();
    expect(source.bytesRead).toBeLessThan(bytes.byteLength / 4);
  });
});

describeShared('MDF 4 reader on ASAP2_Demo_V171.mf4', () => {
  async function open(): Promise<Mdf4File> {
    return Mdf4File.open(bytesReader(await fileBytes(asap2())), { file: 'ASAP2_Demo_V171.mf4' });
  }

  async function column(
    file: Mdf4File,
    groupName: string,
    channel: string,
    raw = false,
  ): Promise<unknown[]> {
    const group = file.channelGroups.find((g) => g.acquisitionName === groupName)!;
    const out: unknown[] = [];
    for await (const batch of file.readGroup(group, { channels: [channel], raw }))
      out.push(...batch.values.get(channel)!);
    return out;
  }

  it('has 7 channel groups, 45 channels and 12,402 cycles in Engine_1..3', async () => {
    const file = await open();
    expect(file.identification.versionText).toBe('4.10');
    expect(file.identification.program).toBe('TGT 15.0');
    expect(file.channelGroups).toHaveLength(7);
    expect(file.channelGroups.reduce((n, g) => n + flatten(g.channels).length, 0)).toBe(45);
    for (const name of ['Engine_1', 'Engine_2', 'Engine_3']) {
      expect(file.channelGroups.find((g) => g.acquisitionName === name)?.cycleCount).toBe(12402);
    }
    const counted = await file.countRecords();
    for (const group of file.channelGroups) expect(counted.get(group)).toBe(group.cycleCount);
  });

  it('reads the array elements that the file stores as one channel each', async () => {
    const file = await open();
    const elements = file.channelGroups.flatMap((g) =>
      flatten(g.channels)
        .filter((c) => /^ASAM_\[\d+\]/.test(c.name))
        .map((c) => ({ group: g, name: c.name })),
    );
    expect(elements.map((e) => e.name).sort()).toEqual([
      'ASAM_[0].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[10].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[11].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[13].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[13][0].M.MATRIX_DIM_16_1.UBYTE.IDENTICAL',
      'ASAM_[14].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[15].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[1].M.MATRIX_DIM_16.UBYTE.IDENTICAL',
      'ASAM_[1][0].M.MATRIX_DIM_8_2.UBYTE.IDENTICAL',
    ]);
    for (const { group, name } of elements) {
      const values = await column(file, group.acquisitionName, name);
      expect(values).toHaveLength(group.cycleCount);
      expect(
        values.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255),
      ).toBe(true);
    }
  });

  it('agrees with the header comment: date, local time and a 12 s recording', async () => {
    const file = await open();
    expect(file.header.comment).toContain('Date: 22.11.2018');
    expect(file.header.comment).toContain('Recording Duration: 00:00:12');
    const local = new Date(
      Number(file.header.startTimeNs / 1_000_000n) + file.header.timezoneOffsetMinutes * 60_000,
    );
    expect(local.toISOString().slice(0, 10)).toBe('2018-11-22');
    const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
    expect(Math.abs(minutes - (15 * 60 + 27))).toBeLessThanOrEqual(1);
    const times = await column(file, 'Engine_1', 'time');
    const seconds = times as number[];
    expect(seconds.every((t, i) => i === 0 || t > seconds[i - 1]!)).toBe(true);
    expect(Math.round(seconds.at(-1)! - seconds[0]!)).toBe(12);
  });

  it('matches a hand decode of records of Engine_1, including ones split across data blocks', async () => {
    // Engine_1's DL (byte 36624) lists three DT blocks; the 46-byte records (float64 time,
    // int32 at 11, float32 at 20, uint16 at 30) run on from one block into the next.
    const bytes = await fileBytes(asap2());
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(String.fromCharCode(...bytes.subarray(36624, 36628))).toBe('##DL');
    const blocks = [0, 1, 2].map((i) => Number(view.getBigUint64(36624 + 32 + i * 8, true)));
    const payload = Buffer.concat(
      blocks.map((at) => {
        expect(String.fromCharCode(...bytes.subarray(at, at + 4))).toBe('##DT');
        return bytes.subarray(at + 24, at + Number(view.getBigUint64(at + 8, true)));
      }),
    );
    const records = payload.byteLength / 46;
    expect(records).toBe(12402);
    const file = await open();
    const group = file.channelGroups.find((g) => g.acquisitionName === 'Engine_1')!;
    const names = [
      'time',
      'ASAM.M.SCALAR.SLONG.IDENTICAL',
      'ASAM.M.SCALAR.FLOAT32.IDENTICAL',
      'ASAM.M.SCALAR.UWORD.IDENTICAL.BITMASK_0FF0',
    ];
    const values = new Map<string, unknown[]>(names.map((n) => [n, []]));
    for await (const batch of file.readGroup(group, { channels: names })) {
      for (const n of names) values.get(n)!.push(...batch.values.get(n)!);
    }
    const split = Math.floor((Number(view.getBigUint64(blocks[0]! + 8, true)) - 24) / 46);
    const p = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (const index of [0, split - 1, split, split + 1, records - 1]) {
      const at = index * 46;
      expect(values.get('time')![index]).toBe(p.getFloat64(at, true));
      expect(values.get('ASAM.M.SCALAR.SLONG.IDENTICAL')![index]).toBe(p.getInt32(at + 11, true));
      expect(values.get('ASAM.M.SCALAR.FLOAT32.IDENTICAL')![index]).toBe(
        p.getFloat32(at + 20, true),
      );
      expect(values.get('ASAM.M.SCALAR.UWORD.IDENTICAL.BITMASK_0FF0')![index]).toBe(
        p.getUint16(at + 30, true),
      );
    }
  });

  it('applies rational, linear, table and text conversions', async () => {
    const file = await open();
    const raw = (group: string, name: string) =>
      column(file, group, name, true) as Promise<number[]>;
    const phys = (group: string, name: string) => column(file, group, name);

    const x4raw = await raw('10ms_sync', 'ASAM.M.SCALAR.UBYTE.FORM_X_PLUS_4');
    const x4 = (await phys('10ms_sync', 'ASAM.M.SCALAR.UBYTE.FORM_X_PLUS_4')) as number[];
    expect(x4).toEqual(x4raw.map((x) => x + 4));
    expect(x4.every((v) => v >= 4 && v <= 259)).toBe(true);

    const mul2raw = await raw('Engine_2', 'ASAM.M.SCALAR.SBYTE.LINEAR_MUL_2');
    expect(await phys('Engine_2', 'ASAM.M.SCALAR.SBYTE.LINEAR_MUL_2')).toEqual(
      mul2raw.map((x) => 2 * x),
    );
    expect(mul2raw.some((x) => x < 0)).toBe(true);

    const div10raw = await raw('Engine_1', 'ASAM.M.SCALAR.UBYTE.RAT_FUNC.DIV_10');
    expect(await phys('Engine_1', 'ASAM.M.SCALAR.UBYTE.RAT_FUNC.DIV_10')).toEqual(
      div10raw.map((x) => x * 0.1),
    );

    const hyperRaw = await raw('Engine_1', 'ASAM.M.SCALAR.UBYTE.HYPERBOLIC');
    const hyper = (await phys('Engine_1', 'ASAM.M.SCALAR.UBYTE.HYPERBOLIC')) as number[];
    expect(hyper.filter((_, i) => hyperRaw[i] !== 0)).toEqual(
      hyperRaw.filter((x) => x !== 0).map((x) => 1 / x),
    );

    // value range → text with a default: 0-1, 2-3, 4-7, 14-17, 18-99, then 100 … 105 singly.
    const rangesRaw = await raw('Engine_1', 'ASAM.M.SCALAR.UBYTE.VTAB_RANGE_DEFAULT_VALUE');
    const ranges = await phys('Engine_1', 'ASAM.M.SCALAR.UBYTE.VTAB_RANGE_DEFAULT_VALUE');
    const names = [
      'hundred',
      'hundredone',
      'hundredtwo',
      'hundredthree',
      'hundredfour',
      'hundredfive',
    ];
    const expectRange = (x: number): string =>
      x <= 1
        ? 'Zero_to_one'
        : x <= 3
          ? 'two_to_three'
          : x <= 7
            ? 'four_to_seven'
            : x < 14
              ? 'out of range value'
              : x <= 17
                ? 'fourteen_to_seventeen'
                : x <= 99
                  ? 'eigteen_to_ninetynine'
                  : (names[x - 100] ?? 'out of range value');
    expect(ranges).toEqual(rangesRaw.map(expectRange));
    expect(new Set(ranges).size).toBeGreaterThan(3);

    // value → text with a default: 1 SawTooth, 2 Square, 3 Sinus.
    const verbRaw = await raw('Engine_1', 'ASAM.M.SCALAR.UBYTE.TAB_VERB_DEFAULT_VALUE');
    const verb = await phys('Engine_1', 'ASAM.M.SCALAR.UBYTE.TAB_VERB_DEFAULT_VALUE');
    expect(verb).toEqual(
      verbRaw.map((x) => ['SawTooth', 'Square', 'Sinus'][x - 1] ?? 'unknown signal type'),
    );

    // table with interpolation: keys -3,-1,0,2,4,5,6,7,8,9,10,13 → 98 … 111.
    const tabRaw = await raw('Engine_1', 'ASAM.M.SCALAR.UBYTE.TAB_INTP_DEFAULT_VALUE');
    const tab = (await phys('Engine_1', 'ASAM.M.SCALAR.UBYTE.TAB_INTP_DEFAULT_VALUE')) as number[];
    const keys = [-3, -1, 0, 2, 4, 5, 6, 7, 8, 9, 10, 13];
    const outs = [98, 99, 100, 102, 104, 105, 106, 107, 108, 109, 110, 111];
    const interpolate = (x: number): number => {
      if (x >= 13) return 111;
      const i = keys.findIndex((k, j) => k <= x && x <= keys[j + 1]!);
      return outs[i]! + ((outs[i + 1]! - outs[i]!) * (x - keys[i]!)) / (keys[i + 1]! - keys[i]!);
    };
    expect(tab.filter((v, i) => Math.abs(v - interpolate(tabRaw[i]!)) > 1e-9)).toEqual([]);
    expect(tabRaw.some((x) => x > 10 && x < 13)).toBe(true);
  });

  it('encodes groups as mdf4-record messages that decode back to the same values', async () => {
    const bytes = await fileBytes(asap2());
    const source = await openMdf4Source(bytesReader(bytes), { file: 'ASAP2_Demo_V171.mf4' });
    const summary = await source.summary();
    expect(summary.messageCount).toBe(124 + 1240 + 4 * 12402 + 2);
    const engine = summary.channels.find((c) => c.topic === 'Engine_1')!;
    const schema = JSON.parse(new TextDecoder().decode(engine.schemaData)) as Mdf4RecordSchema;
    expect(schema.channels).toHaveLength(24);
    const file = await open();
    const expected: unknown[] = [];
    for await (const batch of file.readGroup(
      file.channelGroups.find((g) => g.acquisitionName === 'Engine_1')!,
      {
        channels: ['ASAM.M.SCALAR.UBYTE.VTAB_RANGE_DEFAULT_VALUE'],
      },
    )) {
      expected.push(...batch.values.get('ASAM.M.SCALAR.UBYTE.VTAB_RANGE_DEFAULT_VALUE')!);
    }
    const decode = mdf4RecordDecoder(schema);
    const decoded: unknown[] = [];
    let previous = -1n;
    let ordered = true;
    for await (const message of source.messages({ channelIds: [engine.id] })) {
      ordered &&= message.logTime > previous;
      previous = message.logTime;
      decoded.push(
        decode(message.data, message.sequence)['ASAM.M.SCALAR.UBYTE.VTAB_RANGE_DEFAULT_VALUE'],
      );
    }
    expect(ordered).toBe(true);
    expect(decoded).toEqual(expected);
  });

  it('merges its seven data groups in log-time order and honours time filters', async () => {
    const bytes = await fileBytes(asap2());
    const source = await openMdf4Source(bytesReader(bytes), { file: 'ASAP2_Demo_V171.mf4' });
    const summary = await source.summary();
    let previous = -1n;
    let count = 0;
    let ordered = true;
    for await (const message of source.messages()) {
      ordered &&= message.logTime >= previous;
      previous = message.logTime;
      count++;
    }
    expect(ordered).toBe(true);
    expect(count).toBe(summary.messageCount);
    const from = summary.startTime! + 2_000_000_000n;
    const to = summary.startTime! + 3_000_000_000n;
    let inside = 0;
    let outside = 0;
    for await (const message of source.messages({ startTime: from, endTime: to })) {
      if (message.logTime < from || message.logTime > to) outside++;
      inside++;
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(4 * 900);
    expect(inside).toBeLessThan(4 * 1100);
  });
});
