import { describe, expect, it } from 'vitest';
import { CorruptRecording, InvalidInput, Unsupported } from '../platform/errors.js';
import { fileBytes } from '../../test/support/files.js';
import { describeShared, sharedPath } from '../../test/support/shared.js';
import { openSqlite } from '../../test/support/sqlite.js';
import { detectFormat, openRecording } from './open.js';
import { bytesReader } from './reader.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('detectFormat', () => {
  it('recognises each magic and nothing else', () => {
    expect(detectFormat(new Uint8Array([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]))).toBe(
      'mcap',
    );
    expect(detectFormat(text('#ROSBAG V2.0\n'))).toBe('ros1-bag');
    expect(detectFormat(text('MDF     4.10    '))).toBe('mdf4');
    expect(detectFormat(text('UnFinMF 4.11    '))).toBe('mdf4');
    expect(detectFormat(text('SQLite format 3\0'))).toBe('sqlite3');
    expect(detectFormat(text('PK\x03\x04 zip file'))).toBeUndefined();
    expect(detectFormat(new Uint8Array(0))).toBeUndefined();
    expect(detectFormat(text('#ROSBAG'))).toBeUndefined();
  });
});

describe('openRecording on bad input', () => {
  it('rejects an empty file and unknown bytes with clear errors', async () => {
    await expect(openRecording('empty', bytesReader(new Uint8Array(0)))).rejects.toBeInstanceOf(
      CorruptRecording,
    );
    const error = await openRecording('x.zip', bytesReader(text('PK\x03\x04 zip file'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Unsupported);
    expect((error as Error).message).toContain('50 4b 03 04');
  });
});

const samples: [string, string[], string][] = [
  ['mcap', ['ros2-rosbag2', 'mcap', 'talker', 'talker.mcap'], 'mcap'],
  ['ros1-bag', ['foxglove-rosbag', 'example-lz4.bag'], 'ros1-bag'],
  [
    'mdf4',
    ['css-electronics-api-examples', 'LOG', '3BA199E2', '00000164', '00000005-60FEB5A8.MF4'],
    'mdf4',
  ],
  ['mdf4', ['css-electronics-api-examples', 'LOG', '17BD1DB7', '00000006', '00000170.MF4'], 'mdf4'],
  ['sqlite3', ['ros2-rosbag2', 'sqlite3', 'talker', 'talker.db3'], 'ros2-bag'],
];

describeShared('openRecording on the sample recordings', () => {
  it.each(samples)('detects %s for %j and opens it', async (detected, parts, format) => {
    const path = sharedPath('recordings', ...parts);
    const bytes = await fileBytes(path);
    expect(detectFormat(bytes.subarray(0, 16))).toBe(detected);
    const sqlite = detected === 'sqlite3' ? openSqlite(path) : undefined;
    try {
      const source = await openRecording(
        parts.at(-1)!,
        bytesReader(bytes),
        sqlite === undefined ? {} : { sqlite },
      );
      expect(source.format).toBe(format);
      const summary = await source.summary();
      expect(summary.channels.length).toBeGreaterThan(0);
      expect(summary.messageCount).toBeGreaterThan(0);
    } finally {
      sqlite?.close();
    }
  });

  it('asks for a SqliteDatabase when given a .db3 without one', async () => {
    const bytes = await fileBytes(
      sharedPath('recordings', 'ros2-rosbag2', 'sqlite3', 'talker', 'talker.db3'),
    );
    await expect(openRecording('talker.db3', bytesReader(bytes))).rejects.toBeInstanceOf(
      InvalidInput,
    );
  });
});
