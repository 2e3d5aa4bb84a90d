import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../errors.js';
import { copyRanges, parseS3Url, s3ClientConfig } from './s3.js';

describe('parseS3Url', () => {
  it('reads the bucket and an optional prefix', () => {
    expect(parseS3Url('s3://fleet-data')).toEqual({ bucket: 'fleet-data', prefix: '' });
    expect(parseS3Url('s3://fleet-data/')).toEqual({ bucket: 'fleet-data', prefix: '' });
    expect(parseS3Url('s3://fleet.data/drivetrain/prod/')).toEqual({
      bucket: 'fleet.data',
      prefix: 'drivetrain/prod',
    });
  });

  it('rejects bad bucket names and prefixes, naming the setting', () => {
    for (const url of [
      's3://',
      's3://Upper',
      's3://ab',
      's3://bucket/../x',
      's3://bucket/a//b',
      'http://x',
    ]) {
      expect(() => parseS3Url(url)).toThrow(InvalidInput);
      expect(() => parseS3Url(url)).toThrow('DRIVETRAIN_OBJECTS');
    }
  });
});

describe('s3ClientConfig', () => {
  it('uses an endpoint with path-style addressing and a default region', () => {
    const config = s3ClientConfig({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(config).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    });
  });

  it('prefers the S3-specific endpoint and an explicit region, and passes a session token', () => {
    const config = s3ClientConfig({
      AWS_ENDPOINT_URL: 'http://general:1',
      AWS_ENDPOINT_URL_S3: 'https://s3.example:443',
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    expect(config.endpoint).toBe('https://s3.example:443');
    expect(config.region).toBe('eu-central-1');
    expect(config.credentials).toEqual({
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('leaves AWS S3 addressing, region and credentials to the SDK when nothing is set', () => {
    expect(s3ClientConfig({})).toEqual({});
    expect(s3ClientConfig({ AWS_DEFAULT_REGION: 'us-west-2' })).toEqual({ region: 'us-west-2' });
  });

  it('rejects an endpoint that is not an http(s) URL', () => {
    expect(() => s3ClientConfig({ AWS_ENDPOINT_URL: 'not a url' })).toThrow('AWS_ENDPOINT_URL');
    expect(() => s3ClientConfig({ AWS_ENDPOINT_URL_S3: 'ftp://x' })).toThrow('AWS_ENDPOINT_URL_S3');
  });
});

describe('copyRanges', () => {
  it('covers every byte once, in at most 10,000 parts of at least 5 MiB but the last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 * 1024 ** 4 }),
        fc.integer({ min: 1, max: 2 * 1024 ** 3 }),
        (size, partSize) => {
          const ranges = copyRanges(size, partSize);
          expect(ranges.length).toBeLessThanOrEqual(10_000);
          expect(ranges[0]?.start).toBe(0);
          expect(ranges.at(-1)?.end).toBe(size - 1);
          const contiguous = ranges.every(
            (range, index) => index === 0 || range.start === (ranges[index - 1]?.end ?? 0) + 1,
          );
          const largeEnough = ranges
            .slice(0, -1)
            .every((range) => range.end - range.start + 1 >= 5 * 1024 ** 2);
          expect(contiguous && largeEnough).toBe(true);
        },
      ),
    );
  });
});
