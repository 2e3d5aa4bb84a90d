import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/errors.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { compileExtractor, DbcDecoder, j1939Pgn } from './decode.js';
import type { DbcSignal } from './parse.js';
import { parseDbc } from './parse.js';
import { CanSignalDecoder } from './signals.js';
import type { TransportMessage } from './transport.js';
import { FastPacketReassembler, IsoTpReassembler } from './transport.js';

/** Writes `value` into `data` bit by bit, walking the DBC bit numbering (independent of the decoder). */
function place(
  data: Uint8Array,
  signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>,
  value: bigint,
): void {
  const set = (pos: number, bit: bigint): void => {
    if (bit !== 0n) data[pos >> 3]! |= 1 << (pos & 7);
  };
  if (signal.byteOrder === 'intel') {
    for (let k = 0; k < signal.length; k++) set(signal.startBit + k, (value >> BigInt(k)) & 1n);
    return;
  }
  let pos = signal.startBit;
  for (let k = signal.length - 1; k >= 0; k--) {
    set(pos, (value >> BigInt(k)) & 1n);
    pos = pos % 8 === 0 ? pos + 15 : pos - 1;
  }
}

function signal(overrides: Partial<DbcSignal>): DbcSignal {
  return {
    name: 's',
    startBit: 0,
    length: 8,
    byteOrder: 'intel',
    signed: false,
    valueType: 'integer',
    factor: 1,
    offset: 0,
    minimum: 0,
    maximum: 0,
    unit: '',
    receivers: [],
    multiplexer: false,
    ...overrides,
  };
}

/** A signal layout that fits in 64 bytes, with a raw value in its range. */
const layoutArb = fc
  .record({
    length: fc.integer({ min: 1, max: 64 }),
    byteOrder: fc.constantFrom('intel' as const, 'motorola' as const),
    signed: fc.boolean(),
    byte: fc.integer({ min: 0, max: 55 }),
    bit: fc.integer({ min: 0, max: 7 }),
    bits: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  })
  .map(({ length, byteOrder, signed, byte, bit, bits }) => {
    const startBit = byte * 8 + bit;
    const unsigned = BigInt.asUintN(length, bits);
    return {
      s: signal({ startBit, length, byteOrder, signed }),
      unsigned,
      raw: signed ? BigInt.asIntN(length, unsigned) : unsigned,
    };
  });

describe('DBC signal extraction', () => {
  it('reads Intel and Motorola signals of 1 to 64 bits, signed and unsigned, at any position', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: 0, max: 255 }), ({ s, unsigned, raw }, noise) => {
        const data = new Uint8Array(64);
        place(data, s, unsigned);
        const clean = compileExtractor(s)(data);
        expect(clean).toEqual(s.length <= 52 ? Number(raw) : raw);
        // Bits of other signals around it must not leak in.
        const noisy = new Uint8Array(64).fill(noise);
        const mask = new Uint8Array(64);
        place(mask, s, 2n ** BigInt(s.length) - 1n);
        noisy.forEach((b, i) => (noisy[i] = (b & ~mask[i]!) | data[i]!));
        expect(compileExtractor(s)(noisy)).toEqual(clean);
      }),
      { numRuns: 500 },
    );
  });

  it('returns nothing when the frame is too short for the signal', () => {
    expect(
      compileExtractor(signal({ startBit: 56, length: 16 }))(new Uint8Array(8)),
    ).toBeUndefined();
    expect(
      compileExtractor(signal({ startBit: 7, length: 16, byteOrder: 'motorola' }))(
        new Uint8Array(1),
      ),
    ).toBeUndefined();
  });

  it('decodes float and double signals', () => {
    const data = new Uint8Array(16);
    const view = new DataView(data.buffer);
    view.setFloat32(0, -12.5, true);
    view.setFloat64(8, Math.PI, false);
    expect(compileExtractor(signal({ length: 32, valueType: 'float32' }))(data)).toBe(-12.5);
    expect(
      compileExtractor(
        signal({ startBit: 71, length: 64, byteOrder: 'motorola', valueType: 'float64' }),
      )(data),
    ).toBe(Math.PI);
  });
});

