/**
 * CAN and CAN FD frames from ASAM MDF bus logging groups (`CAN_DataFrame`, `CAN_RemoteFrame`
 * structure channels with BusChannel, ID, IDE, DLC, DataLength, DataBytes, Dir, EDL, BRS, ESI
 * members), and the compact binary frame encoding that drivetrain uses for `can` messages:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 4 | identifier, uint32 little-endian (11 or 29 bits) |
 * | 4 | 1 | flags: bit 0 IDE, bit 1 EDL (CAN FD), bit 2 BRS, bit 3 ESI, bit 4 Dir (1 = Tx), bit 5 RTR |
 * | 5 | 1 | bus channel |
 * | 6 | 1 | DLC |
 * | 7 | 1 | reserved, 0 |
 * | 8 | n | data bytes (n = data length, 0 to 64) |
 */
import { InvalidInput } from '../../platform/errors.js';
import type { Mdf4Value } from './conversion.js';
import type { RecordView } from './decode.js';
import { compileChannel } from './decode.js';
import type { Mdf4Channel, Mdf4ChannelGroup } from './tree.js';
import { ChannelType } from './tree.js';
import { DataType } from './values.js';

/** One CAN or CAN FD frame. */
export interface CanFrame {
  /** Bus channel number as logged (1 = CAN1 …). */
  readonly busChannel: number;
  /** 11-bit or 29-bit identifier, without flag bits. */
  readonly id: number;
  /** Extended (29-bit) identifier. */
  readonly ide: boolean;
  readonly dlc: number;
  /** Number of data bytes (equals `data.length`). */
  readonly dataLength: number;
  readonly dir: 'rx' | 'tx';
  /** CAN FD frame (extended data length). */
  readonly edl: boolean;
  /** CAN FD bit rate switch. */
  readonly brs: boolean;
  /** CAN FD error state indicator. */
  readonly esi: boolean;
  /** Remote transmission request (remote frame, no data). */
  readonly rtr: boolean;
  readonly data: Uint8Array;
}

/** Bytes before the data in the frame encoding. */
export const CAN_FRAME_HEADER_BYTES = 8;

const FD_LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64] as const;

/** Data length of a DLC: 0–8 for classic CAN, up to 64 for CAN FD. */
export function dlcToLength(dlc: number, fd: boolean): number {
  if (dlc < 0 || dlc > 15) return 0;
  return fd ? FD_LENGTHS[dlc]! : Math.min(dlc, 8);
}

/** Smallest DLC whose data length holds `length` bytes. */
export function lengthToDlc(length: number): number {
  const dlc = FD_LENGTHS.findIndex((l) => l >= length);
  return dlc < 0 ? 15 : dlc;
}

/** Encodes a frame in drivetrain's `can` message encoding. */
export function encodeCanFrame(frame: CanFrame): Uint8Array {
  const out = new Uint8Array(CAN_FRAME_HEADER_BYTES + frame.data.byteLength);
  out[0] = frame.id & 0xff;
  out[1] = (frame.id >>> 8) & 0xff;
  out[2] = (frame.id >>> 16) & 0xff;
  out[3] = (frame.id >>> 24) & 0xff;
  out[4] =
    (frame.ide ? 1 : 0) |
    (frame.edl ? 2 : 0) |
    (frame.brs ? 4 : 0) |
    (frame.esi ? 8 : 0) |
    (frame.dir === 'tx' ? 16 : 0) |
    (frame.rtr ? 32 : 0);
  out[5] = frame.busChannel & 0xff;
  out[6] = frame.dlc & 0xff;
  out.set(frame.data, CAN_FRAME_HEADER_BYTES);
  return out;
}

