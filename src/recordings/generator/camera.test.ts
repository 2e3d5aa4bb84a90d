import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { cameraFramePool, renderFramePool, type FramePoolSpec } from './camera.js';

const spec: FramePoolSpec = {
  seed: 4,
  cameraId: 'camera_front',
  yaw: 0,
  light: 'day',
  weather: 'clear',
  format: 'jpeg',
  width: 96,
  height: 60,
  count: 2,
};

function meanLuma(frame: Uint8Array): number {
  const { data } = jpeg.decode(frame, { useTArray: true });
  let sum = 0;
  for (let i = 0; i < data.length; i += 4)
    sum += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  return sum / (data.length / 4);
}

describe('cameraFramePool', () => {
  it('renders real JPEG frames of the requested size, the same for the same spec', () => {
    const pool = cameraFramePool(spec);
    expect(pool.frames).toHaveLength(2);
    for (const frame of pool.frames) {
      expect([frame[0], frame[1]]).toEqual([0xff, 0xd8]);
      const image = jpeg.decode(frame, { useTArray: true });
      expect([image.width, image.height]).toEqual([96, 60]);
    }
    expect(pool.frames[0]).not.toEqual(pool.frames[1]);
    expect(renderFramePool(spec).frames).toEqual(pool.frames);
    expect(cameraFramePool({ ...spec, seed: 5 }).frames).not.toEqual(pool.frames);
  });

  it('shows night darker than day and fog flatter than clear weather', () => {
    const day = meanLuma(cameraFramePool(spec).frames[0]!);
    const night = meanLuma(cameraFramePool({ ...spec, light: 'night' }).frames[0]!);
    expect(night).toBeLessThan(day * 0.6);
    const contrast = (frame: Uint8Array): number => {
      const { data } = jpeg.decode(frame, { useTArray: true });
      const green = Array.from({ length: data.length / 4 }, (_, i) => data[i * 4 + 1]!);
      const mean = green.reduce((sum, g) => sum + g, 0) / green.length;
      return Math.sqrt(green.reduce((sum, g) => sum + (g - mean) ** 2, 0) / green.length);
    };
    const fog = contrast(cameraFramePool({ ...spec, weather: 'fog' }).frames[0]!);
    expect(fog).toBeLessThan(contrast(cameraFramePool(spec).frames[0]!));
  });

  it('returns raw rgb8 frames, cached per spec, equal to a fresh render', () => {
    const raw = cameraFramePool({ ...spec, format: 'raw' });
    expect(raw.frames[0]).toHaveLength(96 * 60 * 3);
    expect(cameraFramePool({ ...spec, format: 'raw' })).toBe(raw);
    expect(renderFramePool({ ...spec, format: 'raw' }).frames).toEqual(raw.frames);
  });
});
