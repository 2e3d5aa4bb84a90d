import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { CorruptRecording, Unsupported } from '../../platform/errors.js';

/**
 * The ROS 2 messages that carry raw sensor packets. Bags written by rosbag2 before Iron store
 * no message definitions, so drivetrain keeps these (from the public `velodyne_msgs`,
 * `pandar_msgs` and `nebula_msgs` packages) to deserialize them.
 */

const separator =
  '\n================================================================================\n';

const header = `MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id`;

/** `.msg` definitions (with dependencies) of the packet container messages, by schema name. */
export const packetMessageDefinitions: Readonly<Record<string, string>> = {
  'velodyne_msgs/msg/VelodyneScan': [
    'std_msgs/Header header\nVelodynePacket[] packets',
    header,
    'MSG: velodyne_msgs/VelodynePacket\nbuiltin_interfaces/Time stamp\nuint8[1206] data',
  ].join(separator),
  'pandar_msgs/msg/PandarScan': [
    'std_msgs/Header header\nPandarPacket[] packets',
    header,
    'MSG: pandar_msgs/PandarPacket\nbuiltin_interfaces/Time stamp\nuint8[1500] data\nuint32 size',
  ].join(separator),
  'nebula_msgs/msg/NebulaPackets': [
    'std_msgs/Header header\nNebulaPacket[] packets',
    header,
    'MSG: nebula_msgs/NebulaPacket\nbuiltin_interfaces/Time stamp\nuint8[] data',
  ].join(separator),
};

/** One raw packet with its receive stamp. */
export interface SensorPacket {
  /** Nanoseconds since the Unix epoch. */
  readonly stampNs: bigint;
  readonly data: Uint8Array;
}

/** A decoded packet container message. */
export interface SensorPacketMessage {
  readonly stampNs: bigint;
  readonly frameId: string;
  readonly packets: readonly SensorPacket[];
}

interface RosTime {
  sec: number;
  nanosec: number;
}

interface RawPacket {
  stamp: RosTime;
  data: Uint8Array;
  size?: number;
}

interface RawContainer {
  header: { stamp: RosTime; frame_id: string };
  packets: RawPacket[];
}

const readers = new Map<string, MessageReader>();

function readerFor(schemaName: string): MessageReader {
  const cached = readers.get(schemaName);
  if (cached) return cached;
  const definition = packetMessageDefinitions[schemaName];
  if (definition === undefined) {
    throw new Unsupported(`no packet decoder for schema '${schemaName}'`, { schemaName });
  }
  const reader = new MessageReader(parse(definition, { ros2: true }));
  readers.set(schemaName, reader);
  return reader;
}

const nanoseconds = (time: RosTime): bigint =>
  BigInt(time.sec) * 1_000_000_000n + BigInt(time.nanosec);

/**
 * Deserializes a CDR-encoded packet container (`VelodyneScan`, `PandarScan`, `NebulaPackets`).
 * A Pandar packet is cut to its `size` field, as the sensor's datagram was that long.
 */
export function decodePacketMessage(
  schemaName: string,
  cdr: Uint8Array,
  source = schemaName,
): SensorPacketMessage {
  const reader = readerFor(schemaName);
  let raw: RawContainer;
  try {
    raw = reader.readMessage<RawContainer>(cdr);
  } catch (error) {
    throw new CorruptRecording(
      source,
      cdr.length,
      `not a valid CDR ${schemaName}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const packets = raw.packets.map((packet, index): SensorPacket => {
    let data = packet.data;
    if (packet.size !== undefined) {
      if (packet.size > data.length) {
        throw new CorruptRecording(
          source,
          0,
          `packet ${index} claims ${packet.size} bytes but holds ${data.length}`,
        );
      }
      data = data.subarray(0, packet.size);
    }
    return { stampNs: nanoseconds(packet.stamp), data };
  });
  return { stampNs: nanoseconds(raw.header.stamp), frameId: raw.header.frame_id, packets };
}
