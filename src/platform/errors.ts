/**
 * The error taxonomy of drivetrain. Every failure a user can cause or observe is one of these
 * classes; each has a stable `code` that the HTTP API (problem+json `code`) and the CLI (exit
 * code) map in exactly one place each, so callers can branch on the code, never on the message.
 */

/** Stable, documented error codes. Never rename one; add new ones at the end. */
export const errorCodes = [
  'invalid_input',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'corrupt_recording',
  'unsupported',
  'quota_exceeded',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Base class of every drivetrain error: a code, a human message, and structured details. */
export abstract class DrivetrainError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Thrown when a request, file or argument does not match what was expected; names the field. */
export class InvalidInput extends DrivetrainError {
  readonly code = 'invalid_input';
  constructor(
    message: string,
    readonly field?: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, field === undefined ? details : { field, ...details });
  }
}

/** Thrown when a caller presents no credentials, or credentials that are unknown, expired or revoked. */
export class Unauthorized extends DrivetrainError {
  readonly code = 'unauthorized';
}

/** Thrown when an authenticated caller lacks the role or grant an action needs. */
export class Forbidden extends DrivetrainError {
  readonly code = 'forbidden';
}

/** Thrown when a named thing does not exist (or the caller may not know that it exists). */
export class NotFound extends DrivetrainError {
  readonly code = 'not_found';
  constructor(kind: string, id: string) {
    super(`${kind} '${id}' not found`, { kind, id });
  }
}

/** Thrown when a write contradicts current state: a duplicate name, a stale version, an illegal transition. */
export class Conflict extends DrivetrainError {
  readonly code = 'conflict';
}

/** Thrown when a request body or upload exceeds a configured limit. */
export class PayloadTooLarge extends DrivetrainError {
  readonly code = 'payload_too_large';
}

/**
 * Thrown by a recording reader when the bytes of a file do not match its format. Always names
 * the file and the byte offset at which the reader found the problem, and what it expected.
 */
export class CorruptRecording extends DrivetrainError {
  readonly code = 'corrupt_recording';
  constructor(
    readonly file: string,
    readonly offset: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${message} (at byte ${offset})`, { file, offset }, options);
  }
}

/** Thrown when input is well-formed but uses a feature, version or encoding drivetrain does not support. */
export class Unsupported extends DrivetrainError {
  readonly code = 'unsupported';
}

/** Thrown when an action would exceed a team's quota or a platform limit. */
export class QuotaExceeded extends DrivetrainError {
  readonly code = 'quota_exceeded';
}

/** Thrown when a dependency (database, object store, executor) cannot be reached. */
export class Unavailable extends DrivetrainError {
  readonly code = 'unavailable';
}

/** Thrown for a broken invariant inside drivetrain: a bug, never the caller's fault. */
export class Internal extends DrivetrainError {
  readonly code = 'internal';
}

/** Narrows an unknown thrown value to a DrivetrainError, wrapping anything else as Internal. */
export function asDrivetrainError(error: unknown): DrivetrainError {
  if (error instanceof DrivetrainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new Internal(message, {}, { cause: error });
}
