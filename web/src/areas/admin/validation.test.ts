import { describe, expect, it } from 'vitest';
import { emailProblem, nameProblem, parseExpiry, tokenNameProblem } from './validation.js';

describe('nameProblem', () => {
  it('accepts what the server accepts', () => {
    for (const name of ['perception', 'a', 'team-1', 'fleet_ops.eu', '9lives', 'x'.repeat(63)]) {
      expect(nameProblem(name)).toBeUndefined();
    }
  });

  it('names what is wrong', () => {
    expect(nameProblem('')).toBe('Enter a name.');
    expect(nameProblem('Perception')).toBe('Use lowercase letters only.');
    expect(nameProblem('-team')).toBe('Start with a letter or a digit.');
    expect(nameProblem('my team')).toBe("Use only a-z, 0-9, '.', '_' and '-'.");
    expect(nameProblem('x'.repeat(64))).toBe('Use at most 63 characters (this has 64).');
  });
});

describe('emailProblem', () => {
  it('accepts an empty value and ordinary addresses', () => {
    expect(emailProblem('')).toBeUndefined();
    expect(emailProblem('ada@example.com')).toBeUndefined();
  });

  it('rejects what is not an address', () => {
    expect(emailProblem('ada')).toBe('Enter an address like name@example.com.');
    expect(emailProblem('ada @example.com')).toBe('Enter an address like name@example.com.');
    expect(emailProblem(`${'a'.repeat(250)}@b.cd`)).toBe('Use at most 254 characters.');
  });
});

describe('tokenNameProblem', () => {
  it('needs a non-blank name of at most 100 characters', () => {
    expect(tokenNameProblem('ci')).toBeUndefined();
    expect(tokenNameProblem('   ')).toBe('Enter a name that says where the token is used.');
    expect(tokenNameProblem('x'.repeat(101))).toBe('Use at most 100 characters (this has 101).');
  });
});

describe('parseExpiry', () => {
  const now = new Date(2030, 5, 15, 12, 0, 0);

  it('means no expiry when empty', () => {
    expect(parseExpiry('', now)).toEqual({ expiresAt: null });
  });

  it('ends the token at the end of the chosen local day', () => {
    const { expiresAt } = parseExpiry('2030-06-20', now);
    expect(expiresAt).toBe(new Date(2030, 5, 20, 23, 59, 59, 999).toISOString());
  });

  it('accepts today, which has not ended yet', () => {
    expect(parseExpiry('2030-06-15', now).problem).toBeUndefined();
  });

  it('rejects past days, impossible dates and other formats', () => {
    expect(parseExpiry('2030-06-14', now).problem).toBe('Choose a date in the future.');
    expect(parseExpiry('2030-02-30', now).problem).toBe('2030-02-30 is not a date.');
    expect(parseExpiry('20.06.2030', now).problem).toBe('Enter a date as YYYY-MM-DD.');
  });
});
