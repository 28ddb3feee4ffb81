import type { Readable } from 'node:stream';
import type { BlobStat, BlobStore, PutResult, PutStreamOptions } from './types.ts';

export interface RecentBlobsOptions {
  /** Bytes held in memory at most, over all entries; 0 disables the hand-off. */
  maxBytes: number;
  /** A blob larger than this is stored but never held (videos); 0 disables the hand-off. */
  maxEntryBytes: number;
}

const MIB = 1024 * 1024;
export const DEFAULT_RECENT_BLOBS: Readonly<RecentBlobsOptions> = { maxBytes: 64 * MIB, maxEntryBytes: 8 * MIB };

/**
 * Hands a blob that was just stored to the worker that reads it a few milliseconds later, without the
 * read going back to the backend (open/fstat/read/close through libuv's thread pool on disk, a GET on S3).
 *
 * After a successful `put`/`putStream` of at most `maxEntryBytes`, the bytes stay in memory under their key.
 * The first `get` of that key takes them out of memory (consumed on first get): the life of an upload's
 * blob is one put by the API and one get by the worker, after which the worker holds its own reference, so
 * keeping the entry would only hold a second copy of bytes nobody asks for again (a retry or the ELA route
 * reads the backend, as before). Handing the Buffer over also means the caller may do what it likes with
 * it without changing what a later `get` returns. Entries never read (the job went to a `tollgate worker`
 * process, or the upload was a duplicate) are evicted least recently stored first once the total passes
 * `maxBytes`, so memory stays bounded whatever happens to the jobs.
 *
 * Bytes are kept only once the inner store has stored them: a failed put keeps nothing. Kept bytes are
 * always a private copy made when the put succeeds (`Buffer.concat` of the stream's chunks, a copy of
 * `put`'s argument), never memory the caller or a stream producer may reuse afterwards.
 */
export class RecentBlobs implements BlobStore {
  readonly kind: string;
  readonly inner: BlobStore;
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  /** Insertion order is storage order: the first key is the least recently stored. */
  private readonly entries = new Map<string, Buffer>();
  private heldBytes = 0;
  /**
   * Counts deletes. A put that overlapped a delete does not keep its bytes: the delete may have removed
   * the blob after the put wrote it, and memory must never answer for a blob the backend no longer has.
   */
  private deletes = 0;

  constructor(inner: BlobStore, options: RecentBlobsOptions = DEFAULT_RECENT_BLOBS) {
    this.inner = inner;
    this.kind = inner.kind;
    this.maxBytes = Math.max(0, options.maxBytes);
    // An entry larger than the whole budget could never stay.
    this.maxEntryBytes = Math.max(0, Math.min(options.maxEntryBytes, this.maxBytes));
  }

  /** Bytes and entries held now (tests, metrics). */
  get held(): { bytes: number; entries: number } {
    return { bytes: this.heldBytes, entries: this.entries.size };
  }

  async put(bytes: Buffer): Promise<PutResult> {
    const deletes = this.deletes;
    const result = await this.inner.put(bytes);
    // Buffer.from(buffer) copies: the caller keeps ownership of its argument.
    if (bytes.length <= this.maxEntryBytes && deletes === this.deletes) this.keep(result, Buffer.from(bytes));
    return result;
  }

  async putStream(stream: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult> {
    if (this.maxEntryBytes === 0) return this.inner.putStream(stream, options);
    const deletes = this.deletes;
    let chunks: Buffer[] | undefined = [];
    let size = 0;
    const limit = this.maxEntryBytes;
    async function* collect(): AsyncGenerator<Uint8Array> {
      for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (chunks) {
          size += bytes.byteLength;
          // Past the limit: drop what was collected and let the rest stream through untouched.
          if (size > limit) chunks = undefined;
          // A reference until the put is done, as FsBlobStore's write batches hold them: a yielded chunk is
          // the consumer's (a producer reusing it would corrupt the stored file too). Copying each chunk here
          // as well doubled the decorator's cost (≈30 µs per 80 KB upload).
          else chunks.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        }
        yield bytes;
      }
    }
    const result = await this.inner.putStream(collect(), options);
    // The size check also covers an inner store that stopped reading early yet reported success.
    if (chunks && size === result.bytes && deletes === this.deletes) {
      // Buffer.concat copies (also a single chunk): the kept bytes never alias memory the producer may reuse
      // once the put has returned (busboy's buffers, a caller's own).
      this.keep(result, Buffer.concat(chunks, size));
    }
    return result;
  }

  /** Objects a client put into the bucket itself are not ours to hold: straight to the inner store. */
  get readObject(): BlobStore['readObject'] {
    return this.inner.readObject?.bind(this.inner);
  }

  async get(key: string): Promise<Buffer> {
    const bytes = this.entries.get(key);
    if (bytes === undefined) return this.inner.get(key);
    this.drop(key, bytes);
    return bytes;
  }

  async stat(key: string): Promise<BlobStat | null> {
    const bytes = this.entries.get(key);
    return bytes === undefined ? this.inner.stat(key) : { bytes: bytes.length };
  }

  async has(key: string): Promise<boolean> {
    return this.entries.has(key) || this.inner.has(key);
  }

  async delete(key: string): Promise<boolean> {
    this.deletes++;
    const bytes = this.entries.get(key);
    if (bytes !== undefined) this.drop(key, bytes);
    return this.inner.delete(key);
  }

  private keep(result: PutResult, bytes: Buffer): void {
    const previous = this.entries.get(result.key);
    // Same key, same bytes (content addressed): storing again makes it the most recently stored.
    if (previous !== undefined) this.drop(result.key, previous);
    this.entries.set(result.key, bytes);
    this.heldBytes += bytes.length;
    for (const [key, old] of this.entries) {
      if (this.heldBytes <= this.maxBytes) break;
      this.drop(key, old);
    }
  }

  private drop(key: string, bytes: Buffer): void {
    this.entries.delete(key);
    this.heldBytes -= bytes.length;
  }
}

/** `store` with the hand-off in front of it, or `store` itself when disabled (either limit 0). */
export function withRecentBlobs(store: BlobStore, options: RecentBlobsOptions = DEFAULT_RECENT_BLOBS): BlobStore {
  if (options.maxBytes <= 0 || options.maxEntryBytes <= 0) return store;
  return new RecentBlobs(store, options);
}
