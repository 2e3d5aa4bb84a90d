import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { fileReader } from '../../../test/support/files.js';
import { writeMcap } from '../../../test/support/mcap.js';
import type { GenerateOptions, GeneratedMessage } from '../../../test/support/mcap.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { messageBatches } from '../batches.js';
import { bytesReader } from '../reader.js';
import type { RecordedMessage, RecordingSource } from '../source.js';
import { McapIndexedSource } from './indexed.js';
import { openMcap } from './open.js';
import { McapStreamedSource } from './streamed.js';

const channels = [
  { topic: '/camera', schemaName: 'Image', schemaEncoding: 'jsonschema', messageEncoding: 'json' },
  { topic: '/lidar', schemaName: 'Points', schemaEncoding: 'jsonschema', messageEncoding: 'json' },
  { topic: '/log', messageEncoding: 'text' },
];

/** Messages on three channels, log times out of order within and across channels. */
function generatedMessages(count: number, payload = 40): GeneratedMessage[] {
  const messages: GeneratedMessage[] = [];
  for (let i = 0; i < count; i++) {
    const jitter = BigInt((i * 7919) % 13) * 1_000_000n;
    const data = new Uint8Array(payload + (i % 5));
    data.fill(i & 0xff);
    messages.push({
      channel: i % 3,
      logTime: 1_700_000_000_000_000_000n + BigInt(i) * 10_000_000n - jitter,
      publishTime: 1_700_000_000_000_000_000n + BigInt(i),
      sequence: i,
      data,
    });
  }
  return messages;
}

async function all(source: RecordingSource, query = {}): Promise<RecordedMessage[]> {
  const out: RecordedMessage[] = [];
  for await (const message of source.messages(query))
    out.push({ ...message, data: message.data.slice() });
  return out;
}

function key(m: RecordedMessage): string {
  return `${m.channelId}/${m.sequence}/${m.logTime}/${m.data.join(',')}`;
}

function byLogTime(messages: readonly RecordedMessage[]): RecordedMessage[] {
  return messages
    .map((m, i) => ({ m, i }))
    .sort((a, b) => (a.m.logTime < b.m.logTime ? -1 : a.m.logTime > b.m.logTime ? 1 : a.i - b.i))
    .map(({ m }) => m);
}

const layouts: { name: string; options: GenerateOptions; mode: 'indexed' | 'streamed' }[] = [
  {
    name: 'unchunked, no summary',
    options: {
      useChunks: false,
      useStatistics: false,
      repeatChannels: false,
      repeatSchemas: false,
      useSummaryOffsets: false,
    },
    mode: 'streamed',
  },
  { name: 'unchunked with summary', options: { useChunks: false }, mode: 'streamed' },
  { name: 'small chunks, indexed', options: { useChunks: true, chunkSize: 2048 }, mode: 'indexed' },
  {
    name: 'zstd chunks, indexed',
    options: { useChunks: true, chunkSize: 4096, compression: 'zstd' },
    mode: 'indexed',
  },
  {
    name: 'chunks without message indexes',
    options: { useChunks: true, chunkSize: 2048, useMessageIndex: false },
    mode: 'indexed',
  },
  {
    name: 'chunks without chunk indexes',
    options: { useChunks: true, chunkSize: 2048, useChunkIndex: false, compression: 'zstd' },
    mode: 'streamed',
  },
];

