import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatHz,
  formatOffset,
  formatPosition,
  formatRate,
  formatTimeRange,
} from './format.js';

describe('formatBytes', () => {
  it('uses binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(23.4 * 1024 ** 2)).toBe('23.4 MiB');
    expect(formatBytes(512 * 1024 ** 3)).toBe('512 GiB');
    expect(formatBytes(10 * 1024 ** 4)).toBe('10.0 TiB');
  });

  it('shows a dash for what is not a size', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('shows a rate per second', () => {
    expect(formatRate(8.1 * 1024 ** 2)).toBe('8.10 MiB/s');
  });
});

describe('formatDuration', () => {
  it('picks the unit by length', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(0.345)).toBe('0.34 s');
    expect(formatDuration(24)).toBe('24.0 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(2 * 3600 + 4 * 60 + 10)).toBe('2 h 04 min');
  });
});

describe('formatHz, formatCount, formatOffset, formatPosition', () => {
  it('formats rates, counts, offsets and positions', () => {
    expect(formatHz(null)).toBe('—');
    expect(formatHz(29.97)).toBe('30.0 Hz');
    expect(formatHz(100.2)).toBe('100 Hz');
    expect(formatHz(0.25)).toBe('0.25 Hz');
    expect(formatCount(12345, 'en-US')).toBe('12,345');
    expect(formatCount(null)).toBe('—');
    expect(formatOffset(0)).toBe('0:00');
    expect(formatOffset(80.9)).toBe('1:20');
    expect(formatOffset(3725)).toBe('1:02:05');
    expect(formatPosition(48.13743, -11.57549)).toBe('48.1374° N, 11.5755° W');
  });
});

describe('formatTimeRange', () => {
  it('writes the date once for a drive within one day', () => {
    const start = new Date(2024, 9, 12, 7, 53, 31).toISOString();
    const end = new Date(2024, 9, 12, 7, 53, 55).toISOString();
    expect(formatTimeRange(start, end, 'en-GB')).toBe('12 Oct 2024, 07:53:31 – 07:53:55');
    const nextDay = new Date(2024, 9, 13, 0, 10, 0).toISOString();
    expect(formatTimeRange(start, nextDay, 'en-GB')).toBe(
      '12 Oct 2024, 07:53:31 – 13 Oct 2024, 00:10:00',
    );
  });
});
