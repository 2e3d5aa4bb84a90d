import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Internal } from '../errors.js';
import { blobName, blobSha256, decodeRef, encodeRef, isOlderThan } from './layout.js';

const sha = 'ab'.repeat(32);

describe('blob names', () => {
  it('fan out by the first two hex digits and map back to the sha256', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (hex) => {
        expect(blobName(hex)).toBe(`blobs/sha256/${hex.slice(0, 2)}/${hex}`);
        expect(blobSha256(blobName(hex))).toBe(hex);
      }),
    );
  });

  it('are not recognised when the fan-out or the digits are wrong', () => {
    expect(blobSha256(`blobs/sha256/cd/${sha}`)).toBeUndefined();
    expect(blobSha256(`blobs/sha256/ab/${sha}x`)).toBeUndefined();
    expect(blobSha256(`blobs/sha256/AB/${sha.toUpperCase()}`)).toBeUndefined();
  });
});

describe('ref records', () => {
  const info = {
    key: 'recordings/drive.mcap',
    size: 123,
    sha256: sha,
    contentType: 'application/x-mcap',
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
  };

  it('round-trip', () => {
    expect(decodeRef(encodeRef(info), info.key, 'refs/x')).toEqual(info);
  });

  it('that are damaged are Internal, naming where they were read', () => {
    const encoded = Buffer.from(encodeRef(info)).toString('utf8');
    const damaged = [
      encoded.slice(0, 20),
      encoded.replace('"size":123', '"size":-1'),
      encoded.replace(sha, 'xyz'),
      encoded.replace('"version":1', '"version":2'),
      encoded.replace('2026-01-02', 'yesterday'),
      'null',
    ];
    for (const text of damaged) {
      expect(() => decodeRef(Buffer.from(text), info.key, 'refs/x')).toThrow(Internal);
      expect(() => decodeRef(Buffer.from(text), info.key, 'refs/x')).toThrow('refs/x');
    }
    expect(() => decodeRef(encodeRef(info), 'another/key', 'refs/x')).toThrow(Internal);
  });

  it('fuzzed bytes never decode into something else, and never throw anything but Internal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeRef(bytes, info.key, 'refs/x');
        } catch (error) {
          expect(error).toBeInstanceOf(Internal);
        }
      }),
    );
  });
});

describe('isOlderThan', () => {
  it('allows one second of timestamp slack', () => {
    const cutoff = new Date(10_000);
    expect(isOlderThan(9_000, cutoff)).toBe(true);
    expect(isOlderThan(9_001, cutoff)).toBe(false);
    expect(isOlderThan(10_000, cutoff)).toBe(false);
  });
});
