import { zlibSync } from 'fflate';

/**
 * A minimal MDF 4 writer for tests: enough of the block tree (ID, HD, DG, CG, CN, CC, TX, SI,
 * DT, SD, DL, DZ, HL) to produce files with features the sample recordings lack, such as
 * CAN FD frames, compressed data, 2/4/8-byte record ids, big-endian and bit-packed channels.
 */

export interface TestConversion {
  readonly type: number;
  readonly values?: readonly number[];
  readonly refs?: readonly (string | TestConversion | null)[];
  readonly unit?: string;
}

export interface TestChannel {
  readonly name: string;
  /** cn_type; 0 (fixed) by default. */
  readonly channelType?: number;
  readonly syncType?: number;
  readonly dataType: number;
  readonly byteOffset: number;
  readonly bitOffset?: number;
  readonly bitCount: number;
  readonly flags?: number;
  readonly invalidationBit?: number;
  readonly unit?: string;
  readonly conversion?: TestConversion;
  readonly children?: readonly TestChannel[];
  /** For VLSD channels: the signal data (SD block payload) or the record id of a VLSD group. */
  readonly signalData?: Uint8Array | { readonly vlsdRecordId: number };
}

export interface TestGroup {
  readonly name?: string;
  readonly recordId?: number;
  readonly dataBytes: number;
  readonly invalidationBytes?: number;
  readonly cycleCount?: number;
  /** cg_flags; set bit 0 for a VLSD group (no channels). */
  readonly flags?: number;
  readonly busType?: number;
  readonly channels: readonly TestChannel[];
}

export interface TestDataGroup {
  readonly recordIdSize: 0 | 1 | 2 | 4 | 8;
  readonly groups: readonly TestGroup[];
  /** The record stream (record ids included for unsorted groups). */
  readonly data: Uint8Array;
  /** How to store the data: one DT, a DL of DTs, DZ blocks (deflate or transposed), or HL → DL → DZ. */
  readonly storage?: 'dt' | 'dl' | 'dz' | 'dz-transposed' | 'hl';
  /** Bytes per data block when the storage splits the data. */
  readonly blockBytes?: number;
}

export interface TestFile {
  readonly dataGroups: readonly TestDataGroup[];
  readonly startTimeNs?: bigint;
  readonly comment?: string;
  /** Write an unfinalized file whose last DT block says 24 bytes (as CANedge loggers do). */
  readonly unfinalized?: boolean;
  readonly versionText?: string;
}

class Builder {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  add(type: string, links: readonly number[], data: Uint8Array, declaredLength?: number): number {
    const offset = this.size;
    const length = 24 + links.length * 8 + data.byteLength;
    const padded = Math.ceil(length / 8) * 8;
    const block = new Uint8Array(padded);
    const view = new DataView(block.buffer);
    for (let i = 0; i < 4; i++) block[i] = `##${type}`.charCodeAt(i);
    view.setBigUint64(8, BigInt(declaredLength ?? length), true);
    view.setBigUint64(16, BigInt(links.length), true);
    links.forEach((link, i) => view.setBigUint64(24 + i * 8, BigInt(link), true));
    block.set(data, 24 + links.length * 8);
    this.parts.push(block);
    this.size += padded;
    return offset;
  }

  raw(bytes: Uint8Array): number {
    const offset = this.size;
    this.parts.push(bytes);
    this.size += bytes.byteLength;
    return offset;
  }

