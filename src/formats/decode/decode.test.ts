import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CdrWriter, EncapsulationKind } from '@foxglove/cdr';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter as Ros1Writer } from '@foxglove/rosmsg-serialization';
import { MessageWriter as CdrMessageWriter } from '@foxglove/rosmsg2-serialization';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { fileBytes, fileReader } from '../../../test/support/files.js';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { openSqlite } from '../../../test/support/sqlite.js';
import { openMcap } from '../mcap/open.js';
import { bytesReader } from '../reader.js';
import { openRos1Bag } from '../ros1/bag.js';
import { openRos2Bag } from '../ros2/bag.js';
import type { ChannelInfo, RecordingSource } from '../source.js';
import { createMessageDecoder } from './decoder.js';
import type { SchemaSource } from './decoder.js';
import { createStampExtractor } from './stamp.js';

const encoder = new TextEncoder();
const context = { file: 'test.mcap' };
const NS = 1_000_000_000n;

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** Decodes every message of a recording; returns decoded values by channel id. */
async function decodeAll(source: RecordingSource, file: string): Promise<Map<number, unknown[]>> {
  const summary = await source.summary();
  const decoders = new Map(summary.channels.map((c) => [c.id, createMessageDecoder(c, { file })]));
  const out = new Map<number, unknown[]>();
  for await (const message of source.messages()) {
    const list = out.get(message.channelId) ?? [];
    list.push(decoders.get(message.channelId)!.decode(message.data, message.location?.offset));
    out.set(message.channelId, list);
  }
  return out;
}

function channelOf(summary: { channels: readonly ChannelInfo[] }, topic: string): ChannelInfo {
  return summary.channels.find((c) => c.topic === topic)!;
}

/**
 * Checks that the fixed-offset stamp path gives what a full decode gives, for every message of
 * every channel whose schema allows the fixed path; returns how many messages it compared.
 */
async function compareStampPaths(source: RecordingSource, file: string): Promise<number> {
  const summary = await source.summary();
  let compared = 0;
  const pairs = new Map(
    summary.channels.map((c) => [
      c.id,
      {
        fast: createStampExtractor(c, { file }),
        slow: createStampExtractor(c, { file }, { fixedOffsets: false }),
      },
    ]),
  );
  for await (const message of source.messages()) {
    const { fast, slow } = pairs.get(message.channelId)!;
    if (fast.path !== 'fixed') continue;
    expect(fast.stamp(message)).toEqual(slow.stamp(message));
    compared++;
  }
  return compared;
}

