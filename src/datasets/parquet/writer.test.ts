import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { encodeParquet, encodeRowGroup, type ColumnData, type ColumnSpec } from './writer.js';

const schema: ColumnSpec[] = [
  { name: 'recording_id', kind: 'string', optional: false },
  { name: 'split', kind: 'string', optional: true },
  { name: 'time_ns', kind: 'timestamp', optional: false },
  { name: 'offset', kind: 'int64', optional: true },
  { name: 'length', kind: 'int32', optional: false },
  { name: 'speed', kind: 'double', optional: true },
];

interface Row {
  recording: number;
  split: number | null;
  time: bigint;
  offset: bigint | null;
  length: number;
  speed: number | null;
}

const dictionary = ['rec_a', 'rec_b', 'rec_ü'];
const splits = ['train', 'val', 'test'];

function columnsOf(rows: readonly Row[]): ColumnData[] {
  const present = (pick: (r: Row) => unknown) =>
    Uint8Array.from(rows, (r) => (pick(r) === null ? 0 : 1));
  return [
    { dictionary, indices: Int32Array.from(rows, (r) => r.recording) },
    { dictionary: splits, indices: Int32Array.from(rows, (r) => r.split ?? -1) },
    { values: BigInt64Array.from(rows, (r) => r.time) },
    { values: BigInt64Array.from(rows, (r) => r.offset ?? 0n), present: present((r) => r.offset) },
    { values: Int32Array.from(rows, (r) => r.length) },
    { values: Float64Array.from(rows, (r) => r.speed ?? 0), present: present((r) => r.speed) },
  ];
}

const row = fc.record({
  recording: fc.integer({ min: 0, max: 2 }),
  split: fc.option(fc.integer({ min: 0, max: 2 })),
  time: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  offset: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  length: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  speed: fc.option(fc.double({ noNaN: true })),
});

function file(groups: readonly Row[][]): Uint8Array {
  return encodeParquet(
    schema,
    groups.map((rows) => encodeRowGroup(schema, columnsOf(rows), rows.length)),
    [{ key: 'drivetrain.test', value: '{"a":1}' }],
  );
}

describe('Parquet writer', () => {
  it('writes files Apache Arrow (arrow-rs) reads back value for value, nulls and types included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(row, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        (groups) => {
          const table = tableFromIPC(readParquet(file(groups)).intoIPCStream());
          const rows = groups.flat();
          expect(table.numRows).toBe(rows.length);
          expect(
            table.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`),
          ).toEqual([
            'recording_id:Utf8:false',
            'split:Utf8:true',
            'time_ns:Timestamp<NANOSECOND, UTC>:false',
            'offset:Int64:true',
            'length:Int32:false',
            'speed:Float64:true',
          ]);
          const get = (name: string, i: number): unknown => table.getChild(name)!.get(i);
          // Arrow's JS accessor turns timestamps into milliseconds; compare the stored nanoseconds.
          const times = table
            .getChild('time_ns')!
            .data.flatMap((d) => [...(d.values as BigInt64Array)]);
          rows.forEach((r, i) => {
            expect(get('recording_id', i)).toBe(dictionary[r.recording]);
            expect(get('split', i)).toBe(r.split === null ? null : splits[r.split]);
            expect(times[i]).toBe(r.time);
            expect(get('offset', i)).toBe(r.offset);
            expect(get('length', i)).toBe(r.length);
            expect(get('speed', i)).toBe(r.speed);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes files hyparquet reads, with row groups and key-value metadata', async () => {
    const groups: Row[][] = [
      [
        { recording: 0, split: 0, time: 1767225600000000000n, offset: 10n, length: 5, speed: 1.5 },
        {
          recording: 0,
          split: null,
          time: 1767225600100000000n,
          offset: null,
          length: 6,
          speed: null,
        },
      ],
      [
        {
          recording: 2,
          split: 2,
          time: 1767225600200000000n,
          offset: 2n ** 40n,
          length: 7,
          speed: -3,
        },
      ],
    ];
    const bytes = file(groups);
    const buffer = new Uint8Array(bytes).buffer;
    const metadata = parquetMetadata(buffer);
    expect(metadata.row_groups).toHaveLength(2);
    expect(metadata.key_value_metadata).toEqual([{ key: 'drivetrain.test', value: '{"a":1}' }]);
    const rows = await parquetReadObjects({ file: buffer, utf8: true });
    expect(
      rows.map((r): unknown[] => [r.recording_id, r.split, r.offset, r.length, r.speed]),
    ).toEqual([
      ['rec_a', 'train', 10n, 5, 1.5],
      ['rec_a', null, null, 6, null],
      ['rec_ü', 'test', 2n ** 40n, 7, -3],
    ]);
  });

  it('refuses nulls in a required column', () => {
    expect(() =>
      encodeRowGroup(
        [{ name: 'a', kind: 'string', optional: false }],
        [{ dictionary: ['x'], indices: Int32Array.of(0, -1) }],
        2,
      ),
    ).toThrow('column a is required but row 1 is null');
  });
});
