import { describe, expect, it } from 'vitest';
import { formatAgo, formatTime, progressFraction, shorten } from './format.js';

describe('formatTime', () => {
  it('shows a dash for no time and the raw text for a time it cannot read', () => {
    expect(formatTime(null)).toBe('—');
    expect(formatTime('yesterday')).toBe('yesterday');
  });

  it('shows the date and the minute', () => {
    expect(formatTime('2030-06-15T10:04:00.000Z', 'en-GB')).toMatch(/15 Jun 2030.*\d{2}:04/);
  });
});

describe('formatAgo', () => {
  const now = Date.parse('2030-06-15T12:00:00Z');
  it('says how long ago, in the largest fitting unit', () => {
    expect(formatAgo(null, now)).toBe('never');
    expect(formatAgo('2030-06-15T11:59:30Z', now)).toBe('just now');
    expect(formatAgo('2030-06-15T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2030-06-15T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2030-06-12T12:00:00Z', now)).toBe('3 d ago');
  });
});

describe('progressFraction', () => {
  it('is the done share, kept within 0 and 1', () => {
    expect(progressFraction(5, 10)).toBe(0.5);
    expect(progressFraction(12, 10)).toBe(1);
    expect(progressFraction(-1, 10)).toBe(0);
  });

  it('is unknown without a total', () => {
    expect(progressFraction(3, 0)).toBeUndefined();
    expect(progressFraction(Number.NaN, 10)).toBeUndefined();
  });
});

describe('shorten', () => {
  it('keeps short values and cuts long ones', () => {
    expect(shorten('abc')).toBe('abc');
    expect(shorten('0123456789abcdef', 8)).toBe('01234567…');
  });
});
