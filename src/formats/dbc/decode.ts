/**
 * Decoding CAN frames with a DBC database: signal extraction (Intel and Motorola bit order, any
 * length up to 64 bits, signed, IEEE float and double), simple and extended multiplexing, and
 * frame matching by identifier or, for J1939 messages, by parameter group number. Each signal
 * is compiled once into a closure; frames shorter than a signal simply do not carry it.
 */
import type { DbcDatabase, DbcMessage, DbcSignal } from './parse.js';

/** The fields of a CAN frame that decoding needs. */
export interface FrameLike {
  readonly id: number;
  readonly ide: boolean;
  readonly data: Uint8Array;
}

/** One decoded signal value. */
export interface DecodedSignal {
  readonly name: string;
  readonly unit: string;
  /** Physical value: raw × factor + offset. */
  readonly value: number;
  /** The value table's description of the raw value, if the DBC has one. */
  readonly label?: string;
}

/** A decoded frame. */
export interface DecodedMessage {
  readonly message: DbcMessage;
  readonly signals: readonly DecodedSignal[];
}

/** Reads a signal's raw value from frame data; undefined when the data is too short. */
type RawExtractor = (data: Uint8Array) => number | bigint | undefined;

interface CompiledSignal {
  readonly signal: DbcSignal;
  readonly raw: RawExtractor;
  readonly physical: (raw: number | bigint) => number;
  /** Index of the multiplexor this signal depends on, or -1. */
  readonly switchIndex: number;
  readonly present: (switchRaw: number) => boolean;
}

interface CompiledMessage {
  readonly message: DbcMessage;
  readonly signals: readonly CompiledSignal[];
}

/** J1939 parameter group number of a 29-bit identifier (PDU1 groups drop the destination). */
export function j1939Pgn(id: number): number {
  const pgn = (id >>> 8) & 0x3ffff;
  return ((pgn >> 8) & 0xff) < 240 ? pgn & 0x3ff00 : pgn;
}

/** Decodes frames with a database. */
export class DbcDecoder {
  private readonly standard = new Map<number, CompiledMessage>();
  private readonly extended = new Map<number, CompiledMessage>();
  private readonly byPgn = new Map<number, CompiledMessage>();

  constructor(readonly database: DbcDatabase) {
    for (const message of database.messages) {
      const compiled = compileMessage(message);
      if (message.j1939) {
        if (!this.byPgn.has(j1939Pgn(message.id))) this.byPgn.set(j1939Pgn(message.id), compiled);
      } else {
        const map = message.extended ? this.extended : this.standard;
        if (!map.has(message.id)) map.set(message.id, compiled);
      }
    }
  }

  /** The message layout a frame would be decoded with, if any. */
  messageFor(frame: Pick<FrameLike, 'id' | 'ide'>): DbcMessage | undefined {
    return this.lookup(frame)?.message;
  }

  /** Decodes a frame; undefined when the database has no message for it. */
  decode(frame: FrameLike): DecodedMessage | undefined {
    const compiled = this.lookup(frame);
    if (compiled === undefined) return undefined;
    const raws: (number | bigint | undefined)[] = compiled.signals.map((s) => s.raw(frame.data));
    const present: boolean[] = [];
    const isPresent = (i: number, depth: number): boolean => {
      const known = present[i];
      if (known !== undefined) return known;
      const s = compiled.signals[i]!;
      let result = raws[i] !== undefined;
      if (result && s.switchIndex >= 0) {
        const switchRaw = raws[s.switchIndex];
        result =
          depth < 16 &&
          isPresent(s.switchIndex, depth + 1) &&
          typeof switchRaw === 'number' &&
          s.present(switchRaw);
      }
      present[i] = result;
      return result;
    };
    const signals: DecodedSignal[] = [];
    compiled.signals.forEach((s, i) => {
      if (!isPresent(i, 0)) return;
      const raw = raws[i]!;
      const label = s.signal.valueTable?.get(Number(raw));
      signals.push({
        name: s.signal.name,
        unit: s.signal.unit,
        value: s.physical(raw),
        ...(label === undefined ? {} : { label }),
      });
    });
    return { message: compiled.message, signals };
  }

  private lookup(frame: Pick<FrameLike, 'id' | 'ide'>): CompiledMessage | undefined {
    if (!frame.ide) return this.standard.get(frame.id);
    return this.extended.get(frame.id) ?? this.byPgn.get(j1939Pgn(frame.id));
  }
}