describeShared('decoding real recordings', () => {
  it('decodes every message of the ROS 1 example bag', async () => {
    const source = await openRos1Bag(
      'example.bag',
      bytesReader(await fileBytes(sharedPath('recordings', 'foxglove-rosbag', 'example.bag'))),
    );
    const decoded = await decodeAll(source, 'example.bag');
    const summary = await source.summary();
    expect([...decoded.values()].reduce((n, list) => n + list.length, 0)).toBe(8647);
    const color = decoded.get(channelOf(summary, '/turtle1/color_sensor').id)![0];
    expect(color).toEqual({
      r: expect.any(Number) as unknown,
      g: expect.any(Number) as unknown,
      b: expect.any(Number) as unknown,
    });
    const pose = decoded.get(channelOf(summary, '/turtle1/pose').id)![0] as Record<string, number>;
    expect(Object.keys(pose).sort()).toEqual([
      'angular_velocity',
      'linear_velocity',
      'theta',
      'x',
      'y',
    ]);
  });

  it('decodes the rosbag2 test messages from MCAP and SQLite storage alike', async () => {
    for (const storage of ['mcap', 'sqlite3']) {
      const dir = sharedPath('recordings', 'ros2-rosbag2', storage, 'cdr_test');
      const source = await openRos2Bag(readFileSync(join(dir, 'metadata.yaml'), 'utf8'), {
        reader: async (path) => {
          const reader = await fileReader(join(dir, path));
          closers.push(() => reader.close());
          return reader;
        },
        sqlite: (path) => Promise.resolve(openSqlite(join(dir, path))),
      });
      const decoded = await decodeAll(source, storage);
      const summary = await source.summary();
      const basic = decoded.get(channelOf(summary, '/test_topic').id)!;
      expect(basic).toHaveLength(3);
      expect(basic[0]).toMatchObject({
        bool_value: expect.any(Boolean) as unknown,
        float64_value: expect.any(Number) as unknown,
      });
      const arrays = decoded.get(channelOf(summary, '/array_topic').id)! as Record<
        string,
        unknown
      >[];
      expect(arrays).toHaveLength(4);
      expect(Array.isArray(arrays[0]!['string_values'])).toBe(true);
    }
  });

  it('decodes a SQLite bag without stored definitions through the standard ROS 2 types', async () => {
    const dir = sharedPath('recordings', 'ros2-rosbag2', 'sqlite3', 'wbag');
    const source = await openRos2Bag(readFileSync(join(dir, 'metadata.yaml'), 'utf8'), {
      reader: () => Promise.reject(new Error('not used')),
      sqlite: (path) => {
        const db = openSqlite(join(dir, path));
        closers.push(() => db.close());
        return Promise.resolve(db);
      },
    });
    const channel = channelOf(await source.summary(), 'AAA');
    expect(channel.schemaData.byteLength).toBe(0);
    const decoder = createMessageDecoder(channel, { file: 'wbag' });
    for await (const message of source.messages({ channelIds: [channel.id] })) {
      expect(decoder.decode(message.data)).toEqual({ data: expect.any(String) as unknown });
    }
  });

  it('reads stamps at fixed offsets exactly as a full decode does (ROS 1 /rosout)', async () => {
    const source = await openRos1Bag(
      'example.bag',
      bytesReader(await fileBytes(sharedPath('recordings', 'foxglove-rosbag', 'example.bag'))),
    );
    const summary = await source.summary();
    const rosout = summary.channels.filter((c) => c.topic === '/rosout');
    expect(rosout.map((c) => createStampExtractor(c, context).path)).toEqual([
      'fixed',
      'fixed',
      'fixed',
    ]);
    expect(await compareStampPaths(source, 'example.bag')).toBe(10);
  });

  it('reads stamps at fixed offsets exactly as a full decode does (ROS 2 /rosout)', async () => {
    const path = sharedPath('recordings', 'ros2-rosbag2', 'mcap', 'talker', 'talker.mcap');
    const source = await openMcap('talker.mcap', bytesReader(await fileBytes(path)));
    const rosout = channelOf(await source.summary(), '/rosout');
    expect(createStampExtractor(rosout, context).path).toBe('fixed');
    expect(await compareStampPaths(source, 'talker.mcap')).toBe(10);
    for await (const message of source.messages({ channelIds: [rosout.id] })) {
      const stamp = createStampExtractor(rosout, context).stamp(message);
      expect(stamp.fromHeader).toBe(true);
      expect(stamp.time).not.toBe(message.logTime);
    }
  });
});

const ros1Header = `Header header
string text
================================================================================
MSG: std_msgs/Header
uint32 seq
time stamp
string frame_id
`;
const ros2Header = `std_msgs/Header header
string text
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
`;

function rosChannel(messageEncoding: 'ros1' | 'cdr', schema: string): SchemaSource {
  return {
    topic: '/generated',
    schemaName: 'demo/Stamped',
    schemaEncoding: messageEncoding === 'ros1' ? 'ros1msg' : 'ros2msg',
    schemaData: encoder.encode(schema),
    messageEncoding,
  };
}

