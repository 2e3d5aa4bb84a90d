/**
 * Re-assembly of messages longer than one CAN frame, so that a DBC can decode them:
 *
 * - ISO-TP (ISO 15765-2, used by UDS diagnostics): a single frame (PCI 0x0L), or a first frame
 *   (0x1LLL, 12-bit length, or 0x1000 + 32-bit length) followed by consecutive frames (0x2N,
 *   N = 1, 2 … 15, 0, 1 …); flow-control frames (0x3x) are ignored.
 * - NMEA 2000 fast packet: byte 0 holds a 3-bit sequence counter and a 5-bit frame counter; frame
 *   0 carries the total length in byte 1 and 6 data bytes, later frames 7 data bytes each.
 *
 * Sequences are tracked per bus and identifier; a frame out of sequence drops the message in
 * progress. Lengths are capped, so a corrupt length cannot make a buffer grow without bound.
 */

/** A frame as the re-assemblers see it. */
export interface TransportFrame {
  readonly busChannel: number;
  readonly id: number;
  readonly ide: boolean;
  readonly data: Uint8Array;
}

/** A re-assembled message, stamped with the time of its first frame. */
export interface TransportMessage {
  readonly time: bigint;
  readonly busChannel: number;
  readonly id: number;
  readonly ide: boolean;
  /** The message bytes, cut to the declared length. */
  readonly payload: Uint8Array;
}

interface Sequence {
  readonly time: bigint;
  readonly length: number;
  readonly parts: Uint8Array[];
  received: number;
  next: number;
}

/** Largest ISO-TP message accepted (the 32-bit escape allows 4 GiB; diagnostics never need it). */
const MAX_ISOTP_BYTES = 1 << 20;

/** Re-assembles ISO-TP messages on the identifiers `accepts` selects. */
export class IsoTpReassembler {
  private readonly open = new Map<string, Sequence>();

  /** `accepts` selects the frames that belong to this transport protocol. */
  constructor(readonly accepts: (frame: TransportFrame) => boolean) {}

  /** Feeds one frame; returns the message it completes, if any. */
  push(time: bigint, frame: TransportFrame): TransportMessage | undefined {
    if (!this.accepts(frame) || frame.data.byteLength === 0) return undefined;
    const data = frame.data;
    const key = `${frame.busChannel}:${frame.ide ? 'x' : 's'}:${frame.id}`;
    const kind = data[0]! >> 4;
    switch (kind) {
      case 0: {
        this.open.delete(key);
        let length = data[0]! & 0x0f;
        let start = 1;
        if (length === 0 && data.byteLength > 8) {
          length = data[1] ?? 0;
          start = 2;
        }
        if (length === 0 || start + length > data.byteLength) return undefined;
        return message(time, frame, data.slice(start, start + length));
      }
      case 1: {
        let length = ((data[0]! & 0x0f) << 8) | (data[1] ?? 0);
        let start = 2;
        if (length === 0 && data.byteLength >= 6) {
          length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(2);
          start = 6;
        }
        if (length === 0 || length > MAX_ISOTP_BYTES) {
          this.open.delete(key);
          return undefined;
        }
        const first = data.slice(start, start + length);
        if (first.byteLength >= length) {
          this.open.delete(key);
          return message(time, frame, first);
        }
        this.open.set(key, { time, length, parts: [first], received: first.byteLength, next: 1 });
        return undefined;
      }
      case 2: {
        const sequence = this.open.get(key);
        if (sequence === undefined) return undefined;
        if ((data[0]! & 0x0f) !== sequence.next) {
          this.open.delete(key);
          return undefined;
        }
        const part = data.slice(
          1,
          1 + Math.min(data.byteLength - 1, sequence.length - sequence.received),
        );
        sequence.parts.push(part);
        sequence.received += part.byteLength;
        sequence.next = (sequence.next + 1) & 0x0f;
        if (sequence.received < sequence.length) return undefined;
        this.open.delete(key);
        return message(sequence.time, frame, concat(sequence.parts, sequence.length));
      }
      default:
        return undefined;
    }
  }
}

/** Re-assembles NMEA 2000 fast-packet messages on the frames `accepts` selects. */
export class FastPacketReassembler {
  private readonly open = new Map<string, Sequence & { readonly counter: number }>();

  /** `accepts` selects the frames that belong to this transport protocol. */
  constructor(readonly accepts: (frame: TransportFrame) => boolean) {}

  /** Feeds one frame; returns the message it completes, if any. */
  push(time: bigint, frame: TransportFrame): TransportMessage | undefined {
    if (!this.accepts(frame) || frame.data.byteLength < 2) return undefined;
    const data = frame.data;
    const key = `${frame.busChannel}:${frame.id}`;
    const counter = data[0]! >> 5;
    const index = data[0]! & 0x1f;
    if (index === 0) {
      const length = data[1]!;
      const first = data.slice(2, 2 + Math.min(6, length));
      if (first.byteLength >= length) {
        this.open.delete(key);
        return message(time, frame, first);
      }
      this.open.set(key, {
        time,
        length,
        parts: [first],
        received: first.byteLength,
        next: 1,
        counter,
      });
      return undefined;
    }
    const sequence = this.open.get(key);
    if (sequence === undefined) return undefined;
    if (index !== sequence.next || counter !== sequence.counter) {
      this.open.delete(key);
      return undefined;
    }
    const part = data.slice(1, 1 + Math.min(7, sequence.length - sequence.received));
    sequence.parts.push(part);
    sequence.received += part.byteLength;
    sequence.next++;
    if (sequence.received < sequence.length) return undefined;
    this.open.delete(key);
    return message(sequence.time, frame, concat(sequence.parts, sequence.length));
  }
}

function message(time: bigint, frame: TransportFrame, payload: Uint8Array): TransportMessage {
  return { time, busChannel: frame.busChannel, id: frame.id, ide: frame.ide, payload };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part.subarray(0, length - at), at);
    at += Math.min(part.byteLength, length - at);
  }
  return out;
}
