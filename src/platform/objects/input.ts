/**
 * Checks of everything a caller hands to an object store, done in one place and before any file
 * system or network call: a key that fails here never reaches `node:fs` or S3, so no name can
 * escape the store's root or land half-written.
 */
import { InvalidInput } from '../errors.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import type { ObjectBody, ObjectInfo } from './object-store.js';

/** Longest key in UTF-8 bytes; S3 allows 1024 for the whole name, and the store adds a prefix. */
export const maxKeyBytes = 768;
/** Longest key segment in UTF-8 bytes; file systems allow 255 per name, and refs add a suffix. */
export const maxSegmentBytes = 200;
/** Largest single range read: a read is buffered whole, so it is capped like any other buffer. */
export const maxReadBytes = 256 * 1024 * 1024;

// With the `u` flag a surrogate pair is one code point, so this matches only unpaired halves.
const loneSurrogate = /\p{Cs}/u;
const sha256Hex = /^[0-9a-f]{64}$/;
const printableAscii = /^[\u0020-\u007e]+$/;

function describe(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function checkCharacters(value: string, field: string, what: string): void {
  if (loneSurrogate.test(value)) {
    throw new InvalidInput(`${what} ${describe(value)} is not well-formed Unicode`, field);
  }
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) {
      throw new InvalidInput(
        `${what} ${describe(value)} contains control character U+${code.toString(16).padStart(4, '0').toUpperCase()} at index ${index}`,
        field,
      );
    }
  }
  const backslash = value.indexOf('\\');
  if (backslash !== -1) {
    throw new InvalidInput(
      `${what} ${describe(value)} contains a backslash at index ${backslash}; use '/' to separate segments`,
      field,
    );
  }
  if (value.startsWith('/')) {
    throw new InvalidInput(
      `${what} ${describe(value)} is absolute; keys are relative names`,
      field,
    );
  }
  if (Buffer.byteLength(value, 'utf8') > maxKeyBytes) {
    throw new InvalidInput(`${what} ${describe(value)} is longer than ${maxKeyBytes} bytes`, field);
  }
}

function checkSegment(segment: string, value: string, field: string, what: string): void {
  if (segment === '') {
    throw new InvalidInput(`${what} ${describe(value)} has an empty segment`, field);
  }
  if (segment === '.' || segment === '..') {
    throw new InvalidInput(`${what} ${describe(value)} has a '${segment}' segment`, field);
  }
  if (Buffer.byteLength(segment, 'utf8') > maxSegmentBytes) {
    throw new InvalidInput(
      `${what} ${describe(value)} has a segment longer than ${maxSegmentBytes} bytes`,
      field,
    );
  }
}

/**
 * Checks an object key: a relative, slash-separated name with no empty, `.` or `..` segments,
 * no backslashes or control characters, at most `maxKeyBytes` long. Throws InvalidInput naming it.
 */
export function validateKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string') throw new InvalidInput(`${field} must be a string`, field);
  if (key === '') throw new InvalidInput(`${field} must not be empty`, field);
  checkCharacters(key, field, field);
  for (const segment of key.split('/')) checkSegment(segment, key, field, field);
  return key;
}

/**
 * Checks a list prefix: like a key, except that it may be empty, end with `/`, or end in part
 * of a segment (`recordings/2024-`).
 */
export function validatePrefix(prefix: unknown, field = 'prefix'): string {
  if (typeof prefix !== 'string') throw new InvalidInput(`${field} must be a string`, field);
  if (prefix === '') return prefix;
  checkCharacters(prefix, field, field);
  const segments = prefix.split('/');
  segments.pop();
  for (const segment of segments) checkSegment(segment, prefix, field, field);
  return prefix;
}

/** Checks a lower-case hex sha256 (upper case is accepted and lowered). */
export function validateSha256(value: unknown, field: string): string {
  const lowered = typeof value === 'string' ? value.toLowerCase() : value;
  if (typeof lowered !== 'string' || !sha256Hex.test(lowered)) {
    throw new InvalidInput(`${field} must be 64 hexadecimal digits (a sha256)`, field);
  }
  return lowered;
}

/** Checks a media type; it travels in HTTP headers, so only printable ASCII is allowed. */
export function validateContentType(value: unknown): string {
  if (value === undefined) return 'application/octet-stream';
  if (typeof value !== 'string' || value.length > 255 || !printableAscii.test(value)) {
    throw new InvalidInput(
      'contentType must be 1 to 255 printable ASCII characters (a media type)',
      'contentType',
    );
  }
  return value;
}

/**
 * Checks a range read against the object it reads and returns the number of bytes to read:
 * `length`, or fewer at the end of the object.
 */
export function rangeLength(info: ObjectInfo, offset: unknown, length: unknown): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidInput('offset must be a non-negative integer', 'offset');
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidInput('length must be a non-negative integer', 'length');
  }
  if (length > maxReadBytes) {
    throw new InvalidInput(`length must be at most ${maxReadBytes} bytes per read`, 'length');
  }
  if (offset > info.size) {
    throw new InvalidInput(
      `offset ${offset} is past the end of object '${info.key}' (${info.size} bytes)`,
      'offset',
    );
  }
  return Math.min(length, info.size - offset);
}

/** The chunks of a body, each checked to be bytes; a Uint8Array body is one chunk. */
export async function* bodyChunks(body: ObjectBody): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
    throw new InvalidInput('body must be a Uint8Array or an async iterable of Uint8Array', 'body');
  }
  let offset = 0;
  for await (const chunk of body) {
    if (!(chunk instanceof Uint8Array)) {
      throw new InvalidInput(
        `body yielded a chunk that is not a Uint8Array at byte ${offset}`,
        'body',
      );
    }
    offset += chunk.byteLength;
    yield chunk;
  }
}

/** The cursor of a list page that ended with `key`. */
export function encodeListCursor(key: string): string {
  return encodeCursor([key]);
}

/** The last key of the page a cursor came from; InvalidInput on the `cursor` field otherwise. */
export function decodeListCursor(cursor: unknown): string {
  if (typeof cursor !== 'string') throw new InvalidInput('cursor must be a string', 'cursor');
  const [key] = decodeCursor(cursor, 1);
  if (typeof key !== 'string') {
    throw new InvalidInput('cursor is not a cursor returned by this list', 'cursor');
  }
  return validateKey(key, 'cursor');
}
