/**
 * The object store on S3 or any S3-compatible service, with the same content-addressed layout
 * as the local store (docs/adr/010) under a key prefix:
 *
 *   <prefix>blobs/sha256/ab/ab12…   content, named by its sha256
 *   <prefix>refs/<key>              one small JSON record per key
 *   <prefix>tmp/<time>-<uuid>       uploads whose sha256 was not known when they started
 *
 * A body that fits in one part is hashed in memory and written straight to its blob with its
 * sha256, which S3 verifies. A larger body is streamed as a multipart upload to a temporary key
 * while it is hashed, then copied server-side onto its blob (multipart UploadPartCopy above the
 * 5 GiB limit of one copy). The ref is written last; S3 replaces an object atomically, so
 * readers see the old object or the new one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  DrivetrainError,
  Internal,
  InvalidInput,
  NotFound,
  PayloadTooLarge,
  Unavailable,
} from '../errors.js';
import { pageSize } from '../pagination.js';
import {
  bodyChunks,
  decodeListCursor,
  encodeListCursor,
  rangeLength,
  validateContentType,
  validateKey,
  validatePrefix,
  validateSha256,
} from './input.js';
import {
  blobName,
  blobSha256,
  decodeRef,
  defaultGraceMs,
  encodeRef,
  type GarbageCollecting,
  type GarbageCollectionOptions,
  type GarbageReport,
  isOlderThan,
} from './layout.js';
import type {
  ListOptions,
  ObjectBody,
  ObjectHandle,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  PutOptions,
} from './object-store.js';

const mebibyte = 1024 * 1024;
/** S3's smallest part (except the last) and most parts of one multipart upload. */
const minPartBytes = 5 * mebibyte;
const maxParts = 10_000;
/** Largest object that one CopyObject may copy. */
const maxSingleCopyBytes = 5 * 1024 * mebibyte;
/** Parallel requests for small metadata reads (refs) and part copies. */
const metadataConcurrency = 16;
const copyConcurrency = 4;

/** Tuning of an S3 object store; the defaults suit multi-gigabyte recordings. */
export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for the whole bucket). */
  readonly prefix?: string;
  /**
   * Part size of multipart uploads (default 8 MiB, at least 5 MiB). Bodies up to this size are
   * written in one request; an upload holds `partSize × (queueSize + 1)` bytes in memory and
   * can be at most `partSize × 10,000` bytes long.
   */
  readonly partSize?: number;
  /** Parts uploaded in parallel (default 4). */
  readonly queueSize?: number;
  /** Blobs larger than this are copied with multipart UploadPartCopy (default and maximum 5 GiB). */
  readonly singleCopyLimit?: number;
  /** Part size of multipart copies (default 512 MiB, raised as needed to stay within 10,000 parts). */
  readonly copyPartSize?: number;
}

/** Where an `s3://bucket/prefix` URL points. */
export interface S3Location {
  readonly bucket: string;
  /** '' or a key prefix without leading or trailing slash. */
  readonly prefix: string;
}

/** Parses `s3://bucket` or `s3://bucket/prefix`; `field` names the setting in errors. */
export function parseS3Url(url: string, field = 'DRIVETRAIN_OBJECTS'): S3Location {
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(url);
  if (match === null) throw new InvalidInput(`${field} must look like s3://bucket/prefix`, field);
  const bucket = match[1] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new InvalidInput(
      `${field} names bucket '${bucket}'; a bucket name has 3 to 63 lower-case letters, digits, dots and hyphens`,
      field,
    );
  }
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '') validateKey(prefix, field);
  return { bucket, prefix };
}

/**
 * S3 client settings from the standard AWS variables: `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` (an S3-compatible service, addressed path-style), `AWS_REGION` (or
 * `AWS_DEFAULT_REGION`; `us-east-1` when only an endpoint is set), `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. Whatever is unset is left to the SDK's own
 * chain (shared config files, instance and container roles).
 */