  patch(offset: number, link: number, value: number): void {
    let at = 0;
    for (const part of this.parts) {
      if (offset >= at && offset < at + part.byteLength) {
        new DataView(part.buffer, part.byteOffset).setBigUint64(
          offset - at + 24 + link * 8,
          BigInt(value),
          true,
        );
        return;
      }
      at += part.byteLength;
    }
    throw new Error(`no block at ${offset}`);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
}

const encoder = new TextEncoder();

function text(b: Builder, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  return b.add('TX', [], encoder.encode(`${value}\0`));
}

function conversion(b: Builder, spec: TestConversion | undefined): number {
  if (spec === undefined) return 0;
  const values = spec.values ?? [];
  const refs = (spec.refs ?? []).map((ref) =>
    ref === null ? 0 : typeof ref === 'string' ? text(b, ref) : conversion(b, ref),
  );
  const data = new Uint8Array(24 + values.length * 8);
  const view = new DataView(data.buffer);
  view.setUint8(0, spec.type);
  view.setUint16(4, refs.length, true);
  view.setUint16(6, values.length, true);
  values.forEach((v, i) => view.setFloat64(24 + i * 8, v, true));
  return b.add('CC', [0, text(b, spec.unit), 0, 0, ...refs], data);
}

function channelList(
  b: Builder,
  channels: readonly TestChannel[],
  vlsdGroups: Map<number, number[]>,
): number {
  let next = 0;
  for (const channel of [...channels].reverse()) {
    const children =
      channel.children === undefined ? 0 : channelList(b, channel.children, vlsdGroups);
    let dataLink = 0;
    const sd = channel.signalData;
    if (sd instanceof Uint8Array) dataLink = b.add('SD', [], sd);
    const data = new Uint8Array(72);
    const view = new DataView(data.buffer);
    view.setUint8(0, channel.channelType ?? 0);
    view.setUint8(1, channel.syncType ?? 0);
    view.setUint8(2, channel.dataType);
    view.setUint8(3, channel.bitOffset ?? 0);
    view.setUint32(4, channel.byteOffset, true);
    view.setUint32(8, channel.bitCount, true);
    view.setUint32(12, channel.flags ?? 0, true);
    view.setUint32(16, channel.invalidationBit ?? 0, true);
    const offset = b.add(
      'CN',
      [
        next,
        children,
        text(b, channel.name),
        0,
        conversion(b, channel.conversion),
        dataLink,
        text(b, channel.unit),
        0,
      ],
      data,
    );
    if (sd !== undefined && !(sd instanceof Uint8Array)) {
      const users = vlsdGroups.get(sd.vlsdRecordId) ?? [];
      users.push(offset);
      vlsdGroups.set(sd.vlsdRecordId, users);
    }
    next = offset;
  }
  return next;
}

function dataBlocks(b: Builder, dg: TestDataGroup, unfinalizedTail: boolean): number {
  const storage = dg.storage ?? 'dt';
  if (storage === 'dt') {
    if (unfinalizedTail) {
      const offset = b.add('DT', [], new Uint8Array(0), 24);
      b.raw(dg.data);
      return offset;
    }
    return b.add('DT', [], dg.data);
  }
  const size = dg.blockBytes ?? 64;
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < dg.data.byteLength; at += size)
    pieces.push(dg.data.subarray(at, at + size));
  const first = dg.groups[0];
  const recordBytes = (first?.dataBytes ?? 1) + (first?.invalidationBytes ?? 0) + dg.recordIdSize;
  const leaf = (piece: Uint8Array): number => {
    if (storage === 'dl') return b.add('DT', [], piece);
    const transposed = storage === 'dz-transposed';
    const stored = zlibSync(transposed ? transpose(piece, recordBytes) : piece);
    const data = new Uint8Array(24 + stored.byteLength);
    const view = new DataView(data.buffer);
    data[0] = 'D'.charCodeAt(0);
    data[1] = 'T'.charCodeAt(0);
    data[2] = transposed ? 1 : 0;
    view.setUint32(4, transposed ? recordBytes : 0, true);
    view.setBigUint64(8, BigInt(piece.byteLength), true);
    view.setBigUint64(16, BigInt(stored.byteLength), true);
    data.set(stored, 24);
    return b.add('DZ', [], data);
  };
  const links = pieces.map(leaf);
  const dlData = new Uint8Array(8 + 8 * links.length);
  const dlView = new DataView(dlData.buffer);
  dlView.setUint32(4, links.length, true);
  let at = 0;
  links.forEach((_, i) => {
    dlView.setBigUint64(8 + i * 8, BigInt(at), true);
    at += pieces[i]!.byteLength;
  });
  const dl = b.add('DL', [0, ...links], dlData);
  if (storage !== 'hl') return dl;
  return b.add('HL', [dl], new Uint8Array(8));
}

