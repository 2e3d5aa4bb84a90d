import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../platform/errors.js';
import { parseVelodyneCalibration } from './velodyne-calibration.js';

const laser = (id: number, vert: number, extra = '') =>
  `  - {laser_id: ${id}, rot_correction: 0.01, vert_correction: ${vert}, dist_correction: 0.0, dist_correction_x: 0.0, dist_correction_y: 0.0, vert_offset_correction: 0.0, focal_distance: 0.0, focal_slope: 0.0${extra}}`;

describe('parseVelodyneCalibration', () => {
  it('reads the corrections as float32 and numbers rings by elevation', () => {
    const calibration = parseVelodyneCalibration(
      [
        'num_lasers: 3',
        'lasers:',
        laser(0, 0.1, ', max_intensity: 200.7, horiz_offset_correction: 0.05'),
        laser(1, -0.2),
        laser(2, 0.0),
      ].join('\n'),
    );
    expect(calibration.numLasers).toBe(3);
    expect(calibration.distanceResolution).toBe(Math.fround(0.002));
    expect(calibration.lasers.map((l) => l.laserRing)).toEqual([2, 0, 1]);
    expect(calibration.lasers[0]?.rotCorrection).toBe(Math.fround(0.01));
    expect(calibration.lasers[0]?.maxIntensity).toBe(200);
    expect(calibration.lasers[1]?.maxIntensity).toBe(255);
    expect(calibration.lasers[0]?.horizOffsetCorrection).toBe(Math.fround(0.05));
  });

  it('names the field that is missing or wrong', () => {
    const broken = [
      'num_lasers: 2',
      'lasers:',
      laser(0, 0.1),
      laser(1, 0).replace('rot_correction: 0.01, ', ''),
    ].join('\n');
    expect(() => parseVelodyneCalibration(broken, 'VLP32.yaml')).toThrow(
      /VLP32.yaml: lasers\[1\]\.rot_correction must be a finite number/,
    );
    expect(() => parseVelodyneCalibration('num_lasers: 2\nlasers:\n' + laser(0, 0.1))).toThrow(
      /at least num_lasers entries/,
    );
    expect(() =>
      parseVelodyneCalibration(['num_lasers: 2', 'lasers:', laser(0, 0), laser(0, 1)].join('\n')),
    ).toThrow(/listed twice/);
    expect(() => parseVelodyneCalibration(': : :')).toThrow(InvalidInput);
    expect(() => parseVelodyneCalibration('- 1')).toThrow(/expected a YAML mapping/);
  });
});