const dbcText = `VERSION "test"

NS_ :
	NS_DESC_
	CM_
	BA_DEF_
	SG_MUL_VAL_

BS_:

BU_: ECU Logger

BO_ 100 Simple: 8 ECU
 SG_ Mode M : 0|8@1+ (1,0) [0|0] "" Logger
 SG_ SpeedKph m1 : 8|16@1+ (0.01,0) [0|655.35] "km/h" Logger
 SG_ TempC m2 : 8|8@1- (0.5,-40) [-100|100] "degC" Logger
 SG_ Always : 56|8@1+ (1,0) [0|255] "" Logger,ECU

BO_ 2147484160 Extended: 64 ECU
 SG_ Service M : 7|8@0+ (1,0) [0|0] "" Logger
 SG_ Did m98M : 15|16@0+ (1,0) [0|0] "" Logger
 SG_ Soc m257 : 32|8@1+ (0.5,0) [0|100] "%" Logger
 SG_ Volts : 40|32@1- (1E-003,0) [0|0] "V" Logger
 SG_ Ratio : 72|32@1- (1,0) [0|0] "" Logger

BO_ 2583168510 Position: 51 Vector__XXX
 SG_ Latitude : 56|64@1- (1e-16,0) [-90|90] "deg" Vector__XXX
 SG_ Gear : 0|4@1+ (1,0) [0|15] "" Vector__XXX

CM_ BO_ 100 "A simple multiplexed
message";
CM_ SG_ 100 SpeedKph "Vehicle speed";
BA_DEF_ BO_  "VFrameFormat" ENUM  "StandardCAN","ExtendedCAN","reserved","J1939PG";
BA_DEF_DEF_  "VFrameFormat" "StandardCAN";
BA_ "VFrameFormat" BO_ 2583168510 3;
VAL_ 2583168510 Gear 0 "Park" 1 "Drive" -1 "Invalid" ;
SIG_VALTYPE_ 2147484160 Ratio : 1;
SG_MUL_VAL_ 2147484160 Soc Did 257-257, 300-310;
SG_MUL_VAL_ 2147484160 Did Service 98-98;
`;

