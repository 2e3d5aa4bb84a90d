/**
 * From records to values: joins each record with its variable-length values (VLSD channels
 * keep them in signal-data blocks or, in unsorted files, in records of a VLSD channel group
 * that may follow the record), and compiles per-channel decoders that apply invalidation bits
 * and conversions. The join buffers only records whose values have not yet arrived, with a
 * hard cap, so a file whose VLSD records never come cannot grow memory without bound.
 */
import { Unsupported } from '../../platform/errors.js';
import type { ByteLocation } from '../source.js';
import type { MdfBytes } from './bytes.js';
import type { Converter, Mdf4Value } from './conversion.js';
import { compileConversion } from './conversion.js';
import type { DataLimits } from './data.js';
import { LogicalStream } from './data.js';
import type { RecordBatch } from './records.js';
import { scanRecords } from './records.js';
import type { Mdf4Channel, Mdf4ChannelGroup, Mdf4DataGroup, Mdf4Identification } from './tree.js';
import { ChannelType, flatten, UnfinalizedFlags } from './tree.js';
import type { RawReader } from './values.js';
import { compileRawReader, DataType, decodeText, isIntegerType, isTextType } from './values.js';

/** What a channel decoder needs of a record. */
export interface RecordView {
  /** Zero-based index of the record within its channel group (the value of virtual channels). */
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Offset of the record's data in `bytes`. */
  readonly start: number;
  /** VLSD values by CN block offset. */
  readonly vlsd: Map<number, Uint8Array>;
}

/** One record of a wanted channel group, with the variable-length values it refers to. */
export interface RecordRef extends RecordView {
  /** Index of the channel group in its data group. */
  readonly groupIndex: number;
  readonly length: number;
  readonly batch: RecordBatch;
  readonly position: number;
}

const MAX_PENDING = 100_000;

/** Shared by records without VLSD channels; never written to. */
const NO_VLSD: Map<number, Uint8Array> = new Map();

interface VlsdNeed {
  readonly channel: Mdf4Channel;
  readonly vlsdGroup: number;
  readonly offsetReader: RawReader;
}

/**
 * Streams the records of `wanted` channel groups of one data group in file order, each joined
 * with its VLSD values.
 */
