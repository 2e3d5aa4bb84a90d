import { createHash, randomBytes } from 'node:crypto';

const tokenPrefix = 'dt_';

/** A new API token secret: 256 random bits, prefixed so that secret scanners can recognise it. */
export function generateTokenSecret(): string {
  return `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * How a token is stored. The secret has 256 bits of entropy, so a fast hash is as safe as a slow
 * one here (there is nothing to brute-force) and keeps authentication cheap on every request.
 */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether a string looks like a token this platform issued (cheap check before any lookup). */
export function looksLikeToken(secret: string): boolean {
  return secret.startsWith(tokenPrefix) && secret.length === tokenPrefix.length + 43;
}
