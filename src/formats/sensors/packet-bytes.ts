import { CorruptRecording } from '../../platform/errors.js';

/**
 * Where a packet came from, for error messages: the recording file, topic and message index as
 * the caller knows them (decoders see only bytes). Defaults to "sensor packet".
 */
export interface PacketOrigin {
  readonly source?: string;
}

/** The label errors use for a packet whose caller gave no origin. */
export function sourceOf(origin: PacketOrigin | undefined): string {
  return origin?.source ?? 'sensor packet';
}

/** Throws CorruptRecording unless `bytes` holds at least `length` bytes. */
export function requireLength(
  bytes: Uint8Array,
  length: number,
  source: string,
  what: string,
): void {
  if (bytes.length < length) {
    throw new CorruptRecording(
      source,
      bytes.length,
      `${what} is truncated: ${bytes.length} bytes, expected at least ${length}`,
    );
  }
}

/** A DataView over exactly the bytes of `bytes` (which may be a view into a larger buffer). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
