/**
 * The MDF 4 block tree (ASAM MDF 4.1/4.2): every block starts with a 24-byte header
 * (`##XX`, reserved, length, link count), then its links (file offsets, 0 = none), then its
 * data. Each parser here checks the header, the link count and the minimum data size before it
 * reads a field, so a damaged block becomes a `CorruptRecording` naming the block and offset.
 */
import type { MdfBytes } from './bytes.js';
import { Fields } from './bytes.js';

/** Size of the identification block at the start of every MDF file. */
export const ID_BLOCK_BYTES = 64;
/** Size of every block header. */
export const HEADER_BYTES = 24;
/** Metadata blocks larger than this are treated as corrupt length fields. */
const MAX_METADATA_BLOCK = 64 * 1024 * 1024;

/** One block as stored: id, declared length, links and the data section. */
export interface RawBlock {
  readonly offset: number;
  /** Two-letter block type, e.g. `CN`. */
  readonly type: string;
  readonly length: number;
  readonly links: readonly number[];
  /** Data section (after the links). Only present for blocks read whole. */
  readonly data: Fields;
}

/** The header of a data block (DT, SD, RD, DZ …) without its payload. */
export interface BlockHeader {
  readonly offset: number;
  readonly type: string;
  readonly length: number;
  readonly linkCount: number;
}

/** Reads and checks the 24-byte header of the block at `offset` (`cached`: via the page cache). */
export async function readHeader(
  bytes: MdfBytes,
  offset: number,
  expected: readonly string[],
  what: string,
  cached = true,
): Promise<BlockHeader> {
  if (offset < ID_BLOCK_BYTES) {
    throw bytes.corrupt(
      offset,
      `${what} points to byte ${offset}, inside the identification block`,
    );
  }
  const head = new Fields(
    cached
      ? await bytes.readCached(offset, HEADER_BYTES, `${what} block header`)
      : await bytes.read(offset, HEADER_BYTES, `${what} block header`),
  );
  const id = head.ascii(0, 4);
  const type = id.slice(2);
  if (!id.startsWith('##') || !expected.includes(type)) {
    throw bytes.corrupt(
      offset,
      `${what}: expected a ${expected.map((t) => `##${t}`).join(' or ')} block, found ${JSON.stringify(id)}`,
    );
  }
  const length = head.u64(8);
  const linkCount = head.u64(16);
  if (!Number.isSafeInteger(length) || length < HEADER_BYTES) {
    throw bytes.corrupt(
      offset + 8,
      `${id} block length ${length} is smaller than its 24-byte header`,
    );
  }
  if (!Number.isSafeInteger(linkCount) || HEADER_BYTES + linkCount * 8 > length) {
    throw bytes.corrupt(
      offset + 16,
      `${id} block of ${length} bytes cannot hold its ${linkCount} links`,
    );
  }
  return { offset, type, length, linkCount };
}

/** Reads a whole metadata block, checking its type and that it holds `minData` data bytes. */
export async function readBlock(
  bytes: MdfBytes,
  offset: number,
  expected: readonly string[],
  what: string,
  minLinks = 0,
  minData = 0,
): Promise<RawBlock> {
  const header = await readHeader(bytes, offset, expected, what);
  if (header.length > MAX_METADATA_BLOCK) {
    throw bytes.corrupt(
      offset + 8,
      `##${header.type} block claims ${header.length} bytes, above the ${MAX_METADATA_BLOCK}-byte limit for metadata blocks`,
    );
  }
  bytes.check(offset, header.length, `##${header.type} block`);
  const raw = await bytes.readCached(offset, header.length, `##${header.type} block`);
  bytes.metadataEnd = Math.max(bytes.metadataEnd, offset + header.length);
  const fields = new Fields(raw);
  const links: number[] = [];
  for (let i = 0; i < header.linkCount; i++) {
    const link = fields.u64(HEADER_BYTES + i * 8);
    if (
      link !== 0 &&
      (!Number.isSafeInteger(link) || link >= bytes.size || link < ID_BLOCK_BYTES)
    ) {
      throw bytes.corrupt(
        offset + HEADER_BYTES + i * 8,
        `##${header.type} link ${i} points to byte ${link}, outside the ${bytes.size}-byte file`,
      );
    }
    links.push(link);
  }
  const dataStart = HEADER_BYTES + header.linkCount * 8;
  if (header.linkCount < minLinks || header.length - dataStart < minData) {
    throw bytes.corrupt(
      offset,
      `##${header.type} block has ${header.linkCount} links and ${header.length - dataStart} data bytes; at least ${minLinks} links and ${minData} data bytes are required`,
    );
  }
  return {
    offset,
    type: header.type,
    length: header.length,
    links,
    data: new Fields(raw.subarray(dataStart)),
  };
}

/** Walks a linked list of blocks (`next` = link 0), refusing cycles. */
export async function* chain(
  bytes: MdfBytes,
  first: number,
  expected: readonly string[],
  what: string,
  minLinks: number,
  minData: number,
): AsyncGenerator<RawBlock> {
  const seen = new Set<number>();
  let offset = first;
  while (offset !== 0) {
    if (seen.has(offset)) {
      throw bytes.corrupt(
        offset,
        `${what}: the list of ##${expected.join('/##')} blocks loops back to byte ${offset}`,
      );
    }
    seen.add(offset);
    const block = await readBlock(bytes, offset, expected, what, minLinks, minData);
    yield block;
    offset = block.links[0] ?? 0;
  }
}

/** The text of a TX block or the XML of an MD block; '' for a nil link. */
export async function readText(bytes: MdfBytes, offset: number, what: string): Promise<string> {
  if (offset === 0) return '';
  const block = await readBlock(bytes, offset, ['TX', 'MD'], what);
  const raw = block.data.bytes;
  const end = raw.indexOf(0);
  return utf8.decode(end < 0 ? raw : raw.subarray(0, end));
}

const utf8 = new TextDecoder('utf-8');

/** The plain text of a comment: the `<TX>` element of an MD block, or a TX block's text. */
export function commentText(text: string): string {
  if (!text.startsWith('<')) return text;
  const match = /<TX>([\s\S]*?)<\/TX>/.exec(text);
  return match?.[1] === undefined ? '' : unescapeXml(match[1]).trim();
}

/** Resolves the five predefined XML entities and numeric character references. */
export function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, name: string) => {
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = name.startsWith('#x')
          ? parseInt(name.slice(2), 16)
          : parseInt(name.slice(1), 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : '';
      }
    }
  });
}
