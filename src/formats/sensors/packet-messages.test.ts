import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';
import { decodePacketMessage, packetMessageDefinitions } from './packet-messages.js';

const writer = (schema: string) =>
  new MessageWriter(parse(packetMessageDefinitions[schema] ?? '', { ros2: true }));

const nebulaPackets = writer('nebula_msgs/msg/NebulaPackets').writeMessage({
  header: { stamp: { sec: 1708578204, nanosec: 199326753 }, frame_id: 'radar' },
  packets: [
    { stamp: { sec: 1708578204, nanosec: 5 }, data: new Uint8Array([1, 2, 3]) },
    { stamp: { sec: 1708578205, nanosec: 0 }, data: new Uint8Array(0) },
  ],
});

describe('decodePacketMessage', () => {
  it('decodes a NebulaPackets message with nanosecond stamps', () => {
    const message = decodePacketMessage('nebula_msgs/msg/NebulaPackets', nebulaPackets);
    expect(message.stampNs).toBe(1708578204199326753n);
    expect(message.frameId).toBe('radar');
    expect(message.packets.map((packet) => [packet.stampNs, Array.from(packet.data)])).toEqual([
      [1708578204000000005n, [1, 2, 3]],
      [1708578205000000000n, []],
    ]);
  });

  it('cuts Pandar packets to their size field', () => {
    const data = new Uint8Array(1500);
    data[1071] = 9;
    const cdr = writer('pandar_msgs/msg/PandarScan').writeMessage({
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'hesai' },
      packets: [{ stamp: { sec: 1, nanosec: 3 }, data, size: 1072 }],
    });
    const [packet] = decodePacketMessage('pandar_msgs/msg/PandarScan', cdr).packets;
    expect(packet?.data.length).toBe(1072);
    expect(packet?.data[1071]).toBe(9);
    const oversized = writer('pandar_msgs/msg/PandarScan').writeMessage({
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'hesai' },
      packets: [{ stamp: { sec: 1, nanosec: 3 }, data, size: 1501 }],
    });
    expect(() => decodePacketMessage('pandar_msgs/msg/PandarScan', oversized, 'bag #4')).toThrow(
      /bag #4: packet 0 claims 1501 bytes but holds 1500/,
    );
  });

  it('rejects truncated CDR and schemas it has no definition for', () => {
    expect(() =>
      decodePacketMessage('nebula_msgs/msg/NebulaPackets', nebulaPackets.subarray(0, 40)),
    ).toThrow(CorruptRecording);
    expect(() => decodePacketMessage('sensor_msgs/msg/Image', nebulaPackets)).toThrow(Unsupported);
  });

  it('never fails with anything but CorruptRecording on damaged messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(nebulaPackets.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 10,
        }),
        fc.nat(nebulaPackets.length),
        (flips, length) => {
          const bytes = nebulaPackets.slice(0, length);
          for (const [offset, value] of flips) if (offset < length) bytes[offset] = value;
          try {
            decodePacketMessage('nebula_msgs/msg/NebulaPackets', bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecording);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