export function s3ClientConfig(env: Readonly<Record<string, string | undefined>>): S3ClientConfig {
  const config: S3ClientConfig = {};
  const endpointField = env.AWS_ENDPOINT_URL_S3 ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL';
  const endpoint = env[endpointField];
  if (endpoint) {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      throw new InvalidInput(`${endpointField} must be an http(s) URL`, endpointField);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InvalidInput(`${endpointField} must be an http(s) URL`, endpointField);
    }
    config.endpoint = endpoint;
    // S3-compatible services rarely have wildcard DNS for virtual-hosted bucket names.
    config.forcePathStyle = true;
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined);
  if (region) config.region = region;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return config;
}

/** Opens the store at `s3://bucket/prefix` with a client configured from `env`. */
export function openS3ObjectStore(
  url: string,
  options: {
    readonly env?: Readonly<Record<string, string | undefined>>;
  } & Omit<S3ObjectStoreOptions, 'client' | 'bucket' | 'prefix'> = {},
): S3ObjectStore {
  const { env = process.env, ...tuning } = options;
  const { bucket, prefix } = parseS3Url(url);
  return new S3ObjectStore({
    ...tuning,
    client: new S3Client(s3ClientConfig(env)),
    bucket,
    prefix,
  });
}

/** Byte ranges (inclusive ends) of a multipart copy of `size` bytes in parts of about `partSize`. */
export function copyRanges(size: number, partSize: number): { start: number; end: number }[] {
  const step = Math.max(partSize, minPartBytes, Math.ceil(size / maxParts));
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += step) {
    ranges.push({ start, end: Math.min(start + step, size) - 1 });
  }
  return ranges;
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface S3ErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function isMissing(error: unknown): boolean {
  const shape = error as S3ErrorShape | undefined;
  if (shape?.name === 'NoSuchKey' || shape?.name === 'NotFound') return true;
  return shape?.$metadata?.httpStatusCode === 404 && shape.name !== 'NoSuchBucket';
}

/** Where the bytes of a new blob come from, kept until the put has finished. */
type BlobSource =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'temporary'; readonly key: string; readonly size: number };

/** Random access to one blob by ranged GETs; the blob key is fixed when the handle is opened. */
class S3ObjectHandle implements ObjectHandle {
  constructor(
    readonly info: ObjectInfo,
    private readonly store: S3ObjectStore,
    private readonly blobKey: string,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const wanted = rangeLength(this.info, offset, length);
    if (wanted === 0) return new Uint8Array(0);
    return this.store.readBlobRange(this.info, this.blobKey, offset, wanted);
  }

  async close(): Promise<void> {}
}

