import { describe, expect, it } from 'vitest';
import { sensorDecodersFor } from './registry.js';

function velodynePacket(): Uint8Array {
  const bytes = new Uint8Array(1206);
  for (let block = 0; block < 12; block++) bytes.set([0xff, 0xee], block * 100);
  bytes[1204] = 0x37;
  bytes[1205] = 0x28;
  return bytes;
}

function hesaiPacket(): Uint8Array {
  const bytes = new Uint8Array(1072);
  bytes.set([0xee, 0xff, 3, 1, 0, 0, 64, 4]);
  return bytes;
}

const canFrame = (id: number) => Uint8Array.from([0, 0, id >> 8, id & 0xff, 1, 2, 3]);

describe('sensorDecodersFor', () => {
  it('knows the decoder of the vendor packet containers from the schema alone', () => {
    expect(sensorDecodersFor('velodyne_msgs/msg/VelodyneScan')).toEqual([
      { decoder: 'velodyne', kind: 'lidar' },
    ]);
    expect(sensorDecodersFor('pandar_msgs/msg/PandarScan')).toEqual([
      { decoder: 'hesai', kind: 'lidar' },
    ]);
    expect(sensorDecodersFor('sensor_msgs/msg/PointCloud2')).toEqual([]);
  });

  it('lists every candidate for NebulaPackets until a packet decides', () => {
    expect(sensorDecodersFor('nebula_msgs/msg/NebulaPackets').map((m) => m.decoder)).toEqual([
      'velodyne',
      'hesai',
      'continental-ars548',
      'continental-srr520',
    ]);
    const ars548 = new Uint8Array(16);
    ars548[3] = 336 & 0xff;
    ars548[2] = 336 >> 8;
    expect(sensorDecodersFor('nebula_msgs/msg/NebulaPackets', ars548)).toEqual([
      { decoder: 'continental-ars548', kind: 'radar' },
    ]);
    expect(sensorDecodersFor('nebula_msgs/msg/NebulaPackets', canFrame(900))).toEqual([
      { decoder: 'continental-srr520', kind: 'radar' },
    ]);
    expect(sensorDecodersFor('nebula_msgs/msg/NebulaPackets', hesaiPacket())).toEqual([
      { decoder: 'hesai', kind: 'lidar', model: 'PandarQT64' },
    ]);
    expect(sensorDecodersFor('nebula_msgs/msg/NebulaPackets', Uint8Array.from([9, 9, 9]))).toEqual(
      [],
    );
  });

  it('names the model a packet reports and refuses packets of another sensor', () => {
    expect(sensorDecodersFor('velodyne_msgs/msg/VelodyneScan', velodynePacket())).toEqual([
      { decoder: 'velodyne', kind: 'lidar', model: 'VLP32' },
    ]);
    expect(sensorDecodersFor('velodyne_msgs/msg/VelodyneScan', hesaiPacket())).toEqual([]);
  });
});
