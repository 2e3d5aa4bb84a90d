/**
 * Reads the metadata tree of an MDF 4 file — ID, HD, the DG → CG → CN lists with their
 * conversions, sources and texts — into plain objects, and resolves every data link into its
 * fragments. Record data is not touched here.
 */
import { Unsupported } from '../../platform/errors.js';
import type { MdfBytes } from './bytes.js';
import { Fields } from './bytes.js';
import { chain, commentText, ID_BLOCK_BYTES, readBlock, readText, unescapeXml } from './blocks.js';
import type { ConversionSpec } from './conversion.js';
import { readConversion } from './conversion.js';
import type { DataFragment, DataLimits } from './data.js';
import { collectFragments } from './data.js';
import { layoutBytes } from './values.js';

/** `cn_type` values. */
export const ChannelType = {
  fixed: 0,
  vlsd: 1,
  master: 2,
  virtualMaster: 3,
  sync: 4,
  mlsd: 5,
  virtualData: 6,
  vlsc: 7,
} as const;

/** `cg_flags` bits. */
export const GroupFlags = {
  vlsd: 1,
  busEvent: 2,
  plainBusEvent: 4,
  remoteMaster: 8,
  eventSignal: 16,
} as const;

/** Unfinalized flags (`id_unfin_flags`) this reader acts on. */
export const UnfinalizedFlags = { cycleCounters: 1, lastDtLength: 4, vlsdOffsets: 0x40 } as const;

/** The identification block. */
export interface Mdf4Identification {
  /** `MDF` for finalized files, `UnFinMF` for files the writer never finalized. */
  readonly fileId: string;
  /** Version as text, e.g. `4.11`. */
  readonly versionText: string;
  /** Version as a number, e.g. 411. */
  readonly version: number;
  /** The writing program as the file names it. */
  readonly program: string;
  readonly unfinalizedFlags: number;
  readonly customUnfinalizedFlags: number;
  readonly finalized: boolean;
}

/** The header block: start time and the file comment. */
export interface Mdf4Header {
  /** Start of the measurement, nanoseconds since the Unix epoch (UTC unless `localTime`). */
  readonly startTimeNs: bigint;
  readonly timezoneOffsetMinutes: number;
  readonly dstOffsetMinutes: number;
  /** True when the writer flagged the start time as local time rather than UTC. */
  readonly localTime: boolean;
  /** Plain text of the comment. */
  readonly comment: string;
  /** `<e name="…">` properties of the comment XML, keyed `tree/subtree/name`. */
  readonly properties: Readonly<Record<string, string>>;
}

/** A source information block (SI). */
export interface Mdf4SourceInfo {
  readonly name: string;
  readonly path: string;
  /** `si_type`: 0 other, 1 ECU, 2 bus, 3 I/O, 4 tool, 5 user. */
  readonly type: number;
  /** `si_bus_type`: 0 none, 1 other, 2 CAN, 3 LIN, 4 MOST, 5 FlexRay, 6 K-Line, 7 Ethernet, 8 USB. */
  readonly busType: number;
}

/** Where a VLSD channel keeps its values. */
export type SignalDataRef =
  | { readonly kind: 'blocks'; readonly fragments: readonly DataFragment[] }
  | { readonly kind: 'group'; readonly groupOffset: number };

/** One channel (CN). */
export interface Mdf4Channel {
  /** Offset of the CN block; unique in the file. */
  readonly offset: number;
  readonly name: string;
  readonly unit: string;
  readonly comment: string;
  readonly channelType: number;
  readonly syncType: number;
  readonly dataType: number;
  readonly byteOffset: number;
  readonly bitOffset: number;
  readonly bitCount: number;
  readonly flags: number;
  readonly invalidationBit: number;
  readonly conversion?: ConversionSpec;
  readonly source?: Mdf4SourceInfo;
  /** Members of a structure channel (composition), e.g. the fields of `CAN_DataFrame`. */
  readonly children: readonly Mdf4Channel[];
  readonly signalData?: SignalDataRef;
  /** Dimensions of an array channel (CA composition); its values are not decoded. */
  readonly arrayDimensions?: readonly number[];
}

