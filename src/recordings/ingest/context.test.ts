import { parse } from '@foxglove/rosmsg';
import { MessageWriter as Ros1Writer } from '@foxglove/rosmsg-serialization';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMessageDecoder } from '../../formats/index.js';
import { ros2SchemaText, ros2Writer } from '../generator/schemas.js';
import { frameIdReader } from './context.js';

function definitions(schema: string, schemaEncoding: string, messageEncoding: string) {
  return createMessageDecoder(
    {
      topic: '/can',
      schemaName: 'can_msgs/Frame',
      schemaEncoding,
      schemaData: new TextEncoder().encode(schema),
      messageEncoding,
    },
    { file: 'test.mcap' },
  ).definitions!;
}

const ros1Frame = [
  'Header header',
  'uint32 id',
  'bool is_rtr',
  'bool is_extended',
  'bool is_error',
  'uint8 dlc',
  'uint8[8] data',
  '================================================================================',
  'MSG: std_msgs/Header',
  'uint32 seq',
  'time stamp',
  'string frame_id',
].join('\n');

const frames = fc.record({
  seq: fc.nat({ max: 0xffff_ffff }),
  sec: fc.nat({ max: 0x7fff_ffff }),
  nanosec: fc.nat({ max: 999_999_999 }),
  frameId: fc.string({ unit: 'grapheme', maxLength: 12 }),
  id: fc.nat({ max: 0xffff_ffff }),
  dlc: fc.nat({ max: 8 }),
});

describe('reading the id of a CAN frame without decoding it', () => {
  it('finds the id a full decode finds in ROS 2 CDR frames, whatever the frame_id', () => {
    const defs = definitions(ros2SchemaText('can_msgs/msg/Frame'), 'ros2msg', 'cdr');
    const read = frameIdReader(defs, 'cdr')!;
    const writer = ros2Writer('can_msgs/msg/Frame');
    fc.assert(
      fc.property(frames, (f) => {
        const bytes = writer.writeMessage({
          header: { stamp: { sec: f.sec, nanosec: f.nanosec }, frame_id: f.frameId },
          id: f.id,
          is_rtr: false,
          is_extended: f.id > 0x7ff,
          is_error: false,
          dlc: f.dlc,
          data: new Uint8Array(8).fill(f.dlc),
        });
        expect(read(bytes)).toBe(f.id);
      }),
    );
  });

  it('finds the id a full decode finds in ROS 1 frames', () => {
    const defs = definitions(ros1Frame, 'ros1msg', 'ros1');
    const read = frameIdReader(defs, 'ros1')!;
    const writer = new Ros1Writer(parse(ros1Frame));
    fc.assert(
      fc.property(frames, (f) => {
        const bytes = writer.writeMessage({
          header: { seq: f.seq, stamp: { sec: f.sec, nsec: f.nanosec }, frame_id: f.frameId },
          id: f.id,
          is_rtr: false,
          is_extended: false,
          is_error: false,
          dlc: f.dlc,
          data: new Uint8Array(8),
        });
        expect(read(bytes)).toBe(f.id);
      }),
    );
  });

  it('leaves to the decoder what it cannot place: big-endian CDR, short payloads, arrays before the id', () => {
    const read = frameIdReader(
      definitions(ros2SchemaText('can_msgs/msg/Frame'), 'ros2msg', 'cdr'),
      'cdr',
    )!;
    expect(read(new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 1, 0, 0, 0]))).toBe(
      undefined,
    );
    expect(read(new Uint8Array([0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 200, 0, 0, 0]))).toBe(
      undefined,
    );
    expect(frameIdReader(definitions('uint8[] prefix\nuint32 id', 'ros2msg', 'cdr'), 'cdr')).toBe(
      undefined,
    );
    expect(frameIdReader(definitions('uint16 id', 'ros2msg', 'cdr'), 'cdr')).toBe(undefined);
  });
});
