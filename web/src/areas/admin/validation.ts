/**
 * Checks of the admin forms, mirroring the server's rules so a mistake is named at the field
 * before a request is sent. The server checks again; its answer is shown when it disagrees.
 */

const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Why a user or team name is not accepted, or undefined when it is. */
export function nameProblem(value: string): string | undefined {
  if (value === '') return 'Enter a name.';
  if (value.length > 63) return `Use at most 63 characters (this has ${value.length}).`;
  if (/[A-Z]/.test(value)) return 'Use lowercase letters only.';
  if (!/^[a-z0-9]/.test(value)) return 'Start with a letter or a digit.';
  if (!namePattern.test(value)) return "Use only a-z, 0-9, '.', '_' and '-'.";
  return undefined;
}

/** Why an optional email address is not accepted, or undefined when it is (or is empty). */
export function emailProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 254) return 'Use at most 254 characters.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return 'Enter an address like name@example.com.';
  return undefined;
}

/** Why a token name is not accepted, or undefined when it is. */
export function tokenNameProblem(value: string): string | undefined {
  if (value.trim() === '') return 'Enter a name that says where the token is used.';
  if (value.length > 100) return `Use at most 100 characters (this has ${value.length}).`;
  return undefined;
}

/**
 * The expiry of a new token from a date input (`YYYY-MM-DD`, end of that day in local time), or
 * why it is not accepted. An empty value means the token does not expire.
 */
export function parseExpiry(
  value: string,
  now: Date,
): { expiresAt: string | null; problem?: undefined } | { expiresAt?: undefined; problem: string } {
  if (value === '') return { expiresAt: null };
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return { problem: 'Enter a date as YYYY-MM-DD.' };
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const end = new Date(year, month - 1, day, 23, 59, 59, 999);
  if (end.getFullYear() !== year || end.getMonth() !== month - 1 || end.getDate() !== day) {
    return { problem: `${value} is not a date.` };
  }
  if (end.getTime() <= now.getTime()) return { problem: 'Choose a date in the future.' };
  return { expiresAt: end.toISOString() };
}
