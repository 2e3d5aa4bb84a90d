/** Byte sizes of the fixed-size primitive field types of ROS messages, for placing fields in a payload. */
export const primitiveSizes: Readonly<Record<string, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  byte: 1,
  char: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
};

/** An unsigned 32-bit integer from raw bytes; cheaper than a DataView per message. */
export function readUint32(data: Uint8Array, at: number, little: boolean): number {
  return little
    ? (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0
    : ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}
