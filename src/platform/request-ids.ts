import { randomBytes } from 'node:crypto';

const processTag = randomBytes(6).toString('base64url');
let counter = 0;

/**
 * A request id unique across processes without a random draw per request: a random tag per
 * process plus a counter. Request ids only correlate log lines, so they need not be secret.
 */
export function newRequestId(): string {
  counter += 1;
  return `req_${processTag}${counter.toString(36)}`;
}
