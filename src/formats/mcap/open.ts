/** Opens an MCAP file on the indexed path when its summary allows it, on the streamed path otherwise. */
import { McapIndexedReader } from '@mcap/core';
import type { IReadable } from '@mcap/core';
import { CorruptRecording } from '../../platform/errors.js';
import { CheckedReader, asReaderError } from '../reader.js';
import type { RandomAccessReader } from '../source.js';
import { scanOptions } from './common.js';
import type { McapOptions } from './common.js';
import { McapIndexedSource } from './indexed.js';
import { MCAP_MAGIC, RECORD_HEADER_BYTES, Opcode } from './records.js';
import { checkMagic } from './scan.js';
import { McapStreamedSource } from './streamed.js';

/** An opened MCAP file; `mode` says which path serves it. */
export type McapSource = McapIndexedSource | McapStreamedSource;

const FOOTER_CONTENT_BYTES = 8 + 8 + 4;
const FOOTER_BYTES = RECORD_HEADER_BYTES + FOOTER_CONTENT_BYTES;

/**
 * Opens the MCAP file `file` (a name for messages) read through `reader`. Throws
 * `CorruptRecording` or `Unsupported` when the file cannot be read at all; a file whose
 * footer is missing (an interrupted recording) opens on the streamed path, which reports the
 * exact point where the data stops.
 */
export async function openMcap(
  file: string,
  reader: RandomAccessReader,
  options: McapOptions = {},
): Promise<McapSource> {
  const checked = await CheckedReader.open(file, reader);
  const resolved = await scanOptions(options);
  if (checked.size < MCAP_MAGIC.length) {
    throw new CorruptRecording(
      file,
      0,
      `file is ${checked.size} bytes, too short to hold the MCAP magic`,
    );
  }
  checkMagic(await checked.read(0, MCAP_MAGIC.length, 'opening magic'), file, 0, 'opening');
  const summaryStart = await readFooter(checked);
  if (summaryStart === undefined || summaryStart === 0n)
    return new McapStreamedSource(checked, resolved);

  let lastRead = 0;
  const readable: IReadable = {
    size: () => Promise.resolve(BigInt(checked.size)),
    read: (offset, length) => {
      lastRead = Number(offset);
      const what =
        lastRead < MCAP_MAGIC.length + RECORD_HEADER_BYTES
          ? 'Header record'
          : lastRead >= checked.size - FOOTER_BYTES - MCAP_MAGIC.length
            ? 'Footer record'
            : 'summary section';
      return checked.read(offset, length, what);
    },
  };
  let index: McapIndexedReader;
  try {
    index = await McapIndexedReader.Initialize({ readable });
  } catch (error) {
    throw asReaderError(
      error,
      file,
      Math.min(lastRead, checked.size),
      'cannot read the summary section',
    );
  }
  if (!indexable(index)) return new McapStreamedSource(checked, resolved);
  return new McapIndexedSource(checked, index, resolved);
}

/**
 * The footer's summary_start, or undefined when the file does not end in a well-formed footer
 * and closing magic (then only a front-to-back pass can read it).
 */
async function readFooter(reader: CheckedReader): Promise<bigint | undefined> {
  const length = FOOTER_BYTES + MCAP_MAGIC.length;
  if (reader.size < MCAP_MAGIC.length + length) return undefined;
  const bytes = await reader.read(reader.size - length, length, 'footer');
  for (let i = 0; i < MCAP_MAGIC.length; i++) {
    if (bytes[FOOTER_BYTES + i] !== MCAP_MAGIC[i]) return undefined;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== Opcode.FOOTER || view.getBigUint64(1, true) !== BigInt(FOOTER_CONTENT_BYTES)) {
    return undefined;
  }
  return view.getBigUint64(RECORD_HEADER_BYTES, true);
}

/**
 * Whether the summary describes the file completely enough to read it without a pass: chunk
 * indexes exist, and every channel they (or the statistics) mention has its Channel and Schema
 * record in the summary.
 */
function indexable(index: McapIndexedReader): boolean {
  if (index.chunkIndexes.length === 0) return false;
  const channelIds = new Set<number>();
  let unknownChannels = false;
  for (const chunk of index.chunkIndexes) {
    for (const id of chunk.messageIndexOffsets.keys()) channelIds.add(id);
    if (chunk.messageIndexOffsets.size === 0 && chunk.uncompressedSize > 0n) unknownChannels = true;
  }
  for (const id of index.statistics?.channelMessageCounts.keys() ?? []) channelIds.add(id);
  if (unknownChannels && index.channelsById.size === 0) return false;
  for (const id of channelIds) if (!index.channelsById.has(id)) return false;
  for (const channel of index.channelsById.values()) {
    if (channel.schemaId !== 0 && !index.schemasById.has(channel.schemaId)) return false;
  }
  return true;
}
