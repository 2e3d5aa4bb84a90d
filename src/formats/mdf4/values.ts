/**
 * Raw channel values out of a record, by MDF 4 data type (`cn_data_type`): integers of any
 * bit width and bit offset in either byte order, IEEE floats (16/32/64 bit), strings in four
 * encodings and byte arrays. A reader is compiled once per channel; the hot path for byte-aligned
 * 8/16/32-bit fields is a single DataView call.
 */
import { Unsupported } from '../../platform/errors.js';
import type { Mdf4Value } from './conversion.js';

/** `cn_data_type` values of ASAM MDF 4.2. */
export const DataType = {
  uintLE: 0,
  uintBE: 1,
  intLE: 2,
  intBE: 3,
  floatLE: 4,
  floatBE: 5,
  stringLatin1: 6,
  stringUtf8: 7,
  stringUtf16LE: 8,
  stringUtf16BE: 9,
  byteArray: 10,
  mimeSample: 11,
  mimeStream: 12,
  canopenDate: 13,
  canopenTime: 14,
  complexLE: 15,
  complexBE: 16,
} as const;

/** Where a channel's bits sit in a record. */
export interface ValueLayout {
  readonly dataType: number;
  readonly byteOffset: number;
  readonly bitOffset: number;
  readonly bitCount: number;
}

/** Reads one raw value from the record whose data starts at `start` in `bytes`. */
export type RawReader = (bytes: Uint8Array, view: DataView, start: number) => Mdf4Value;

/** Number of record bytes a layout touches. */
export function layoutBytes(layout: ValueLayout): number {
  return layout.byteOffset + Math.ceil((layout.bitOffset + layout.bitCount) / 8);
}

/** True for the integer data types, whose range tables use inclusive upper bounds. */
export function isIntegerType(dataType: number): boolean {
  return dataType <= DataType.intBE;
}

/** True for the text data types. */
export function isTextType(dataType: number): boolean {
  return dataType >= DataType.stringLatin1 && dataType <= DataType.stringUtf16BE;
}

/** Compiles a reader for `layout`; throws `Unsupported` for widths a type cannot have. */
export function compileRawReader(layout: ValueLayout): RawReader {
  const { dataType, byteOffset, bitOffset, bitCount } = layout;
  switch (dataType) {
    case DataType.uintLE:
    case DataType.uintBE:
    case DataType.intLE:
    case DataType.intBE:
      return integerReader(
        byteOffset,
        bitOffset,
        bitCount,
        dataType === DataType.intLE || dataType === DataType.intBE,
        dataType === DataType.uintLE || dataType === DataType.intLE,
      );
    case DataType.floatLE:
    case DataType.floatBE:
      return floatReader(byteOffset, bitCount, dataType === DataType.floatLE);
    case DataType.stringLatin1:
    case DataType.stringUtf8:
    case DataType.stringUtf16LE:
    case DataType.stringUtf16BE: {
      const length = Math.floor(bitCount / 8);
      return (bytes, _view, start) =>
        decodeText(dataType, bytes.subarray(start + byteOffset, start + byteOffset + length));
    }
    default: {
      const length = Math.floor(bitCount / 8);
      return (bytes, _view, start) => bytes.slice(start + byteOffset, start + byteOffset + length);
    }
  }
}

/** Decodes text of a string data type, stopping at the first NUL character. */
export function decodeText(dataType: number, raw: Uint8Array): string {
  const unitBytes =
    dataType === DataType.stringUtf16LE || dataType === DataType.stringUtf16BE ? 2 : 1;
  let end = raw.byteLength - (raw.byteLength % unitBytes);
  for (let i = 0; i + unitBytes <= end; i += unitBytes) {
    if (raw[i] === 0 && (unitBytes === 1 || raw[i + 1] === 0)) {
      end = i;
      break;
    }
  }
  const text = raw.subarray(0, end);
  switch (dataType) {
    case DataType.stringLatin1: {
      let out = '';
      for (const byte of text) out += String.fromCharCode(byte);
      return out;
    }
    case DataType.stringUtf16LE:
      return utf16le.decode(text);
    case DataType.stringUtf16BE:
      return utf16be.decode(text);
    default:
      return utf8.decode(text);
  }
}

const utf8 = new TextDecoder('utf-8');
const utf16le = new TextDecoder('utf-16le');
const utf16be = new TextDecoder('utf-16be');

function integerReader(
  byteOffset: number,
  bitOffset: number,
  bitCount: number,
  signed: boolean,
  littleEndian: boolean,
): RawReader {
  if (bitCount < 1 || bitCount > 64) {
    throw new Unsupported(`integer channels must have 1 to 64 bits, this one has ${bitCount}`);
  }
  if (bitOffset === 0) {
    if (bitCount === 8) {
      return signed
        ? (_b, view, start) => view.getInt8(start + byteOffset)
        : (bytes, _v, start) => bytes[start + byteOffset] ?? 0;
    }
    if (bitCount === 16) {
      return signed
        ? (_b, view, start) => view.getInt16(start + byteOffset, littleEndian)
        : (_b, view, start) => view.getUint16(start + byteOffset, littleEndian);
    }
    if (bitCount === 32) {
      return signed
        ? (_b, view, start) => view.getInt32(start + byteOffset, littleEndian)
        : (_b, view, start) => view.getUint32(start + byteOffset, littleEndian);
    }
  }
  const byteCount = Math.ceil((bitOffset + bitCount) / 8);
  if (byteCount <= 6) {
    const shift = 2 ** bitOffset;
    const modulus = 2 ** bitCount;
    const half = 2 ** (bitCount - 1);
    return (bytes, _view, start) => {
      const at = start + byteOffset;
      let word = 0;
      if (littleEndian) {
        for (let i = byteCount - 1; i >= 0; i--) word = word * 256 + (bytes[at + i] ?? 0);
      } else {
        for (let i = 0; i < byteCount; i++) word = word * 256 + (bytes[at + i] ?? 0);
      }
      const value = Math.floor(word / shift) % modulus;
      return signed && value >= half ? value - modulus : value;
    };
  }
  const bigShift = BigInt(bitOffset);
  const asNumber = bitCount <= 53;
  return (bytes, _view, start) => {
    const at = start + byteOffset;
    let word = 0n;
    if (littleEndian) {
      for (let i = byteCount - 1; i >= 0; i--) word = (word << 8n) | BigInt(bytes[at + i] ?? 0);
    } else {
      for (let i = 0; i < byteCount; i++) word = (word << 8n) | BigInt(bytes[at + i] ?? 0);
    }
    word >>= bigShift;
    const value = signed ? BigInt.asIntN(bitCount, word) : BigInt.asUintN(bitCount, word);
    return asNumber ? Number(value) : value;
  };
}

function floatReader(byteOffset: number, bitCount: number, littleEndian: boolean): RawReader {
  switch (bitCount) {
    case 16:
      return (_b, view, start) => halfFloat(view.getUint16(start + byteOffset, littleEndian));
    case 32:
      return (_b, view, start) => view.getFloat32(start + byteOffset, littleEndian);
    case 64:
      return (_b, view, start) => view.getFloat64(start + byteOffset, littleEndian);
    default:
      throw new Unsupported(`float channels must have 16, 32 or 64 bits, this one has ${bitCount}`);
  }
}

/** IEEE 754 binary16 to number. */
export function halfFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
