import type { Readable } from 'node:stream';

/** Result of storing bytes. `created` is false when the store already held these exact bytes. */
export interface PutResult {
  key: string;
  sha256: string;
  bytes: number;
  created: boolean;
}

export interface BlobStat {
  bytes: number;
}

export interface PutStreamOptions {
  /**
   * Abort with `blob.error` (details.reason = 'too_large') once more bytes than this arrive.
   * Uploads come from untrusted clients, so a stream without a bound could fill the disk or memory.
   */
  maxBytes?: number;
}

/**
 * A content-addressed blob store: the key of a blob is derived from the SHA-256 of its bytes
 * (`sha256/ab/cd/<hex>`), so storing the same bytes twice is a no-op and a key never changes meaning.
 *
 * Errors are TollgateErrors: `blob.not_found` when a key is absent, `blob.error` for everything else
 * (I/O, network, a malformed key).
 */
export interface BlobStore {
  /** 'fs' or 's3', for logs and `describeConfig`. */
  readonly kind: string;
  put(bytes: Buffer): Promise<PutResult>;
  /** Stores a stream while hashing it, without needing the whole upload in memory where the backend allows. */
  putStream(stream: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult>;
  get(key: string): Promise<Buffer>;
  /** `null` when the blob is absent. */
  stat(key: string): Promise<BlobStat | null>;
  has(key: string): Promise<boolean>;
  /** Returns whether something was deleted; deleting an absent blob is not an error (idempotent retries). */
  delete(key: string): Promise<boolean>;
  /**
   * Present on stores that hold objects clients put there themselves (S3 with presigned URLs): reads one
   * by its literal key, for uploads by reference (`object_key`).
   */
  readonly readObject?: ((objectKey: string, options?: { maxBytes?: number }) => Promise<{ bytes: Buffer }>) | undefined;
}
