/**
 * Format detection by magic bytes and the one factory that opens any single-file recording.
 * (A rosbag2 bag is a folder; it opens with `openRos2Bag`.)
 */
import { CorruptRecording, InvalidInput, Unsupported } from '../platform/errors.js';
import { openMcap } from './mcap/open.js';
import type { McapOptions } from './mcap/common.js';
import { openMdf4Source } from './mdf4/index.js';
import type { Mdf4Options } from './mdf4/index.js';
import { openRos1Bag } from './ros1/bag.js';
import type { Ros1Options } from './ros1/bag.js';
import { openRos2Db3 } from './ros2/bag.js';
import type { SqliteDatabase } from './ros2/sqlite.js';
import type { RandomAccessReader, RecordingSource } from './source.js';

/** What the first bytes of a file say it is; `sqlite3` is a rosbag2 `.db3` storage file. */
export type DetectedFormat = 'mcap' | 'ros1-bag' | 'mdf4' | 'sqlite3';

/** How many leading bytes `detectFormat` looks at. */
export const detectionBytes = 16;

const magics: readonly [DetectedFormat, string][] = [
  ['mcap', '\x89MCAP'],
  ['ros1-bag', '#ROSBAG V'],
  ['mdf4', 'MDF     '],
  ['mdf4', 'UnFinMF '],
  ['sqlite3', 'SQLite format 3\0'],
];

/** Detects a recording format from the first bytes of a file (at least 16 when the file has them). */
export function detectFormat(firstBytes: Uint8Array): DetectedFormat | undefined {
  for (const [format, magic] of magics) {
    if (firstBytes.byteLength < magic.length) continue;
    let matches = true;
    for (let i = 0; i < magic.length && matches; i++)
      matches = firstBytes[i] === magic.charCodeAt(i);
    if (matches) return format;
  }
  return undefined;
}

/** Options of every reader `openRecording` may choose. */
export interface OpenOptions extends McapOptions, Ros1Options {
  /** The file opened as a SQLite database, needed when it is a rosbag2 `.db3` file. */
  readonly sqlite?: SqliteDatabase;
  /** Limits of the MDF 4 reader. */
  readonly mdf4?: Omit<Mdf4Options, 'file'>;
}

/**
 * Opens a single-file recording with the reader its magic bytes call for. Throws
 * `CorruptRecording` for an empty file and `Unsupported` for bytes of no known format.
 */
export async function openRecording(
  file: string,
  reader: RandomAccessReader,
  options: OpenOptions = {},
): Promise<RecordingSource> {
  const size = await reader.size();
  if (size === 0) throw new CorruptRecording(file, 0, 'file is empty');
  const head = await reader.read(0, Math.min(size, detectionBytes));
  const format = detectFormat(head);
  switch (format) {
    case 'mcap':
      return openMcap(file, reader, options);
    case 'ros1-bag':
      return openRos1Bag(file, reader, options);
    case 'mdf4':
      return openMdf4Source(reader, { ...options.mdf4, file });
    case 'sqlite3':
      if (options.sqlite === undefined) {
        throw new InvalidInput(
          `${file} is a SQLite (rosbag2 .db3) file; open it with a SqliteDatabase`,
          'sqlite',
        );
      }
      return openRos2Db3(file, options.sqlite);
    case undefined: {
      const shown = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(
        ' ',
      );
      throw new Unsupported(
        `${file}: not a recording format drivetrain reads (MCAP, ROS 1 bag, MDF 4, rosbag2 SQLite); it starts with ${shown}`,
        { file, offset: 0 },
      );
    }
  }
}
