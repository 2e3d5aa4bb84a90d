/**
 * A Parquet writer for flat tables of fixed types (ADR 064): INT32, INT64 (optionally a UTC
 * nanosecond timestamp), DOUBLE and dictionary-encoded UTF-8 strings, each REQUIRED or
 * OPTIONAL, uncompressed. Values go from typed arrays into pages with one copy, which is what
 * makes manifests of hundreds of thousands of samples per second possible.
 *
 * Row groups are encoded on their own (`encodeRowGroup`) with chunk offsets relative to their
 * first byte; `encodeFooter` then places them in a file. A build can therefore store its row
 * groups as it goes and assemble the file by concatenation.
 */
import {
  Bytes,
  bool,
  encodeStruct,
  i32,
  i64,
  list,
  str,
  struct,
  type ThriftStruct,
} from './thrift.js';

export type ColumnKind = 'int32' | 'int64' | 'timestamp' | 'double' | 'string';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly optional: boolean;
}

/** Values of one column in one row group; for optional columns `present[i]` is 0 where null. */
export type ColumnData =
  | { readonly values: Int32Array; readonly present?: Uint8Array }
  | { readonly values: BigInt64Array; readonly present?: Uint8Array }
  | { readonly values: Float64Array; readonly present?: Uint8Array }
  | { readonly dictionary: readonly string[]; readonly indices: Int32Array };

/** Where one column chunk of an encoded row group lies, relative to the row group's start. */
export interface ChunkMeta {
  readonly dictionaryOffset: number | null;
  readonly dataOffset: number;
  readonly size: number;
  readonly numValues: number;
}

export interface EncodedRowGroup {
  /** The row group's bytes, in pieces to be written one after another (not copied together). */
  readonly pieces: readonly Uint8Array[];
  readonly size: number;
  readonly rows: number;
  readonly chunks: readonly ChunkMeta[];
}

const enum ParquetType {
  Int32 = 1,
  Int64 = 2,
  Double = 5,
  ByteArray = 6,
}

const enum Encoding {
  Plain = 0,
  Rle = 3,
  RleDictionary = 8,
}

const enum PageType {
  Data = 0,
  Dictionary = 2,
}

const physical: Record<ColumnKind, ParquetType> = {
  int32: ParquetType.Int32,
  int64: ParquetType.Int64,
  timestamp: ParquetType.Int64,
  double: ParquetType.Double,
  string: ParquetType.ByteArray,
};

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();

/** RLE runs (the RLE/bit-packing hybrid with runs only) of small non-negative integers. */
function rleRuns(out: Bytes, values: ArrayLike<number>, count: number, bitWidth: number): void {
  const valueBytes = Math.ceil(bitWidth / 8);
  let i = 0;
  while (i < count) {
    const value = values[i]!;
    let j = i + 1;
    while (j < count && values[j] === value) j++;
    out.varint((j - i) * 2);
    for (let b = 0; b < valueBytes; b++) out.byte((value >>> (8 * b)) & 0xff);
    i = j;
  }
}

function bitWidthOf(maxValue: number): number {
  let width = 1;
  while (2 ** width <= maxValue) width++;
  return width;
}

function pageHeader(
  type: PageType,
  size: number,
  detail: ThriftStruct,
  numValues: number,
  encoding: Encoding,
): Uint8Array {
  return encodeStruct([
    [1, i32(type)],
    [2, i32(size)],
    [3, i32(size)],
    [
      5,
      type === PageType.Data
        ? struct([
            [1, i32(numValues)],
            [2, i32(encoding)],
            [3, i32(Encoding.Rle)],
            [4, i32(Encoding.Rle)],
          ])
        : undefined,
    ],
    [7, type === PageType.Dictionary ? struct(detail) : undefined],
  ]);
}

/** Definition levels of an optional column: 4-byte length, then RLE runs of 0/1. */
function definitionLevels(out: Bytes, present: ArrayLike<number>, rows: number): void {
  const levels = new Bytes();
  rleRuns(levels, present, rows, 1);
  out.uint32le(levels.length);
  out.append(levels.bytes());
}

function bytesOf(values: Int32Array | BigInt64Array | Float64Array): Uint8Array {
  if (!littleEndian) throw new Error('the Parquet writer needs a little-endian platform');
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * What the nullable columns sharing one `present` array have in common, worked out once: their
 * definition levels as encoded, and the runs of present rows as [start, end) pairs.
 */
interface Presence {
  readonly levels: Uint8Array;
  readonly runs: Int32Array;
  readonly count: number;
}

function presenceOf(present: ArrayLike<number>, rows: number): Presence {
  const levels = new Bytes();
  definitionLevels(levels, present, rows);
  const runs: number[] = [];
  let count = 0;
  let i = 0;
  while (i < rows) {
    if (present[i] !== 1) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < rows && present[j] === 1) j++;
    runs.push(i, j);
    count += j - i;
    i = j;
  }
  return { levels: levels.bytes(), runs: Int32Array.from(runs), count };
}

