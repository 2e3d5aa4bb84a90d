/**
 * The Thrift compact protocol, write side only, as Parquet uses it for page headers and the
 * file footer. A struct is written as a list of fields in ascending id order.
 */

const enum CompactType {
  True = 1,
  False = 2,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}

/** A Thrift value as the writer understands it. */
export type ThriftValue =
  | { readonly t: 'i32'; readonly v: number }
  | { readonly t: 'i64'; readonly v: bigint | number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'struct'; readonly v: ThriftStruct }
  | {
      readonly t: 'list';
      readonly of: 'i32' | 'string' | 'struct';
      readonly v: readonly (number | string | ThriftStruct)[];
    };

/** Fields by id; undefined fields are left out (Thrift optional). */
export type ThriftStruct = readonly (readonly [id: number, value: ThriftValue | undefined])[];

export const i32 = (v: number): ThriftValue => ({ t: 'i32', v });
export const i64 = (v: bigint | number): ThriftValue => ({ t: 'i64', v });
export const bool = (v: boolean): ThriftValue => ({ t: 'bool', v });
export const str = (v: string): ThriftValue => ({ t: 'string', v });
export const struct = (v: ThriftStruct): ThriftValue => ({ t: 'struct', v });
export const list = (
  of: 'i32' | 'string' | 'struct',
  v: readonly (number | string | ThriftStruct)[],
): ThriftValue => ({
  t: 'list',
  of,
  v,
});

const encoder = new TextEncoder();

/** A growable byte buffer. */
export class Bytes {
  private buffer = new Uint8Array(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53. */
  varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  /** Unsigned LEB128 of a 64-bit value. */
  varbig(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  uint32le(value: number): void {
    this.ensure(4);
    this.buffer[this.length++] = value & 0xff;
    this.buffer[this.length++] = (value >>> 8) & 0xff;
    this.buffer[this.length++] = (value >>> 16) & 0xff;
    this.buffer[this.length++] = (value >>> 24) & 0xff;
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function zigzag64(value: bigint): bigint {
  return value >= 0n ? value << 1n : (-value << 1n) - 1n;
}

function typeOf(value: ThriftValue): CompactType {
  switch (value.t) {
    case 'i32':
      return CompactType.I32;
    case 'i64':
      return CompactType.I64;
    case 'bool':
      return value.v ? CompactType.True : CompactType.False;
    case 'string':
      return CompactType.Binary;
    case 'struct':
      return CompactType.Struct;
    case 'list':
      return CompactType.List;
  }
}

function writeValue(out: Bytes, value: ThriftValue): void {
  switch (value.t) {
    case 'i32':
      out.varint(zigzag32(value.v));
      return;
    case 'i64':
      out.varbig(zigzag64(BigInt(value.v)));
      return;
    case 'bool':
      return;
    case 'string': {
      const bytes = encoder.encode(value.v);
      out.varint(bytes.length);
      out.append(bytes);
      return;
    }
    case 'struct':
      writeStruct(out, value.v);
      return;
    case 'list': {
      const elementType =
        value.of === 'i32'
          ? CompactType.I32
          : value.of === 'string'
            ? CompactType.Binary
            : CompactType.Struct;
      const size = value.v.length;
      if (size < 15) out.byte((size << 4) | elementType);
      else {
        out.byte(0xf0 | elementType);
        out.varint(size);
      }
      for (const element of value.v) {
        if (value.of === 'i32') writeValue(out, i32(element as number));
        else if (value.of === 'string') writeValue(out, str(element as string));
        else writeStruct(out, element as ThriftStruct);
      }
      return;
    }
  }
}

/** Writes a struct: field headers with id deltas, values, and the stop byte. */
export function writeStruct(out: Bytes, fields: ThriftStruct): void {
  let last = 0;
  for (const [id, value] of fields) {
    if (value === undefined) continue;
    const type = typeOf(value);
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.byte((delta << 4) | type);
    else {
      out.byte(type);
      out.varint(zigzag32(id));
    }
    writeValue(out, value);
    last = id;
  }
  out.byte(0);
}

/** A struct as bytes. */
export function encodeStruct(fields: ThriftStruct): Uint8Array {
  const out = new Bytes();
  writeStruct(out, fields);
  return out.bytes();
}
