import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { fileReader } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { openSqlite } from '../../../test/support/sqlite.js';
import type { RecordedMessage } from '../source.js';
import { openRos2Bag, openRos2Db3 } from './bag.js';
import type { Ros2BagFolder, Ros2BagSource } from './bag.js';
import { parseRos2Metadata } from './metadata.js';

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** The caller's side of a bag folder on local disk: file readers and better-sqlite3. */
function localFolder(dir: string): Ros2BagFolder {
  return {
    reader: async (path) => {
      const reader = await fileReader(join(dir, path));
      closers.push(() => reader.close());
      return reader;
    },
    sqlite: (path) => {
      const db = openSqlite(join(dir, path));
      closers.push(() => db.close());
      return Promise.resolve(db);
    },
  };
}

async function openBag(dir: string): Promise<Ros2BagSource> {
  return openRos2Bag(readFileSync(join(dir, 'metadata.yaml'), 'utf8'), localFolder(dir));
}

async function collect(source: Ros2BagSource, query = {}): Promise<RecordedMessage[]> {
  const out: RecordedMessage[] = [];
  for await (const message of source.messages(query)) out.push(message);
  return out;
}

/** Topics and counts per bag, from the recordings README. */
const bags: Record<string, { version: number; total: number; topics: Record<string, number> }> = {
  cdr_test: { version: 7, total: 7, topics: { '/array_topic': 4, '/test_topic': 3 } },
  talker: {
    version: 4,
    total: 20,
    topics: { '/topic': 10, '/rosout': 10, '/parameter_events': 0 },
  },
  bag_with_topics_and_service_events: {
    version: 8,
    total: 10,
    topics: {
      '/test_topic1': 1,
      '/test_topic2': 1,
      '/test_service1/_service_event': 4,
      '/test_service2/_service_event': 4,
      '/events/write_split': 0,
    },
  },
  wbag: {
    version: 4,
    total: 6074,
    topics: Object.fromEntries(
      ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH'].map((t) => [t, -1]),
    ),
  },
};

const cases = Object.keys(bags).flatMap((bag) =>
  (['sqlite3', 'mcap'] as const).map((storage) => ({ bag, storage })),
);

