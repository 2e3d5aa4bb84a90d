import { ApiError } from '../api/index.js';

/**
 * The message to show under a form field: the form's own check once the user tried to submit,
 * else the server's complaint when it named this field.
 */
export function fieldMessage(
  own: string | undefined,
  submitted: boolean,
  serverError: unknown,
  field: string,
): string | undefined {
  if (submitted && own !== undefined) return own;
  if (serverError instanceof ApiError && serverError.field === field) return serverError.detail;
  return undefined;
}

/** A server error that no field shows, so it goes into a banner. */
export function formLevelError(serverError: unknown, fields: readonly string[]): unknown {
  if (
    serverError instanceof ApiError &&
    serverError.field !== undefined &&
    fields.includes(serverError.field)
  ) {
    return undefined;
  }
  return serverError ?? undefined;
}