/** Stores the first rows×columns bytes column by column, as DZ transposition does. */
export function transpose(data: Uint8Array, columns: number): Uint8Array {
  const rows = Math.floor(data.byteLength / columns);
  const out = new Uint8Array(data);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c]!;
  return out;
}

/** Writes an MDF 4 file. */
export function writeMdf4(spec: TestFile): Uint8Array {
  const b = new Builder();
  const id = new Uint8Array(64);
  const magic = spec.unfinalized === true ? 'UnFinMF ' : 'MDF     ';
  const version = (spec.versionText ?? '4.11').padEnd(8, ' ');
  for (let i = 0; i < 8; i++) {
    id[i] = magic.charCodeAt(i);
    id[8 + i] = version.charCodeAt(i);
    id[16 + i] = 'drvtrain'.charCodeAt(i);
  }
  const idView = new DataView(id.buffer);
  idView.setUint16(28, Math.round(Number.parseFloat(spec.versionText ?? '4.11') * 100), true);
  if (spec.unfinalized === true) idView.setUint16(60, 0x25, true);
  b.raw(id);
  const hdData = new Uint8Array(32);
  new DataView(hdData.buffer).setBigUint64(0, spec.startTimeNs ?? 1_700_000_000_000_000_000n, true);
  const hd = b.add('HD', [0, 0, 0, 0, 0, 0], hdData);
  const comment =
    spec.comment === undefined ? 0 : b.add('MD', [], encoder.encode(`${spec.comment}\0`));
  b.patch(hd, 5, comment);
  let previous = 0;
  spec.dataGroups.forEach((dg, index) => {
    const vlsdUsers = new Map<number, number[]>();
    const groupOffsets: { group: TestGroup; offset: number }[] = [];
    let nextGroup = 0;
    for (const group of [...dg.groups].reverse()) {
      const first = channelList(b, group.channels, vlsdUsers);
      const source =
        group.busType === undefined
          ? 0
          : b.add(
              'SI',
              [text(b, 'CAN'), 0, 0],
              new Uint8Array([2, group.busType, 0, 0, 0, 0, 0, 0]),
            );
      const data = new Uint8Array(32);
      const view = new DataView(data.buffer);
      view.setBigUint64(0, BigInt(group.recordId ?? 0), true);
      view.setBigUint64(8, BigInt(group.cycleCount ?? 0), true);
      view.setUint16(16, group.flags ?? 0, true);
      view.setUint32(24, group.dataBytes, true);
      view.setUint32(28, group.invalidationBytes ?? 0, true);
      const offset = b.add('CG', [nextGroup, first, text(b, group.name), source, 0, 0], data);
      groupOffsets.push({ group, offset });
      nextGroup = offset;
    }
    for (const { group, offset } of groupOffsets) {
      for (const user of vlsdUsers.get(group.recordId ?? -1) ?? []) {
        if (((group.flags ?? 0) & 1) !== 0) b.patch(user, 5, offset);
      }
    }
    const last = index === spec.dataGroups.length - 1;
    const dgData = new Uint8Array(8);
    dgData[0] = dg.recordIdSize;
    const dgOffset = b.add('DG', [0, nextGroup, 0, 0], dgData);
    if (previous === 0) b.patch(hd, 0, dgOffset);
    else b.patch(previous, 0, dgOffset);
    previous = dgOffset;
    b.patch(dgOffset, 2, dataBlocks(b, dg, spec.unfinalized === true && last));
  });
  return b.bytes();
}

/** Little-endian record builder for tests. */
export class RecordWriter {
  private readonly chunks: Uint8Array[] = [];

  /** Appends raw bytes. */
  push(bytes: Uint8Array | readonly number[]): this {
    this.chunks.push(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    return this;
  }

  /** Appends a record built by `fill` on a zeroed buffer of `size` bytes. */
  record(size: number, fill: (view: DataView, bytes: Uint8Array) => void): this {
    const bytes = new Uint8Array(size);
    fill(new DataView(bytes.buffer), bytes);
    return this.push(bytes);
  }

  bytes(): Uint8Array {
    const total = this.chunks.reduce((sum, c) => sum + c.byteLength, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}