export async function* joinedRecords(
  bytes: MdfBytes,
  id: Mdf4Identification,
  dataGroup: Mdf4DataGroup,
  wanted: ReadonlySet<number>,
  limits: DataLimits,
): AsyncGenerator<RecordRef[]> {
  const groups = dataGroup.groups;
  const byOrder = (id.unfinalizedFlags & UnfinalizedFlags.vlsdOffsets) !== 0 && !id.finalized;
  const needs = groups.map((group, g) => (wanted.has(g) ? vlsdNeeds(group, groups) : []));
  const streams = groups.map((group, g) =>
    wanted.has(g)
      ? flatten(group.channels).flatMap((channel) =>
          channel.signalData?.kind === 'blocks'
            ? [
                {
                  channel,
                  stream: new LogicalStream(bytes, channel.signalData.fragments, limits),
                  offsetReader: compileRawReader({ ...channel, dataType: DataType.uintLE }),
                },
              ]
            : [],
        )
      : [],
  );
  const collect = new Set(needs.flatMap((list) => list.map((need) => need.vlsdGroup)));
  const payloads = groups.map(() => new Map<number, Uint8Array>());
  const produced = groups.map(() => 0);
  const consumed = groups.map(() => 0);
  const counters = groups.map(() => 0);
  const pending: { ref: RecordRef; missing: { need: VlsdNeed; key: number }[] }[] = [];

  const resolve = (entry: (typeof pending)[number]): boolean => {
    entry.missing = entry.missing.filter(({ need, key }) => {
      const payload = payloads[need.vlsdGroup]!.get(key);
      if (payload === undefined) return true;
      payloads[need.vlsdGroup]!.delete(key);
      entry.ref.vlsd.set(need.channel.offset, payload);
      return false;
    });
    return entry.missing.length === 0;
  };

  const recordRecords = recordLimit(id, dataGroup);
  for await (const batch of scanRecords(bytes, dataGroup, { limits, ...recordRecords })) {
    const out: RecordRef[] = [];
    for (let i = 0; i < batch.count; i++) {
      const g = batch.group[i]!;
      const group = groups[g]!;
      if (group.isVlsd) {
        if (!collect.has(g)) continue;
        const key = produced[g]!;
        const store = payloads[g]!;
        store.set(key, batch.bytes.subarray(batch.start[i], batch.start[i]! + batch.length[i]!));
        produced[g] = byOrder ? produced[g]! + 1 : produced[g]! + 4 + batch.length[i]!;
        if (store.size > MAX_PENDING) {
          throw bytes.corrupt(
            batch.location(i).offset,
            `more than ${MAX_PENDING} VLSD values that no record refers to`,
          );
        }
        while (pending.length > 0 && resolve(pending[0]!)) out.push(pending.shift()!.ref);
        continue;
      }
      const index = counters[g]!;
      counters[g] = index + 1;
      if (!wanted.has(g)) continue;
      const ref: RecordRef = {
        groupIndex: g,
        index,
        bytes: batch.bytes,
        view: batch.view,
        start: batch.start[i]!,
        length: batch.length[i]!,
        vlsd:
          needs[g]!.length > 0 || streams[g]!.length > 0 ? new Map<number, Uint8Array>() : NO_VLSD,
        batch,
        position: i,
      };
      for (const { channel, stream, offsetReader } of streams[g]!) {
        const offset = offsetOf(offsetReader(ref.bytes, ref.view, ref.start));
        ref.vlsd.set(
          channel.offset,
          await signalValue(stream, channel.name, offset, limits, (message) =>
            bytes.corrupt(batch.location(i).offset, message),
          ),
        );
      }
      if (pending.length === 0 && needs[g]!.length === 0) {
        out.push(ref);
        continue;
      }
      const missing = needs[g]!.map((need) => {
        const key = byOrder
          ? consumed[need.vlsdGroup]!++
          : offsetOf(need.offsetReader(ref.bytes, ref.view, ref.start));
        return { need, key };
      });
      const entry = { ref, missing };
      if (pending.length === 0 && resolve(entry)) {
        out.push(ref);
      } else {
        pending.push(entry);
        if (pending.length > MAX_PENDING) {
          throw bytes.corrupt(
            pending[0]!.ref.batch.location(pending[0]!.ref.position).offset,
            `the VLSD value this record refers to does not follow within ${MAX_PENDING} records`,
          );
        }
      }
    }
    if (out.length > 0) yield out;
  }
  if (pending.length > 0) {
    const first = pending[0]!;
    throw bytes.corrupt(
      first.ref.batch.location(first.ref.position).offset,
      `the VLSD value at offset ${first.missing[0]?.key} for this record of group ${groups[first.ref.groupIndex]?.acquisitionName ?? ''} never appears (file truncated?)`,
    );
  }
}

function recordLimit(id: Mdf4Identification, dataGroup: Mdf4DataGroup): { recordLimit?: number } {
  const counts = id.finalized || (id.unfinalizedFlags & UnfinalizedFlags.cycleCounters) === 0;
  const group = dataGroup.groups[0];
  return dataGroup.recordIdSize === 0 && counts && group !== undefined
    ? { recordLimit: group.cycleCount }
    : {};
}

function vlsdNeeds(group: Mdf4ChannelGroup, groups: readonly Mdf4ChannelGroup[]): VlsdNeed[] {
  return flatten(group.channels).flatMap((channel) => {
    const ref = channel.signalData;
    if (ref?.kind !== 'group') return [];
    return [
      {
        channel,
        vlsdGroup: groups.findIndex((g) => g.offset === ref.groupOffset),
        offsetReader: compileRawReader({ ...channel, dataType: DataType.uintLE }),
      },
    ];
  });
}

function offsetOf(value: Mdf4Value): number {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : -1;
}

async function signalValue(
  stream: LogicalStream,
  name: string,
  offset: number,
  limits: DataLimits,
  fail: (message: string) => Error,
): Promise<Uint8Array> {
  const what = `VLSD channel ${name}`;
  const head = await stream.read(offset, 4, what);
  const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  if (length > limits.maxBlockBytes) {
    throw fail(
      `${what}: a value of ${length} bytes exceeds the ${limits.maxBlockBytes}-byte limit (maxBlockBytes)`,
    );
  }
  return stream.read(offset + 4, length, what);
}