/** Content-addressed object store in an S3 bucket; see the module comment for the layout. */
export class S3ObjectStore implements ObjectStore, GarbageCollecting {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly singleCopyLimit: number;
  private readonly copyPartSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') validateKey(prefix, 'prefix');
    this.prefix = prefix === '' ? '' : `${prefix}/`;
    this.location = `s3://${this.bucket}/${prefix}`;
    this.partSize = options.partSize ?? 8 * mebibyte;
    this.queueSize = options.queueSize ?? 4;
    this.singleCopyLimit = Math.min(
      options.singleCopyLimit ?? maxSingleCopyBytes,
      maxSingleCopyBytes,
    );
    this.copyPartSize = options.copyPartSize ?? 512 * mebibyte;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < minPartBytes) {
      throw new InvalidInput(
        `partSize must be an integer of at least ${minPartBytes} bytes`,
        'partSize',
      );
    }
    if (!Number.isSafeInteger(this.queueSize) || this.queueSize < 1) {
      throw new InvalidInput('queueSize must be a positive integer', 'queueSize');
    }
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    const expected =
      options.expectedSha256 === undefined
        ? undefined
        : validateSha256(options.expectedSha256, 'expectedSha256');
    const contentType = validateContentType(options.contentType);
    const { sha256, size, source } = await this.receive(body, options.onProgress);
    try {
      if (expected !== undefined && sha256 !== expected) {
        throw new InvalidInput(
          `content of '${key}' has sha256 ${sha256}, expected ${expected}`,
          'expectedSha256',
          { key, sha256, expected },
        );
      }
      // The blob is written even when identical content exists: S3 keeps one copy, and the
      // fresh modification time keeps a concurrent collectGarbage off it.
      await this.writeBlob(sha256, source);
      const info: ObjectInfo = { key, size, sha256, contentType, createdAt: new Date() };
      await this.writeRef(info);
      // collectGarbage may have removed the blob between its check and its delete; the source
      // is still at hand, so the put repairs that before it reports success.
      if ((await this.headObject(this.blobKey(sha256))) === undefined)
        await this.writeBlob(sha256, source);
      return info;
    } finally {
      if (source.kind === 'temporary') await this.deleteQuietly(source.key);
    }
  }

  async copy(from: string, to: string): Promise<ObjectInfo> {
    validateKey(from, 'from');
    validateKey(to, 'to');
    const source = await this.requireRef(from);
    const blob = this.blobKey(source.sha256);
    // The new ref names a blob this call did not write. Copying the blob onto itself (server
    // side) before writing the ref gives it the fresh LastModified a put's write gives, so
    // collectGarbage keeps it even if it missed the new ref and `from` is deleted meanwhile
    // (docs/adr/012). S3 refuses a copy onto itself that changes nothing, hence REPLACE.
    if (source.size <= this.singleCopyLimit) {
      await this.send('touch', blob, async () => {
        try {
          await this.client.send(
            new CopyObjectCommand({
              Bucket: this.bucket,
              Key: blob,
              CopySource: this.copySource(blob),
              MetadataDirective: 'REPLACE',
            }),
          );
        } catch (error) {
          if (isMissing(error)) throw this.missingBlob(source);
          throw error;
        }
      });
    } else {
      await this.copyInParts(blob, blob, source.size);
    }
    const info: ObjectInfo = { ...source, key: to, createdAt: new Date() };
    await this.writeRef(info);
    // Unlike a put, a copy holds no source to rewrite a blob collected in between from.
    if ((await this.headObject(blob)) === undefined) throw this.missingBlob(source);
    return info;
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    validateKey(key);
    const info = await this.requireRef(key);
    const output = await this.send('read', key, async () => {
      try {
        return await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: this.blobKey(info.sha256) }),
        );
      } catch (error) {
        if (isMissing(error)) throw this.missingBlob(info);
        throw error;
      }
    });
    const stream: unknown = output.Body;
    if (typeof stream !== 'object' || stream === null || !(Symbol.asyncIterator in stream)) {
      throw new Internal(`S3 returned no readable body for object '${key}'`, { key });
    }
    return stream as AsyncIterable<Uint8Array>;
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const handle = await this.open(key);
    return handle.read(offset, length);
  }

  async open(key: string): Promise<ObjectHandle> {
    validateKey(key);
    const info = await this.requireRef(key);
    return new S3ObjectHandle(info, this, this.blobKey(info.sha256));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    return this.readRef(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ObjectPage> {
    validatePrefix(prefix);
    const limit = pageSize(options.limit);
    const after = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
    const refs = this.refKey('');
    const output: ListObjectsV2CommandOutput = await this.send('list', prefix, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: refs + prefix,
          MaxKeys: limit,
          ...(after === undefined ? {} : { StartAfter: refs + after }),
        }),
      ),
    );
    const listed = (output.Contents ?? []).flatMap((entry) =>
      entry.Key === undefined ? [] : [entry.Key.slice(refs.length)],
    );
    // Names that are not valid keys (folder markers made by consoles, say) were not written
    // by a put, so they are not objects of this store.
    const keys = listed.filter((key) => {
      try {
        validateKey(key);
        return true;
      } catch {
        return false;
      }
    });
    const infos = await mapLimit(keys, metadataConcurrency, (key) => this.readRef(key));
    const objects = infos.filter((info): info is ObjectInfo => info !== undefined);
    const last = listed[listed.length - 1];
    return output.IsTruncated === true && last !== undefined
      ? { objects, next: encodeListCursor(last) }
      : { objects };
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.send('delete', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.refKey(key) })),
    );
  }

  async ping(): Promise<void> {
    await this.send('reach bucket', this.bucket, () =>
      this.client.send(new HeadBucketCommand({ Bucket: this.bucket })),
    );
  }

  /**
   * Removes blobs that no ref names and that were last written before `olderThan`, and
   * temporary uploads older than that.
   *
   * Safe against concurrent puts: refs are listed before blobs, every put rewrites its blob
   * (a fresh LastModified) before writing its ref and every copy copies it onto itself, a
   * candidate's time is checked again right before it is deleted, and a put checks after
   * writing its ref that its blob still exists and rewrites it from the source it still holds
   * if not. Incomplete multipart uploads of crashed writers are left to the bucket's
   * AbortIncompleteMultipartUpload lifecycle rule.
   */
  async collectGarbage(options: GarbageCollectionOptions = {}): Promise<GarbageReport> {
    const cutoff = options.olderThan ?? new Date(Date.now() - defaultGraceMs);
    const referenced = new Set<string>();
    const refs = this.refKey('');
    for await (const page of this.listAll(refs)) {
      const keys = page.flatMap((entry) => {
        const key = entry.key.slice(refs.length);
        try {
          return [validateKey(key)];
        } catch {
          return [];
        }
      });
      const infos = await mapLimit(keys, metadataConcurrency, (key) => this.readRef(key));
      for (const info of infos) if (info !== undefined) referenced.add(info.sha256);
    }
    let blobsRemoved = 0;
    let bytesRemoved = 0;
    let blobsKept = 0;
    for await (const page of this.listAll(`${this.prefix}blobs/sha256/`)) {
      const candidates = page.filter((entry) => {
        const sha256 = blobSha256(entry.key.slice(this.prefix.length));
        if (sha256 === undefined) return false;
        if (referenced.has(sha256) || !isOlderThan(entry.lastModified, cutoff)) {
          blobsKept += 1;
          return false;
        }
        return true;
      });
      await mapLimit(candidates, metadataConcurrency, async (entry) => {
        const current = await this.headObject(entry.key);
        if (current === undefined) return;
        if (!isOlderThan(current.getTime(), cutoff)) {
          blobsKept += 1;
          return;
        }
        await this.deleteObject(entry.key);
        blobsRemoved += 1;
        bytesRemoved += entry.size;
      });
    }
    let temporariesRemoved = 0;
    for await (const page of this.listAll(`${this.prefix}tmp/`)) {
      for (const entry of page) {
        if (!isOlderThan(entry.lastModified, cutoff)) continue;
        await this.deleteObject(entry.key);
        temporariesRemoved += 1;
      }
    }
    return { blobsRemoved, bytesRemoved, blobsKept, temporariesRemoved };
  }

  /** Releases the client's sockets. */
  async close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  /** Reads `length` bytes at `offset` of a blob (a range already checked against `info`). */
  async readBlobRange(
    info: ObjectInfo,
    blobKey: string,
    offset: number,
    length: number,
  ): Promise<Uint8Array> {
    const bytes = await this.send('read', info.key, async () => {
      try {
        const output = await this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: blobKey,
            Range: `bytes=${offset}-${offset + length - 1}`,
          }),
        );
        if (output.Body === undefined) throw new Internal(`S3 returned no body for '${info.key}'`);
        return await output.Body.transformToByteArray();
      } catch (error) {
        if (isMissing(error)) throw this.missingBlob(info);
        throw error;
      }
    });
    if (bytes.byteLength !== length) {
      throw new Unavailable(
        `S3 returned ${bytes.byteLength} bytes for ${length} bytes at offset ${offset} of '${info.key}'`,
        { location: this.location, key: info.key, offset, length },
      );
    }
    return bytes;
  }

  /**
   * Consumes a body while hashing it. What fits in one part stays in memory; anything larger
   * is streamed to a temporary key as it arrives, since its blob name is not known yet.
   */
  private async receive(
    body: ObjectBody,
    onProgress: ((bytes: number) => void) | undefined,
  ): Promise<{ sha256: string; size: number; source: BlobSource }> {
    const hash = createHash('sha256');
    if (body instanceof Uint8Array) {
      hash.update(body);
      onProgress?.(body.byteLength);
      return {
        sha256: hash.digest('hex'),
        size: body.byteLength,
        source: { kind: 'bytes', bytes: body },
      };
    }
    const chunks = bodyChunks(body);
    const head: Uint8Array[] = [];
    let size = 0;
    while (size <= this.partSize) {
      const next = await chunks.next();
      if (next.done === true) {
        const bytes = Buffer.concat(head, size);
        return { sha256: hash.digest('hex'), size, source: { kind: 'bytes', bytes } };
      }
      hash.update(next.value);
      head.push(next.value);
      size += next.value.byteLength;
      onProgress?.(size);
    }
    const key = `${this.prefix}tmp/${Date.now()}-${randomUUID()}`;
    // An error of the caller's body is the caller's to see, not an object store failure.
    let bodyError: Error | undefined;
    async function* remaining(): AsyncGenerator<Uint8Array> {
      yield* head;
      head.length = 0;
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.byteLength;
          onProgress?.(size);
          yield chunk;
        }
      } catch (error) {
        bodyError = error instanceof Error ? error : new Error(String(error));
        throw bodyError;
      }
    }
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: Readable.from(remaining(), { objectMode: true, highWaterMark: 1 }),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    try {
      await upload.done();
    } catch (error) {
      await this.deleteQuietly(key);
      if (bodyError !== undefined) throw bodyError;
      if (error instanceof Error && /exceeded .*parts/i.test(error.message)) {
        throw new PayloadTooLarge(
          `upload is larger than ${this.partSize * maxParts} bytes (10,000 parts of ${this.partSize}); raise partSize`,
          { location: this.location, partSize: this.partSize },
        );
      }
      throw this.failure(error, 'upload', key);
    }
    return { sha256: hash.digest('hex'), size, source: { kind: 'temporary', key, size } };
  }

  private async writeBlob(sha256: string, source: BlobSource): Promise<void> {
    const target = this.blobKey(sha256);
    if (source.kind === 'bytes' && source.bytes.byteLength <= this.partSize) {
      await this.send('write', target, () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: target,
            Body: source.bytes,
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          }),
        ),
      );
    } else if (source.kind === 'bytes') {
      await this.send('upload', target, () =>
        new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key: target, Body: source.bytes },
          partSize: this.partSize,
          queueSize: this.queueSize,
        }).done(),
      );
    } else if (source.size <= this.singleCopyLimit) {
      const output = await this.send('copy', target, () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: target,
            CopySource: this.copySource(source.key),
            ChecksumAlgorithm: 'SHA256',
          }),
        ),
      );
      // Services that compute a whole-object checksum of the copy let the put check it.
      const result = output.CopyObjectResult;
      const reported = result?.ChecksumSHA256;
      if (reported !== undefined && result?.ChecksumType !== 'COMPOSITE') {
        const actual = Buffer.from(reported, 'base64').toString('hex');
        if (actual !== sha256) {
          await this.deleteQuietly(target);
          throw new Unavailable(
            `copy of an upload to blob ${sha256} has sha256 ${actual} on ${this.location}`,
            { location: this.location, sha256, actual },
          );
        }
      }
    } else {
      await this.copyInParts(source.key, target, source.size);
    }
  }

  private async copyInParts(from: string, to: string, size: number): Promise<void> {
    const created = await this.send('copy', to, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to })),
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Internal(`S3 returned no upload id for ${to}`);
    try {
      const parts = await mapLimit(
        copyRanges(size, this.copyPartSize),
        copyConcurrency,
        async (range, index) => {
          const output = await this.send('copy', to, () =>
            this.client.send(
              new UploadPartCopyCommand({
                Bucket: this.bucket,
                Key: to,
                UploadId: uploadId,
                PartNumber: index + 1,
                CopySource: this.copySource(from),
                CopySourceRange: `bytes=${range.start}-${range.end}`,
              }),
            ),
          );
          return { PartNumber: index + 1, ETag: output.CopyPartResult?.ETag };
        },
      );
      await this.send('copy', to, () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: to,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        ),
      );
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  private async writeRef(info: ObjectInfo): Promise<void> {
    await this.send('write the ref of', info.key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.refKey(info.key),
          Body: encodeRef(info),
          ContentType: 'application/json',
        }),
      ),
    );
  }

  private async readRef(key: string): Promise<ObjectInfo | undefined> {
    const refKey = this.refKey(key);
    const bytes = await this.send('read the ref of', key, async () => {
      try {
        const output = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: refKey }),
        );
        return await output.Body?.transformToByteArray();
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    });
    return bytes === undefined ? undefined : decodeRef(bytes, key, `s3://${this.bucket}/${refKey}`);
  }

  private async requireRef(key: string): Promise<ObjectInfo> {
    const info = await this.readRef(key);
    if (info === undefined) throw new NotFound('object', key);
    return info;
  }

  /** Last-modified time of an object, or undefined when it does not exist. */
  private async headObject(key: string): Promise<Date | undefined> {
    return this.send('check', key, async () => {
      try {
        const output = await this.client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        );
        return output.LastModified ?? new Date();
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    });
  }

  private async *listAll(
    prefix: string,
  ): AsyncGenerator<{ key: string; size: number; lastModified: number }[]> {
    let token: string | undefined;
    do {
      const output: ListObjectsV2CommandOutput = await this.send('list', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      );
      yield (output.Contents ?? []).flatMap((entry) =>
        entry.Key === undefined
          ? []
          : [
              {
                key: entry.Key,
                size: entry.Size ?? 0,
                lastModified: entry.LastModified?.getTime() ?? Date.now(),
              },
            ],
      );
      token = output.IsTruncated === true ? output.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  private async deleteObject(key: string): Promise<void> {
    await this.send('delete', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  private async deleteQuietly(key: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
      .catch(() => undefined);
  }

  private refKey(key: string): string {
    return `${this.prefix}refs/${key}`;
  }

  private blobKey(sha256: string): string {
    return this.prefix + blobName(sha256);
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private missingBlob(info: ObjectInfo): Internal {
    return new Internal(
      `object '${info.key}' refers to blob ${info.sha256}, which is missing from ${this.location}`,
      { key: info.key, sha256: info.sha256 },
    );
  }

  /** Runs one S3 call, turning SDK failures (after the SDK's own retries) into Unavailable. */
  private async send<T>(action: string, name: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.failure(error, action, name);
    }
  }

  private failure(error: unknown, action: string, name: string): DrivetrainError {
    if (error instanceof DrivetrainError) return error;
    const shape = error as S3ErrorShape | undefined;
    const status = shape?.$metadata?.httpStatusCode;
    const code = shape?.name ?? 'Error';
    const reason = shape?.message ? `${code}: ${shape.message}` : code;
    return new Unavailable(
      `object store ${this.location} could not ${action} '${name}': ${reason}`,
      { location: this.location, s3Error: code, ...(status === undefined ? {} : { status }) },
      { cause: error },
    );
  }
}