/** One channel group (CG): records of one layout. */
export interface Mdf4ChannelGroup {
  readonly offset: number;
  readonly dataGroupOffset: number;
  readonly recordId: number;
  /** Cycle count as stored; 0 in unfinalized files. */
  readonly cycleCount: number;
  readonly flags: number;
  readonly dataBytes: number;
  readonly invalidationBytes: number;
  readonly acquisitionName: string;
  readonly comment: string;
  readonly source?: Mdf4SourceInfo;
  /** Top-level channels (structures keep their members in `children`). */
  readonly channels: readonly Mdf4Channel[];
  /** The time master channel, if the group has one. */
  readonly master?: Mdf4Channel;
  /** True for a group that only carries variable-length values of a VLSD channel. */
  readonly isVlsd: boolean;
}

/** One data group (DG): a data section shared by one (sorted) or several (unsorted) groups. */
export interface Mdf4DataGroup {
  readonly offset: number;
  /** Bytes of the record id before each record: 0 (sorted), 1, 2, 4 or 8. */
  readonly recordIdSize: number;
  readonly groups: readonly Mdf4ChannelGroup[];
  readonly fragments: readonly DataFragment[];
  readonly comment: string;
}

/** The whole metadata tree. */
export interface Mdf4Tree {
  readonly identification: Mdf4Identification;
  readonly header: Mdf4Header;
  readonly dataGroups: readonly Mdf4DataGroup[];
}

/** Reads the identification block, checking the magic and the version. */
export async function readIdentification(bytes: MdfBytes): Promise<Mdf4Identification> {
  if (bytes.size < ID_BLOCK_BYTES) {
    throw bytes.corrupt(
      bytes.size,
      `file is ${bytes.size} bytes; an MDF file starts with a ${ID_BLOCK_BYTES}-byte identification block`,
    );
  }
  const id = new Fields(await bytes.readCached(0, ID_BLOCK_BYTES, 'identification block'));
  const fileId = id.ascii(0, 8);
  if (fileId !== 'MDF     ' && fileId !== 'UnFinMF ') {
    throw bytes.corrupt(
      0,
      `not an MDF file: it starts with ${JSON.stringify(fileId)}, expected "MDF     " or "UnFinMF "`,
    );
  }
  const versionText = id.ascii(8, 8).replace(/[\s\0]+$/, '');
  const version = id.u16(28) || Math.round(Number.parseFloat(versionText) * 100);
  if (!(version >= 400 && version < 500)) {
    throw new Unsupported(
      `${bytes.file}: MDF version ${versionText || version} is not supported; this reader reads MDF 4.x`,
      { file: bytes.file, offset: 8, version: versionText },
    );
  }
  const unfinalizedFlags = id.u16(60);
  return {
    fileId: fileId.trim(),
    versionText,
    version,
    program: id.ascii(16, 8).replace(/[\s\0]+$/, ''),
    unfinalizedFlags,
    customUnfinalizedFlags: id.u16(62),
    finalized: fileId === 'MDF     ',
  };
}

const MAX_CHANNELS = 1_000_000;

/** Reads the whole metadata tree. */
export async function readTree(bytes: MdfBytes, limits: DataLimits): Promise<Mdf4Tree> {
  const identification = await readIdentification(bytes);
  const hd = await readBlock(bytes, ID_BLOCK_BYTES, ['HD'], 'header block (HD) at byte 64', 6, 24);
  const headerXml = await readText(bytes, hd.links[5] ?? 0, 'header comment');
  const header: Mdf4Header = {
    startTimeNs: hd.data.u64big(0),
    timezoneOffsetMinutes: hd.data.i16(8),
    dstOffsetMinutes: hd.data.i16(10),
    localTime: (hd.data.u8(12) & 1) !== 0,
    comment: commentText(headerXml),
    properties: xmlProperties(headerXml),
  };
  const state: TreeState = { bytes, seen: new Set(), channels: 0, sources: new Map() };
  const dataGroups: Mdf4DataGroup[] = [];
  for await (const dg of chain(bytes, hd.links[0] ?? 0, ['DG'], 'data group list', 4, 1)) {
    dataGroups.push(await readDataGroup(state, dg, limits));
  }
  return { identification, header, dataGroups: openEnded(bytes, identification, dataGroups) };
}

