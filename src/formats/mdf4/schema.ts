/**
 * The `mdf4-record` message encoding for channel groups that are not CAN bus logging: the
 * message data is the record exactly as stored (data bytes and invalidation bytes, without the
 * record id), followed, for every VLSD channel in schema order, by its value as a uint32
 * little-endian length and the bytes. The channel schema (`schemaEncoding` `mdf4`) is JSON
 * describing every channel's layout and conversion, so `decodeMdf4Record` can turn a message
 * back into physical values without the file.
 */
import { InvalidInput } from '../../platform/errors.js';
import type { ConversionSpec, Mdf4Value } from './conversion.js';
import type { ChannelDecoder, RecordRef, RecordView } from './decode.js';
import { compileChannel } from './decode.js';
import type { Mdf4Channel, Mdf4ChannelGroup } from './tree.js';
import { ChannelType, flatten } from './tree.js';

/** Layout of one channel in an `mdf4-record` message. */
export interface Mdf4ChannelSchema {
  readonly name: string;
  readonly unit: string;
  readonly channelType: number;
  readonly syncType: number;
  readonly dataType: number;
  readonly byteOffset: number;
  readonly bitOffset: number;
  readonly bitCount: number;
  readonly flags: number;
  readonly invalidationBit: number;
  readonly conversion?: ConversionSpec;
}

/** Schema of an `mdf4-record` channel. */
export interface Mdf4RecordSchema {
  readonly group: string;
  readonly dataBytes: number;
  readonly invalidationBytes: number;
  readonly channels: readonly Mdf4ChannelSchema[];
}

/** The schema of a channel group's messages. */
export function recordSchema(group: Mdf4ChannelGroup, topic: string): Mdf4RecordSchema {
  return {
    group: topic,
    dataBytes: group.dataBytes,
    invalidationBytes: group.invalidationBytes,
    channels: flatten(group.channels)
      .filter((c) => c.arrayDimensions === undefined)
      .map((c) => ({
        name: c.name,
        unit: c.unit,
        channelType: c.channelType,
        syncType: c.syncType,
        dataType: c.dataType,
        byteOffset: c.byteOffset,
        bitOffset: c.bitOffset,
        bitCount: c.bitCount,
        flags: c.flags,
        invalidationBit: c.invalidationBit,
        ...(c.conversion === undefined ? {} : { conversion: c.conversion }),
      })),
  };
}

/** Compiles an encoder of a group's records (and their VLSD values) as `mdf4-record` messages. */
export function recordEncoder(group: Mdf4ChannelGroup): (ref: RecordRef) => Uint8Array {
  const size = group.dataBytes + group.invalidationBytes;
  const vlsd = flatten(group.channels)
    .filter((c) => c.channelType === ChannelType.vlsd)
    .map((c) => c.offset);
  if (vlsd.length === 0) return (ref) => ref.bytes.slice(ref.start, ref.start + size);
  return (ref) => {
    const values = vlsd.map((offset) => ref.vlsd.get(offset) ?? new Uint8Array(0));
    const total = values.reduce((sum, value) => sum + 4 + value.byteLength, size);
    const out = new Uint8Array(total);
    out.set(ref.bytes.subarray(ref.start, ref.start + size), 0);
    const view = new DataView(out.buffer);
    let at = size;
    for (const value of values) {
      view.setUint32(at, value.byteLength, true);
      out.set(value, at + 4);
      at += 4 + value.byteLength;
    }
    return out;
  };
}

/** Decodes `mdf4-record` messages of one channel to physical values by channel name. */
export type Mdf4RecordDecoder = (
  data: Uint8Array,
  sequence?: number,
) => Record<string, Mdf4Value | undefined>;

/**
 * Compiles a decoder for the messages of a channel whose schema is `schema`. `sequence` is the
 * record's index in its group (the message's `sequence`), the value of virtual channels.
 */
export function mdf4RecordDecoder(schema: Mdf4RecordSchema): Mdf4RecordDecoder {
  const size = schema.dataBytes + schema.invalidationBytes;
  const group = {
    offset: 0,
    dataGroupOffset: 0,
    recordId: 0,
    cycleCount: 0,
    flags: 0,
    dataBytes: schema.dataBytes,
    invalidationBytes: schema.invalidationBytes,
    acquisitionName: schema.group,
    comment: '',
    channels: [],
    isVlsd: false,
  } satisfies Mdf4ChannelGroup;
  const channels: Mdf4Channel[] = schema.channels.map((c, i) => ({
    ...c,
    offset: i,
    comment: '',
    children: [],
  }));
  const vlsdChannels = channels.filter((c) => c.channelType === ChannelType.vlsd);
  const decoders: [string, ChannelDecoder][] = [];
  for (const channel of channels) {
    if (!decoders.some(([name]) => name === channel.name))
      decoders.push([channel.name, compileChannel(channel, group)]);
  }
  return (data, sequence = 0) => {
    if (data.byteLength < size) {
      throw new InvalidInput(
        `an mdf4-record message of ${schema.group} has at least ${size} bytes, this one has ${data.byteLength}`,
        'data',
      );
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const vlsd = new Map<number, Uint8Array>();
    let at = size;
    for (const c of vlsdChannels) {
      if (at + 4 > data.byteLength)
        throw new InvalidInput(`message ends before the value of VLSD channel ${c.name}`, 'data');
      const length = view.getUint32(at, true);
      if (at + 4 + length > data.byteLength)
        throw new InvalidInput(`VLSD value of ${c.name} runs past the message`, 'data');
      vlsd.set(c.offset, data.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    const ref: RecordView = { index: sequence, bytes: data, view, start: 0, vlsd };
    const out: Record<string, Mdf4Value | undefined> = {};
    for (const [name, decode] of decoders) out[name] = decode(ref);
    return out;
  };
}
