import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeMcap } from '../../../test/support/mcap.js';
import type { GenerateOptions, GeneratedMessage } from '../../../test/support/mcap.js';
import { bytesReader, CheckedReader } from '../reader.js';
import type { MessageQuery, RecordedMessage } from '../source.js';
import type { ReadInto } from './blocks.js';
import { scanOptions } from './common.js';
import { McapStreamedSource } from './streamed.js';

const channels = [
  { topic: '/camera', schemaName: 'Image', schemaEncoding: 'jsonschema', messageEncoding: 'json' },
  { topic: '/lidar', messageEncoding: 'text' },
];

/**
 * `ReadInto` over bytes in memory; each read lands a macrotask later, as a file read does.
 * `issued` records every read as it is asked for.
 */
function delayedReadInto(
  bytes: Uint8Array,
  issued?: { offset: number; length: number }[],
): ReadInto {
  return (offset, target) => {
    issued?.push({ offset, length: target.byteLength });
    return new Promise((resolve) => {
      setImmediate(() => {
        const part = bytes.subarray(offset, Math.min(bytes.byteLength, offset + target.byteLength));
        target.set(part);
        resolve(part.byteLength);
      });
    });
  };
}

async function streamedSource(
  bytes: Uint8Array,
  blockSize: number,
  readInto?: ReadInto,
): Promise<McapStreamedSource> {
  return new McapStreamedSource(
    await CheckedReader.open('file.mcap', bytesReader(bytes)),
    await scanOptions({ blockSize, ...(readInto === undefined ? {} : { readInto }) }),
  );
}

function key(m: RecordedMessage): string {
  return `${m.channelId}/${m.sequence}/${m.logTime}/${JSON.stringify(m.location)}/${m.data.join(',')}`;
}

/** What a consumer sees: each message as it arrives (payload read then), then the error if any. */
async function outcome(
  source: McapStreamedSource,
  query: MessageQuery = {},
): Promise<{ messages: string[]; error?: string }> {
  const messages: string[] = [];
  try {
    for await (const message of source.messages(query)) messages.push(key(message));
  } catch (error) {
    return { messages, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
  return { messages };
}

async function summaryOutcome(source: McapStreamedSource): Promise<unknown> {
  try {
    return await source.summary();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

const files = fc
  .record({
    count: fc.integer({ min: 0, max: 120 }),
    largest: fc.integer({ min: 0, max: 6000 }),
    layout: fc.constantFrom<GenerateOptions>(
      { useChunks: false, useSummaryOffsets: false },
      { useChunks: true, chunkSize: 1500 },
      { useChunks: true, chunkSize: 700, compression: 'zstd' },
      { useChunks: true, chunkSize: 20_000, useMessageIndex: false },
    ),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ count, largest, layout, seed }) => {
    const messages: GeneratedMessage[] = Array.from({ length: count }, (_, i) => ({
      channel: (i + seed) % 2,
      logTime: BigInt(1_000 + i * 10 - ((i * 7 + seed) % 13)),
      sequence: i,
      data: new Uint8Array(((i + 1) * (seed + 7919)) % (largest + 1)).fill((i + seed) & 0xff),
    }));
    return { messages, layout };
  });

describe('streamed MCAP reading into reused buffers', () => {
  it('hands over the same messages and summary as fresh blocks, reading each byte once', async () => {
    await fc.assert(
      fc.asyncProperty(files, fc.integer({ min: 1, max: 9000 }), async (file, blockSize) => {
        const bytes = await writeMcap(channels, file.messages, {
          ...file.layout,
          attachments: [{ name: 'a.dbc', mediaType: 'text/plain', data: new Uint8Array(300) }],
        });
        const fresh = await outcome(await streamedSource(bytes, blockSize));
        const reused = await streamedSource(bytes, blockSize, delayedReadInto(bytes));
        expect(await outcome(reused)).toEqual(fresh);
        // The two magics are read on their own; every other byte once.
        expect(reused.bytesRead).toBeLessThanOrEqual(bytes.byteLength + 16);
        expect(
          await summaryOutcome(await streamedSource(bytes, blockSize, delayedReadInto(bytes))),
        ).toEqual(await summaryOutcome(await streamedSource(bytes, blockSize)));
      }),
      { numRuns: 60 },
    );
  });

  it('answers time and channel queries as fresh blocks do', async () => {
    await fc.assert(
      fc.asyncProperty(
        files,
        fc.integer({ min: 1, max: 9000 }),
        fc.integer({ min: 900, max: 2300 }),
        fc.constantFrom([1], [2], [1, 2]),
        async (file, blockSize, start, channelIds) => {
          const bytes = await writeMcap(channels, file.messages, file.layout);
          const query = { startTime: BigInt(start), channelIds };
          expect(
            await outcome(await streamedSource(bytes, blockSize, delayedReadInto(bytes)), query),
          ).toEqual(await outcome(await streamedSource(bytes, blockSize), query));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('fails where fresh blocks fail, after the same messages, on damaged and cut files', async () => {
    await fc.assert(
      fc.asyncProperty(
        files,
        fc.integer({ min: 16, max: 9000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 255 })),
        async (file, blockSize, where, byte) => {
          const original = await writeMcap(channels, file.messages, file.layout);
          const at = Math.floor(where * original.byteLength);
          const bytes = byte === undefined ? original.slice(0, at) : original.slice();
          if (byte !== undefined && at < bytes.byteLength) bytes[at] = byte;
          expect(
            await outcome(await streamedSource(bytes, blockSize, delayedReadInto(bytes))),
          ).toEqual(await outcome(await streamedSource(bytes, blockSize)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lets a consumer stop early while a read ahead is in flight and fails it', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({
      channel: i % 2,
      logTime: BigInt(i),
      data: new Uint8Array(500).fill(i),
    }));
    const bytes = await writeMcap(channels, messages, { useChunks: false });
    let closed = false;
    const read = delayedReadInto(bytes);
    const source = await streamedSource(bytes, 4096, (offset, target) =>
      read(offset, target).then((n) => {
        if (closed) throw new Error('read after close');
        return n;
      }),
    );
    let seen = 0;
    for await (const _ of source.messages()) {
      seen += 1;
      if (seen === 30) break;
    }
    closed = true;
    // The abandoned read ahead settles (and fails) without an unhandled rejection.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toBe(30);
  });

  it('reads the next block while the consumer works on the current one, each byte once', async () => {
    const messages = Array.from({ length: 100 }, (_, i) => ({
      channel: i % 2,
      logTime: BigInt(i),
      data: new Uint8Array(1000).fill(i),
    }));
    const bytes = await writeMcap(channels, messages, { useChunks: false });
    const issued: { offset: number; length: number }[] = [];
    const source = await streamedSource(bytes, 8192, delayedReadInto(bytes, issued));
    let issuedDuringFirstBlock = 0;
    let index = 0;
    for await (const message of source.messages()) {
      if (index === 3) issuedDuringFirstBlock = issued.length;
      expect(message.data[0]).toBe(index & 0xff);
      index += 1;
    }
    expect(index).toBe(100);
    expect(issuedDuringFirstBlock).toBe(2);
    expect(issued[0]!.offset).toBe(8);
    for (let i = 1; i < issued.length; i++) {
      expect(issued[i]!.offset).toBe(issued[i - 1]!.offset + issued[i - 1]!.length);
    }
  });
});