describeShared('rosbag2 reader on the ros2/rosbag2 test bags', () => {
  it.each(cases)(
    '$bag ($storage): every message, counts as documented',
    async ({ bag, storage }) => {
      const expected = bags[bag]!;
      const source = await openBag(sharedPath('recordings', 'ros2-rosbag2', storage, bag));
      expect(source.metadata?.version).toBe(expected.version);
      expect(source.metadata?.storageIdentifier).toBe(storage);
      const summary = await source.summary();
      expect(summary.format).toBe('ros2-bag');
      expect(summary.messageCount).toBe(expected.total);
      const counts = Object.fromEntries(summary.channels.map((c) => [c.topic, c.messageCount]));
      for (const [topic, count] of Object.entries(expected.topics)) {
        if (count >= 0) expect(counts[topic]).toBe(count);
        else expect(counts[topic]).toBeGreaterThan(0);
      }
      for (const topic of source.metadata!.topics)
        expect(counts[topic.name]).toBe(topic.messageCount);
      for (const channel of summary.channels) {
        expect(channel.messageEncoding).toBe('cdr');
        expect(channel.schemaName).toMatch(/\/(msg|srv)\//);
      }

      const messages = await collect(source);
      expect(messages).toHaveLength(expected.total);
      expect(messages.every((m, i) => i === 0 || m.logTime >= messages[i - 1]!.logTime)).toBe(true);
      for (const channel of summary.channels) {
        const mine = messages.filter((m) => m.channelId === channel.id);
        expect(mine).toHaveLength(channel.messageCount!);
        if (mine.length > 0) {
          expect(mine[0]!.logTime).toBe(channel.startTime);
          expect(mine.at(-1)!.logTime).toBe(channel.endTime);
        }
      }
      const some = summary.channels
        .filter((c) => (c.messageCount ?? 0) > 0)
        .slice(0, 2)
        .map((c) => c.id);
      const filtered = await collect(source, { channelIds: some });
      expect(filtered).toEqual(messages.filter((m) => some.includes(m.channelId)));
      const middle = messages[Math.floor(messages.length / 2)]!.logTime;
      expect(await collect(source, { startTime: middle })).toEqual(
        messages.filter((m) => m.logTime >= middle),
      );
    },
  );

  it.each(['cdr_test', 'talker', 'wbag'])(
    '%s holds the same messages in both storages',
    async (bag) => {
      const keys = async (storage: string) => {
        const source = await openBag(sharedPath('recordings', 'ros2-rosbag2', storage, bag));
        const summary = await source.summary();
        const topic = new Map(summary.channels.map((c) => [c.id, c.topic]));
        return (await collect(source))
          .map(
            (m) => `${topic.get(m.channelId)}@${m.logTime}:${Buffer.from(m.data).toString('hex')}`,
          )
          .sort();
      };
      expect(await keys('mcap')).toEqual(await keys('sqlite3'));
    },
  );

  it('reads the five files of the split MCAP bag and every message back from its file and location', async () => {
    const source = await openBag(sharedPath('recordings', 'ros2-rosbag2', 'mcap', 'wbag'));
    const messages = await collect(source);
    const files = new Set(messages.map((m) => m.location?.file));
    expect([...files].sort()).toEqual([
      'wbag_0.mcap',
      'wbag_1.mcap',
      'wbag_2.mcap',
      'wbag_3.mcap',
      'wbag_4.mcap',
    ]);
    for (const message of messages.filter((_, i) => i % 211 === 0)) {
      const again = await source.messageAt(message.location!);
      expect(again.channelId).toBe(message.channelId);
      expect(again.data).toEqual(message.data);
    }
  });

  it('gives SQLite-stored definitions as schemas', async () => {
    const source = await openBag(sharedPath('recordings', 'ros2-rosbag2', 'sqlite3', 'cdr_test'));
    const channel = (await source.summary()).channels.find((c) => c.topic === '/test_topic')!;
    expect(channel.schemaEncoding).toBe('ros2msg');
    expect(new TextDecoder().decode(channel.schemaData)).toContain('float64 float64_value');
  });

  it('opens a lone .db3 file without its metadata.yaml', async () => {
    const db = openSqlite(
      sharedPath('recordings', 'ros2-rosbag2', 'sqlite3', 'talker', 'talker.db3'),
    );
    closers.push(() => db.close());
    const source = await openRos2Db3('talker.db3', db);
    expect((await source.summary()).messageCount).toBe(20);
    expect(await collect(source)).toHaveLength(20);
  });
});

const nebula: [string, string, string, number][] = [
  ['velodyne-vlp32', '1713492677464078412', '/sensing/lidar/front/velodyne_packets', 5],
  ['hesai-qt64', '1673401195788312575', '/pandar_packets', 4],
  ['continental-ars548', '1708578204', '/sensing/radar/front_center/nebula_packets', 2],
  ['continental-srr520', '1708578209', '/sensing/radar/front_left/nebula_packets', 4],
];

describeShared('rosbag2 reader on the tier4/nebula sensor bags', () => {
  it.each(nebula)('%s: %i messages on the packet topic', async (sensor, folder, topic, count) => {
    const source = await openBag(sharedPath('recordings', 'tier4-nebula', sensor, folder));
    expect(source.metadata?.version).toBe(5);
    const summary = await source.summary();
    expect(summary.channels.map((c) => [c.topic, c.messageCount])).toEqual([[topic, count]]);
    const messages = await collect(source);
    expect(messages).toHaveLength(count);
    expect(messages.every((m) => m.data.byteLength > 100)).toBe(true);
  });
});

describe('rosbag2 metadata', () => {
  const minimal = (body: string) => `rosbag2_bagfile_information:\n${body}`;

  it('parses the fields a reader needs', () => {
    const metadata = parseRos2Metadata(
      minimal(`  version: 5
  storage_identifier: sqlite3
  relative_file_paths: [a_0.db3, a_1.db3]
  starting_time: {nanoseconds_since_epoch: 1713492677464078412}
  duration: {nanoseconds: 5}
  message_count: 3
  topics_with_message_count:
    - topic_metadata: {name: /x, type: std_msgs/msg/String, serialization_format: cdr, offered_qos_profiles: ''}
      message_count: 3
  compression_format: ''
  compression_mode: ''
  custom_data: {vehicle: test-car}`),
    );
    expect(metadata).toMatchObject({
      version: 5,
      storageIdentifier: 'sqlite3',
      relativeFilePaths: ['a_0.db3', 'a_1.db3'],
      startingTime: 1713492677464078412n,
      messageCount: 3,
      topics: [{ name: '/x', type: 'std_msgs/msg/String', messageCount: 3 }],
      customData: { vehicle: 'test-car' },
    });
  });

  it('reports YAML syntax errors with their byte offset', () => {
    const text = minimal('  version: 5\n  storage_identifier: [unclosed\n');
    const error = (() => {
      try {
        parseRos2Metadata(text);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CorruptRecording);
    expect((error as CorruptRecording).offset).toBeGreaterThan(20);
    expect((error as CorruptRecording).offset).toBeLessThanOrEqual(text.length);
  });

  it('names a missing or mistyped field', () => {
    expect(() => parseRos2Metadata(minimal('  version: 5\n'))).toThrow(
      /storage_identifier: missing/,
    );
    expect(() =>
      parseRos2Metadata(minimal('  version: 5\n  storage_identifier: mcap\n  message_count: -4\n')),
    ).toThrow(/message_count: expected a non-negative integer/);
    expect(() => parseRos2Metadata('just: text')).toThrow(CorruptRecording);
  });

  it('rejects file paths that leave the bag folder', () => {
    expect(() =>
      parseRos2Metadata(
        minimal(
          '  version: 5\n  storage_identifier: mcap\n  relative_file_paths: [../../etc/passwd]\n',
        ),
      ),
    ).toThrow(/not a path inside the bag folder/);
  });

  it('reports newer metadata versions and compressed bags as Unsupported', async () => {
    expect(() => parseRos2Metadata(minimal('  version: 10\n  storage_identifier: mcap\n'))).toThrow(
      Unsupported,
    );
    const compressed = minimal(
      '  version: 5\n  storage_identifier: mcap\n  relative_file_paths: [a.mcap.zstd]\n  compression_format: zstd\n  compression_mode: file\n',
    );
    await expect(
      openRos2Bag(compressed, { reader: () => Promise.reject(new Error('not read')) }),
    ).rejects.toBeInstanceOf(Unsupported);
  });

  it('reports a .db3 that is not a SQLite database as CorruptRecording', async () => {
    const bytes = new TextEncoder().encode('SQLite format 3\0'.padEnd(4096, 'x'));
    const open = async () => openRos2Db3('bad.db3', openSqlite(bytes));
    await expect(open()).rejects.toBeInstanceOf(CorruptRecording);
  });
});
