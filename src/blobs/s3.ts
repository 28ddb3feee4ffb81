import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { TollgateError } from '../errors.ts';
import { blobKeyForSha256, normalizeBlobKey, sha256Hex } from './keys.ts';
import type { BlobStat, BlobStore, PutResult, PutStreamOptions } from './types.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Custom endpoint for MinIO, R2, Supabase Storage, s3rver; omit for AWS. */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Required by most non-AWS servers (bucket in the path rather than the host name). */
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. `tollgate/` to share a bucket. Default ''. */
  prefix?: string;
  /** Upper bound for `putStream` when the caller gives none, since it buffers in memory. Default 256 MiB. */
  maxStreamBytes?: number;
}

export interface S3Object {
  key: string;
  bytes: Buffer;
  contentType: string | undefined;
  etag: string | undefined;
}

interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as S3ErrorShape;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.Code === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

function wrap(error: unknown, action: string, key?: string): TollgateError {
  if (error instanceof TollgateError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new TollgateError('blob.error', `S3 blob store: ${action} failed: ${message}`, key ? { key } : undefined, { cause: error });
}

const DEFAULT_MAX_STREAM_BYTES = 256 * 1024 * 1024;

/**
 * Content-addressed blobs in an S3 bucket, same key layout as the filesystem store.
 * S3 PUTs are atomic per object, so there is no temp-object dance; idempotency comes from a HEAD
 * before the PUT (a lost race just rewrites identical bytes, which is harmless for content addresses).
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly client: S3Client;
  private readonly prefix: string;
  private readonly maxStreamBytes: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.maxStreamBytes = options.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Newer SDKs add CRC32 checksums to every PUT by default; several S3-compatible servers reject them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Creates the bucket when it does not exist (development and tests; production buckets are provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw wrap(error, 'headBucket');
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      } catch (createError) {
        throw wrap(createError, 'createBucket');
      }
    }
  }

  async put(bytes: Buffer): Promise<PutResult> {
    const sha256 = sha256Hex(bytes);
    const key = blobKeyForSha256(sha256);
    if (await this.has(key)) return { key, sha256, bytes: bytes.length, created: false };
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: 'application/octet-stream',
          // Lets anyone auditing the bucket verify a blob without recomputing its address from the key.
          Metadata: { sha256 },
        }),
      );
    } catch (error) {
      throw wrap(error, 'put', key);
    }
    return { key, sha256, bytes: bytes.length, created: true };
  }

  /**
   * Buffers the stream (bounded by maxBytes) and then PUTs it: a content address is only known after
   * the last byte, and a single PutObject needs a length. Multipart upload to a temporary key plus
   * CopyObject would avoid the buffer, at the cost of @aws-sdk/lib-storage and more requests.
   */
  async putStream(stream: Readable | AsyncIterable<Uint8Array>, options: PutStreamOptions = {}): Promise<PutResult> {
    const limit = options.maxBytes ?? this.maxStreamBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        const buf = Buffer.from(chunk);
        size += buf.length;
        if (size > limit) throw new TollgateError('blob.error', `stream exceeds ${limit} bytes`, { reason: 'too_large', maxBytes: limit });
        chunks.push(buf);
      }
    } catch (error) {
      throw wrap(error, 'putStream');
    }
    return this.put(Buffer.concat(chunks, size));
  }

  async get(key: string): Promise<Buffer> {
    const canonical = normalizeBlobKey(key);
    return (await this.getObjectByKey(this.objectKey(canonical))).bytes;
  }

  async stat(key: string): Promise<BlobStat | null> {
    const canonical = normalizeBlobKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(canonical) }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw wrap(error, 'stat', canonical);
    }
  }

  async has(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<boolean> {
    const canonical = normalizeBlobKey(key);
    // S3 DELETE succeeds for absent keys, so a HEAD is the only way to report whether anything went.
    const existed = await this.has(canonical);
    if (!existed) return false;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(canonical) }));
    } catch (error) {
      throw wrap(error, 'delete', canonical);
    }
    return true;
  }

  /**
   * Reads an arbitrary object of the bucket by its literal key (no prefix, no content addressing):
   * for uploads that a client put into the bucket directly and then references by key.
   * Callers usually `put()` the bytes afterwards to get a content address.
   */
  readonly readObject = (objectKey: string, options: { maxBytes?: number } = {}): Promise<S3Object> => this.getObjectByKey(objectKey, options);

  async getObjectByKey(objectKey: string, options: { maxBytes?: number } = {}): Promise<S3Object> {
    if (objectKey.length === 0 || objectKey.length > 1024) {
      throw new TollgateError('blob.error', 'object key must be 1..1024 characters', { reason: 'bad_key' });
    }
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      if (options.maxBytes !== undefined && (out.ContentLength ?? 0) > options.maxBytes) {
        out.Body?.transformToWebStream().cancel().catch(() => undefined);
        throw new TollgateError('blob.error', `object ${objectKey} has ${out.ContentLength} bytes, over ${options.maxBytes}`, {
          key: objectKey,
          reason: 'too_large',
        });
      }
      if (!out.Body) throw new TollgateError('blob.error', `object ${objectKey} has no body`, { key: objectKey });
      const bytes = Buffer.from(await out.Body.transformToByteArray());
      return { key: objectKey, bytes, contentType: out.ContentType, etag: out.ETag };
    } catch (error) {
      if (isNotFound(error)) throw new TollgateError('blob.not_found', `no object ${objectKey} in bucket ${this.bucket}`, { key: objectKey });
      throw wrap(error, 'get', objectKey);
    }
  }

  /** Releases sockets; the store is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }

  private objectKey(canonicalKey: string): string {
    return this.prefix + canonicalKey;
  }
}