describe('MCAP reader on generated files', () => {
  const written = generatedMessages(600);

  it.each(layouts)(
    '$name: opens on the $mode path and reads every message',
    async ({ options, mode }) => {
      const bytes = await writeMcap(channels, written, {
        ...options,
        metadata: [{ name: 'vehicle', entries: { vin: 'TEST0001' } }],
      });
      const source = await openMcap('generated.mcap', bytesReader(bytes));
      expect(source.mode).toBe(mode);

      const messages = await all(source);
      const expectedOrder = mode === 'indexed' ? byLogTime(messages) : messages;
      expect(messages.map(key)).toEqual(expectedOrder.map(key));
      const writtenKeys = written.map(
        (m) => `${m.channel + 1}/${m.sequence}/${m.logTime}/${m.data.join(',')}`,
      );
      expect(messages.map(key).sort()).toEqual([...writtenKeys].sort());
      if (mode === 'streamed') expect(messages.map(key)).toEqual(writtenKeys);

      const summary = await source.summary();
      expect(summary.profile).toBe('test');
      expect(summary.messageCount).toBe(600);
      expect(
        summary.channels.map((c) => [c.topic, c.schemaName, c.messageEncoding, c.messageCount]),
      ).toEqual([
        ['/camera', 'Image', 'json', 200],
        ['/lidar', 'Points', 'json', 200],
        ['/log', '', 'text', 200],
      ]);
      for (const channel of summary.channels) {
        const times = written.filter((m) => m.channel + 1 === channel.id).map((m) => m.logTime);
        expect(channel.startTime).toBe(times.reduce((a, b) => (a < b ? a : b)));
        expect(channel.endTime).toBe(times.reduce((a, b) => (a > b ? a : b)));
      }
      if (mode === 'streamed' || options.useMetadataIndex !== false) {
        expect(summary.metadata).toEqual([{ name: 'vehicle', entries: { vin: 'TEST0001' } }]);
      }
    },
  );

  it.each(layouts)(
    '$name: time and channel queries return exactly the matching messages',
    async ({ options }) => {
      const source = await openMcap(
        'generated.mcap',
        bytesReader(await writeMcap(channels, written, options)),
      );
      const everything = await all(source);
      const startTime = everything[150]!.logTime;
      const endTime = everything[420]!.logTime;
      const query = { startTime, endTime, channelIds: [2, 3] };
      const expected = everything.filter(
        (m) => m.logTime >= startTime && m.logTime <= endTime && [2, 3].includes(m.channelId),
      );
      expect((await all(source, query)).map(key)).toEqual(expected.map(key));
      expect(await all(source, { channelIds: [] })).toEqual([]);
    },
  );

  it.each(layouts)(
    '$name: every message can be read back from its location',
    async ({ options }) => {
      const source = await openMcap(
        'generated.mcap',
        bytesReader(await writeMcap(channels, written, options)),
      );
      for (const message of await all(source)) {
        expect(message.location).toBeDefined();
        const again = await source.messageAt(message.location!);
        expect(key(again)).toBe(key(message));
      }
    },
  );

  it.each(layouts)(
    '$name: batches hold the same messages in the same order',
    async ({ options }) => {
      const source = await openMcap(
        'generated.mcap',
        bytesReader(await writeMcap(channels, written, options)),
      );
      const flat: RecordedMessage[] = [];
      for await (const batch of messageBatches(source, { channelIds: [1, 3] }, 7)) {
        expect(batch.length).toBeGreaterThan(0);
        flat.push(...batch.map((m) => ({ ...m, data: m.data.slice() })));
      }
      expect(flat.map(key)).toEqual((await all(source, { channelIds: [1, 3] })).map(key));
    },
  );

  it('catalogues a large indexed file from its summary and message indexes alone', async () => {
    const bytes = await writeMcap(channels, generatedMessages(300, 20_000), {
      chunkSize: 256 * 1024,
    });
    const source = await openMcap('big.mcap', bytesReader(bytes));
    expect(source).toBeInstanceOf(McapIndexedSource);
    const summary = await source.summary();
    expect(summary.messageCount).toBe(300);
    expect(source.bytesRead).toBeLessThan(bytes.byteLength / 100);
  });

  it('reads attachments by name through the attachment index, and reports them while streaming', async () => {
    const data = new TextEncoder().encode('camera_matrix: [1, 0, 0]');
    const bytes = await writeMcap(channels, written, {
      chunkSize: 4096,
      attachments: [{ name: 'calibration.yaml', mediaType: 'text/yaml', data }],
    });
    const indexed: RecordingSource = await openMcap('a.mcap', bytesReader(bytes));
    expect(await indexed.attachment?.('calibration.yaml')).toEqual({
      name: 'calibration.yaml',
      mediaType: 'text/yaml',
      data,
    });
    expect(await indexed.attachment?.('missing')).toBeUndefined();
    const seen: string[] = [];
    const { CheckedReader } = await import('../reader.js');
    const { scanOptions } = await import('./common.js');
    const streamed = new McapStreamedSource(
      await CheckedReader.open('a.mcap', bytesReader(bytes)),
      await scanOptions(),
    );
    for await (const _ of streamed.messages({ onAttachment: (a) => seen.push(a.name) }));
    expect(seen).toEqual(['calibration.yaml']);
  });

  it('indexed and streamed paths agree on summaries', async () => {
    const bytes = await writeMcap(channels, written, { chunkSize: 2048, compression: 'zstd' });
    const indexed = await openMcap('a.mcap', bytesReader(bytes));
    expect(indexed).toBeInstanceOf(McapIndexedSource);
    const { CheckedReader } = await import('../reader.js');
    const { scanOptions } = await import('./common.js');
    const streamed = new McapStreamedSource(
      await CheckedReader.open('a.mcap', bytesReader(bytes)),
      await scanOptions(),
    );
    expect(await indexed.summary()).toEqual(await streamed.summary());
  });
});