/** Decodes a `can` message; throws `InvalidInput` for bytes that are not a frame. */
export function decodeCanFrame(data: Uint8Array): CanFrame {
  if (data.byteLength < CAN_FRAME_HEADER_BYTES || data.byteLength > CAN_FRAME_HEADER_BYTES + 64) {
    throw new InvalidInput(
      `a CAN frame message is 8 to 72 bytes long, this one has ${data.byteLength}`,
      'data',
    );
  }
  const flags = data[4]!;
  const payload = data.subarray(CAN_FRAME_HEADER_BYTES);
  return {
    busChannel: data[5]!,
    id: (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0,
    ide: (flags & 1) !== 0,
    dlc: data[6]!,
    dataLength: payload.byteLength,
    dir: (flags & 16) !== 0 ? 'tx' : 'rx',
    edl: (flags & 2) !== 0,
    brs: (flags & 4) !== 0,
    esi: (flags & 8) !== 0,
    rtr: (flags & 32) !== 0,
    data: payload,
  };
}

/** Structure channel names of ASAM MDF bus logging for CAN frames this reader decodes. */
const FRAME_STRUCTURES = ['CAN_DataFrame', 'CAN_RemoteFrame'] as const;

/** The bus logging structure of a channel group, if it logs CAN data or remote frames. */
export function canStructure(
  group: Mdf4ChannelGroup,
): { channel: Mdf4Channel; kind: (typeof FRAME_STRUCTURES)[number] } | undefined {
  for (const channel of group.channels) {
    const kind = FRAME_STRUCTURES.find((name) => channel.name === name);
    if (kind !== undefined && channel.children.some((c) => c.name.endsWith('.ID')))
      return { channel, kind };
  }
  return undefined;
}

/** Compiles a frame extractor for a CAN bus logging group; undefined for other groups. */
export function compileCanExtractor(
  group: Mdf4ChannelGroup,
): ((ref: RecordView) => CanFrame) | undefined {
  const structure = canStructure(group);
  if (structure === undefined) return undefined;
  const member = (field: string): ((ref: RecordView) => Mdf4Value | undefined) | undefined => {
    const channel = structure.channel.children.find(
      (c) => c.name === `${structure.channel.name}.${field}`,
    );
    return channel === undefined ? undefined : compileChannel(channel, group);
  };
  const num = (
    decode: ((ref: RecordView) => Mdf4Value | undefined) | undefined,
    fallback: number,
  ) =>
    decode === undefined
      ? () => fallback
      : (ref: RecordView): number => {
          const value = decode(ref);
          return typeof value === 'number'
            ? value
            : typeof value === 'bigint'
              ? Number(value)
              : fallback;
        };
  const idOf = num(member('ID'), 0);
  const ideOf = member('IDE');
  const ide = num(ideOf, 0);
  const bus = num(member('BusChannel'), 0);
  const dlcOf = member('DLC');
  const dlc = num(dlcOf, -1);
  const lengthOf = member('DataLength');
  const length = num(lengthOf, -1);
  const dir = num(member('Dir'), 0);
  const edl = num(member('EDL'), 0);
  const brs = num(member('BRS'), 0);
  const esi = num(member('ESI'), 0);
  const bytesOf = dataBytes(structure.channel, group);
  const remote = structure.kind === 'CAN_RemoteFrame';
  return (ref) => {
    let id = idOf(ref);
    let extended = ide(ref) !== 0;
    if (id > 0x1fffffff) {
      extended = true;
      id = id & 0x1fffffff;
    } else if (ideOf === undefined && id > 0x7ff) {
      extended = true;
    }
    const fd = edl(ref) !== 0;
    const rawBytes = bytesOf?.(ref);
    const available = rawBytes instanceof Uint8Array ? rawBytes : new Uint8Array(0);
    const frameDlc = dlc(ref);
    const declared = length(ref);
    const dataLength = remote
      ? 0
      : declared >= 0
        ? declared
        : frameDlc >= 0
          ? dlcToLength(frameDlc, fd)
          : available.byteLength;
    const data = available.byteLength > dataLength ? available.subarray(0, dataLength) : available;
    return {
      busChannel: bus(ref),
      id,
      ide: extended,
      dlc: frameDlc >= 0 ? frameDlc : lengthToDlc(data.byteLength),
      dataLength: data.byteLength,
      dir: dir(ref) !== 0 ? 'tx' : 'rx',
      edl: fd,
      brs: brs(ref) !== 0,
      esi: esi(ref) !== 0,
      rtr: remote,
      data,
    };
  };
}

/** DataBytes as a view into the record or VLSD value (the frame encoding copies it anyway). */
function dataBytes(
  structure: Mdf4Channel,
  group: Mdf4ChannelGroup,
): ((ref: RecordView) => Mdf4Value | undefined) | undefined {
  const channel = structure.children.find((c) => c.name === `${structure.name}.DataBytes`);
  if (channel === undefined) return undefined;
  if (channel.channelType === ChannelType.vlsd) return (ref) => ref.vlsd.get(channel.offset);
  if (
    channel.channelType === ChannelType.fixed &&
    channel.dataType === DataType.byteArray &&
    channel.bitOffset === 0
  ) {
    const from = channel.byteOffset;
    const to = from + Math.floor(channel.bitCount / 8);
    return (ref) => ref.bytes.subarray(ref.start + from, ref.start + to);
  }
  return compileChannel(channel, group);
}
