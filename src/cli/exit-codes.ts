import type { ErrorCode } from '../platform/index.js';

/**
 * The CLI's exit codes: stable and documented in docs/cli.md. Scripts branch on them, so a code
 * is never reused for another meaning.
 */
export const exitCodes = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalid_input: 3,
  unauthorized: 4,
  forbidden: 5,
  not_found: 6,
  conflict: 7,
  payload_too_large: 8,
  corrupt_recording: 9,
  unsupported: 10,
  quota_exceeded: 11,
  unavailable: 12,
  /** A batch finished, but some of its items were rejected (each rejection is in the output). */
  partial: 13,
  /** A verification (e.g. `audit verify`) ran and found the data does not check out. */
  verification_failed: 14,
} as const satisfies Record<ErrorCode | 'ok' | 'usage' | 'partial' | 'verification_failed', number>;

/** The exit code for a failure with the given error code. */
export function exitCodeFor(code: ErrorCode): number {
  return exitCodes[code];
}
