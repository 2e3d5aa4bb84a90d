import { ros2humble } from '@foxglove/rosmsg-msgs-common';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';
import { describe, expect, it } from 'vitest';
import { ros2SchemaNames, ros2SchemaText, ros2Writer } from './schemas.js';

const reference = ros2humble as unknown as Record<string, MessageDefinition | undefined>;

/** Field name, type and shape, with time types spelled as the reference spells them. */
function shape(fields: readonly MessageDefinitionField[]): string[] {
  return fields.map((f) => {
    const type = f.type === 'builtin_interfaces/Time' ? 'time' : f.type;
    const constant = f.isConstant === true ? `=${String(f.value)}` : '';
    const array = f.isArray === true ? `[${f.arrayLength ?? ''}]` : '';
    return `${type}${array} ${f.name}${constant}`;
  });
}

describe('ros2msg schemas', () => {
  it('match the upstream definitions of every common type they use', () => {
    let compared = 0;
    for (const name of ros2SchemaNames) {
      for (const definition of parse(ros2SchemaText(name), { ros2: true })) {
        const typeName = (definition.name ?? name).replace('/msg/', '/');
        const upstream = reference[typeName];
        if (upstream === undefined || typeName === 'builtin_interfaces/Time') continue;
        expect(shape(definition.definitions), typeName).toEqual(shape(upstream.definitions));
        compared++;
      }
    }
    // CompressedImage, Image, PointCloud2, PointField, Imu, Quaternion, Vector3, NavSatFix,
    // NavSatStatus and Header (radar_msgs and can_msgs are not in the reference set)
    expect(compared).toBeGreaterThanOrEqual(10);
  });

  it('separate dependencies as rosbag2 does and name builtin_interfaces/Time', () => {
    const text = ros2SchemaText('sensor_msgs/msg/NavSatFix');
    expect(text.startsWith('std_msgs/Header header\n')).toBe(true);
    expect(text).toContain(`\n${'='.repeat(80)}\nMSG: std_msgs/Header\n`);
    expect(text).toContain('MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n');
    expect(text).toContain('MSG: sensor_msgs/NavSatStatus\n');
  });

  it('serialize CDR that the reference reader decodes back', () => {
    const writer = ros2Writer('can_msgs/msg/Frame');
    const message = {
      header: { stamp: { sec: 1_700_000_000, nanosec: 123_456_789 }, frame_id: 'can0' },
      id: 0xb4,
      is_rtr: false,
      is_extended: false,
      is_error: false,
      dlc: 8,
      data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
    };
    const reader = new MessageReader(parse(ros2SchemaText('can_msgs/msg/Frame'), { ros2: true }));
    const decoded = reader.readMessage<typeof message>(writer.writeMessage(message));
    expect(decoded.header.stamp).toEqual(message.header.stamp);
    expect(decoded.id).toBe(0xb4);
    expect([...decoded.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