/** The values of the present rows, copied run by run (a copy between like arrays is a memcpy). */
function compact<T extends Int32Array | BigInt64Array | Float64Array>(
  values: T,
  presence: Presence,
): T {
  const out = new (values.constructor as new (length: number) => T)(presence.count);
  const runs = presence.runs;
  for (let r = 0, k = 0; r < runs.length; r += 2) {
    out.set(values.subarray(runs[r], runs[r + 1]) as never, k);
    k += runs[r + 1]! - runs[r]!;
  }
  return out;
}

// The loops over rows live in small functions of their own: V8 optimizes a hot loop by
// compiling the whole function around it, and a function with branches the first rows never
// took is thrown back to the interpreter when a later column takes them.

/** Present flags of an optional dictionary column (a negative index is null) and its non-null indices. */
function splitNulls(
  indices: Int32Array,
  rows: number,
): { present: Uint8Array; kept: Int32Array; count: number } {
  const present = new Uint8Array(rows);
  const kept = new Int32Array(rows);
  let count = 0;
  for (let i = 0; i < rows; i++) {
    if (indices[i]! >= 0) {
      present[i] = 1;
      kept[count++] = indices[i]!;
    }
  }
  return { present, kept, count };
}

/** The first null (negative) index of a dictionary column, or -1. */
function firstNull(indices: Int32Array, rows: number): number {
  for (let i = 0; i < rows; i++) if (indices[i]! < 0) return i;
  return -1;
}

/** Byte pieces collected without copying them into one buffer. */
class Pieces {
  readonly list: Uint8Array[] = [];
  length = 0;

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.list.push(bytes);
    this.length += bytes.length;
  }
}

function encodeChunk(
  out: Pieces,
  spec: ColumnSpec,
  data: ColumnData,
  rows: number,
  presence: (present: Uint8Array) => Presence,
): ChunkMeta {
  const start = out.length;
  if ('dictionary' in data) {
    const dictionary = new Bytes();
    for (const entry of data.dictionary) {
      const bytes = encoder.encode(entry);
      dictionary.uint32le(bytes.length);
      dictionary.append(bytes);
    }
    const dictionaryBytes = dictionary.bytes();
    out.append(
      pageHeader(
        PageType.Dictionary,
        dictionaryBytes.length,
        [
          [1, i32(data.dictionary.length)],
          [2, i32(Encoding.Plain)],
        ],
        data.dictionary.length,
        Encoding.Plain,
      ),
    );
    out.append(dictionaryBytes);
    const dataOffset = out.length;
    const page = new Bytes();
    let values: ArrayLike<number> = data.indices;
    let count = rows;
    if (spec.optional) {
      const nulls = splitNulls(data.indices, rows);
      definitionLevels(page, nulls.present, rows);
      values = nulls.kept;
      count = nulls.count;
    } else {
      const row = firstNull(data.indices, rows);
      if (row >= 0) throw new Error(`column ${spec.name} is required but row ${row} is null`);
    }
    const width = bitWidthOf(Math.max(0, data.dictionary.length - 1));
    page.byte(width);
    rleRuns(page, values, count, width);
    const pageBytes = page.bytes();
    out.append(pageHeader(PageType.Data, pageBytes.length, [], rows, Encoding.RleDictionary));
    out.append(pageBytes);
    return { dictionaryOffset: start, dataOffset, size: out.length - start, numValues: rows };
  }
  const page = new Bytes();
  let values = data.values;
  if (spec.optional) {
    if (data.present === undefined) {
      definitionLevels(page, new Uint8Array(rows).fill(1), rows);
    } else {
      const shared = presence(data.present);
      page.append(shared.levels);
      values = compact(values, shared);
    }
  } else if (data.present !== undefined && data.present.subarray(0, rows).includes(0)) {
    throw new Error(`column ${spec.name} is required but has nulls`);
  }
  const valueBytes = bytesOf(
    values.subarray(0, spec.optional && data.present !== undefined ? values.length : rows),
  );
  out.append(pageHeader(PageType.Data, page.length + valueBytes.length, [], rows, Encoding.Plain));
  out.append(page.bytes());
  out.append(valueBytes);
  return { dictionaryOffset: null, dataOffset: start, size: out.length - start, numValues: rows };
}

