import type { ErrorCode } from './types.js';

const errorCodes: ReadonlySet<string> = new Set<ErrorCode>([
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
]);

/** What went wrong: a server error code, or `network` when no answer arrived at all. */
export type ApiErrorCode = ErrorCode | 'network';

/** A failed API call, carrying the problem+json document's detail (the text users see). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    readonly code: ApiErrorCode,
    /** The server's explanation, fit to show as is. */
    readonly detail: string,
    /** The request field the server blamed, without its `body.`/`querystring.` prefix. */
    readonly field: string | undefined,
    /** The request id (`instance`), which finds the request in the server log. */
    readonly requestId: string | undefined,
    /** Members of the problem document beyond the standard ones (a query error's `column`…). */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }
}

/** Maps a status to a code for answers that are not problem+json (proxies, crashes). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'invalid_input';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 422:
      return 'unsupported';
    case 502:
    case 503:
    case 504:
      return 'unavailable';
    default:
      return 'internal';
  }
}

const requestParts = /^(body|querystring|params|headers)\./;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** How much of a non-problem answer is quoted in the message; proxies send whole HTML pages. */
const quotedChars = 200;

/**
 * Turns an error answer into an ApiError. Never throws: a body that is not problem+json (an
 * HTML page from a proxy, an empty body, broken JSON) still gives a message naming the status.
 */
export function parseProblem(
  status: number,
  statusText: string,
  contentType: string | null,
  body: string,
  requestIdHeader: string | null = null,
): ApiError {
  let problem: Record<string, unknown> | undefined;
  if (contentType !== null && /json/i.test(contentType)) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        problem = parsed as Record<string, unknown>;
      }
    } catch {
      problem = undefined;
    }
  }
  const requestId = text(problem?.instance) ?? requestIdHeader ?? undefined;
  const code = text(problem?.code);
  const detail = text(problem?.detail) ?? text(problem?.title);
  if (problem !== undefined && detail !== undefined) {
    const field = text(problem.field)?.replace(requestParts, '');
    const {
      type: _type,
      title: _title,
      status: _status,
      detail: _detail,
      code: _code,
      instance: _instance,
      field: _field,
      ...extensions
    } = problem;
    return new ApiError(
      status,
      code !== undefined && errorCodes.has(code) ? (code as ErrorCode) : codeForStatus(status),
      detail,
      field,
      requestId,
      extensions,
    );
  }
  const plain = contentType !== null && /^text\/plain/i.test(contentType) ? body.trim() : '';
  const quoted = plain.length > quotedChars ? `${plain.slice(0, quotedChars)}…` : plain;
  const answer = `${status}${statusText === '' ? '' : ` ${statusText}`}`;
  return new ApiError(
    status,
    codeForStatus(status),
    quoted === ''
      ? `the server answered ${answer} without an explanation`
      : `the server answered ${answer}: ${quoted}`,
    undefined,
    requestId,
  );
}

/** The message to show for any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error && error.message !== '') return error.message;
  return 'something went wrong';
}
