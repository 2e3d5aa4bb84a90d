/**
 * An opened MDF 4 file: its metadata tree, and channel values read group by group in bounded
 * batches. Values are decoded lazily, only for the channels asked for.
 */
import { InvalidInput } from '../../platform/errors.js';
import type { RandomAccessReader } from '../source.js';
import { MdfBytes } from './bytes.js';
import type { Mdf4Value } from './conversion.js';
import type { DataLimits } from './data.js';
import { defaultDataLimits, LogicalStream } from './data.js';
import type { ChannelDecoder, RecordRef, RecordView } from './decode.js';
import { compileChannel, compileTimeNs, joinedRecords } from './decode.js';
import { scanRecords } from './records.js';
import type {
  Mdf4Channel,
  Mdf4ChannelGroup,
  Mdf4DataGroup,
  Mdf4Header,
  Mdf4Identification,
} from './tree.js';
import { flatten, readTree, UnfinalizedFlags } from './tree.js';

/** Options for opening an MDF 4 file. */
export interface Mdf4Options {
  /** Name of the file in error messages. */
  readonly file?: string;
  readonly limits?: Partial<DataLimits>;
}

/** Values of some channels for a run of consecutive records of one channel group. */
export interface Mdf4SampleBatch {
  readonly group: Mdf4ChannelGroup;
  /** Index of the first record of the batch within its group. */
  readonly firstIndex: number;
  readonly count: number;
  /** Nanoseconds since the measurement start (HD start time), from the master channel. */
  readonly timeNs: readonly bigint[];
  /** Values by channel name; `undefined` where a record marks the value invalid. */
  readonly values: ReadonlyMap<string, readonly (Mdf4Value | undefined)[]>;
}

/** What to read from a channel group. */
export interface ReadGroupOptions {
  /** Channel names to decode; every channel of the group when absent. */
  readonly channels?: readonly string[];
  /** Return raw values, without applying conversions. */
  readonly raw?: boolean;
}

/** An MDF 4 file opened for reading. */
export class Mdf4File {
  private constructor(
    private readonly bytes: MdfBytes,
    readonly identification: Mdf4Identification,
    readonly header: Mdf4Header,
    readonly dataGroups: readonly Mdf4DataGroup[],
    readonly limits: DataLimits,
  ) {}

  /** Opens the file behind `reader` and reads its metadata tree. */
  static async open(reader: RandomAccessReader, options: Mdf4Options = {}): Promise<Mdf4File> {
    const bytes = await MdfBytes.open(options.file ?? 'recording.mf4', reader);
    const limits = { ...defaultDataLimits, ...options.limits };
    const tree = await readTree(bytes, limits);
    return new Mdf4File(bytes, tree.identification, tree.header, tree.dataGroups, limits);
  }

  /** Name of the file in error messages. */
  get file(): string {
    return this.bytes.file;
  }

  /** Bytes read from the reader so far. */
  get bytesRead(): number {
    return this.bytes.bytesRead;
  }

  /** Every channel group that holds records of its own (VLSD carrier groups excluded). */
  get channelGroups(): Mdf4ChannelGroup[] {
    return this.dataGroups.flatMap((dg) => dg.groups.filter((g) => !g.isVlsd));
  }

  /** True when the cycle counts of the channel groups can be trusted. */
  get cycleCountsValid(): boolean {
    return (
      this.identification.finalized ||
      (this.identification.unfinalizedFlags & UnfinalizedFlags.cycleCounters) === 0
    );
  }

  /** The data group a channel group belongs to. */
  dataGroupOf(group: Mdf4ChannelGroup): Mdf4DataGroup {
    const dg = this.dataGroups.find((d) => d.offset === group.dataGroupOffset);
    if (dg === undefined)
      throw new InvalidInput(`channel group at byte ${group.offset} is not part of ${this.file}`);
    return dg;
  }

  /** Streams the values of `options.channels` (default: all) of `group` in batches. */
  async *readGroup(
    group: Mdf4ChannelGroup,
    options: ReadGroupOptions = {},
  ): AsyncGenerator<Mdf4SampleBatch> {
    const dg = this.dataGroupOf(group);
    const groupIndex = dg.groups.indexOf(group);
    const all = flatten(group.channels);
    const selected: Mdf4Channel[] =
      options.channels === undefined
        ? all
        : options.channels.map((name) => {
            const channel = all.find((c) => c.name === name);
            if (channel === undefined)
              throw new InvalidInput(
                `channel group ${group.acquisitionName} has no channel ${name}`,
                'channels',
              );
            return channel;
          });
    const decoders: [string, ChannelDecoder][] = [];
    for (const channel of selected) {
      if (!decoders.some(([name]) => name === channel.name))
        decoders.push([channel.name, compileChannel(channel, group, options.raw)]);
    }
    const time = compileTimeNs(group);
    for await (const refs of this.records(dg, new Set([groupIndex]))) {
      const values = new Map<string, (Mdf4Value | undefined)[]>(
        decoders.map(([name]) => [name, []]),
      );
      for (const [name, decode] of decoders) {
        const column = values.get(name)!;
        for (const ref of refs) column.push(decode(ref));
      }
      yield {
        group,
        firstIndex: refs[0]!.index,
        count: refs.length,
        timeNs: refs.map(time),
        values,
      };
    }
  }

  /** Counts the records of every channel group by walking the data (needed for unfinalized files). */
  async countRecords(): Promise<Map<Mdf4ChannelGroup, number>> {
    const counts = new Map<Mdf4ChannelGroup, number>();
    for (const dg of this.dataGroups) {
      const perGroup = dg.groups.map(() => 0);
      const recordLimit =
        dg.recordIdSize === 0 && this.cycleCountsValid
          ? { recordLimit: dg.groups[0]?.cycleCount ?? 0 }
          : {};
      for await (const batch of scanRecords(this.bytes, dg, {
        limits: this.limits,
        ...recordLimit,
      })) {
        for (let i = 0; i < batch.count; i++) perGroup[batch.group[i]!]!++;
      }
      dg.groups.forEach((g, i) => {
        if (!g.isVlsd) counts.set(g, perGroup[i]!);
      });
    }
    return counts;
  }

  /** Record `index` of a channel group of a sorted data group, read directly (no VLSD values). */
  async recordAt(group: Mdf4ChannelGroup, index: number): Promise<RecordView> {
    const dg = this.dataGroupOf(group);
    if (dg.recordIdSize !== 0)
      throw new InvalidInput(
        `channel group ${group.acquisitionName} is unsorted; its records cannot be addressed by index`,
      );
    const size = group.dataBytes + group.invalidationBytes;
    const stream = new LogicalStream(this.bytes, dg.fragments, {
      ...this.limits,
      windowBytes: Math.max(size, 4096),
    });
    if ((index + 1) * size > stream.length) {
      throw this.bytes.corrupt(
        dg.offset,
        `channel group ${group.acquisitionName} declares ${group.cycleCount} records, its data holds ${Math.floor(stream.length / size)}`,
      );
    }
    const record = await stream.read(
      index * size,
      size,
      `record ${index} of channel group ${group.acquisitionName}`,
    );
    return {
      index,
      bytes: record,
      view: new DataView(record.buffer, record.byteOffset, record.byteLength),
      start: 0,
      vlsd: new Map(),
    };
  }

  /** Streams the records of the `wanted` groups (indexes into `dg.groups`), joined with their VLSD values. */
  records(dg: Mdf4DataGroup, wanted: ReadonlySet<number>): AsyncGenerator<RecordRef[]> {
    return joinedRecords(this.bytes, this.identification, dg, wanted, this.limits);
  }
}