describe('DBC parsing and decoding', () => {
  const database = parseDbc(dbcText, 'test.dbc');

  it('parses messages, signals, comments, value tables and attributes', () => {
    expect(database.version).toBe('test');
    expect(
      database.messages.map((m) => [m.name, m.id, m.extended, m.size, m.j1939, m.signals.length]),
    ).toEqual([
      ['Simple', 100, false, 8, false, 4],
      ['Extended', 512, true, 64, false, 5],
      ['Position', 0x19f805fe, true, 51, true, 2],
    ]);
    const simple = database.messages[0]!;
    expect(simple.comment).toBe('A simple multiplexed\nmessage');
    expect(simple.signals[1]).toMatchObject({
      name: 'SpeedKph',
      multiplexValue: 1,
      factor: 0.01,
      unit: 'km/h',
      comment: 'Vehicle speed',
    });
    expect(simple.signals[3]!.receivers).toEqual(['Logger', 'ECU']);
    const extended = database.messages[1]!;
    expect(extended.signals[1]).toMatchObject({
      multiplexer: true,
      multiplexValue: 98,
      multiplexSwitch: { name: 'Service', ranges: [[98, 98]] },
    });
    expect(extended.signals[2]!.multiplexSwitch?.ranges).toEqual([
      [257, 257],
      [300, 310],
    ]);
    expect(extended.signals[3]!.factor).toBe(0.001);
    expect(extended.signals[4]!.valueType).toBe('float32');
    expect(database.messages[2]!.signals[1]!.valueTable?.get(-1)).toBe('Invalid');
  });

  it('decodes simple and extended multiplexing', () => {
    const decoder = new DbcDecoder(database);
    const names = (id: number, ide: boolean, data: number[]) =>
      decoder
        .decode({ id, ide, data: Uint8Array.from(data) })
        ?.signals.map((s) => `${s.name}=${s.value}`);
    expect(names(100, false, [1, 0x10, 0x27, 0, 0, 0, 0, 9])).toEqual([
      'Mode=1',
      'SpeedKph=100',
      'Always=9',
    ]);
    expect(names(100, false, [2, 0xfe, 0, 0, 0, 0, 0, 9])).toEqual([
      'Mode=2',
      'TempC=-41',
      'Always=9',
    ]);
    expect(names(100, false, [3, 0, 0, 0, 0, 0, 0, 9])).toEqual(['Mode=3', 'Always=9']);
    expect(names(100, true, [1, 0, 0, 0, 0, 0, 0, 0])).toBeUndefined();
    const ext = new Uint8Array(16);
    const view = new DataView(ext.buffer);
    ext[0] = 98;
    view.setUint16(1, 257, false);
    ext[4] = 90;
    view.setInt32(5, -12_345, true);
    view.setFloat32(9, 0.25, true);
    expect(names(512, true, [...ext])).toEqual([
      'Service=98',
      'Did=257',
      'Soc=45',
      'Volts=-12.345',
      'Ratio=0.25',
    ]);
    view.setUint16(1, 305, false);
    expect(names(512, true, [...ext])).toContain('Soc=45');
    view.setUint16(1, 258, false);
    expect(names(512, true, [...ext])).not.toContain('Soc=45');
    ext[0] = 99;
    expect(names(512, true, [...ext])).toEqual(['Service=99', 'Volts=-12.345', 'Ratio=0.25']);
  });

  it('matches J1939 messages by parameter group, whatever the priority and source address', () => {
    const decoder = new DbcDecoder(database);
    expect(j1939Pgn(0x19f805fe)).toBe(129029);
    expect(j1939Pgn(0x18ea00fe)).toBe(0xea00);
    expect(j1939Pgn(0x18eaff12)).toBe(0xea00);
    const data = new Uint8Array(16);
    data[0] = 1;
    new DataView(data.buffer).setBigInt64(7, -123_456_789_000_000_000n, true);
    for (const id of [0x19f805fe, 0x09f80523, 0x1df805ff]) {
      const decoded = decoder.decode({ id, ide: true, data });
      expect(decoded?.message.name).toBe('Position');
      expect(decoded?.signals.find((s) => s.name === 'Latitude')?.value).toBeCloseTo(
        -12.3456789,
        12,
      );
      expect(decoded?.signals.find((s) => s.name === 'Gear')?.label).toBe('Drive');
    }
    expect(decoder.decode({ id: 0x19f806fe, ide: true, data })).toBeUndefined();
  });

  it('reports the file and line of a syntax error', () => {
    const broken = dbcText.replace(' SG_ TempC m2 : 8|8@1-', ' SG_ TempC m2 : 8|8@2-');
    expect(() => parseDbc(broken, 'broken.dbc')).toThrow(InvalidInput);
    expect(() => parseDbc(broken, 'broken.dbc')).toThrow(/^broken\.dbc:16: expected @0+/);
    expect(() =>
      parseDbc('BO_ 1 X: 8 N\n SG_ A : 0|8@1+ (1,0) [0|0] "unterminated', 'u.dbc'),
    ).toThrow(/u\.dbc:2: string is never closed/);
    expect(() => parseDbc('BO_ 1 X: 8 N\n SG_ A : 0|99@1+ (1,0) [0|0] "" N\n', 'r.dbc')).toThrow(
      /out of range/,
    );
  });

  it('either parses or rejects mutated text with InvalidInput, never anything else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: dbcText.length }),
        fc.integer({ min: 0, max: 40 }),
        fc.string({ maxLength: 6 }),
        (at, cut, insert) => {
          const text = dbcText.slice(0, at) + insert + dbcText.slice(at + cut);
          try {
            const parsed = parseDbc(text, 'mutated.dbc');
            const decoder = new DbcDecoder(parsed);
            for (const message of parsed.messages)
              decoder.decode({
                id: message.id,
                ide: message.extended,
                data: new Uint8Array(64).fill(0xa5),
              });
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInput);
            expect((error as Error).message).toMatch(/^mutated\.dbc:\d+: /);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** Splits a payload into ISO-TP frames (classic CAN, or CAN FD with `fd`). */
function isoTpFrames(payload: Uint8Array, fd: boolean): Uint8Array[] {
  const size = fd ? 64 : 8;
  if (payload.byteLength <= size - (fd ? 2 : 1) && (payload.byteLength <= 7 || fd)) {
    return [
      fd && payload.byteLength > 7
        ? Uint8Array.from([0, payload.byteLength, ...payload])
        : Uint8Array.from([payload.byteLength, ...payload]),
    ];
  }
  const frames: Uint8Array[] = [];
  const escape = payload.byteLength > 4095;
  const head = escape
    ? [0x10, 0, ...[24, 16, 8, 0].map((s) => (payload.byteLength >>> s) & 0xff)]
    : [0x10 | (payload.byteLength >> 8), payload.byteLength & 0xff];
  let at = size - head.length;
  frames.push(Uint8Array.from([...head, ...payload.subarray(0, at)]));
  for (let sn = 1; at < payload.byteLength; sn = (sn + 1) & 0x0f) {
    const part = payload.subarray(at, at + size - 1);
    const frame = new Uint8Array(size).fill(0xaa);
    frame[0] = 0x20 | sn;
    frame.set(part, 1);
    frames.push(frame);
    at += part.byteLength;
  }
  return frames;
}

/** Splits a payload into NMEA 2000 fast-packet frames. */
function fastPacketFrames(payload: Uint8Array, counter: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const first = new Uint8Array(8).fill(0xff);
  first[0] = counter << 5;
  first[1] = payload.byteLength;
  first.set(payload.subarray(0, 6), 2);
  frames.push(first);
  for (let at = 6, index = 1; at < payload.byteLength; at += 7, index++) {
    const frame = new Uint8Array(8).fill(0xff);
    frame[0] = (counter << 5) | index;
    frame.set(payload.subarray(at, at + 7), 1);
    frames.push(frame);
  }
  return frames;
}

describe('transport-protocol re-assembly', () => {
  it('re-assembles ISO-TP messages, classic and CAN FD, interleaved with other traffic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.boolean(), (payload, fd) => {
        if (!fd && payload.byteLength > 4095) return;
        const reassembler = new IsoTpReassembler((f) => f.id === 0x7ec);
        const out: (TransportMessage | undefined)[] = [];
        isoTpFrames(payload, fd).forEach((data, i) => {
          out.push(
            reassembler.push(BigInt(i), {
              busChannel: 1,
              id: 0x7e8,
              ide: false,
              data: Uint8Array.from([0x30, 0, 0]),
            }),
          );
          const done = reassembler.push(BigInt(i), { busChannel: 1, id: 0x7ec, ide: false, data });
          if (done !== undefined) out.push(done);
        });
        const messages = out.filter((m) => m !== undefined);
        expect(messages).toHaveLength(1);
        expect(messages[0]).toEqual({ time: 0n, busChannel: 1, id: 0x7ec, ide: false, payload });
      }),
      { numRuns: 200 },
    );
  });

  it('drops an ISO-TP message whose consecutive frames skip a sequence number', () => {
    const frames = isoTpFrames(new Uint8Array(30).fill(7), false);
    const reassembler = new IsoTpReassembler(() => true);
    const results = [frames[0]!, frames[2]!, frames[3]!].map((data) =>
      reassembler.push(0n, { busChannel: 1, id: 1, ide: false, data }),
    );
    expect(results.every((r) => r === undefined)).toBe(true);
  });

  it('re-assembles NMEA 2000 fast packets per source and sequence counter', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 7, maxLength: 223 }),
        fc.uint8Array({ minLength: 7, maxLength: 223 }),
        (a, b) => {
          const reassembler = new FastPacketReassembler((f) => j1939Pgn(f.id) === 129029);
          const framesA = fastPacketFrames(a, 1);
          const framesB = fastPacketFrames(b, 2);
          const done: (TransportMessage | undefined)[] = [];
          for (let i = 0; i < Math.max(framesA.length, framesB.length); i++) {
            if (framesA[i] !== undefined)
              done.push(
                reassembler.push(1n, {
                  busChannel: 1,
                  id: 0x09f80501,
                  ide: true,
                  data: framesA[i]!,
                }),
              );
            if (framesB[i] !== undefined)
              done.push(
                reassembler.push(2n, {
                  busChannel: 1,
                  id: 0x09f80502,
                  ide: true,
                  data: framesB[i]!,
                }),
              );
          }
          const messages = done.filter((m) => m !== undefined);
          expect(
            messages
              .map((m) => [m.time, m.id, [...m.payload]])
              .sort((x, y) => Number(x[0]) - Number(y[0])),
          ).toEqual([
            [1n, 0x09f80501, [...a]],
            [2n, 0x09f80502, [...b]],
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decodes a re-assembled ISO-TP response the way CSS Electronics transport DBCs lay it out', () => {
    const database = parseDbc(`BO_ 2028 Battery: 62 ECU
 SG_ service M : 15|8@0+ (1,0) [0|0] "" X
 SG_ response m98M : 23|16@0+ (1,0) [0|0] "" X
 SG_ Soc m257 : 64|8@1+ (0.5,0) [0|100] "%" X
SG_MUL_VAL_ 2028 Soc response 257-257;
SG_MUL_VAL_ 2028 response service 98-98;
`);
    const decoder = new CanSignalDecoder(database, { signals: ['Soc'] });
    const uds = Uint8Array.from([
      0x62,
      0x01,
      0x01,
      0xff,
      0xff,
      0xff,
      0xff,
      151,
      ...new Array<number>(30).fill(0),
    ]);
    const samples = isoTpFrames(uds, false).flatMap((data, i) =>
      decoder.push(BigInt(i) * 10n, { busChannel: 1, id: 2028, ide: false, data }),
    );
    expect(samples).toEqual([
      { name: 'Soc', message: 'Battery', unit: '%', time: 0n, value: 75.5, busChannel: 1 },
    ]);
  });
});

