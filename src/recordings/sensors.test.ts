import { describe, expect, it } from 'vitest';
import { classifySensor } from './sensors.js';

describe('classifySensor', () => {
  it.each([
    ['/camera/front', 'sensor_msgs/Image', 'camera'],
    ['/camera/front', 'sensor_msgs/msg/CompressedImage', 'camera'],
    ['/cam', 'foxglove.CompressedImage', 'camera'],
    ['/points', 'sensor_msgs/msg/PointCloud2', 'lidar'],
    ['/top', 'foxglove.PointCloud', 'lidar'],
    ['/radar/fl', 'radar_msgs/msg/RadarScan', 'radar'],
    ['/can', 'can_msgs/Frame', 'can'],
    ['CAN_DataFrame', 'mdf4/CAN_DataFrame', 'can'],
    ['/fix', 'sensor_msgs/NavSatFix', 'gnss'],
    ['/imu', 'sensor_msgs/msg/Imu', 'imu'],
    ['/odom', 'nav_msgs/msg/Odometry', 'pose'],
    ['/tf', 'tf2_msgs/msg/TFMessage', 'pose'],
    ['/sensing/lidar/front/velodyne_packets', 'velodyne_msgs/msg/VelodyneScan', 'lidar'],
  ])('%s with schema %s is %s', (topic, schema, sensor) => {
    expect(classifySensor(topic, schema)).toBe(sensor);
  });

  it('falls back to the topic when the schema is generic', () => {
    expect(
      classifySensor('/sensing/radar/front_center/nebula_packets', 'nebula_msgs/msg/NebulaPackets'),
    ).toBe('radar');
    expect(
      classifySensor('/sensing/lidar/top/nebula_packets', 'nebula_msgs/msg/NebulaPackets'),
    ).toBe('lidar');
    expect(classifySensor('/vehicle/can0/raw', 'std_msgs/msg/ByteMultiArray')).toBe('can');
    expect(classifySensor('/gps/raw', 'std_msgs/String')).toBe('gnss');
    expect(classifySensor('/rosout', 'rcl_interfaces/msg/Log')).toBe('other');
    expect(classifySensor('/turtle1/pose', 'turtlesim/Pose')).toBe('pose');
    expect(classifySensor('/scanner', '')).toBe('other');
  });
});
