import type { FastifyError } from 'fastify';
import {
  asDrivetrainError,
  InvalidInput,
  PayloadTooLarge,
  Unsupported,
  type DrivetrainError,
  type ErrorCode,
} from '../platform/index.js';

/** HTTP status per error code: the one place where errors become HTTP. */
export const httpStatusByCode: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  corrupt_recording: 422,
  unsupported: 422,
  quota_exceeded: 403,
  unavailable: 503,
  internal: 500,
};

const titleByCode: Record<ErrorCode, string> = {
  invalid_input: 'Invalid input',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  corrupt_recording: 'Corrupt recording',
  unsupported: 'Unsupported',
  quota_exceeded: 'Quota exceeded',
  unavailable: 'Service unavailable',
  internal: 'Internal error',
};

/** An RFC 9457 problem document, plus drivetrain's stable `code` and the error's details. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly instance: string;
  readonly [detail: string]: unknown;
}

function isFastifyError(error: unknown): error is FastifyError {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'string'
  );
}

/** Turns Fastify's own errors (validation, body parsing, limits) into drivetrain errors. */
function fromFastify(error: FastifyError): DrivetrainError | undefined {
  if (error.validation !== undefined) {
    const first = error.validation[0];
    const where = error.validationContext ?? 'body';
    const path = first?.instancePath.replace(/^\//, '').replaceAll('/', '.') ?? '';
    const extra =
      first?.keyword === 'additionalProperties'
        ? String((first.params as { additionalProperty?: unknown }).additionalProperty)
        : '';
    const field = [where, path, extra].filter((part) => part !== '').join('.');
    const message =
      first?.keyword === 'additionalProperties'
        ? `unknown field '${field}'`
        : `${field} ${first?.message ?? 'is invalid'}`;
    return new InvalidInput(message, field);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLarge('request body is larger than the configured limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Unsupported(`unsupported content type; send application/json`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidInput('request body is empty; send a JSON document', 'body');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidInput(`request body is not valid JSON: ${error.message}`, 'body');
    default:
      break;
  }
  if (
    error instanceof SyntaxError ||
    (error.statusCode !== undefined && error.statusCode < 500 && error.statusCode >= 400)
  ) {
    return new InvalidInput(error.message, 'body');
  }
  return undefined;
}

/** The problem document and status for any thrown value. */
export function toProblem(thrown: unknown, requestId: string): Problem {
  const error =
    (isFastifyError(thrown) ? fromFastify(thrown) : undefined) ?? asDrivetrainError(thrown);
  const status = httpStatusByCode[error.code];
  return {
    ...error.details,
    type: `/problems/${error.code}`,
    title: titleByCode[error.code],
    status,
    // Internal errors keep their message in the log, not in the response.
    detail:
      error.code === 'internal'
        ? 'an internal error occurred; the request id is in the log'
        : error.message,
    code: error.code,
    instance: requestId,
  };
}
