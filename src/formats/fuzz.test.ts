/**
 * Property-based fuzzing of every reader of this context over real files: truncation at every
 * record boundary and inside records, bit flips, absurd length fields, garbage splices. Each
 * mutated file must either read completely or fail with `CorruptRecording` (offset inside the
 * file) or `Unsupported`; never another error, never a hang, never a read beyond the file or
 * an allocation beyond the configured limits.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../platform/errors.js';
import type { DrivetrainError } from '../platform/errors.js';
import { fileBytes } from '../../test/support/files.js';
import { writeMcap } from '../../test/support/mcap.js';
import { describeShared, sharedDir, sharedPath } from '../../test/support/shared.js';
import { openSqlite } from '../../test/support/sqlite.js';
import { openMcap } from './mcap/open.js';
import { scanOptions } from './mcap/common.js';
import { scanMcapRecords } from './mcap/streamed.js';
import { CheckedReader, bytesReader } from './reader.js';
import { openRos1Bag } from './ros1/bag.js';
import { openRos2Bag, openRos2Db3 } from './ros2/bag.js';
import { parseRos2Metadata } from './ros2/metadata.js';
import type { RandomAccessReader, RecordingSource } from './source.js';

/** Small limits, so that an absurd size field that slipped past a check would show as a failure. */
const limits = { maxChunkBytes: 4 << 20, maxIndexBytes: 4 << 20 };
const HANG = 20_000;

/** A reader over `bytes` that records the largest read it was asked for. */
function watchedReader(bytes: Uint8Array): RandomAccessReader & { largest: number } {
  const inner = bytesReader(bytes);
  const watched = {
    largest: 0,
    size: () => inner.size(),
    read: (offset: number, length: number) => {
      watched.largest = Math.max(watched.largest, length);
      return inner.read(offset, length);
    },
  };
  return watched;
}

/**
 * Opens, summarises and reads every message; returns 'ok' or the drivetrain error. Fails the
 * property for any other outcome.
 */
async function readFully(
  open: () => Promise<RecordingSource>,
  size: number,
): Promise<'ok' | DrivetrainError> {
  const work = (async (): Promise<unknown> => {
    try {
      const source = await open();
      await source.summary();
      for await (const message of source.messages()) void message;
      await source.attachment?.('calibration');
      return 'ok';
    } catch (error) {
      return error;
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), HANG);
  });
  const outcome = await Promise.race([work, hung]);
  clearTimeout(timer);
  if (outcome === 'hung') throw new Error(`reader did not finish within ${HANG} ms`);
  if (outcome === 'ok') return 'ok';
  if (outcome instanceof CorruptRecording) {
    if (!(outcome.offset >= 0 && outcome.offset <= size)) {
      throw new Error(`offset ${outcome.offset} outside the ${size}-byte file: ${outcome.message}`);
    }
    return outcome;
  }
  if (outcome instanceof Unsupported) {
    const offset = outcome.details['offset'];
    if (offset !== undefined && !(typeof offset === 'number' && offset >= 0 && offset <= size)) {
      throw new Error(`Unsupported names offset ${JSON.stringify(offset)} outside the file`);
    }
    return outcome;
  }
  throw new Error(
    `reader threw something other than CorruptRecording/Unsupported: ${String(outcome)}`,
    {
      cause: outcome,
    },
  );
}

/** The ways a file gets damaged. */
type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: { at: number; bit: number }[] }
  | { kind: 'length'; at: number; value: bigint; width: 4 | 8 }
  | { kind: 'splice'; at: number; bytes: Uint8Array };