const stampedMessage = fc.record({
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  sec: fc.integer({ min: 0, max: 0x7fffffff }),
  nsec: fc.integer({ min: 0, max: 999_999_999 }),
  frame: fc.string({ maxLength: 12 }),
  text: fc.string({ maxLength: 40 }),
  logTime: fc.bigInt({ min: 1n, max: 1n << 62n }),
});

describe('stamp extraction on generated messages', () => {
  it('ROS 1: the fixed path equals the full decode and the written stamp', () => {
    const channel = rosChannel('ros1', ros1Header);
    const writer = new Ros1Writer(parse(ros1Header));
    const fast = createStampExtractor(channel, context);
    const slow = createStampExtractor(channel, context, { fixedOffsets: false });
    expect(fast.path).toBe('fixed');
    fc.assert(
      fc.property(stampedMessage, ({ seq, sec, nsec, frame, text, logTime }) => {
        const data = writer.writeMessage({
          header: { seq, stamp: { sec, nsec }, frame_id: frame },
          text,
        });
        const expected =
          sec === 0 && nsec === 0
            ? { time: logTime, fromHeader: false }
            : { time: BigInt(sec) * NS + BigInt(nsec), fromHeader: true };
        expect(fast.stamp({ data, logTime })).toEqual(expected);
        expect(slow.stamp({ data, logTime })).toEqual(expected);
      }),
    );
  });

  it('ROS 2 little-endian CDR: the fixed path equals the full decode and the written stamp', () => {
    const channel = rosChannel('cdr', ros2Header);
    const writer = new CdrMessageWriter(parse(ros2Header, { ros2: true }));
    const fast = createStampExtractor(channel, context);
    const slow = createStampExtractor(channel, context, { fixedOffsets: false });
    expect(fast.path).toBe('fixed');
    fc.assert(
      fc.property(stampedMessage, ({ sec, nsec, frame, text, logTime }) => {
        const data = writer.writeMessage({
          header: { stamp: { sec, nanosec: nsec }, frame_id: frame },
          text,
        });
        const expected =
          sec === 0 && nsec === 0
            ? { time: logTime, fromHeader: false }
            : { time: BigInt(sec) * NS + BigInt(nsec), fromHeader: true };
        expect(fast.stamp({ data, logTime })).toEqual(expected);
        expect(slow.stamp({ data, logTime })).toEqual(expected);
      }),
    );
  });

  it('ROS 2 big-endian CDR: the fixed path equals the full decode', () => {
    const channel = rosChannel('cdr', ros2Header);
    const fast = createStampExtractor(channel, context);
    const slow = createStampExtractor(channel, context, { fixedOffsets: false });
    fc.assert(
      fc.property(stampedMessage, ({ sec, nsec, frame, text, logTime }) => {
        const writer = new CdrWriter({ kind: EncapsulationKind.CDR_BE });
        writer.int32(sec).uint32(nsec).string(frame).string(text);
        const data = writer.data;
        expect(fast.stamp({ data, logTime })).toEqual(slow.stamp({ data, logTime }));
        if (sec > 0)
          expect(fast.stamp({ data, logTime }).time).toBe(BigInt(sec) * NS + BigInt(nsec));
      }),
    );
  });

  it('takes foxglove-style leading timestamps and falls back to the log time without a stamp', () => {
    const foxglove = rosChannel('cdr', 'builtin_interfaces/Time timestamp\nstring frame_id\n');
    expect(createStampExtractor(foxglove, context).path).toBe('fixed');
    const data = new CdrMessageWriter(
      parse('builtin_interfaces/Time timestamp\nstring frame_id\n', { ros2: true }),
    ).writeMessage({
      timestamp: { sec: 5, nanosec: 7 },
      frame_id: 'f',
    });
    expect(createStampExtractor(foxglove, context).stamp({ data, logTime: 1n })).toEqual({
      time: 5n * NS + 7n,
      fromHeader: true,
    });

    const plain = rosChannel('cdr', 'string data\n');
    const extractor = createStampExtractor(plain, context);
    expect(extractor.path).toBe('none');
    expect(
      extractor.stamp({ data: new Uint8Array([0, 1, 0, 0, 1, 0, 0, 0, 0]), logTime: 42n }),
    ).toEqual({ time: 42n, fromHeader: false });

    const late = rosChannel(
      'cdr',
      'string name\nstd_msgs/Header header\n================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n',
    );
    expect(createStampExtractor(late, context).path).toBe('decoded');
  });
});