describe('MCAP reader on bad input', () => {
  async function failure(
    bytes: Uint8Array,
    read: 'summary' | 'messages' = 'summary',
  ): Promise<unknown> {
    try {
      const source = await openMcap('bad.mcap', bytesReader(bytes));
      if (read === 'summary') await source.summary();
      else for await (const _ of source.messages());
    } catch (error) {
      return error;
    }
    throw new Error('expected the reader to fail');
  }

  it('rejects a zero-byte file at offset 0', async () => {
    const error = await failure(new Uint8Array(0));
    expect(error).toBeInstanceOf(CorruptRecording);
    expect(error).toMatchObject({
      offset: 0,
      message: expect.stringContaining('too short') as unknown,
    });
  });

  it('rejects wrong magic, naming what it found', async () => {
    const bytes = await writeMcap(channels, generatedMessages(10));
    bytes[1] = 0x58;
    const error = await failure(bytes);
    expect(error).toBeInstanceOf(CorruptRecording);
    expect((error as CorruptRecording).message).toContain('89 58 43 41 50');
  });

  it('reports an unsupported format version as Unsupported', async () => {
    const bytes = await writeMcap(channels, generatedMessages(10));
    bytes[5] = 0x31;
    expect(await failure(bytes)).toBeInstanceOf(Unsupported);
  });

  it('reports an unknown chunk compression as Unsupported with the chunk offset', async () => {
    const bytes = await writeMcap(channels, generatedMessages(50), {
      compression: 'zstd',
      chunkSize: 1024,
    });
    const text = new TextDecoder('latin1').decode(bytes);
    bytes.set([0x78, 0x7a], text.indexOf('zstd'));
    const error = await failure(bytes, 'messages');
    expect(error).toBeInstanceOf(Unsupported);
    expect((error as Unsupported).message).toContain("compression 'xztd'");
    expect((error as Unsupported).details['offset']).toBeGreaterThan(0);
  });

  it('reads a truncated recording up to the cut, then names the offset where it ends', async () => {
    const bytes = await writeMcap(channels, generatedMessages(200), { useChunks: false });
    const cut = bytes.subarray(0, Math.floor(bytes.byteLength / 2));
    const source = await openMcap('cut.mcap', bytesReader(cut));
    expect(source).toBeInstanceOf(McapStreamedSource);
    let read = 0;
    let error: unknown;
    try {
      for await (const _ of source.messages()) read++;
    } catch (caught) {
      error = caught;
    }
    expect(read).toBeGreaterThan(50);
    expect(error).toBeInstanceOf(CorruptRecording);
    expect((error as CorruptRecording).offset).toBeLessThanOrEqual(cut.byteLength);
    expect((error as CorruptRecording).offset).toBeGreaterThan(cut.byteLength - 200);
  });

  it('rejects a record length larger than the file before allocating it', async () => {
    const bytes = await writeMcap(channels, generatedMessages(10), { useChunks: false });
    const view = new DataView(bytes.buffer);
    view.setBigUint64(9, 0x7fff_ffff_ffff_fff0n, true);
    const error = await failure(bytes);
    expect(error).toBeInstanceOf(CorruptRecording);
    expect(error).toMatchObject({ offset: 8 });
  });

  it('rejects an absurd uncompressed chunk size without decompressing', async () => {
    const bytes = await writeMcap(channels, generatedMessages(20), {
      compression: 'zstd',
      useChunkIndex: false,
    });
    const view = new DataView(bytes.buffer);
    const chunkAt = 8 + 9 + Number(view.getBigUint64(9, true));
    expect(bytes[chunkAt]).toBe(0x06);
    view.setBigUint64(chunkAt + 9 + 16, 1n << 40n, true);
    const error = await failure(bytes, 'messages');
    expect(error).toBeInstanceOf(CorruptRecording);
    expect((error as CorruptRecording).message).toContain('limit');
  });

  it('rejects a flipped bit in a chunk through its CRC', async () => {
    const bytes = await writeMcap(channels, generatedMessages(20), { chunkSize: 1 << 20 });
    const view = new DataView(bytes.buffer);
    const chunkAt = 8 + 9 + Number(view.getBigUint64(9, true));
    const chunkEnd = chunkAt + 9 + Number(view.getBigUint64(chunkAt + 1, true));
    bytes[chunkEnd - 5]! ^= 0x10;
    const error = await failure(bytes, 'messages');
    expect(error).toBeInstanceOf(CorruptRecording);
    expect((error as CorruptRecording).message).toContain('CRC');
  });
});