interface TreeState {
  readonly bytes: MdfBytes;
  readonly seen: Set<number>;
  channels: number;
  readonly sources: Map<number, Mdf4SourceInfo>;
}

async function readDataGroup(
  state: TreeState,
  dg: Awaited<ReturnType<typeof readBlock>>,
  limits: DataLimits,
): Promise<Mdf4DataGroup> {
  const { bytes } = state;
  const recordIdSize = dg.data.u8(0);
  if (![0, 1, 2, 4, 8].includes(recordIdSize)) {
    throw bytes.corrupt(
      dg.offset + 24 + 32,
      `data group record id size is ${recordIdSize}; it must be 0, 1, 2, 4 or 8`,
    );
  }
  const groups: Mdf4ChannelGroup[] = [];
  const ids = new Set<number>();
  for await (const cg of chain(
    bytes,
    dg.links[1] ?? 0,
    ['CG'],
    `channel groups of DG at ${dg.offset}`,
    6,
    32,
  )) {
    const group = await readChannelGroup(state, dg.offset, cg, limits);
    if (recordIdSize > 0) {
      if (ids.has(group.recordId)) {
        throw bytes.corrupt(
          cg.offset,
          `two channel groups of the data group at byte ${dg.offset} use record id ${group.recordId}`,
        );
      }
      if (recordIdSize < 8 && group.recordId >= 2 ** (8 * recordIdSize)) {
        throw bytes.corrupt(
          cg.offset,
          `record id ${group.recordId} does not fit the ${recordIdSize}-byte record ids of its data group`,
        );
      }
      ids.add(group.recordId);
    }
    groups.push(group);
  }
  if (recordIdSize === 0 && groups.length > 1) {
    throw bytes.corrupt(
      dg.offset,
      `data group has ${groups.length} channel groups but no record ids (a sorted group holds one)`,
    );
  }
  for (const group of groups) {
    for (const channel of flatten(group.channels)) {
      const ref = channel.signalData;
      if (ref?.kind === 'group' && !groups.some((g) => g.offset === ref.groupOffset && g.isVlsd)) {
        throw bytes.corrupt(
          channel.offset,
          `VLSD channel ${channel.name} points to byte ${ref.groupOffset}, not a VLSD channel group of its data group`,
        );
      }
    }
  }
  const fragments = await collectFragments(bytes, dg.links[2] ?? 0, {
    plain: 'DT',
    what: `data of DG at ${dg.offset}`,
    limits,
  });
  return {
    offset: dg.offset,
    recordIdSize,
    groups,
    fragments,
    comment: commentText(await readText(bytes, dg.links[3] ?? 0, 'DG comment')),
  };
}

async function readChannelGroup(
  state: TreeState,
  dataGroupOffset: number,
  cg: Awaited<ReturnType<typeof readBlock>>,
  limits: DataLimits,
): Promise<Mdf4ChannelGroup> {
  const { bytes } = state;
  const d = cg.data;
  const recordId = d.u64(0);
  const cycleCount = d.u64(8);
  if (!Number.isSafeInteger(recordId))
    throw bytes.corrupt(cg.offset + 72, `record id ${d.u64big(0)} is out of range`);
  if (!Number.isSafeInteger(cycleCount))
    throw bytes.corrupt(cg.offset + 80, `cycle count ${d.u64big(8)} is out of range`);
  const flags = d.u16(16);
  const isVlsd = (flags & GroupFlags.vlsd) !== 0;
  const dataBytes = d.u32(24);
  const invalidationBytes = d.u32(28);
  const channels: Mdf4Channel[] = [];
  if (!isVlsd) {
    for await (const cn of chain(
      bytes,
      cg.links[1] ?? 0,
      ['CN'],
      `channels of CG at ${cg.offset}`,
      8,
      72,
    )) {
      channels.push(await readChannel(state, cn, dataBytes, 0, limits));
    }
  }
  const source = await readSource(state, cg.links[3] ?? 0);
  const master = channels.find(
    (c) =>
      (c.channelType === ChannelType.master || c.channelType === ChannelType.virtualMaster) &&
      c.syncType === 1,
  );
  return {
    offset: cg.offset,
    dataGroupOffset,
    recordId,
    cycleCount,
    flags,
    dataBytes,
    invalidationBytes,
    acquisitionName: await readText(bytes, cg.links[2] ?? 0, 'CG acquisition name'),
    comment: commentText(await readText(bytes, cg.links[5] ?? 0, 'CG comment')),
    channels,
    isVlsd,
    ...(source === undefined ? {} : { source }),
    ...(master === undefined ? {} : { master }),
  };
}

