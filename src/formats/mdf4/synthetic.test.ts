import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, DrivetrainError, Unsupported } from '../../platform/errors.js';
import { RecordWriter, writeMdf4 } from '../../../test/support/mdf4-writer.js';
import type { TestChannel, TestDataGroup, TestGroup } from '../../../test/support/mdf4-writer.js';
import { bytesReader } from '../reader.js';
import type { CanFrame } from './can.js';
import { decodeCanFrame, dlcToLength, encodeCanFrame, lengthToDlc } from './can.js';
import { Mdf4File } from './file.js';
import { openMdf4Source } from './source.js';

const START = 1_700_000_000_000_000_000n;

/** A CANedge-style CAN_DataFrame structure: uint48 µs time, then the frame fields. */
function canGroup(recordId: number, dataBytes: 'fixed64' | { vlsdRecordId: number }): TestGroup {
  const vlsd = dataBytes !== 'fixed64';
  const member = (
    name: string,
    byteOffset: number,
    bitOffset: number,
    bitCount: number,
  ): TestChannel => ({
    name: `CAN_DataFrame.${name}`,
    dataType: 0,
    byteOffset,
    bitOffset,
    bitCount,
  });
  return {
    name: vlsd ? 'CAN1_Rx_FD' : 'CAN2_FD',
    recordId,
    dataBytes: vlsd ? 15 : 76,
    busType: 2,
    flags: 2,
    channels: [
      {
        name: 'Timestamp',
        channelType: 2,
        syncType: 1,
        dataType: 0,
        byteOffset: 0,
        bitCount: 48,
        conversion: { type: 1, values: [0, 1e-6] },
      },
      {
        name: 'CAN_DataFrame',
        dataType: 10,
        byteOffset: 6,
        bitCount: vlsd ? 72 : 560,
        children: [
          member('ID', 6, 0, 29),
          member('IDE', 9, 5, 1),
          member('DLC', 10, 0, 4),
          {
            ...member('DataLength', 10, 0, 4),
            conversion: {
              type: 5,
              values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].flatMap((d) => [
                d,
                dlcToLength(d, true),
              ]),
            },
          },
          member('EDL', 10, 4, 1),
          member('BRS', 10, 5, 1),
          member('ESI', 10, 6, 1),
          member('Dir', 10, 7, 1),
          vlsd
            ? {
                name: 'CAN_DataFrame.DataBytes',
                channelType: 1,
                dataType: 10,
                byteOffset: 11,
                bitCount: 32,
                signalData: dataBytes,
              }
            : { name: 'CAN_DataFrame.DataBytes', dataType: 10, byteOffset: 11, bitCount: 512 },
          {
            name: 'CAN_DataFrame.BusChannel',
            channelType: 6,
            dataType: 0,
            byteOffset: 0,
            bitCount: 0,
            conversion: { type: 1, values: [vlsd ? 1 : 2, 0] },
          },
        ],
      },
    ],
  };
}

const frameArb = fc
  .record({
    id: fc.integer({ min: 0, max: 0x1fffffff }),
    ide: fc.boolean(),
    dlc: fc.integer({ min: 0, max: 15 }),
    brs: fc.boolean(),
    esi: fc.boolean(),
    tx: fc.boolean(),
    micros: fc.integer({ min: 0, max: 1000 }),
  })
  .map((f) => ({ ...f, id: f.ide ? f.id : f.id & 0x7ff }));

function canFdFile(
  frames: readonly (typeof frameArb extends fc.Arbitrary<infer T> ? T : never)[],
  idSize: 1 | 2 | 4 | 8,
) {
  const records = new RecordWriter();
  let time = 0;
  let vlsdOffset = 0;
  const expected: { time: bigint; frame: CanFrame; channel: string }[] = [];
  frames.forEach((f, i) => {
    time += f.micros;
    const length = dlcToLength(f.dlc, true);
    const data = Uint8Array.from({ length }, (_, k) => (i * 31 + k * 7) & 0xff);
    const viaVlsd = i % 2 === 0;
    const id = (n: number): Uint8Array => {
      const bytes = new Uint8Array(idSize);
      let v = n;
      for (let k = 0; k < idSize; k++) {
        bytes[k] = v & 0xff;
        v = Math.floor(v / 256);
      }
      return bytes;
    };
    records.push(id(viaVlsd ? 1 : 3));
    records.record(viaVlsd ? 15 : 76, (view, bytes) => {
      view.setUint32(0, time, true);
      view.setUint16(4, 0, true);
      view.setUint32(6, f.id | (f.ide ? 1 << 29 : 0), true);
      bytes[10] = f.dlc | 16 | (f.brs ? 32 : 0) | (f.esi ? 64 : 0) | (f.tx ? 128 : 0);
      if (viaVlsd) view.setUint32(11, vlsdOffset, true);
      else bytes.set(data, 11);
    });
    if (viaVlsd) {
      records
        .push(id(2))
        .record(4, (view) => view.setUint32(0, length, true))
        .push(data);
      vlsdOffset += 4 + length;
    }
    expected.push({
      time: START + BigInt(time) * 1000n,
      channel: viaVlsd ? 'CAN1_Rx_FD' : 'CAN2_FD',
      frame: {
        busChannel: viaVlsd ? 1 : 2,
        id: f.id,
        ide: f.ide,
        dlc: f.dlc,
        dataLength: length,
        dir: f.tx ? 'tx' : 'rx',
        edl: true,
        brs: f.brs,
        esi: f.esi,
        rtr: false,
        data,
      },
    });
  });
  const dataGroup: TestDataGroup = {
    recordIdSize: idSize,
    groups: [
      canGroup(1, { vlsdRecordId: 2 }),
      { recordId: 2, dataBytes: 0, flags: 1, channels: [] },
      canGroup(3, 'fixed64'),
    ],
    data: records.bytes(),
  };
  return { dataGroup, expected };
}