function mutation(size: number, lengthFields: readonly number[]): fc.Arbitrary<Mutation> {
  const offset = fc.nat({ max: Math.max(0, size - 1) });
  const absurd = fc.oneof(
    fc.constantFrom(0xffff_ffffn, 0x7fff_ffffn, 1n << 62n, (1n << 64n) - 1n, 0n),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  );
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: size }) }),
    fc.record({
      kind: fc.constant('flip' as const),
      bits: fc.array(fc.record({ at: offset, bit: fc.nat({ max: 7 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
    }),
    fc.record({
      kind: fc.constant('length' as const),
      at: lengthFields.length > 0 ? fc.oneof(fc.constantFrom(...lengthFields), offset) : offset,
      value: absurd,
      width: fc.constantFrom(4 as const, 8 as const),
    }),
    fc.record({
      kind: fc.constant('splice' as const),
      at: offset,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    }),
  );
}

function apply(original: Uint8Array, m: Mutation): Uint8Array {
  if (m.kind === 'truncate') return original.slice(0, m.at);
  const bytes = original.slice();
  const view = new DataView(bytes.buffer);
  if (m.kind === 'flip') {
    for (const { at, bit } of m.bits) bytes[at]! ^= 1 << bit;
  } else if (m.kind === 'length') {
    if (m.width === 8 && m.at + 8 <= bytes.byteLength)
      view.setBigUint64(m.at, m.value & ((1n << 64n) - 1n), true);
    if (m.width === 4 && m.at + 4 <= bytes.byteLength)
      view.setUint32(m.at, Number(m.value & 0xffff_ffffn), true);
  } else {
    bytes.set(m.bytes.subarray(0, Math.max(0, bytes.byteLength - m.at)), m.at);
  }
  return bytes;
}

/** Start offsets of every MCAP record (inside uncompressed chunks too), from a clean read. */
async function mcapBoundaries(bytes: Uint8Array): Promise<number[]> {
  const offsets = new Set<number>([0, 8, bytes.byteLength - 8]);
  const reader = await CheckedReader.open('x', bytesReader(bytes));
  for await (const { offset } of scanMcapRecords(reader, await scanOptions())) offsets.add(offset);
  return [...offsets].sort((a, b) => a - b);
}

/** Start offsets of the top-level records of a ROS 1 bag. */
function bagBoundaries(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = [0, 13];
  for (let pos = 13; pos + 8 <= bytes.byteLength;) {
    const header = view.getInt32(pos, true);
    const data = view.getInt32(pos + 4 + header, true);
    pos += 8 + header + data;
    offsets.push(pos);
  }
  return offsets.filter((o) => o <= bytes.byteLength);
}

async function checkMcap(bytes: Uint8Array): Promise<'ok' | DrivetrainError> {
  const reader = watchedReader(bytes);
  const outcome = await readFully(() => openMcap('fuzz.mcap', reader, limits), bytes.byteLength);
  expect(reader.largest).toBeLessThanOrEqual(Math.max(bytes.byteLength, 1));
  return outcome;
}

async function checkBag(bytes: Uint8Array): Promise<'ok' | DrivetrainError> {
  const reader = watchedReader(bytes);
  const outcome = await readFully(() => openRos1Bag('fuzz.bag', reader, limits), bytes.byteLength);
  expect(reader.largest).toBeLessThanOrEqual(Math.max(bytes.byteLength, 1));
  return outcome;
}

describe('fuzzing the MCAP reader on generated files', () => {
  it('survives damage to a zstd-chunked, indexed file', async () => {
    const messages = Array.from({ length: 120 }, (_, i) => ({
      channel: i % 2,
      logTime: BigInt(1000 + ((i * 37) % 120)),
      data: new Uint8Array(30).fill(i),
    }));
    const original = await writeMcap([{ topic: '/a' }, { topic: '/b' }], messages, {
      compression: 'zstd',
      chunkSize: 700,
      metadata: [{ name: 'vehicle', entries: { vin: 'FUZZ0001', rig: 'r1' } }],
      attachments: [
        { name: 'calibration', mediaType: 'text/yaml', data: new TextEncoder().encode('k: 1') },
      ],
    });
    const boundaries = await mcapBoundaries(original);
    await fc.assert(
      fc.asyncProperty(
        mutation(
          original.byteLength,
          boundaries.map((b) => b + 1),
        ),
        async (m) => {
          await checkMcap(apply(original, m));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects the file truncated at every record boundary', async () => {
    const original = await writeMcap(
      [{ topic: '/a' }],
      Array.from({ length: 30 }, (_, i) => ({
        channel: 0,
        logTime: BigInt(i),
        data: new Uint8Array([i]),
      })),
      { chunkSize: 100 },
    );
    for (const at of await mcapBoundaries(original)) {
      const outcome = await checkMcap(original.slice(0, at));
      expect(outcome).toBeInstanceOf(CorruptRecording);
    }
  });
});

describeShared('fuzzing the readers on conformance files and sample recordings', () => {
  const conformance = sharedDir() === undefined ? [] : sharedPath('conformance', 'mcap');
  const conformanceFiles =
    typeof conformance === 'string'
      ? readdirSync(conformance, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .flatMap(({ name: dir }) =>
            readdirSync(join(conformance, dir))
              .filter((f) => f.endsWith('.mcap'))
              .map((f) => join(conformance, dir, f)),
          )
      : [];

  it('MCAP conformance files truncated at every record boundary are rejected', async () => {
    for (const path of conformanceFiles.filter((_, i) => i % 4 === 0)) {
      const original = new Uint8Array(readFileSync(path));
      for (const at of await mcapBoundaries(original)) {
        const outcome = await checkMcap(original.slice(0, at));
        expect(outcome, `${path} cut at ${at}`).toBeInstanceOf(CorruptRecording);
      }
    }
  });

  it('MCAP conformance files survive random damage', async () => {
    const files = await Promise.all(
      conformanceFiles.map(async (path) => {
        const bytes = new Uint8Array(readFileSync(path));
        return { bytes, boundaries: await mcapBoundaries(bytes) };
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: files.length - 1 }).chain((i) =>
          mutation(
            files[i]!.bytes.byteLength,
            files[i]!.boundaries.map((b) => b + 1),
          ).map((m) => ({ i, m })),
        ),
        async ({ i, m }) => {
          await checkMcap(apply(files[i]!.bytes, m));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('rosbag2-written MCAP files survive random damage', async () => {
    const dir = sharedPath('recordings', 'ros2-rosbag2', 'mcap');
    const files = await Promise.all(
      ['talker/talker.mcap', 'cdr_test/cdr_test_0.mcap', 'wbag/wbag_2.mcap'].map(async (name) => {
        const bytes = await fileBytes(join(dir, name));
        return { bytes, boundaries: await mcapBoundaries(bytes) };
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: files.length - 1 }).chain((i) =>
          mutation(
            files[i]!.bytes.byteLength,
            files[i]!.boundaries.map((b) => b + 1),
          ).map((m) => ({ i, m })),
        ),
        async ({ i, m }) => {
          await checkMcap(apply(files[i]!.bytes, m));
        },
      ),
      { numRuns: 120 },
    );
  });

  it('ROS 1 bags truncated at every record boundary are rejected, and random damage is survived', async () => {
    const dir = sharedPath('recordings', 'foxglove-rosbag');
    for (const name of ['no-messages.bag', 'example-lz4.bag']) {
      const original = await fileBytes(join(dir, name));
      for (const at of bagBoundaries(original).filter((at) => at < original.byteLength)) {
        expect(await checkBag(original.slice(0, at)), `${name} cut at ${at}`).toBeInstanceOf(
          CorruptRecording,
        );
      }
    }
    const small = await fileBytes(join(dir, 'no-messages.bag'));
    await fc.assert(
      fc.asyncProperty(
        mutation(
          small.byteLength,
          bagBoundaries(small).flatMap((b) => [b, b + 4]),
        ),
        async (m) => {
          await checkBag(apply(small, m));
        },
      ),
      { numRuns: 200 },
    );
    const large = await fileBytes(join(dir, 'example-lz4.bag'));
    await fc.assert(
      fc.asyncProperty(
        mutation(
          large.byteLength,
          bagBoundaries(large).flatMap((b) => [b, b + 4]),
        ),
        async (m) => {
          await checkBag(apply(large, m));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('rosbag2 metadata.yaml survives random damage', () => {
    const text = readFileSync(
      sharedPath('recordings', 'ros2-rosbag2', 'sqlite3', 'cdr_test', 'metadata.yaml'),
      'utf8',
    );
    fc.assert(
      fc.property(
        fc.nat({ max: text.length }),
        fc.string({ maxLength: 8 }),
        fc.nat({ max: 8 }),
        (at, insert, remove) => {
          const damaged = text.slice(0, at) + insert + text.slice(at + remove);
          try {
            parseRos2Metadata(damaged);
          } catch (error) {
            if (error instanceof CorruptRecording) {
              expect(error.offset).toBeGreaterThanOrEqual(0);
              expect(error.offset).toBeLessThanOrEqual(damaged.length);
            } else if (!(error instanceof Unsupported)) {
              throw error;
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('rosbag2 .db3 files survive random damage', async () => {
    const dir = sharedPath('recordings', 'ros2-rosbag2', 'sqlite3', 'talker');
    const original = await fileBytes(join(dir, 'talker.db3'));
    const metadata = readFileSync(join(dir, 'metadata.yaml'), 'utf8');
    await fc.assert(
      fc.asyncProperty(
        mutation(original.byteLength, [16, 28, 32, 36, 40, 44, 48, 52, 56, 60, 96, 100, 105, 108]),
        async (m) => {
          const bytes = apply(original, m);
          const db = openSqlite(bytes);
          try {
            await readFully(
              () =>
                openRos2Bag(metadata, {
                  reader: () => Promise.reject(new Error('no MCAP files in a SQLite bag')),
                  sqlite: () => Promise.resolve(db),
                }),
              bytes.byteLength,
            );
            await readFully(() => openRos2Db3('talker.db3', db), bytes.byteLength);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