async function readChannel(
  state: TreeState,
  cn: Awaited<ReturnType<typeof readBlock>>,
  recordBytes: number,
  depth: number,
  limits: DataLimits,
): Promise<Mdf4Channel> {
  const { bytes } = state;
  if (state.seen.has(cn.offset))
    throw bytes.corrupt(cn.offset, 'channel block is linked twice (a loop in the channel tree)');
  state.seen.add(cn.offset);
  if (++state.channels > MAX_CHANNELS)
    throw bytes.corrupt(cn.offset, `more than ${MAX_CHANNELS} channels`);
  if (depth > 16) throw bytes.corrupt(cn.offset, 'channel structures nested deeper than 16 levels');
  const d = cn.data;
  const name = await readText(bytes, cn.links[2] ?? 0, 'channel name');
  const channelType = d.u8(0);
  const layout = {
    dataType: d.u8(2),
    bitOffset: d.u8(3),
    byteOffset: d.u32(4),
    bitCount: d.u32(8),
  };
  if (channelType > ChannelType.vlsc) {
    throw bytes.corrupt(
      cn.offset + 24 + cn.links.length * 8,
      `channel ${name} has unknown channel type ${channelType}`,
    );
  }
  const virtual =
    channelType === ChannelType.virtualMaster || channelType === ChannelType.virtualData;
  if (!virtual && (layout.bitOffset > 7 || layoutBytes(layout) > recordBytes)) {
    throw bytes.corrupt(
      cn.offset,
      `channel ${name} (byte ${layout.byteOffset}, bit ${layout.bitOffset}, ${layout.bitCount} bits) does not fit the ${recordBytes}-byte record`,
    );
  }
  const conversionLink = cn.links[4] ?? 0;
  const conversion =
    conversionLink === 0
      ? undefined
      : await readConversion(bytes, conversionLink, `conversion of channel ${name}`);
  const unitText = await readText(bytes, cn.links[6] ?? 0, 'channel unit');
  const unit =
    commentText(unitText) || (conversion?.unit === undefined ? '' : commentText(conversion.unit));
  const children: Mdf4Channel[] = [];
  let arrayDimensions: number[] | undefined;
  const composition = cn.links[1] ?? 0;
  if (composition !== 0) {
    const kind = String.fromCharCode(
      ...(await bytes.readCached(composition + 2, 2, 'composition block')),
    );
    if (kind === 'CN') {
      for await (const child of chain(
        bytes,
        composition,
        ['CN'],
        `members of channel ${name}`,
        8,
        72,
      )) {
        children.push(await readChannel(state, child, recordBytes, depth + 1, limits));
      }
    } else {
      const ca = await readBlock(bytes, composition, ['CA'], `array of channel ${name}`, 1, 16);
      const dimensions = ca.data.u16(2);
      arrayDimensions = [];
      for (let i = 0; i < dimensions; i++) arrayDimensions.push(ca.data.u64(16 + i * 8));
    }
  }
  let signalData: SignalDataRef | undefined;
  const dataLink = cn.links[5] ?? 0;
  if (dataLink !== 0 && channelType === ChannelType.vlsd) {
    const kind = String.fromCharCode(
      ...(await bytes.readCached(dataLink + 2, 2, 'signal data block')),
    );
    signalData =
      kind === 'CG'
        ? { kind: 'group', groupOffset: dataLink }
        : {
            kind: 'blocks',
            fragments: await collectFragments(bytes, dataLink, {
              plain: 'SD',
              what: `signal data of channel ${name}`,
              limits,
            }),
          };
  }
  const source = await readSource(state, cn.links[3] ?? 0);
  return {
    offset: cn.offset,
    name,
    unit,
    comment: commentText(await readText(bytes, cn.links[7] ?? 0, 'channel comment')),
    channelType,
    syncType: d.u8(1),
    ...layout,
    flags: d.u32(12),
    invalidationBit: d.u32(16),
    children,
    ...(conversion === undefined ? {} : { conversion }),
    ...(source === undefined ? {} : { source }),
    ...(signalData === undefined ? {} : { signalData }),
    ...(arrayDimensions === undefined ? {} : { arrayDimensions }),
  };
}

