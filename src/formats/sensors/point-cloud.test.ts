import { describe, expect, it } from 'vitest';
import { PointCloudBuilder, type PointFields } from './point-cloud.js';

const point = (i: number): PointFields => ({
  x: i + 0.1,
  y: -i,
  z: i / 3,
  intensity: i % 256,
  returnType: i % 11,
  channel: i % 64,
  azimuth: i / 1000,
  elevation: 0,
  distance: i,
  timeOffsetNs: i * 1000,
});

describe('PointCloudBuilder', () => {
  it('grows past its initial capacity and builds trimmed copies', () => {
    const builder = new PointCloudBuilder();
    for (let i = 0; i < 3000; i++) builder.push(point(i));
    const cloud = builder.build();
    expect(cloud.length).toBe(3000);
    expect(cloud.x.length).toBe(3000);
    expect(cloud.x[2999]).toBe(Math.fround(2999.1));
    expect(cloud.channel[65]).toBe(1);
    builder.clear();
    builder.push(point(7));
    expect(builder.build().timeOffsetNs[0]).toBe(7000);
    // The earlier snapshot is a copy, untouched by later pushes.
    expect(cloud.timeOffsetNs[0]).toBe(0);
  });

  it('pops points from the end', () => {
    const builder = new PointCloudBuilder();
    builder.push(point(1));
    builder.push(point(2));
    expect(builder.pop()?.distance).toBe(2);
    expect(builder.length).toBe(1);
    expect(builder.pop()?.distance).toBe(1);
    expect(builder.pop()).toBeUndefined();
    expect(builder.at(0)).toBeUndefined();
  });
});