describe('JSON and protobuf decoding', () => {
  it('decodes JSON messages and finds their stamps', () => {
    const channel: SchemaSource = {
      topic: '/j',
      schemaName: 'Pose',
      schemaEncoding: 'jsonschema',
      schemaData: encoder.encode('{}'),
      messageEncoding: 'json',
    };
    const decoder = createMessageDecoder(channel, context);
    const data = encoder.encode(JSON.stringify({ timestamp: { sec: 3, nsec: 4 }, x: 1 }));
    expect(decoder.decode(data)).toEqual({ timestamp: { sec: 3, nsec: 4 }, x: 1 });
    expect(createStampExtractor(channel, context).stamp({ data, logTime: 9n })).toEqual({
      time: 3n * NS + 4n,
      fromHeader: true,
    });
    expect(() => decoder.decode(encoder.encode('{not json'), 77)).toThrow(CorruptRecording);
  });

  it('decodes protobuf messages from a FileDescriptorSet schema, stamps from google.protobuf.Timestamp', () => {
    const root = protobuf.Root.fromJSON({
      nested: {
        google: {
          nested: {
            protobuf: {
              nested: {
                Timestamp: {
                  fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } },
                },
              },
            },
          },
        },
        demo: {
          nested: {
            Reading: {
              fields: {
                timestamp: { type: 'google.protobuf.Timestamp', id: 1 },
                value: { type: 'double', id: 2 },
              },
            },
          },
        },
      },
    });
    const set = (root as unknown as { toDescriptor(v: string): protobuf.Message }).toDescriptor(
      'proto3',
    );
    const channel: SchemaSource = {
      topic: '/p',
      schemaName: 'demo.Reading',
      schemaEncoding: 'protobuf',
      schemaData: descriptor.FileDescriptorSet.encode(set).finish(),
      messageEncoding: 'protobuf',
    };
    const data = root
      .lookupType('demo.Reading')
      .encode({ timestamp: { seconds: 1_700_000_000, nanos: 250 }, value: 2.5 })
      .finish();
    expect(createMessageDecoder(channel, context).decode(data)).toEqual({
      timestamp: { seconds: '1700000000', nanos: 250 },
      value: 2.5,
    });
    expect(createStampExtractor(channel, context).stamp({ data, logTime: 1n })).toEqual({
      time: 1_700_000_000n * NS + 250n,
      fromHeader: true,
    });
  });

  it('reports unknown encodings as Unsupported and broken schemas or payloads as CorruptRecording', () => {
    expect(() =>
      createMessageDecoder(
        {
          topic: '/f',
          schemaName: 'x',
          schemaEncoding: 'flatbuffer',
          schemaData: new Uint8Array(),
          messageEncoding: 'flatbuffer',
        },
        context,
      ),
    ).toThrow(Unsupported);
    expect(() => createMessageDecoder(rosChannel('ros1', 'uint8[ broken'), context)).toThrow(
      CorruptRecording,
    );
    expect(() =>
      createMessageDecoder(
        { ...rosChannel('cdr', ''), schemaEncoding: '', schemaName: 'acme_msgs/msg/Secret' },
        context,
      ),
    ).toThrow(Unsupported);
    const decoder = createMessageDecoder(rosChannel('cdr', ros2Header), context);
    const error = (() => {
      try {
        decoder.decode(new Uint8Array([0, 1, 0, 0, 5]), 1234);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CorruptRecording);
    expect(error).toMatchObject({ offset: 1234, file: 'test.mcap' });
  });
});