async function readSource(state: TreeState, offset: number): Promise<Mdf4SourceInfo | undefined> {
  if (offset === 0) return undefined;
  const known = state.sources.get(offset);
  if (known !== undefined) return known;
  const si = await readBlock(state.bytes, offset, ['SI'], 'source information', 3, 3);
  const source: Mdf4SourceInfo = {
    name: await readText(state.bytes, si.links[0] ?? 0, 'source name'),
    path: await readText(state.bytes, si.links[1] ?? 0, 'source path'),
    type: si.data.u8(0),
    busType: si.data.u8(1),
  };
  state.sources.set(offset, source);
  return source;
}

/** Every channel of a list, structure members after their parent. */
export function flatten(channels: readonly Mdf4Channel[]): Mdf4Channel[] {
  const out: Mdf4Channel[] = [];
  const visit = (list: readonly Mdf4Channel[]): void => {
    for (const channel of list) {
      out.push(channel);
      visit(channel.children);
    }
  };
  visit(channels);
  return out;
}

/**
 * Unfinalized files whose writer flags "length of last DT block not updated" (CANedge loggers
 * write `##DT` with length 24 and append records until power-off) keep their records from the
 * last DT block to the end of the file. Only a block after every metadata block qualifies.
 */
function openEnded(
  bytes: MdfBytes,
  id: Mdf4Identification,
  groups: Mdf4DataGroup[],
): Mdf4DataGroup[] {
  if (id.finalized || (id.unfinalizedFlags & UnfinalizedFlags.lastDtLength) === 0) return groups;
  let last: { group: number; index: number; blockOffset: number } | undefined;
  groups.forEach((group, g) =>
    group.fragments.forEach((fragment, index) => {
      if (
        fragment.kind === 'raw' &&
        (last === undefined || fragment.blockOffset > last.blockOffset)
      ) {
        last = { group: g, index, blockOffset: fragment.blockOffset };
      }
    }),
  );
  if (last === undefined || last.blockOffset < bytes.metadataEnd) return groups;
  const target = last;
  return groups.map((group, g) =>
    g !== target.group
      ? group
      : {
          ...group,
          fragments: group.fragments.map((fragment, index) => {
            if (index !== target.index) return fragment;
            const length = bytes.size - fragment.dataOffset;
            return { ...fragment, length, storedLength: length };
          }),
        },
  );
}

function xmlProperties(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const path: string[] = [];
  for (const match of xml.matchAll(/<(\/?)(tree|e)\b([^>]*?)(\/?)>([^<]*)/g)) {
    const [, closing, tag, attributes = '', selfClosing, text = ''] = match;
    const name = unescapeXml(/\bname="([^"]*)"/.exec(attributes)?.[1] ?? '');
    if (tag === 'tree') {
      if (closing === '/') path.pop();
      else if (selfClosing !== '/') path.push(name);
    } else if (closing !== '/' && name !== '') {
      out[[...path, name].join('/')] = unescapeXml(text).trim();
    }
  }
  return out;
}