async function readFrames(bytes: Uint8Array) {
  const source = await openMdf4Source(bytesReader(bytes), { file: 'fd.mf4' });
  const summary = await source.summary();
  const topics = new Map(summary.channels.map((c) => [c.id, c.topic]));
  const out: { time: bigint; frame: CanFrame; channel: string }[] = [];
  for await (const message of source.messages()) {
    out.push({
      time: message.logTime,
      frame: decodeCanFrame(message.data),
      channel: topics.get(message.channelId)!,
    });
  }
  return { summary, out };
}

describe('CAN FD frames', () => {
  it('decodes EDL, BRS, ESI, direction and up to 64 data bytes, fixed and VLSD, for every record id size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameArb, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(1, 2, 4, 8),
        fc.boolean(),
        async (frames, idSize, unfinalized) => {
          const { dataGroup, expected } = canFdFile(frames, idSize);
          const file = writeMdf4({ startTimeNs: START, unfinalized, dataGroups: [dataGroup] });
          const { summary, out } = await readFrames(file);
          expect(out).toEqual(expected);
          expect(summary.messageCount).toBe(frames.length);
          expect(summary.channels.map((c) => c.schemaName)).toEqual([
            'mdf4/CAN_DataFrame',
            'mdf4/CAN_DataFrame',
          ]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('round-trips the frame encoding and the DLC table', () => {
    fc.assert(
      fc.property(frameArb, fc.integer({ min: 0, max: 3 }), fc.boolean(), (f, bus, fd) => {
        const length = dlcToLength(f.dlc, fd);
        const frame: CanFrame = {
          busChannel: bus,
          id: f.id,
          ide: f.ide,
          dlc: f.dlc,
          dataLength: length,
          dir: f.tx ? 'tx' : 'rx',
          edl: fd,
          brs: fd && f.brs,
          esi: fd && f.esi,
          rtr: false,
          data: new Uint8Array(length).fill(0x5a),
        };
        expect(decodeCanFrame(encodeCanFrame(frame))).toEqual(frame);
        if (fd) expect(dlcToLength(lengthToDlc(length), true)).toBe(length);
      }),
    );
    expect([9, 10, 11, 12, 13, 14, 15].map((d) => dlcToLength(d, true))).toEqual([
      12, 16, 20, 24, 32, 48, 64,
    ]);
    expect(dlcToLength(15, false)).toBe(8);
    expect(() => decodeCanFrame(new Uint8Array(3))).toThrow(/8 to 72 bytes/);
  });
});

/** A sorted group of 11-byte records with channels of many layouts. */
const layoutGroup: TestGroup = {
  name: 'layouts',
  dataBytes: 27,
  invalidationBytes: 1,
  cycleCount: 0,
  channels: [
    { name: 't', channelType: 2, syncType: 1, dataType: 4, byteOffset: 0, bitCount: 64 },
    { name: 'u13', dataType: 0, byteOffset: 8, bitOffset: 3, bitCount: 13 },
    { name: 's13be', dataType: 3, byteOffset: 10, bitOffset: 2, bitCount: 13 },
    { name: 'half', dataType: 5, byteOffset: 12, bitCount: 16 },
    { name: 'u64', dataType: 0, byteOffset: 14, bitCount: 64 },
    { name: 'text', dataType: 7, byteOffset: 22, bitCount: 40, flags: 2, invalidationBit: 0 },
    {
      name: 'formula',
      dataType: 0,
      byteOffset: 8,
      bitOffset: 3,
      bitCount: 13,
      conversion: { type: 3, refs: ['sqrt(X) * 2 + 1'] },
    },
    {
      name: 'virtual',
      channelType: 6,
      dataType: 0,
      byteOffset: 0,
      bitCount: 0,
      conversion: { type: 1, values: [10, 0.5] },
    },
  ],
};

const rowArb = fc.record({
  u13: fc.integer({ min: 0, max: 8191 }),
  s13: fc.integer({ min: -4096, max: 4095 }),
  half: fc.constantFrom(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555),
  u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  text: fc.stringMatching(/^[a-z]{0,5}$/),
  invalid: fc.boolean(),
});

function layoutRecords(
  rows: readonly (typeof rowArb extends fc.Arbitrary<infer T> ? T : never)[],
): Uint8Array {
  const w = new RecordWriter();
  rows.forEach((row, i) =>
    w.record(28, (view, bytes) => {
      view.setFloat64(0, i * 0.01, true);
      view.setUint16(8, row.u13 << 3, true);
      view.setUint16(10, (row.s13 & 0x1fff) << 2, false);
      view.setUint16(12, row.half, false);
      view.setBigUint64(14, row.u64, true);
      bytes.set(new TextEncoder().encode(row.text), 22);
      bytes[27] = row.invalid ? 1 : 0;
    }),
  );
  return w.bytes();
}

const halfValues: Record<number, number> = {
  0x3c00: 1,
  0xc000: -2,
  0x7bff: 65504,
  0x0001: 2 ** -24,
  0x3555: 0.333251953125,
};

describe('MDF 4 data types, storage and conversions', () => {
  const storages = ['dt', 'dl', 'dz', 'dz-transposed', 'hl'] as const;

  it('decodes bit-packed LE/BE integers, half floats, 64-bit integers and strings in every storage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...storages),
        fc.integer({ min: 5, max: 90 }),
        async (rows, storage, blockBytes) => {
          const data = layoutRecords(rows);
          const bytes = writeMdf4({
            dataGroups: [
              {
                recordIdSize: 0,
                groups: [{ ...layoutGroup, cycleCount: rows.length }],
                data,
                storage,
                blockBytes,
              },
            ],
          });
          const file = await Mdf4File.open(bytesReader(bytes), {
            file: 'layouts.mf4',
            limits: { windowBytes: 37 },
          });
          const values = new Map<string, unknown[]>();
          for await (const batch of file.readGroup(file.channelGroups[0]!)) {
            for (const [name, column] of batch.values)
              values.set(name, [...(values.get(name) ?? []), ...column]);
          }
          expect(values.get('u13')).toEqual(rows.map((r) => r.u13));
          expect(values.get('s13be')).toEqual(rows.map((r) => r.s13));
          expect(values.get('half')).toEqual(rows.map((r) => halfValues[r.half]));
          expect(values.get('u64')).toEqual(rows.map((r) => r.u64));
          expect(values.get('text')).toEqual(rows.map((r) => (r.invalid ? undefined : r.text)));
          expect(values.get('formula')).toEqual(rows.map((r) => Math.sqrt(r.u13) * 2 + 1));
          expect(values.get('virtual')).toEqual(rows.map((_, i) => 10 + 0.5 * i));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads string values of a VLSD channel from an SD block', async () => {
    const texts = ['alpha', '', 'Grüße', 'x'.repeat(300)];
    const sd = new RecordWriter();
    const offsets: number[] = [];
    let at = 0;
    for (const text of texts) {
      const encoded = new TextEncoder().encode(text);
      offsets.push(at);
      sd.record(4, (view) => view.setUint32(0, encoded.byteLength, true)).push(encoded);
      at += 4 + encoded.byteLength;
    }
    const records = new RecordWriter();
    offsets.forEach((offset, i) =>
      records.record(16, (view) => {
        view.setFloat64(0, i, true);
        view.setBigUint64(8, BigInt(offset), true);
      }),
    );
    const bytes = writeMdf4({
      dataGroups: [
        {
          recordIdSize: 0,
          data: records.bytes(),
          groups: [
            {
              name: 'log',
              dataBytes: 16,
              cycleCount: texts.length,
              channels: [
                {
                  name: 't',
                  channelType: 2,
                  syncType: 1,
                  dataType: 4,
                  byteOffset: 0,
                  bitCount: 64,
                },
                {
                  name: 'message',
                  channelType: 1,
                  dataType: 7,
                  byteOffset: 8,
                  bitCount: 64,
                  signalData: sd.bytes(),
                },
              ],
            },
          ],
        },
      ],
    });
    const file = await Mdf4File.open(bytesReader(bytes));
    const out: unknown[] = [];
    for await (const batch of file.readGroup(file.channelGroups[0]!, { channels: ['message'] }))
      out.push(...batch.values.get('message')!);
    expect(out).toEqual(texts);
    const limited = await Mdf4File.open(bytesReader(bytes), {
      file: 'sd.mf4',
      limits: { maxBlockBytes: 100 },
    });
    const read = async () => {
      for await (const batch of limited.readGroup(limited.channelGroups[0]!)) void batch;
    };
    await expect(read()).rejects.toThrow(/value of 300 bytes exceeds the 100-byte limit/);
  });

  it('finds records of an unfinalized file that run past the 24-byte DT block to the end of the file', async () => {
    const data = layoutRecords([
      { u13: 5, s13: -1, half: 0x3c00, u64: 7n, text: 'ab', invalid: false },
    ]);
    const bytes = writeMdf4({
      unfinalized: true,
      dataGroups: [{ recordIdSize: 0, groups: [layoutGroup], data }],
    });
    const file = await Mdf4File.open(bytesReader(bytes));
    expect(file.identification.finalized).toBe(false);
    expect((await file.countRecords()).get(file.channelGroups[0]!)).toBe(1);
  });
});

describe('MDF 4 bad input', () => {
  const good = (): Uint8Array =>
    writeMdf4({
      dataGroups: [
        {
          recordIdSize: 0,
          groups: [{ ...layoutGroup, cycleCount: 2 }],
          data: layoutRecords([
            { u13: 1, s13: 1, half: 0x3c00, u64: 1n, text: 'a', invalid: false },
            { u13: 2, s13: 2, half: 0x3c00, u64: 2n, text: 'b', invalid: false },
          ]),
          storage: 'dz',
          blockBytes: 56,
        },
      ],
    });

  async function failure(bytes: Uint8Array): Promise<unknown> {
    try {
      const source = await openMdf4Source(bytesReader(bytes), { file: 'bad.mf4' });
      await source.summary();
      for await (const message of source.messages()) void message;
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('names the problem and the offset', async () => {
    const empty = await failure(new Uint8Array(0));
    expect(empty).toBeInstanceOf(CorruptRecording);
    expect((empty as CorruptRecording).message).toMatch(/bad\.mf4: file is 0 bytes/);

    const magic = good();
    magic.set(new TextEncoder().encode('MCAP0\r\n '), 0);
    expectFailure(await failure(magic), 'corrupt_recording', /not an MDF file/, 0);

    const v3 = good();
    v3.set(new TextEncoder().encode('3.30    '), 8);
    new DataView(v3.buffer).setUint16(28, 330, true);
    expect(await failure(v3)).toBeInstanceOf(Unsupported);

    const dz = good();
    const dzAt = findBlock(dz, 'DZ');
    dz[dzAt + 24 + 2] = 7;
    expectFailure(await failure(dz), 'unsupported', /compression 7/);

    const huge = good();
    new DataView(huge.buffer).setBigUint64(findBlock(huge, 'DZ') + 24 + 8, 2n ** 50n, true);
    expectFailure(await failure(huge), 'corrupt_recording', /maxBlockBytes/);

    const loop = good();
    const dl = findBlock(loop, 'DL');
    new DataView(loop.buffer).setBigUint64(dl + 24, BigInt(dl), true);
    expectFailure(await failure(loop), 'corrupt_recording', /loops back/, dl);

    const fewer = good();
    new DataView(fewer.buffer).setBigUint64(findBlock(fewer, 'CG') + 24 + 6 * 8 + 8, 3n, true);
    expectFailure(
      await failure(fewer),
      'corrupt_recording',
      /declares 3 records, its data holds 2/,
    );
  });

  it('rejects an unknown record id and a record cut off by the end of the file', async () => {
    const { dataGroup } = canFdFile(
      [{ id: 1, ide: false, dlc: 8, brs: false, esi: false, tx: false, micros: 1 }],
      1,
    );
    const unknown = new Uint8Array(dataGroup.data);
    unknown[0] = 9;
    const bad = await failure(writeMdf4({ dataGroups: [{ ...dataGroup, data: unknown }] }));
    expectFailure(bad, 'corrupt_recording', /record id 9 matches no channel group/);

    const cut = writeMdf4({ unfinalized: true, dataGroups: [dataGroup] });
    const error = await failure(cut.subarray(0, cut.byteLength - 3));
    expect(error).toBeInstanceOf(CorruptRecording);
  });
});

function expectFailure(error: unknown, code: string, message: RegExp, offset?: number): void {
  expect(error).toBeInstanceOf(DrivetrainError);
  const failure = error as DrivetrainError;
  expect(failure.code).toBe(code);
  expect(failure.message).toMatch(message);
  if (offset !== undefined) expect((failure as CorruptRecording).offset).toBe(offset);
}

function findBlock(bytes: Uint8Array, type: string): number {
  const text = new TextDecoder('latin1').decode(bytes);
  const at = text.indexOf(`##${type}`);
  if (at < 0) throw new Error(`no ##${type}`);
  return at;
}
