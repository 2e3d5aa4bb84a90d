import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/errors.js';
import { f32 } from './float32.js';
import { angleIsBetween, ScanCutter, type BlockAzimuths } from './scan-cutter.js';

const circle = f32(2 * f32(Math.PI));
const rad = (degrees: number) => f32(degrees * (Math.PI / 180));

/** A block of three channels at `azimuth` offset by -1, 0 and +1 degrees. */
function block(azimuthDeg: number): BlockAzimuths {
  const wrap = (d: number) => f32(rad(((d % 360) + 360) % 360));
  return {
    azimuths: Float32Array.from([wrap(azimuthDeg - 1), wrap(azimuthDeg), wrap(azimuthDeg + 1)]),
    minCorrectionIndex: 0,
    maxCorrectionIndex: 2,
  };
}

function recorder(cutDeg: number, fovStartDeg: number, fovEndDeg: number) {
  const events: string[] = [];
  const cutter = new ScanCutter(
    3,
    circle,
    rad(cutDeg),
    rad(fovStartDeg),
    rad(fovEndDeg),
    (buffer) => events.push(`emit ${buffer}`),
    (buffer) => events.push(`stamp ${buffer}`),
  );
  return { cutter, events };
}

describe('angleIsBetween', () => {
  it('handles plain, wrapping and full-circle sectors', () => {
    expect(angleIsBetween(90, 270, 180)).toBe(true);
    expect(angleIsBetween(270, 90, 0)).toBe(true);
    expect(angleIsBetween(270, 90, 180)).toBe(false);
    expect(angleIsBetween(0, 0, 0)).toBe(true);
    expect(angleIsBetween(0, 0, 0, false, false)).toBe(false);
    expect(angleIsBetween(10, 20, 10, false, true)).toBe(false);
    expect(angleIsBetween(10, 20, 20, true, false)).toBe(false);
  });

  it('puts every angle in exactly one of two complementary sectors', () => {
    const angle = fc.integer({ min: 0, max: 359 });
    fc.assert(
      fc.property(angle, angle, angle, (start, end, a) => {
        fc.pre(start !== end);
        const inFirst = angleIsBetween(start, end, a, true, false);
        const inSecond = angleIsBetween(end, start, a, true, false);
        expect(inFirst !== inSecond).toBe(true);
      }),
    );
  });
});

describe('ScanCutter', () => {
  it('emits one scan per revolution when the cut lies inside a full field of view', () => {
    const { cutter, events } = recorder(0, 0, 360);
    for (let azimuth = 10; azimuth < 3 * 360; azimuth += 20) {
      cutter.step(block(azimuth));
    }
    expect(events.filter((event) => event.startsWith('emit'))).toEqual(['emit 0', 'emit 1']);
    expect(events[0]).toBe('stamp 0');
  });

  it('sends the channels of a block that straddles the cut to different buffers', () => {
    const { cutter } = recorder(0, 0, 360);
    cutter.step(block(340));
    const state = cutter.step(block(0.5));
    expect(Array.from(state.channelBuffers)).toEqual([0, 1, 1]);
    expect(state.bufferState).toBe(-1);
  });

  it('cuts at the end of a partial field of view and skips blocks outside it', () => {
    const { cutter, events } = recorder(90, 270, 90);
    const inFov: boolean[] = [];
    for (let azimuth = 0; azimuth < 720; azimuth += 30) {
      const state = cutter.step(block(azimuth));
      inFov.push(ScanCutter.intersectsFov(state));
    }
    expect(inFov.slice(0, 12)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(events.filter((event) => event.startsWith('emit'))).toHaveLength(2);
  });

  it('rejects a cut outside the field of view or on its start', () => {
    expect(() => recorder(180, 270, 90)).toThrow(InvalidInput);
    expect(() => recorder(270, 270, 90)).toThrow(/start of the field of view/);
  });
});
