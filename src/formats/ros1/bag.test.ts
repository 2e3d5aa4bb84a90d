import { Bag } from '@foxglove/rosbag';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { fileBytes } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { bytesReader } from '../reader.js';
import type { RecordedMessage, RecordingSummary } from '../source.js';
import { openRos1Bag } from './bag.js';
import type { Ros1BagSource } from './bag.js';

const S = 1_000_000_000n;

async function collect(source: Ros1BagSource, query = {}): Promise<RecordedMessage[]> {
  const out: RecordedMessage[] = [];
  for await (const message of source.messages(query)) out.push(message);
  return out;
}

async function open(name: string): Promise<Ros1BagSource> {
  const path = sharedPath('recordings', 'foxglove-rosbag', name);
  return openRos1Bag(name, bytesReader(await fileBytes(path)));
}

function topicIds(source: Awaited<ReturnType<Ros1BagSource['summary']>>, topic: string): number[] {
  return source.channels.filter((c) => c.topic === topic).map((c) => c.id);
}

describeShared('ROS 1 bag reader on the foxglove/rosbag fixtures', () => {
  // The compressed copies were written with one connection per topic.
  it.each([
    ['example.bag', 12],
    ['example-bz2.bag', 9],
    ['example-lz4.bag', 9],
  ])('%s: 8,647 messages on %i connections, in time order', async (name, connections) => {
    const source = await open(name);
    const summary = await source.summary();
    expect(summary.format).toBe('ros1-bag');
    expect(summary.messageCount).toBe(8647);
    expect(summary.channels).toHaveLength(connections);
    expect([...new Set(summary.channels.map((c) => c.topic))].sort()).toEqual([
      '/rosout',
      '/tf',
      '/tf_static',
      '/turtle1/cmd_vel',
      '/turtle1/color_sensor',
      '/turtle1/pose',
      '/turtle2/cmd_vel',
      '/turtle2/color_sensor',
      '/turtle2/pose',
    ]);
    if (name === 'example.bag') {
      expect(topicIds(summary, '/rosout')).toHaveLength(3);
      expect(topicIds(summary, '/tf')).toHaveLength(2);
    }
    const colorSensor = summary.channels.find((c) => c.topic === '/turtle1/color_sensor')!;
    expect(colorSensor).toMatchObject({
      schemaName: 'turtlesim/Color',
      schemaEncoding: 'ros1msg',
      messageEncoding: 'ros1',
      messageCount: 1351,
    });
    expect(new TextDecoder().decode(colorSensor.schemaData)).toContain('uint8 r');

    const messages = await collect(source);
    expect(messages).toHaveLength(8647);
    expect(messages.every((m, i) => i === 0 || m.logTime >= messages[i - 1]!.logTime)).toBe(true);
    for (const channel of summary.channels) {
      const mine = messages.filter((m) => m.channelId === channel.id);
      expect(mine).toHaveLength(channel.messageCount!);
      if (mine.length > 0) {
        expect(channel.startTime).toBe(mine[0]!.logTime);
        expect(channel.endTime).toBe(mine.at(-1)!.logTime);
      }
    }
    const color = [
      ...topicIds(summary, '/turtle1/color_sensor'),
      ...topicIds(summary, '/turtle2/color_sensor'),
    ];
    expect(
      await collect(source, { channelIds: topicIds(summary, '/turtle1/color_sensor') }),
    ).toHaveLength(1351);
    expect(await collect(source, { channelIds: color })).toHaveLength(2695);
  });

  it('finds exactly one message at 1396293887.846735850 and 319 in the two seconds around it', async () => {
    const source = await open('example.bag');
    const at = 1396293887n * S + 846735850n;
    expect(await collect(source, { startTime: at, endTime: at })).toHaveLength(1);
    expect(await collect(source, { startTime: at - S, endTime: at + S })).toHaveLength(319);
  });

  it('yields the same messages as the library iterator, byte for byte, from all three compressions', async () => {
    const reference: string[] = [];
    const topicOf = (summary: RecordingSummary, id: number): string =>
      summary.channels.find((c) => c.id === id)!.topic;
    const bytes = await fileBytes(sharedPath('recordings', 'foxglove-rosbag', 'example.bag'));
    const libraryBag = new Bag(
      { read: (o, l) => Promise.resolve(bytes.subarray(o, o + l)), size: () => bytes.byteLength },
      { parse: false },
    );
    await libraryBag.open();
    for await (const event of libraryBag.messageIterator()) {
      reference.push(
        `${event.topic}@${event.timestamp.sec}.${event.timestamp.nsec}:${Buffer.from(event.data).toString('hex')}`,
      );
    }
    for (const name of ['example.bag', 'example-bz2.bag', 'example-lz4.bag']) {
      const source = await open(name);
      const summary = await source.summary();
      const ours = (await collect(source)).map(
        (m) =>
          `${topicOf(summary, m.channelId)}@${m.logTime / S}.${m.logTime % S}:${Buffer.from(m.data).toString('hex')}`,
      );
      expect(ours.sort()).toEqual([...reference].sort());
    }
  });

  it('reads every message back from its byte location', async () => {
    for (const name of ['example.bag', 'example-lz4.bag']) {
      const source = await open(name);
      const messages = await collect(source);
      for (const message of messages.filter((_, i) => i % 97 === 0)) {
        const again = await source.messageAt(message.location!);
        expect(again.channelId).toBe(message.channelId);
        expect(again.logTime).toBe(message.logTime);
        expect(again.data).toEqual(message.data);
      }
    }
  });

  it('catalogues a bag from its index records without reading message data', async () => {
    const path = sharedPath('recordings', 'foxglove-rosbag', 'example.bag');
    const bytes = await fileBytes(path);
    const source = await openRos1Bag('example.bag', bytesReader(bytes));
    await source.summary();
    expect(source.bytesRead).toBeLessThan(bytes.byteLength / 2);
  });

  it('reads a bag without messages', async () => {
    const source = await open('no-messages.bag');
    expect((await source.summary()).messageCount).toBe(0);
    expect(await collect(source)).toEqual([]);
  });

  it('fails cleanly on the empty file', async () => {
    const error = await open('empty-file.bag').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptRecording);
    expect(error).toMatchObject({ offset: 0, file: 'empty-file.bag' });
    expect((error as Error).message).toContain('#ROSBAG V2.0');
  });
});

describe('ROS 1 bag reader on bad input', () => {
  it('names a wrong magic', async () => {
    const error = await openRos1Bag(
      'x.bag',
      bytesReader(new TextEncoder().encode('not a bag at all, clearly')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptRecording);
    expect((error as Error).message).toContain('"not a bag at ');
  });

  it('reports other bag versions as Unsupported', async () => {
    const bytes = new TextEncoder().encode('#ROSBAG V1.2\n' + ' '.repeat(100));
    await expect(openRos1Bag('old.bag', bytesReader(bytes))).rejects.toBeInstanceOf(Unsupported);
  });
});
