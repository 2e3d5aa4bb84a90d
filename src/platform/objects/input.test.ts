import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../errors.js';
import {
  bodyChunks,
  decodeListCursor,
  encodeListCursor,
  maxKeyBytes,
  rangeLength,
  validateContentType,
  validateKey,
  validatePrefix,
  validateSha256,
} from './input.js';

function plain(unit: string): boolean {
  const code = unit.charCodeAt(0);
  return unit !== '/' && unit !== '\\' && code > 0x1f && (code < 0x7f || code > 0x9f);
}

const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((value) => value !== '.' && value !== '..' && value.split('').every(plain));

const info = {
  key: 'k',
  size: 100,
  sha256: '0'.repeat(64),
  contentType: 'application/octet-stream',
  createdAt: new Date(0),
};

function fieldOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return (error as InvalidInput).details.field;
  }
  throw new Error('expected InvalidInput');
}

describe('validateKey', () => {
  it('accepts relative slash-separated names of any Unicode text', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const key = segments.join('/');
        expect(validateKey(key)).toBe(key);
      }),
    );
  });

  it('rejects traversal, absolute paths, backslashes, control characters and empty segments', () => {
    const cases: [string, RegExp][] = [
      ['../x', /'\.\.' segment/],
      ['a/../../b', /'\.\.' segment/],
      ['a/./b', /'\.' segment/],
      ['/etc/passwd', /absolute/],
      ['a//b', /empty segment/],
      ['a/', /empty segment/],
      ['a\\b', /backslash at index 1/],
      ['a\u0000b', /control character U\+0000 at index 1/],
      ['a\u009bb', /control character U\+009B/],
      ['\ud83d', /well-formed/],
      ['x'.repeat(201), /segment longer than 200 bytes/],
      [`${'abc/'.repeat(200)}x`, new RegExp(`longer than ${maxKeyBytes} bytes`)],
      ['', /must not be empty/],
    ];
    for (const [key, message] of cases) {
      expect(() => validateKey(key)).toThrow(message);
      expect(fieldOf(() => validateKey(key))).toBe('key');
    }
    expect(fieldOf(() => validateKey(42))).toBe('key');
  });

  it('never lets a key containing a .. segment through, wherever it is spliced in', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), fc.nat(), (segments, at) => {
        const parts = [...segments];
        parts.splice(at % (parts.length + 1), 0, '..');
        expect(() => validateKey(parts.join('/'))).toThrow(InvalidInput);
      }),
    );
  });

  it('names the error in the message without echoing raw control characters', () => {
    expect(() => validateKey('evil\nname')).toThrow('"evil\\nname"');
  });
});

describe('validatePrefix', () => {
  it('accepts empty, trailing-slash and partial-segment prefixes', () => {
    for (const prefix of ['', 'recordings/', 'recordings/2024-', 'rec', 'a/b/..x']) {
      expect(validatePrefix(prefix)).toBe(prefix);
    }
  });

  it('rejects traversal in its directory part', () => {
    for (const prefix of ['../', 'a/../', '/abs', 'a//', 'a\\b']) {
      expect(fieldOf(() => validatePrefix(prefix))).toBe('prefix');
    }
  });
});

describe('list cursors', () => {
  it('round-trip any key', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        const key = segments.join('/');
        expect(decodeListCursor(encodeListCursor(key))).toBe(key);
      }),
    );
  });

  it('reject anything that is not a cursor of a valid key', () => {
    for (const cursor of [
      '%%%',
      Buffer.from('[1]').toString('base64url'),
      encodeListCursor('../x'),
      7,
    ]) {
      expect(fieldOf(() => decodeListCursor(cursor))).toBe('cursor');
    }
  });
});

describe('other put options', () => {
  it('checks sha256 values and lowers upper case', () => {
    expect(validateSha256('AB'.repeat(32), 'expectedSha256')).toBe('ab'.repeat(32));
    expect(fieldOf(() => validateSha256('ab', 'expectedSha256'))).toBe('expectedSha256');
    expect(fieldOf(() => validateSha256(undefined, 'expectedSha256'))).toBe('expectedSha256');
  });

  it('checks content types that travel in headers', () => {
    expect(validateContentType(undefined)).toBe('application/octet-stream');
    expect(validateContentType('application/x-mcap')).toBe('application/x-mcap');
    for (const bad of ['', 'a\r\nb: c', 'ü', 'x'.repeat(256), 5]) {
      expect(fieldOf(() => validateContentType(bad))).toBe('contentType');
    }
  });
});

describe('rangeLength', () => {
  it('is the requested length, cut at the end of the object', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(1000), (offset, length) => {
        expect(rangeLength(info, offset, length)).toBe(Math.min(length, 100 - offset));
      }),
    );
  });

  it('rejects offsets past the end, negative or fractional numbers and huge reads', () => {
    expect(() => rangeLength(info, 101, 1)).toThrow(
      "offset 101 is past the end of object 'k' (100 bytes)",
    );
    expect(fieldOf(() => rangeLength(info, -1, 1))).toBe('offset');
    expect(fieldOf(() => rangeLength(info, 0.5, 1))).toBe('offset');
    expect(fieldOf(() => rangeLength(info, 0, -1))).toBe('length');
    expect(fieldOf(() => rangeLength(info, 0, Number.NaN))).toBe('length');
    expect(fieldOf(() => rangeLength(info, 0, 2 ** 31))).toBe('length');
  });
});

describe('bodyChunks', () => {
  it('yields a Uint8Array as one chunk and checks each streamed chunk', async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of bodyChunks(new Uint8Array([1, 2]))) chunks.push(chunk);
    expect(chunks).toHaveLength(1);
    async function* mixed(): AsyncGenerator<unknown> {
      yield new Uint8Array(3);
      await Promise.resolve();
      yield 'text';
    }
    const reading = (async () => {
      for await (const chunk of bodyChunks(mixed() as AsyncIterable<Uint8Array>))
        chunks.push(chunk);
    })();
    await expect(reading).rejects.toThrow('not a Uint8Array at byte 3');
  });
});