/** Decodes one channel of a record: `undefined` when the record marks the value invalid. */
export type ChannelDecoder = (ref: RecordView) => Mdf4Value | undefined;

/** Compiles a decoder for `channel` of `group`; `raw` skips the conversion. */
export function compileChannel(
  channel: Mdf4Channel,
  group: Mdf4ChannelGroup,
  raw = false,
): ChannelDecoder {
  if (channel.arrayDimensions !== undefined) {
    throw new Unsupported(
      `channel ${channel.name} is an array (CA block); array values are not decoded`,
    );
  }
  const convert: Converter = raw
    ? (v) => v
    : compileConversion(channel.conversion, isIntegerType(channel.dataType));
  let read: (ref: RecordView) => Mdf4Value;
  switch (channel.channelType) {
    case ChannelType.virtualMaster:
    case ChannelType.virtualData:
      read = (ref) => ref.index;
      break;
    case ChannelType.vlsd: {
      const key = channel.offset;
      const text = isTextType(channel.dataType);
      read = (ref) => {
        const payload = ref.vlsd.get(key) ?? new Uint8Array(0);
        return text ? decodeText(channel.dataType, payload) : payload.slice();
      };
      break;
    }
    default: {
      const reader = compileRawReader(channel);
      read = (ref) => reader(ref.bytes, ref.view, ref.start);
    }
  }
  if ((channel.flags & 1) !== 0) return () => undefined;
  if ((channel.flags & 2) !== 0) {
    const byte = group.dataBytes + (channel.invalidationBit >> 3);
    const mask = 1 << (channel.invalidationBit & 7);
    if (byte >= group.dataBytes + group.invalidationBytes) return (ref) => convert(read(ref));
    return (ref) => ((ref.bytes[ref.start + byte]! & mask) !== 0 ? undefined : convert(read(ref)));
  }
  return (ref) => convert(read(ref));
}

/**
 * Compiles the time of a record in nanoseconds since the measurement start. Integer time
 * bases with a linear conversion (e.g. microsecond ticks × 1e-6 s) are computed exactly.
 */
export function compileTimeNs(group: Mdf4ChannelGroup): (ref: RecordView) => bigint {
  const master = group.master;
  if (master === undefined) return () => 0n;
  const spec = master.conversion;
  const linear =
    spec === undefined || spec.type === 0 || (spec.type === 1 && spec.values.length >= 2);
  const offset = spec?.type === 1 ? (spec.values[0] ?? 0) : 0;
  const factor = spec?.type === 1 ? (spec.values[1] ?? 1) : 1;
  const ticks = factor * 1e9;
  if (
    linear &&
    (isIntegerType(master.dataType) || master.channelType === ChannelType.virtualMaster)
  ) {
    const exactTicks = Math.round(ticks);
    if (Math.abs(ticks - exactTicks) < 1e-6 && exactTicks !== 0) {
      const step = BigInt(exactTicks);
      const base = BigInt(Math.round(offset * 1e9));
      const raw = compileChannel(master, group, true);
      return (ref) => {
        const value = raw(ref);
        return (
          base + (typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value ?? 0)))) * step
        );
      };
    }
  }
  if (linear) {
    const raw = compileChannel(master, group, true);
    const offsetNs = offset * 1e9;
    return (ref) => {
      const ns = Number(raw(ref) ?? 0) * ticks + offsetNs;
      return Number.isFinite(ns) ? BigInt(Math.round(ns)) : 0n;
    };
  }
  const decode = compileChannel(master, group);
  return (ref) => {
    const seconds = Number(decode(ref) ?? 0);
    return Number.isFinite(seconds) ? BigInt(Math.round(seconds * 1e9)) : 0n;
  };
}

/** Byte location of a record, for `RecordedMessage.location`. */
export function locationOf(ref: RecordRef): ByteLocation {
  return ref.batch.location(ref.position);
}