/** Encodes one row group of `rows` rows; `columns` follow `schema` in order. */
export function encodeRowGroup(
  schema: readonly ColumnSpec[],
  columns: readonly ColumnData[],
  rows: number,
): EncodedRowGroup {
  if (columns.length !== schema.length) {
    throw new Error(`row group has ${columns.length} columns, schema ${schema.length}`);
  }
  const out = new Pieces();
  // The columns of one stream share their `present` array.
  const presences = new Map<Uint8Array, Presence>();
  const presence = (present: Uint8Array): Presence => {
    let found = presences.get(present);
    if (found === undefined) {
      found = presenceOf(present, rows);
      presences.set(present, found);
    }
    return found;
  };
  const chunks = schema.map((spec, c) => encodeChunk(out, spec, columns[c]!, rows, presence));
  return { pieces: out.list, size: out.length, rows, chunks };
}

function schemaElement(spec: ColumnSpec): ThriftStruct {
  const logical =
    spec.kind === 'string'
      ? struct([[1, struct([])]])
      : spec.kind === 'timestamp'
        ? struct([
            [
              8,
              struct([
                [1, bool(true)],
                [2, struct([[3, struct([])]])],
              ]),
            ],
          ])
        : undefined;
  return [
    [1, i32(physical[spec.kind])],
    [3, i32(spec.optional ? 1 : 0)],
    [4, str(spec.name)],
    [6, spec.kind === 'string' ? i32(0) : undefined],
    [10, logical],
  ];
}

/** Magic bytes that open and close every Parquet file. */
export const parquetMagic = new Uint8Array([0x50, 0x41, 0x52, 0x31]);

/**
 * The footer of a file whose row groups start at the given offsets (the first right after the
 * 4-byte magic): file metadata, its length and the closing magic.
 */
export function encodeFooter(
  schema: readonly ColumnSpec[],
  rowGroups: readonly {
    readonly offset: number;
    readonly rows: number;
    readonly chunks: readonly ChunkMeta[];
  }[],
  keyValues: readonly { readonly key: string; readonly value: string }[],
  createdBy: string,
): Uint8Array {
  const totalRows = rowGroups.reduce((sum, group) => sum + group.rows, 0);
  const groups = rowGroups.map((group): ThriftStruct => {
    const size = group.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
    return [
      [
        1,
        list(
          'struct',
          group.chunks.map((chunk, c): ThriftStruct => {
            const spec = schema[c]!;
            const dictionary =
              chunk.dictionaryOffset === null ? null : group.offset + chunk.dictionaryOffset;
            const data = group.offset + chunk.dataOffset;
            return [
              [2, i64(dictionary ?? data)],
              [
                3,
                struct([
                  [1, i32(physical[spec.kind])],
                  [
                    2,
                    list(
                      'i32',
                      dictionary === null
                        ? [Encoding.Plain, Encoding.Rle]
                        : [Encoding.Plain, Encoding.Rle, Encoding.RleDictionary],
                    ),
                  ],
                  [3, list('string', [spec.name])],
                  [4, i32(0)],
                  [5, i64(chunk.numValues)],
                  [6, i64(chunk.size)],
                  [7, i64(chunk.size)],
                  [9, i64(data)],
                  [11, dictionary === null ? undefined : i64(dictionary)],
                ]),
              ],
            ];
          }),
        ),
      ],
      [2, i64(size)],
      [3, i64(group.rows)],
      [5, i64(group.offset)],
      [6, i64(size)],
    ];
  });
  const metadata = encodeStruct([
    [1, i32(1)],
    [
      2,
      list('struct', [
        [
          [4, str('schema')],
          [5, i32(schema.length)],
        ],
        ...schema.map(schemaElement),
      ]),
    ],
    [3, i64(totalRows)],
    [4, list('struct', groups)],
    [
      5,
      keyValues.length === 0
        ? undefined
        : list(
            'struct',
            keyValues.map((kv): ThriftStruct => [
              [1, str(kv.key)],
              [2, str(kv.value)],
            ]),
          ),
    ],
    [6, str(createdBy)],
  ]);
  const out = new Bytes();
  out.append(metadata);
  out.uint32le(metadata.length);
  out.append(parquetMagic);
  return out.bytes();
}

/** A whole file in memory from row groups (for small files: split lists, tests). */
export function encodeParquet(
  schema: readonly ColumnSpec[],
  groups: readonly EncodedRowGroup[],
  keyValues: readonly { readonly key: string; readonly value: string }[] = [],
  createdBy = 'drivetrain',
): Uint8Array {
  const placed: { offset: number; rows: number; chunks: readonly ChunkMeta[] }[] = [];
  let offset = parquetMagic.length;
  for (const group of groups) {
    placed.push({ offset, rows: group.rows, chunks: group.chunks });
    offset += group.size;
  }
  const footer = encodeFooter(schema, placed, keyValues, createdBy);
  const file = new Uint8Array(offset + footer.length);
  file.set(parquetMagic, 0);
  let at = parquetMagic.length;
  for (const group of groups) {
    for (const piece of group.pieces) {
      file.set(piece, at);
      at += piece.length;
    }
  }
  file.set(footer, at);
  return file;
}