describeShared('DBC files of the CANedge examples', () => {
  it('parses all four, including exponent factors, long messages and repeated message names', async () => {
    const read = async (name: string) =>
      parseDbc(
        await readFile(
          sharedPath('recordings', 'css-electronics-api-examples', 'dbc_files', name),
          'latin1',
        ),
        name,
      );
    const gps = await read('canmod-gps.dbc');
    expect(gps.messages).toHaveLength(9);
    expect(gps.messages.reduce((n, m) => n + m.signals.length, 0)).toBe(39);
    const latitude = gps.messages
      .find((m) => m.name === 'gnss_pos')!
      .signals.find((s) => s.name === 'Latitude')!;
    expect(latitude).toMatchObject({
      startBit: 1,
      length: 28,
      factor: 1e-6,
      offset: -90,
      unit: 'deg',
    });
    const gnss = await read('gnss.dbc');
    expect(gnss.messages.filter((m) => m.name === 'gnss_pos').map((m) => m.id)).toEqual([3, 19]);
    const uds = await read('tp_uds.dbc');
    expect(uds.messages.map((m) => [m.name, m.id, m.size])).toEqual([
      ['Battery', 0x7ec, 62],
      ['Temperature', 0x7bb, 54],
    ]);
    const nmea = await read('tp_nmea.dbc');
    expect(nmea.messages.map((m) => [m.name, m.j1939, m.size, j1939Pgn(m.id)])).toEqual([
      ['gnssPositionData', true, 51, 129029],
    ]);
  });
});