/** Topics and counts of the rosbag2-written MCAP files, from the recordings README. */
const rosbag2Counts: Record<string, Record<string, number>> = {
  cdr_test: { '/array_topic': 4, '/test_topic': 3 },
  talker: { '/topic': 10, '/rosout': 10, '/parameter_events': 0 },
  bag_with_topics_and_service_events: {
    '/test_topic1': 1,
    '/test_topic2': 1,
    '/test_service1/_service_event': 4,
    '/test_service2/_service_event': 4,
    '/events/write_split': 0,
  },
};

describeShared('MCAP reader on rosbag2-written files', () => {
  const root = sharedPath('recordings', 'ros2-rosbag2', 'mcap');
  const files = readdirSync(root).flatMap((bag) =>
    readdirSync(join(root, bag))
      .filter((f) => f.endsWith('.mcap'))
      .map((f) => ({ bag, file: f, path: join(root, bag, f) })),
  );

  it.each(files)('$file: both paths read every message and agree', async ({ bag, path }) => {
    const reader = await fileReader(path);
    try {
      const source = await openMcap(path, reader);
      const summary = await source.summary();
      expect(summary.profile).toBe('ros2');
      const messages = await all(source);
      expect(messages).toHaveLength(summary.messageCount!);
      for (const channel of summary.channels) {
        expect(messages.filter((m) => m.channelId === channel.id)).toHaveLength(
          channel.messageCount!,
        );
        expect(channel.messageEncoding).toBe('cdr');
        expect(channel.schemaEncoding).toBe('ros2msg');
      }
      const { CheckedReader } = await import('../reader.js');
      const { scanOptions } = await import('./common.js');
      const streamed = new McapStreamedSource(
        await CheckedReader.open(path, reader),
        await scanOptions(),
      );
      expect(await streamed.summary()).toEqual(summary);
      expect((await all(streamed)).map(key).sort()).toEqual(messages.map(key).sort());
      const expected = rosbag2Counts[bag];
      if (expected !== undefined) {
        const counts = Object.fromEntries(summary.channels.map((c) => [c.topic, c.messageCount]));
        for (const [topic, count] of Object.entries(expected))
          expect(counts[topic] ?? 0).toBe(count);
      }
    } finally {
      await reader.close();
    }
  });
});