function compileMessage(message: DbcMessage): CompiledMessage {
  const names = message.signals.map((s) => s.name);
  const plainMux = message.signals.findIndex(
    (s) => s.multiplexer && s.multiplexValue === undefined,
  );
  return {
    message,
    signals: message.signals.map((signal) => {
      let switchIndex = -1;
      let present: (raw: number) => boolean = () => true;
      if (signal.multiplexSwitch !== undefined) {
        switchIndex = names.indexOf(signal.multiplexSwitch.name);
        const ranges = signal.multiplexSwitch.ranges;
        present = (raw) => ranges.some(([low, high]) => raw >= low && raw <= high);
      } else if (signal.multiplexValue !== undefined) {
        switchIndex = plainMux;
        const wanted = signal.multiplexValue;
        present = (raw) => raw === wanted;
      }
      return {
        signal,
        raw: compileExtractor(signal),
        physical: compilePhysical(signal),
        switchIndex,
        present,
      };
    }),
  };
}

function compilePhysical(signal: DbcSignal): (raw: number | bigint) => number {
  const { factor, offset } = signal;
  return (raw) => Number(raw) * factor + offset;
}

/** Compiles the bit extraction of `signal`. */
export function compileExtractor(signal: DbcSignal): RawExtractor {
  const { length, signed } = signal;
  let first: number;
  let last: number;
  let shift: number;
  let bigEndian: boolean;
  if (signal.byteOrder === 'intel') {
    first = signal.startBit >> 3;
    last = (signal.startBit + length - 1) >> 3;
    shift = signal.startBit & 7;
    bigEndian = false;
  } else {
    const msb = (signal.startBit >> 3) * 8 + (7 - (signal.startBit & 7));
    const lsb = msb + length - 1;
    first = msb >> 3;
    last = lsb >> 3;
    shift = 7 - (lsb & 7);
    bigEndian = true;
  }
  const count = last - first + 1;
  const integer: RawExtractor =
    count <= 6
      ? smallExtractor(first, count, shift, length, signed, bigEndian)
      : bigExtractor(first, count, shift, length, signed, bigEndian);
  if (signal.valueType === 'integer') return integer;
  const scratch = new DataView(new ArrayBuffer(8));
  if (signal.valueType === 'float32') {
    return (data) => {
      const raw = integer(data);
      if (raw === undefined) return undefined;
      scratch.setUint32(0, Number(BigInt.asUintN(32, BigInt(raw))));
      return scratch.getFloat32(0);
    };
  }
  return (data) => {
    const raw = integer(data);
    if (raw === undefined) return undefined;
    scratch.setBigUint64(0, BigInt.asUintN(64, BigInt(raw)));
    return scratch.getFloat64(0);
  };
}

function smallExtractor(
  first: number,
  count: number,
  shift: number,
  length: number,
  signed: boolean,
  bigEndian: boolean,
): RawExtractor {
  const divisor = 2 ** shift;
  const modulus = 2 ** length;
  const half = 2 ** (length - 1);
  const end = first + count;
  return (data) => {
    if (data.byteLength < end) return undefined;
    let word = 0;
    if (bigEndian) {
      for (let i = first; i < end; i++) word = word * 256 + data[i]!;
    } else {
      for (let i = end - 1; i >= first; i--) word = word * 256 + data[i]!;
    }
    const value = Math.floor(word / divisor) % modulus;
    return signed && value >= half ? value - modulus : value;
  };
}

function bigExtractor(
  first: number,
  count: number,
  shift: number,
  length: number,
  signed: boolean,
  bigEndian: boolean,
): RawExtractor {
  const bigShift = BigInt(shift);
  const end = first + count;
  return (data) => {
    if (data.byteLength < end) return undefined;
    let word = 0n;
    if (bigEndian) {
      for (let i = first; i < end; i++) word = (word << 8n) | BigInt(data[i]!);
    } else {
      for (let i = end - 1; i >= first; i--) word = (word << 8n) | BigInt(data[i]!);
    }
    const value = signed
      ? BigInt.asIntN(length, word >> bigShift)
      : BigInt.asUintN(length, word >> bigShift);
    return length <= 52 ? Number(value) : value;
  };
}
